#include "container_source.h"

#include <QObject>
#include <QPointer>
#include <QTimer>

#include <memory>
#include <optional>

#include "berth/endpoint/container_logs.h"
#include "berth/endpoint/container_watch.h"
#include "berth/endpoint/docker_api.h"
#include "container_log_window.h"

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

// Stop, restart and remove wait on the engine's side for the container's stop timeout (10 s
// unless the container asks for more); the answer comes after that.
constexpr std::chrono::milliseconds kContainerActionTimeout = std::chrono::minutes(2);

// The events that change what the dashboard shows: containers, images, volumes.
constexpr const char* kDashboardEvents
    = R"({"type":["container","image","volume"],"event":["create","start","die","pause","unpause","rename",)"
      R"("destroy","delete","pull","tag","untag","import","load"]})";

ContainerInfo containerInfo(const endpoint::ContainerSummary& summary)
{
    ContainerInfo info;
    info.name = summary.name;
    info.image = summary.image;
    info.id = summary.id;
    info.state = summary.state;
    info.status = summary.status;
    info.ports = summary.ports;
    info.composeProject = summary.composeProject;
    if (summary.created > 0) { info.created = QDateTime::fromSecsSinceEpoch(summary.created, Qt::UTC); }
    return info;
}

}  // namespace

void ContainerSource::listLater(QObject* context, Listed done)
{
    QTimer::singleShot(0, context, [this, done = std::move(done)] { done(list()); });
}

void NoContainers::followLogs(const QString&, ContainerLogWindow* window)
{
    window->ended(QObject::tr("The engine is not running"));
}

void NoContainers::diskUsage(QObject* context, Usage done)
{
    notRunning(context, [done = std::move(done)](const QString& error) { done({}, error); });
}

void NoContainers::stats(const QString&, QObject* context, Sampled done)
{
    notRunning(context, [done = std::move(done)](const QString& error) { done({}, error); });
}

void NoContainers::prune(endpoint::Prune, QObject* context, Pruned done)
{
    notRunning(context, [done = std::move(done)](const QString& error) { done(0, error); });
}

void NoContainers::notRunning(QObject* context, Acted done)
{
    QTimer::singleShot(0, context, [done = std::move(done)] { done(QObject::tr("The engine is not running")); });
}

EngineContainers::EngineContainers(const engine::EngineHandle& engine, endpoint::EngineCertPaths certs,
                                   std::chrono::milliseconds timeout)
    : m_engine(engine),
      m_certs(std::move(certs)),
      m_timeout(timeout),
      m_watch(new endpoint::ContainerWatch(QStringLiteral("dashboard"), kDashboardEvents, this))
{
    connect(m_watch, &endpoint::ContainerWatch::changed, this, &ContainerSource::changed);
    connect(&m_engine, &engine::EngineHandle::statusChanged, this, &EngineContainers::followEngine);
    followEngine(m_engine.status());
}

EngineContainers::~EngineContainers()
{
    m_watch->engineDown();
}

void EngineContainers::followEngine(const engine::EngineStatus& status)
{
    const quint16 port = status.state == engine::EngineState::Running ? status.enginePort : 0;
    if (port == m_watchedPort) { return; }
    m_watchedPort = port;
    m_runtimes.clear();
    if (port == 0) {
        m_watch->engineDown();
        emit changed();  // the engine's containers went with it
        return;
    }
    QString error;
    const auto tls = endpoint::DockerApi::tlsConfiguration(m_certs, &error);
    if (!tls) {
        m_watch->engineDown();
        return;
    }
    m_watch->engineUp(port, *tls);  // changed() once the events flow
}

