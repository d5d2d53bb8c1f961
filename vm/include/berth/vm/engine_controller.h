#pragma once

// EngineController: the one object the GUI and berthctl talk to about the VM.
//
//   EngineController engine(options);              // what never changes: images, instance dir, timeouts
//   connect(&engine, &EngineController::stateChanged, ...);   // state + human-readable detail
//   connect(&engine, &EngineController::progress, ...);       // "Pressing the VM's power button"
//   connect(&engine, &EngineController::operationFinished, ...);  // CLI: exit when this arrives
//   engine.start(plan);      // plan: backend, resources, forwards, guest config (LaunchPlan)
//   engine.restart(plan);    // Apply & restart: full quit, fresh QEMU, the new plan
//   engine.stop();           // or stop(StopMode::Force)
//
// States: Stopped -> Starting -> WaitingForEngine -> Running -> Stopping -> Stopped, or Error.
// Operations run one at a time, in order. Merging rules, so repeated clicks never pile up:
//   - restart() while a start/restart has not launched QEMU yet replaces its plan; while one
//     has launched, a different plan queues a single restart (later requests replace that
//     queued plan) and the plan being launched is a no-op that drops any queued restart;
//   - stop() cancels queued and in-flight starts/restarts (their operationFinished says so);
//     stop(Force) during a graceful stop escalates it to SIGKILL;
//   - start() while running with the same plan succeeds at once.
// Stopping is a full quit: the guest agent's shutdown (containers, engine, sync, power off),
// then the ACPI power button, then SIGKILL, each after its timeout. "Stopped" means the QEMU
// process is reaped and its pidfile gone. A QEMU that dies on its own moves to Error at once,
// with QEMU's stderr and the serial log's last lines in the reason. QEMU gets a parent-death
// signal, so it never outlives the process that owns the controller.
//
// The pieces: operation_queue.h (the merging rules), engine_controller.cpp (requests and
// state), engine_controller_launch.cpp (the launch sequence), engine_controller_stop.cpp (the
// stop sequence).

#include "berth/vm/engine_state.h"
#include "berth/vm/instance_dir.h"
#include "berth/vm/launch_plan.h"
#include "berth/vm/virtual_machine.h"

#include <QByteArray>
#include <QObject>

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

class QTimer;

namespace berth::vm {

class AcceleratorProbe;
class AgentChannel;
class OperationQueue;
class StaleQemuReaper;
struct AcceleratorVerdict;
struct DroppedOperation;
struct QueuedOperation;

struct EngineOptions {
    enum class AcceleratorChoice { Auto, Kvm, Tcg };

    QString instanceDir = InstanceDir::defaultRoot();
    QString qemuBinary = QStringLiteral("qemu-system-x86_64");
    QString kernel;
    QString initrd;
    QString kernelCmdline = kDefaultKernelCmdline;
    QString rootImage;
    QString dataDisk;  // its size comes with each launch (LaunchPlan::resources)
    AcceleratorChoice accelerator = AcceleratorChoice::Auto;
    QString kvmDevice = QStringLiteral("/dev/kvm");
    QString acceleratorCacheFile;  // where the KVM probe's verdict is kept; empty: in the instance dir
    QList<FwCfgFile> extraFwCfg;  // handed to the guest next to the config (TLS material)
    QString virtiofsdBinary = QStringLiteral("virtiofsd");  // serves LaunchPlan::sharedDirectories
    quint16 engineGuestPort = 2376;  // reached through a 127.0.0.1 port (enginePort()); 0: none

