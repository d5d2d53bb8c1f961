#include "berth/endpoint/cli_tools.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <algorithm>
#include <cstdio>

namespace berth::endpoint {

namespace {

// A link Berth may replace: one into the shipped folder (an older or current link of ours), or
// one that names nothing. Anything else is the user's.
bool isReplaceable(const QFileInfo& entry, const QString& shippedDir)
{
    if (!entry.isSymLink()) { return false; }
    if (!entry.exists()) { return true; }  // a dangling link: nothing runs it anyway
    return QFileInfo(entry.symLinkTarget()).absolutePath() == QFileInfo(shippedDir).absoluteFilePath();
}

enum class Offer { AlreadyThere, Linked, Failed };

// Makes `entryPath` a link to `target` unless it is one already or holds something of the user's.
Offer linkShipped(const QString& target, const QString& entryPath, QString* error)
{
    const QFileInfo entry(entryPath);
    if (entry.isSymLink() && entry.symLinkTarget() == target) { return Offer::AlreadyThere; }
    if ((entry.exists() || entry.isSymLink()) && !isReplaceable(entry, QFileInfo(target).absolutePath())) {
        return Offer::AlreadyThere;
    }
    if (!QDir().mkpath(entry.absolutePath())) {
        *error = QStringLiteral("cannot create %1").arg(entry.absolutePath());
        return Offer::Failed;
    }
    // A new link beside the entry, renamed over it: nothing ever finds the tool missing.
    const QString temporary = entry.absoluteFilePath() + QStringLiteral(".berth-new");
    QFile::remove(temporary);
    if (!QFile::link(target, temporary)
        || std::rename(QFile::encodeName(temporary).constData(),
                       QFile::encodeName(entry.absoluteFilePath()).constData())
            != 0) {
        QFile::remove(temporary);
        *error = QStringLiteral("cannot link %1 to %2").arg(entry.absoluteFilePath(), target);
        return Offer::Failed;
    }
    return Offer::Linked;
}

QString homeOf(const QProcessEnvironment& environment)
{
    return environment.value(QStringLiteral("HOME"), QDir::homePath());
}

}  // namespace

QString userDockerConfigDir(const QProcessEnvironment& environment)
{
    const QString config = environment.value(QStringLiteral("DOCKER_CONFIG"));
    return config.isEmpty() ? QDir(homeOf(environment)).filePath(QStringLiteral(".docker")) : config;
}

QString userCliPluginDir(const QProcessEnvironment& environment)
{
    return QDir(userDockerConfigDir(environment)).filePath(QStringLiteral("cli-plugins"));
}

QStringList systemCliPluginDirs()
{
    return {QStringLiteral("/usr/local/lib/docker/cli-plugins"),
            QStringLiteral("/usr/local/libexec/docker/cli-plugins"), QStringLiteral("/usr/lib/docker/cli-plugins"),
            QStringLiteral("/usr/libexec/docker/cli-plugins")};
}

CliToolsResult offerCliPlugins(const QString& shippedDir, const QProcessEnvironment& environment,
                               const QStringList& systemDirs)
{
    CliToolsResult result;
    const QDir shipped(shippedDir);
    const QStringList plugins
        = shipped.entryList({QStringLiteral("docker-*")}, QDir::Files | QDir::Executable, QDir::Name);
    const QString userDir = userCliPluginDir(environment);
    for (const QString& name : plugins) {
        const QString entry = QDir(userDir).filePath(name);
        const bool systemHasIt = std::any_of(systemDirs.begin(), systemDirs.end(), [&](const QString& dir) {
            return QFileInfo(QDir(dir).filePath(name)).isExecutable();
        });
        if (!QFileInfo(entry).isSymLink() && !QFileInfo::exists(entry) && systemHasIt) {
            result.present << name;
            continue;
        }
        switch (linkShipped(shipped.absoluteFilePath(name), entry, &result.error)) {
        case Offer::AlreadyThere: result.present << name; break;
        case Offer::Linked: result.linked << name; break;
        case Offer::Failed: return result;
        }
    }
    return result;
}

CliToolsResult offerDockerClient(const QString& shippedClient, const QProcessEnvironment& environment)
{
    CliToolsResult result;
    if (!QFileInfo(shippedClient).isExecutable()) { return result; }
    const QString link = QDir(homeOf(environment)).filePath(QStringLiteral(".local/bin/docker"));
    const QStringList path = environment.value(QStringLiteral("PATH")).split(QLatin1Char(':'), Qt::SkipEmptyParts);
    const bool onPath = std::any_of(path.begin(), path.end(), [&](const QString& dir) {
        const QFileInfo candidate(QDir(dir).filePath(QStringLiteral("docker")));
        return candidate.isExecutable() && candidate.absoluteFilePath() != QFileInfo(link).absoluteFilePath();
    });
    if (onPath) {
        result.present << QStringLiteral("docker");
        return result;
    }
    switch (linkShipped(QFileInfo(shippedClient).absoluteFilePath(), link, &result.error)) {
    case Offer::AlreadyThere: result.present << link; break;
    case Offer::Linked: result.linked << link; break;
    case Offer::Failed: break;
    }
    return result;
}

}  // namespace berth::endpoint
