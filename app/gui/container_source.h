#pragma once

#include <QString>
#include <QVector>

#include <chrono>

#include "berth/contracts/names.h"
#include "berth/endpoint/endpoint_certs.h"
#include "berth/engine/engine_handle.h"

namespace berth::gui {

// One container as the dashboard lists it.
struct ContainerInfo {
    QString name;
    QString image;
    QString runtime;  // the OCI runtime docker reports; ECI's is "sysbox-runc"

    [[nodiscard]] bool isolated() const { return runtime == QLatin1String(contracts::kEciRuntime); }
};

// The engine's containers. Production reads them from the engine (EngineContainers); tests use a
// fake, so the dashboard list and the remove dialog are real paths.
class ContainerSource {
public:
    virtual ~ContainerSource() = default;
    virtual QVector<ContainerInfo> list() = 0;
    // Stops and removes every container; returns an error message, empty on success.
    virtual QString removeAll() = 0;
};

class NoContainers final : public ContainerSource {
public:
    QVector<ContainerInfo> list() override { return {}; }
    QString removeAll() override { return {}; }
};

// The running engine's containers over its Engine API (TLS with the client certificate, on the
// port the engine status names). Nothing while the engine is not Running. The calls wait in a
// local event loop (user input excluded) for at most `timeout`, as the interface is synchronous.
class EngineContainers final : public ContainerSource {
public:
    EngineContainers(const engine::EngineHandle& engine, endpoint::EngineCertPaths certs,
                     std::chrono::milliseconds timeout = std::chrono::seconds(5));
    QVector<ContainerInfo> list() override;
    QString removeAll() override;
    // Why the last list() came back empty-handed, if it failed; empty otherwise.
    [[nodiscard]] QString lastError() const { return m_lastError; }

private:
    QVector<ContainerInfo> listNow();

    const engine::EngineHandle& m_engine;
    endpoint::EngineCertPaths m_certs;
    std::chrono::milliseconds m_timeout;
    QString m_lastError;
    bool m_listing = false;  // a status change during the wait must not nest another
    QVector<ContainerInfo> m_lastList;
};

}  // namespace berth::gui
