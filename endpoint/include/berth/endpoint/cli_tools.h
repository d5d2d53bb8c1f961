#pragma once

// The docker client and CLI plugins that come with the guest image (the same Debian release as
// the engine: docker, docker-compose, docker-buildx), offered to the user where the tools look:
//  - a plugin the user's CLI lacks is linked into $DOCKER_CONFIG/cli-plugins, else
//    ~/.docker/cli-plugins;
//  - with no `docker` on PATH at all, the client is linked as ~/.local/bin/docker.
// Each is a symbolic link to the shipped file, so an upgrade of Berth upgrades it. What the user
// or the system already has is left alone: an entry is replaced only when it is a link into the
// shipped folder (one Berth made) or a link to nothing.

#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

namespace berth::endpoint {

struct CliToolsResult {
    QStringList linked;  // links made (or remade) now: file names, or the client's link path
    QStringList present;  // tools the user already had, left as they were
    QString error;  // empty unless a link could not be made
};

// The docker CLI's configuration folder: $DOCKER_CONFIG, else ~/.docker.
QString userDockerConfigDir(const QProcessEnvironment& environment = QProcessEnvironment::systemEnvironment());

// Where the docker CLI looks for the user's plugins.
QString userCliPluginDir(const QProcessEnvironment& environment = QProcessEnvironment::systemEnvironment());

// The docker CLI's system-wide plugin folders, as the CLI searches them.
QStringList systemCliPluginDirs();

// Links each `docker-*` file of `shippedDir` into userCliPluginDir() unless the CLI already has
// that plugin in the user's folder or any of `systemDirs`.
CliToolsResult offerCliPlugins(const QString& shippedDir,
                               const QProcessEnvironment& environment = QProcessEnvironment::systemEnvironment(),
                               const QStringList& systemDirs = systemCliPluginDirs());

// Links ~/.local/bin/docker to `shippedClient` when no `docker` is on the environment's PATH.
CliToolsResult offerDockerClient(const QString& shippedClient,
                                 const QProcessEnvironment& environment = QProcessEnvironment::systemEnvironment());

}  // namespace berth::endpoint