void EngineContainers::listLater(QObject* context, Listed done)
{
    QString error;
    const auto api = engineApi(m_engine, m_certs, m_timeout, &error);
    if (!api) {
        QTimer::singleShot(0, context, [done = std::move(done)] { done({}); });
        return;
    }
    QPointer<EngineContainers> self(this);
    api->listContainers(context,
                        [self, api = *api, context, done = std::move(done)](
                            const QList<endpoint::ContainerSummary>& containers, const QString& listError) {
                            if (!self) { return; }
                            if (!listError.isEmpty()) { self->m_lastError = listError; }
                            auto result = std::make_shared<QVector<ContainerInfo>>();
                            auto pending = std::make_shared<qsizetype>(1);  // one for this loop, so done runs once
                            auto finishOne = [self, result, pending, done] {
                                if (--*pending == 0 && self) { done(*result); }
                            };
                            for (const auto& summary : containers) {
                                result->append(containerInfo(summary));
                                if (const auto known = self->m_runtimes.constFind(summary.id);
                                    known != self->m_runtimes.cend()) {
                                    result->last().runtime = *known;
                                    continue;
                                }
                                ++*pending;
                                const qsizetype index = result->size() - 1;
                                api.containerRuntime(summary.id, context,
                                                     [self, result, index, id = summary.id,
                                                      finishOne](const QString& runtime, const QString& runtimeError) {
                                                         (*result)[index].runtime = runtime;
                                                         if (self && runtimeError.isEmpty()) {
                                                             self->m_runtimes.insert(id, runtime);
                                                         }
                                                         finishOne();
                                                     });
                            }
                            finishOne();
                        });
}

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
                        result[i] = containerInfo(containers[i]);
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

void EngineContainers::act(const QString& id, endpoint::ContainerAction action, QObject* context, Acted done)
{
    if (const auto api = actionApi(context, done)) { api->containerAction(id, action, context, std::move(done)); }
}

void EngineContainers::remove(const QString& id, QObject* context, Acted done)
{
    if (const auto api = actionApi(context, done)) { api->removeContainer(id, context, std::move(done)); }
}

void EngineContainers::diskUsage(QObject* context, Usage done)
{
    const auto failed = [done](const QString& error) { done({}, error); };
    if (const auto api = actionApi(context, failed)) { api->diskUsage(context, std::move(done)); }
}

void EngineContainers::stats(const QString& id, QObject* context, Sampled done)
{
    const auto failed = [done](const QString& error) { done({}, error); };
    if (const auto api = actionApi(context, failed)) { api->containerStats(id, context, std::move(done)); }
}

void EngineContainers::removeImage(const QString& id, QObject* context, Acted done)
{
    if (const auto api = actionApi(context, done)) { api->removeImage(id, context, std::move(done)); }
}

void EngineContainers::removeVolume(const QString& name, QObject* context, Acted done)
{
    if (const auto api = actionApi(context, done)) { api->removeVolume(name, context, std::move(done)); }
}

void EngineContainers::prune(endpoint::Prune what, QObject* context, Pruned done)
{
    const auto failed = [done](const QString& error) { done(0, error); };
    if (const auto api = actionApi(context, failed)) { api->prune(what, context, std::move(done)); }
}

void EngineContainers::followLogs(const QString& id, ContainerLogWindow* window)
{
    const engine::EngineStatus status = m_engine.status();
    if (status.state != engine::EngineState::Running || status.enginePort == 0) {
        window->ended(QObject::tr("The engine is not running"));
        return;
    }
    QString error;
    const auto tls = endpoint::DockerApi::tlsConfiguration(m_certs, &error);
    if (!tls) {
        window->ended(error);
        return;
    }
    auto* logs = new endpoint::ContainerLogs(status.enginePort, *tls, window);  // ends with the window
    connect(logs, &endpoint::ContainerLogs::output, window, &ContainerLogWindow::append);
    connect(logs, &endpoint::ContainerLogs::ended, window, &ContainerLogWindow::ended);
    logs->start(id);
}

std::optional<endpoint::DockerApi> EngineContainers::actionApi(QObject* context, const Acted& done) const
{
    QString error;
    auto api = engineApi(m_engine, m_certs, kContainerActionTimeout, &error);
    if (!api) {
        if (error.isEmpty()) { error = QObject::tr("The engine is not running"); }
        QTimer::singleShot(0, context, [error, done] { done(error); });
    }
    return api;
}

}  // namespace berth::gui
