#include "container_source.h"

#include <QObject>

#include <memory>
#include <optional>

#include "berth/endpoint/docker_api.h"

namespace berth::gui {

namespace {

std::optional<endpoint::DockerApi> engineApi(const engine::EngineHandle& engine, const endpoint::EngineCertPaths& certs,
                                             std::chrono::milliseconds timeout, QString* error)
{
    const engine::EngineStatus status = engine.status();
    if (status.state != engine::EngineState::Running || status.enginePort == 0) { return std::nullopt; }
    const auto tls = endpoint::DockerApi::tlsConfiguration(certs, error);
    if (!tls) { return std::nullopt; }
    return endpoint::DockerApi(status.enginePort, *tls, timeout);
}

}  // namespace

EngineContainers::EngineContainers(const engine::EngineHandle& engine, endpoint::EngineCertPaths certs,
                                   std::chrono::milliseconds timeout)
    : m_engine(engine),
      m_certs(std::move(certs)),
      m_timeout(timeout)
{}

QVector<ContainerInfo> EngineContainers::list()
{
    if (m_listing) { return m_lastList; }
    m_listing = true;
    m_lastList = listNow();
    m_listing = false;
    return m_lastList;
}

QVector<ContainerInfo> EngineContainers::listNow()
{
    m_lastError.clear();
    const auto api = engineApi(m_engine, m_certs, m_timeout, &m_lastError);
    if (!api) { return {}; }
    QVector<ContainerInfo> result;
    QString error;
    // The list, then every container's runtime (only the details name it), all in one wait.
    const bool finished = endpoint::DockerApi::waitFor(
        [&](QObject* context, const std::function<void()>& finish) {
            api->listContainers(
                context,
                [&, context, finish](const QList<endpoint::ContainerSummary>& containers, const QString& listError) {
                    if (!listError.isEmpty() || containers.isEmpty()) {
                        error = listError;
                        finish();
                        return;
                    }
                    result.resize(containers.size());
                    auto pending = std::make_shared<qsizetype>(containers.size());
                    for (qsizetype i = 0; i < containers.size(); ++i) {
                        result[i].name = containers[i].name;
                        result[i].image = containers[i].image;
                        api->containerRuntime(
                            containers[i].id, context,
                            [&, i, pending, finish](const QString& runtime, const QString& runtimeError) {
                                result[i].runtime = runtime;
                                if (!runtimeError.isEmpty()) { error = runtimeError; }
                                if (--*pending == 0) { finish(); }
                            });
                    }
                });
        },
        m_timeout * 2);
    if (!finished) { error = QObject::tr("The engine did not list its containers in time"); }
    if (!error.isEmpty()) {
        m_lastError = error;
        return finished && !result.isEmpty() ? result : QVector<ContainerInfo>();
    }
    return result;
}

QString EngineContainers::removeAll()
{
    QString error;
    const auto api = engineApi(m_engine, m_certs, m_timeout, &error);
    if (!api) { return error; }  // not running: nothing to remove, unless the certificates are missing
    QStringList failures;
    const bool finished = endpoint::DockerApi::waitFor(
        [&](QObject* context, const std::function<void()>& finish) {
            api->listContainers(
                context,
                [&, context, finish](const QList<endpoint::ContainerSummary>& containers, const QString& listError) {
                    if (!listError.isEmpty() || containers.isEmpty()) {
                        if (!listError.isEmpty()) { failures << listError; }
                        finish();
                        return;
                    }
                    auto pending = std::make_shared<qsizetype>(containers.size());
                    for (const auto& container : containers) {
                        api->removeContainer(container.id, context,
                                             [&, name = container.name, pending, finish](const QString& e) {
                                                 if (!e.isEmpty()) {
                                                     failures << QStringLiteral("%1: %2").arg(name, e);
                                                 }
                                                 if (--*pending == 0) { finish(); }
                                             });
                    }
                });
        },
        // Removing stops running containers first (docker's stop timeout is 10 s).
        m_timeout * 4);
    if (!finished) { failures << QObject::tr("The engine did not remove every container in time"); }
    return failures.join(QLatin1Char('\n'));
}

}  // namespace berth::gui
