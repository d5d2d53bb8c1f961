#pragma once

#include <QDateTime>
#include <QHash>
#include <QList>
#include <QObject>
#include <QString>
#include <QVector>

#include <chrono>
#include <functional>
#include <optional>

#include "berth/contracts/names.h"
#include "berth/endpoint/docker_api.h"
#include "berth/endpoint/endpoint_certs.h"
#include "berth/engine/engine_handle.h"

namespace berth::endpoint {
class ContainerWatch;
}

namespace berth::gui {

class ContainerLogWindow;

// One container as the dashboard lists it.
struct ContainerInfo {
    QString name;
    QString image;
    QString runtime;  // the OCI runtime docker reports; ECI's is "sysbox-runc"
    QString id = {};
    QString state = {};  // the engine's State: "running", "exited", "paused", ...
    QString status = {};  // the engine's Status: "Up 5 minutes", "Exited (0) 2 hours ago", ...
    QList<endpoint::PublishedPort> ports = {};
    QDateTime created = {};
    QString composeProject = {};  // grouped by it in the dashboard

    [[nodiscard]] bool isolated() const { return runtime == QLatin1String(contracts::kEciRuntime); }
};

// The engine's containers, and the images and volumes beside them. Production reads them from the
// engine (EngineContainers); tests use a fake, so the dashboard list and the remove dialog are real
// paths. `changed()` says the list may
// differ from the last one (a container created, started, stopped, removed; the engine gone).
class ContainerSource : public QObject {
    Q_OBJECT
public:
    using Listed = std::function<void(const QVector<ContainerInfo>&)>;

    // Synchronous, for the ECI question before a restart.
    virtual QVector<ContainerInfo> list() = 0;
    // Without blocking: `done` runs later on the event loop with the list, unless `context` is
    // destroyed first. By default, list() on the next turn of the loop.
    virtual void listLater(QObject* context, Listed done);
    // Stops and removes every container; returns an error message, empty on success.
    virtual QString removeAll() = 0;

    // One container's action, without blocking: `done` runs later with an error message, empty on
    // success, unless `context` is destroyed first. The list follows through `changed()`.
    using Acted = std::function<void(const QString& error)>;
    virtual void act(const QString& id, endpoint::ContainerAction action, QObject* context, Acted done) = 0;
    // Removes one container, stopping it first if it runs.
    virtual void remove(const QString& id, QObject* context, Acted done) = 0;
    // Follows the container's logs into `window` for as long as the window lives.
    virtual void followLogs(const QString& id, ContainerLogWindow* window) = 0;

    // One sample of a running container's CPU and memory use; like act(), answered later.
    using Sampled = std::function<void(const endpoint::ContainerStats& stats, const QString& error)>;
    virtual void stats(const QString& id, QObject* context, Sampled done) = 0;

    // The images, volumes and what the data disk holds; like act(), answered later.
    using Usage = std::function<void(const endpoint::DiskUsage& usage, const QString& error)>;
    virtual void diskUsage(QObject* context, Usage done) = 0;
    virtual void removeImage(const QString& id, QObject* context, Acted done) = 0;
    virtual void removeVolume(const QString& name, QObject* context, Acted done) = 0;
    using Pruned = std::function<void(qint64 reclaimedBytes, const QString& error)>;
    virtual void prune(endpoint::Prune what, QObject* context, Pruned done) = 0;

signals:
    void changed();
};

class NoContainers final : public ContainerSource {
public:
    QVector<ContainerInfo> list() override { return {}; }
    QString removeAll() override { return {}; }
    void act(const QString&, endpoint::ContainerAction, QObject* context, Acted done) override
    {
        notRunning(context, std::move(done));
    }
    void remove(const QString&, QObject* context, Acted done) override { notRunning(context, std::move(done)); }
    void followLogs(const QString& id, ContainerLogWindow* window) override;
    void diskUsage(QObject* context, Usage done) override;
    void stats(const QString&, QObject* context, Sampled done) override;
    void removeImage(const QString&, QObject* context, Acted done) override { notRunning(context, std::move(done)); }
    void removeVolume(const QString&, QObject* context, Acted done) override { notRunning(context, std::move(done)); }
    void prune(endpoint::Prune, QObject* context, Pruned done) override;

private:
    static void notRunning(QObject* context, Acted done);
};

// The running engine's containers over its Engine API (TLS with the client certificate, on the
// port the engine status names). Nothing while the engine is not Running. list() and removeAll()
// wait in a local event loop (user input excluded) for at most `timeout`; listLater() does not.
// While the engine runs, its container events are followed (ContainerWatch) for `changed()`.
class EngineContainers final : public ContainerSource {
    Q_OBJECT
public:
    EngineContainers(const engine::EngineHandle& engine, endpoint::EngineCertPaths certs,
                     std::chrono::milliseconds timeout = std::chrono::seconds(5));
    ~EngineContainers() override;
    QVector<ContainerInfo> list() override;
    void listLater(QObject* context, Listed done) override;
    QString removeAll() override;
    void act(const QString& id, endpoint::ContainerAction action, QObject* context, Acted done) override;
    void remove(const QString& id, QObject* context, Acted done) override;
    void followLogs(const QString& id, ContainerLogWindow* window) override;
    void diskUsage(QObject* context, Usage done) override;
    void stats(const QString& id, QObject* context, Sampled done) override;
    void removeImage(const QString& id, QObject* context, Acted done) override;
    void removeVolume(const QString& name, QObject* context, Acted done) override;
    void prune(endpoint::Prune what, QObject* context, Pruned done) override;
    // Why the last list() came back empty-handed, if it failed; empty otherwise.
    [[nodiscard]] QString lastError() const { return m_lastError; }

private:
    QVector<ContainerInfo> listNow();
    // The API for one container action; without one, `done` is told why (later, on the loop).
    std::optional<endpoint::DockerApi> actionApi(QObject* context, const Acted& done) const;
    void followEngine(const engine::EngineStatus& status);

    const engine::EngineHandle& m_engine;
    endpoint::EngineCertPaths m_certs;
    std::chrono::milliseconds m_timeout;
    QString m_lastError;
    bool m_listing = false;  // a status change during the wait must not nest another
    QVector<ContainerInfo> m_lastList;
    endpoint::ContainerWatch* m_watch;
    quint16 m_watchedPort = 0;
    QHash<QString, QString> m_runtimes;  // by container id: a container's runtime never changes
};

}  // namespace berth::gui