    struct Timeouts {
        std::chrono::milliseconds agentShutdown = std::chrono::seconds(20);  // containers, engine, sync
        std::chrono::milliseconds powerdown = std::chrono::seconds(10);  // after the ACPI button
        std::chrono::milliseconds kill = std::chrono::seconds(5);  // after SIGKILL
        // From QEMU running to the guest (and engine) ready; the launch before it gets as long.
        std::chrono::milliseconds bootToReady = std::chrono::minutes(3);
        // The launch's limit instead once the backend says it waits for work of its own, which it
        // bounds itself (libvirt examining QEMU first): that is never counted against the boot.
        std::chrono::milliseconds launch = std::chrono::minutes(5);
        std::chrono::milliseconds qmpConnect = std::chrono::seconds(10);
        std::chrono::milliseconds acceleratorProbe = std::chrono::seconds(4);
    } timeouts;

    // Off only in tests that simulate a QEMU surviving its controller.
    bool qemuDiesWithController = true;

    // Asked after the guest agent reports ready; the engine is Running once it answers
    // done(true). For the real guest: GET /_ping over TLS on 127.0.0.1:enginePort. A failure
    // is retried every engineCheckInterval until the boot deadline. Unset: ready is enough.
    using EngineCheckDone = std::function<void(bool ok, const QString& why)>;
    std::function<void(quint16 enginePort, EngineCheckDone done)> engineCheck;
    std::chrono::milliseconds engineCheckInterval = std::chrono::milliseconds(250);

    // While Running, the guest's clock is set to the host's at this interval (and on reaching
    // Running): a guest does not see the host's clock jump, nor the time the host was asleep.
    std::chrono::milliseconds clockSyncInterval = std::chrono::seconds(30);
};

class EngineController : public QObject {
    Q_OBJECT
public:
    enum class StopMode { Graceful, Force };

    explicit EngineController(EngineOptions options, QObject* parent = nullptr);
    // Tests inject a fake QEMU through `processes`; `backend` defaults to QEMU over `processes`.
    EngineController(EngineOptions options, std::shared_ptr<ProcessFactory> processes,
                     std::shared_ptr<VmBackend> backend = {}, QObject* parent = nullptr);
    // Kills and reaps a running QEMU: use stop() first for a graceful quit.
    ~EngineController() override;

    // The backend of the running VM, or of the last launch (the constructor's before any):
    // "qemu", "libvirt (URI)".
    QString vmManager() const;

    // A running VM keeps its plan until a restart, which stops it through its own backend and
    // launches through the new plan's.
    void start(const LaunchPlan& plan);
    void restart(const LaunchPlan& plan);
    void stop(StopMode mode = StopMode::Graceful);

    EngineState state() const { return m_state; }
    QString stateDetail() const { return m_detail; }  // the error reason in Error
    bool isBusy() const;
    // A start or restart waits behind the operation in progress (asked for during a launch).
    bool launchWaits() const;
    // Lets another process manage the instance (its next owner, while this one exits). Only when
    // stopped and idle: nothing of ours runs then. The next start or stop claims it again.
    void releaseInstance();
    std::optional<Accelerator> accelerator() const;
    QString acceleratorReason() const;
    qint64 qemuPid() const;
    // 127.0.0.1:<port> -> guest engine. The port is kept in <instanceDir>/engine-port and reused
    // while it is free, so clients configured with it (the docker context) rarely need updating.
    quint16 enginePort() const { return m_enginePort; }
    QString serialLogPath() const { return m_dir.serialLog(); }
    QString instanceDir() const { return m_dir.root(); }
    QByteArray guestConfig() const { return m_launched.guestConfig; }  // the last launch's; empty before one
    VmResources resources() const { return m_launched.resources; }  // ditto
    QList<PortForward> launchedForwards() const { return m_launched.extraForwards; }  // ditto
    QByteArray guestReportedConfig() const { return m_reportedConfig; }  // what the guest agent echoed
    // The host's 127.0.0.1:<port> forwarded to the guest's (or no longer), while the engine runs;
    // forwards go with the VM when it stops. See VirtualMachine::setHostForward.
    void setHostForward(const HostPort& port, bool enabled, VirtualMachine::ForwardDone done);
    // The caller listens on the engine's port (the Resource Saver, holding the clients that come
    // while the engine starts): the next launch boots with the engine on a temporary port; once
    // the engine answers there, `release` is called (the caller stops listening) and the engine
    // moves to `port` before it is Running. Dropped if that launch fails.
    void holdEnginePort(quint16 port, std::function<void()> release);

