#pragma once

// EngineHandle: what a front end (the Berth window, berthctl) needs from the engine, wherever the
// engine runs. The production implementation is EngineClient, which talks to the berth-engine
// process that owns the VM (so the VM's lifetime does not depend on which window or terminal
// started it); tests use an in-process fake.
//
// The engine host decides the guest config itself from the effective settings at every start
// and restart, and refuses to start while the admin policy is invalid: front ends never compute
// configs or lock decisions. "Apply & restart" is: Settings::apply(draft), then restart().

#include <optional>

#include "berth/contracts/guest_config.h"
#include "berth/vm/engine_state.h"

#include <QObject>
#include <QString>

#include <nlohmann/json.hpp>

namespace berth::engine {

// The VM controller's own vocabulary (berth/vm/engine_state.h), which front ends name from here.
using vm::EngineOperation;
using vm::EngineState;

QString engineStateName(EngineState state);  // for people: "Running", "Waiting for engine", ...
QString engineStateId(EngineState state);  // for scripts: "running", "waiting-for-engine", ...
EngineState engineStateFromId(const QString& id);

// A snapshot of the engine, as `berthctl status --json` prints it.
struct EngineStatus {
    EngineState state = EngineState::Unknown;
    QString detail;  // the error reason in Error, else a short description
    QString accelerator;  // "kvm" or "tcg", empty before the first start
    QString acceleratorReason;  // why that accelerator was chosen
    qint64 qemuPid = 0;
    QString vmManager;  // the backend running the VM: "qemu" or "libvirt (URI)"
    quint16 enginePort = 0;  // 127.0.0.1:<port> reaches the engine's TLS endpoint
    QString serialLog;  // the guest console log, for "Show log"
    bool busy = false;  // an operation is running or queued
    // Stopped by the Resource Saver after its idle time: berth-engine listens on enginePort and
    // starts the VM when a client connects there.
    bool resourceSaverPaused = false;
    std::optional<contracts::GuestConfig> guestConfig;  // what the running VM was started with
    std::optional<contracts::GuestConfig> guestReportedConfig;  // what the guest agent says it read

    nlohmann::json toJson() const;
    static EngineStatus fromJson(const nlohmann::json& json);
};

class EngineHandle : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;

    virtual void start() = 0;
    virtual void stop(bool force = false) = 0;
    // A full quit and relaunch with the guest config derived from the current settings.
    virtual void restart() = 0;
    virtual EngineStatus status() const = 0;
    // Asks for the current status; statusChanged follows.
    virtual void refresh() = 0;

signals:
    void statusChanged(const berth::engine::EngineStatus& status);
    void progress(const QString& text);
    void operationFinished(berth::engine::EngineOperation operation, bool ok, const QString& message);
};

}  // namespace berth::engine
Q_DECLARE_METATYPE(berth::engine::EngineStatus)
