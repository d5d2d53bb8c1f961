#include "berth/endpoint/docker_context.h"

#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QStandardPaths>

#include <nlohmann/json.hpp>

namespace berth::endpoint {

namespace {

struct Run {
    bool ok = false;
    QByteArray out;
    QString error;
};

Run runDocker(const QString& cli, const QStringList& arguments, std::chrono::milliseconds timeout)
{
    QProcess process;
    process.start(cli, arguments);
    Run run;
    if (!process.waitForStarted(static_cast<int>(timeout.count()))) {
        run.error = QStringLiteral("%1 did not start: %2").arg(cli, process.errorString());
        return run;
    }
    process.closeWriteChannel();
    if (!process.waitForFinished(static_cast<int>(timeout.count()))) {
        process.kill();
        process.waitForFinished(1000);
        run.error = QStringLiteral("docker %1 did not finish within %2 s")
                        .arg(arguments.value(1))
                        .arg(timeout.count() / 1000.0);
        return run;
    }
    run.out = process.readAllStandardOutput();
    run.ok = process.exitStatus() == QProcess::NormalExit && process.exitCode() == 0;
    if (!run.ok) { run.error = QString::fromLocal8Bit(process.readAllStandardError()).trimmed(); }
    return run;
}

QByteArray readAll(const QString& path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

// True when the existing context already points at `host` with the same certificate files.
bool isCurrent(const QByteArray& inspectJson, const QString& host, const EngineCertPaths& certs)
{
    const auto json = nlohmann::json::parse(inspectJson.toStdString(), nullptr, false);
    if (!json.is_array() || json.empty() || !json[0].is_object()) { return false; }
    const auto& context = json[0];
    using Pointer = nlohmann::json::json_pointer;
    const Pointer hostField("/Endpoints/docker/Host");
    const Pointer skipVerify("/Endpoints/docker/SkipTLSVerify");
    const Pointer tlsField("/Storage/TLSPath");
    if (!context.contains(hostField) || context.at(hostField) != host.toStdString()) { return false; }
    if (context.contains(skipVerify) && context.at(skipVerify) != false) { return false; }
    if (!context.contains(tlsField) || !context.at(tlsField).is_string()) { return false; }
    const auto tlsPath = context.at(tlsField).get<std::string>();
    // The CLI keeps its own copies of the files; they must match ours (renewed certificates).
    const QString stored = QString::fromStdString(tlsPath) + QStringLiteral("/docker/");
    return readAll(stored + QStringLiteral("ca.pem")) == readAll(certs.caCert())
        && readAll(stored + QStringLiteral("cert.pem")) == readAll(certs.clientCert())
        && readAll(stored + QStringLiteral("key.pem")) == readAll(certs.clientKey());
}

}  // namespace

QString findDockerCli(const QString& shipped)
{
    const QString inPath = QStandardPaths::findExecutable(QStringLiteral("docker"));
    if (!inPath.isEmpty()) { return inPath; }
    if (!shipped.isEmpty() && QFileInfo(shipped).isExecutable()) { return shipped; }
    return {};
}

DockerContextResult ensureDockerContext(const QString& dockerCli, const QString& name, quint16 port,
                                        const EngineCertPaths& certs, std::chrono::milliseconds timeout)
{
    DockerContextResult result;
    for (const QString& path : {certs.caCert(), certs.clientCert(), certs.clientKey()}) {
        // The CLI's --docker value is comma-separated key=value pairs.
        if (path.contains(QLatin1Char(',')) || path.contains(QLatin1Char('"'))) {
            result.message
                = QStringLiteral("cannot set up the docker context: the path %1 contains a comma or quote").arg(path);
            return result;
        }
    }
    const QString host = QStringLiteral("tcp://127.0.0.1:%1").arg(port);
    const Run inspect = runDocker(dockerCli, {QStringLiteral("context"), QStringLiteral("inspect"), name}, timeout);
    const QString usage
        = QStringLiteral("use it with: docker --context %1 ..., or make it the default with: docker context use %1")
              .arg(name);
    if (inspect.ok && isCurrent(inspect.out, host, certs)) {
        result.outcome = DockerContextResult::Outcome::Unchanged;
        result.message = QStringLiteral("Docker context \"%1\" is up to date (%2); %3").arg(name, host, usage);
        return result;
    }
    const QString endpoint = QStringLiteral("host=%1,ca=%2,cert=%3,key=%4")
                                 .arg(host, certs.caCert(), certs.clientCert(), certs.clientKey());
    const QString verb = inspect.ok ? QStringLiteral("update") : QStringLiteral("create");
    const Run change = runDocker(dockerCli,
                                 {QStringLiteral("context"), verb, name, QStringLiteral("--description"),
                                  QStringLiteral("Berth's Docker Engine (TLS, client certificate)"),
                                  QStringLiteral("--docker"), endpoint},
                                 timeout);
    if (!change.ok) {
        result.message = QStringLiteral("docker context %1 %2 failed: %3").arg(verb, name, change.error);
        return result;
    }
    result.outcome = inspect.ok ? DockerContextResult::Outcome::Updated : DockerContextResult::Outcome::Created;
    result.message = QStringLiteral("Docker context \"%1\" %2 (%3); %4")
                         .arg(name, inspect.ok ? QStringLiteral("updated") : QStringLiteral("created"), host, usage);
    return result;
}

}  // namespace berth::endpoint