    static QString toString(EngineState state);
    // What the controller last wrote to <instanceDir>/status.json (null if none): a snapshot for
    // diagnosis by hand and for tests; front ends ask the engine host.
    static nlohmann::json readStatusFile(const QString& instanceDir);

signals:
    void stateChanged(berth::vm::EngineState state, const QString& detail);
    void progress(const QString& text);
    void operationFinished(berth::vm::EngineOperation operation, bool ok, const QString& message);
    void guestPhase(const QString& name);

private:
    enum class Step {
        Idle,
        CleaningStale,
        ChoosingAccelerator,
        Launching,
        WaitingForReady,
        StopAgent,
        StopPowerdown,
        StopKill,
        Failing
    };
    void request(EngineOperation kind, const LaunchPlan& plan);
    void announceDropped(const std::vector<DroppedOperation>& dropped);
    void scheduleNext();
    void runNext();
    void finishOp(bool ok, const QString& message);
    void cancelCurrent(const QString& why);
    bool isStopStep() const;
    bool claimInstance();

    void beginLaunch();
    void cleanStale();
    // Shuts down a QEMU an earlier run left (if any), then goes on with `then`.
    void reapStaleQemu(std::chrono::milliseconds powerdown, void (EngineController::*then)());
    void chooseAccelerator();
    bool writeGuestConfig(const QByteArray& config);
    void launch();
    void onVmRunning();
    void launchTimedOut();
    void onAgentReady(const QByteArray& config);
    void checkEngine();
    void moveEngineToHeldPort();
    void becomeRunning();
    void syncGuestClock();
    void failWithVm(const QString& reason);
    void failWithoutVm(const QString& reason);

    void beginStop();
    void stopViaAgent();
    void stopViaPowerdown();
    void stopViaKill();
    void onVmStopped(const VmExit& exit);
    void onStopped();
    void dropVm();

    void setState(EngineState state, const QString& detail);
    void setStep(Step step);
    void armTimer(std::chrono::milliseconds timeout, void (EngineController::*onTimeout)());
    void writeStatusFile() const;
    QueuedOperation& currentOp();

    EngineOptions m_options;
    InstanceDir m_dir;
    InstanceLock m_lock;
    std::shared_ptr<ProcessFactory> m_processes;
    std::shared_ptr<VmBackend> m_defaultBackend;  // for plans that name none

    EngineState m_state = EngineState::Stopped;
    QString m_detail;
    Step m_step = Step::Idle;
    std::unique_ptr<OperationQueue> m_ops;
    bool m_nextScheduled = false;

    std::unique_ptr<VirtualMachine> m_vm;
    AgentChannel* m_agent = nullptr;
    QTimer* m_timer = nullptr;
    StaleQemuReaper* m_reaper = nullptr;
    AcceleratorProbe* m_probe = nullptr;
    std::unique_ptr<AcceleratorVerdict> m_verdict;  // the last launch's
    QString m_failure;
    LaunchPlan m_launched;  // what the running VM (or the last launch) got
    QByteArray m_reportedConfig;
    quint16 m_enginePort = 0;
    quint16 m_heldEnginePort = 0;  // holdEnginePort()'s, for the next launch
    std::function<void()> m_releaseHeldPort;
    quint16 m_engineMovesTo = 0;  // the launch under way moves the engine here once it answers
    qint64 m_lastPid = 0;
    std::chrono::milliseconds m_launchLimit{};  // the launch's current limit (see Timeouts::launch)
    quint64 m_generation = 0;  // bumped per launch, so late engine-check answers are ignored
    QTimer* m_engineRetry = nullptr;
    QTimer* m_clockSync = nullptr;
    QString m_lastEngineProblem;
};

}  // namespace berth::vm
