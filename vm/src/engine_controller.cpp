#include "berth/vm/engine_controller.h"

#include "agent_channel.h"
#include "data_disk.h"
#include "durations.h"
#include "qemu/qemu_backend.h"
#include "stale_qemu.h"

#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QPointer>
#include <QSaveFile>
#include <QStorageInfo>
#include <QTcpServer>
#include <QTimer>

#include <spdlog/spdlog.h>

#include <unistd.h>

#include <algorithm>

namespace berth::vm {

namespace {

using namespace std::chrono;

// A free loopback port for the engine forward: `preferred` when it is free, else any. QEMU binds
// it a moment later; the window for another process to take it is small and a failure shows up
// as QEMU refusing to start.
quint16 freeLoopbackPort(quint16 preferred = 0)
{
    QTcpServer server;
    if (preferred != 0 && server.listen(QHostAddress::LocalHost, preferred)) { return server.serverPort(); }
    if (!server.listen(QHostAddress::LocalHost, 0)) { return 0; }
    return server.serverPort();
}

// The VM's CPU count: the setting under KVM, one under TCG. QEMU's multi-threaded TCG (7.2) can
// leave a guest with several vCPUs spinning on all of them while its kernel patches its own code
// (a static key flipped when the first container starts: one vCPU trapped in the int3 of the
// patch, the other executing the half-patched instruction). Docker then hangs with the engine
// Running. One vCPU has nothing to race, and under TCG costs about 0.5 s of boot.
int vcpusFor(Accelerator accelerator, int requested)
{
    return accelerator == Accelerator::Tcg ? 1 : requested;
}

bool sameJson(const QByteArray& a, const QByteArray& b)
{
    const auto ja = nlohmann::json::parse(a.constData(), a.constData() + a.size(), nullptr, false);
    const auto jb = nlohmann::json::parse(b.constData(), b.constData() + b.size(), nullptr, false);
    if (ja.is_discarded() || jb.is_discarded()) { return a == b; }
    return ja == jb;
}

QString mebibytes(qint64 bytes)
{
    return QStringLiteral("%1 MiB").arg(std::max<qint64>(bytes, 0) / (1024 * 1024));
}

// QEMU paused the VM because a write to a disk failed: QEMU's BLOCK_IO_ERROR with action "stop",
// or libvirt's suspension for an I/O error. Paused, the engine would hang every client forever.
// Empty when the event is no such pause.
QString diskWriteStop(const QString& event, const QByteArray& data, const QString& dataDisk)
{
    const auto json = nlohmann::json::parse(data.constData(), data.constData() + data.size(), nullptr, false);
    const auto text = [&json](const char* key) {
        return json.is_object() && json.contains(key) && json[key].is_string()
            ? QString::fromStdString(json[key].get<std::string>())
            : QString();
    };
    QString cause;
    bool noSpace = false;
    if (event == QLatin1String("BLOCK_IO_ERROR") && text("action") == QLatin1String("stop")) {
        cause = text("reason");
        noSpace = json.contains("nospace") && json["nospace"].is_boolean() && json["nospace"].get<bool>();
    } else if (event == QLatin1String("STOP") && text("reason") == QLatin1String("io-error")) {
        cause = QStringLiteral("an I/O error");
    } else {
        return {};
    }
    // libvirt does not say why: a nearly full file system under the data disk is the usual reason.
    const QStorageInfo volume(QFileInfo(dataDisk).absolutePath());
    const qint64 available = volume.isValid() ? volume.bytesAvailable() : -1;
    noSpace = noSpace || (available >= 0 && available < 64 * 1024 * 1024);
    if (noSpace) {
        return QStringLiteral(
                   "The VM stopped: the host has no space left for the data disk %1 (%2 free on %3). Free space there, "
                   "then start the engine again; the data disk keeps what it held.")
            .arg(dataDisk, mebibytes(available), volume.rootPath());
    }
    return QStringLiteral("The VM stopped on a failed write to the data disk %1: %2. Check the disk of %3, then start "
                          "the engine again.")
        .arg(dataDisk, cause.isEmpty() ? QStringLiteral("unknown error") : cause, volume.rootPath());
}

}  // namespace

EngineController::EngineController(EngineOptions options, QObject* parent)
    : EngineController(std::move(options), systemProcessFactory(), {}, parent)
{}

EngineController::EngineController(EngineOptions options, std::shared_ptr<ProcessFactory> processes,
                                   std::shared_ptr<VmBackend> backend, QObject* parent)
    : QObject(parent),
      m_options(std::move(options)),
      m_dir(m_options.instanceDir),
      m_lock(m_dir),
      m_processes(std::move(processes)),
      m_backend(backend ? std::move(backend)
                        : std::make_shared<QemuBackend>(m_processes, m_options.timeouts.qmpConnect)),
      m_timer(new QTimer(this))
{
    qRegisterMetaType<berth::vm::EngineState>();
    qRegisterMetaType<berth::vm::EngineOperation>();
    m_timer->setSingleShot(true);
    m_timer->setTimerType(Qt::PreciseTimer);  // grace periods are promises: never cut them short
    m_engineRetry = new QTimer(this);
    m_engineRetry->setSingleShot(true);
    connect(m_engineRetry, &QTimer::timeout, this, &EngineController::checkEngine);
    m_clockSync = new QTimer(this);
    connect(m_clockSync, &QTimer::timeout, this, &EngineController::syncGuestClock);
}

EngineController::~EngineController()
{
    if (m_agent) { m_agent->close(); }
    if (m_vm) {
        m_vm->disconnect(this);
        m_vm.reset();  // SIGKILLs and reaps QEMU
    }
}

void EngineController::setBackend(std::shared_ptr<VmBackend> backend)
{
    if (!backend) { return; }
    if (backend->description() != m_backend->description()) {
        spdlog::info("engine: the next launch uses {}", backend->description().toStdString());
    }
    m_backend = std::move(backend);
}

QString EngineController::vmManager() const
{
    return m_vm ? m_vmManager : m_backend->description();
}

QString EngineController::toString(EngineState state)
{
    switch (state) {
    case EngineState::Stopped: return QStringLiteral("Stopped");
    case EngineState::Starting: return QStringLiteral("Starting");
    case EngineState::WaitingForEngine: return QStringLiteral("WaitingForEngine");
    case EngineState::Running: return QStringLiteral("Running");
    case EngineState::Stopping: return QStringLiteral("Stopping");
    case EngineState::Error: return QStringLiteral("Error");
    case EngineState::Unknown: return QStringLiteral("Unknown");
    }
    return {};
}

std::optional<Accelerator> EngineController::accelerator() const
{
    if (!m_verdict) { return std::nullopt; }
    return m_verdict->accelerator;
}

QString EngineController::acceleratorReason() const
{
    return m_verdict ? m_verdict->reason : QString();
}

qint64 EngineController::qemuPid() const
{
    return m_vm ? m_vm->pid() : 0;
}

// ---- requests --------------------------------------------------------------------------------

void EngineController::start()
{
    start(m_lastConfig.isEmpty() ? QByteArrayLiteral("{}") : m_lastConfig);
}

void EngineController::start(const QByteArray& guestConfig)
{
    if (m_op && m_op->kind != EngineOperation::Stop) {
        if (!m_op->launched) {
            m_op->config = guestConfig;
            emit progress(QStringLiteral("A start is already in progress; it will use this configuration"));
            return;
        }
        if (sameJson(m_op->config, guestConfig)) {
            emit progress(QStringLiteral("A start is already in progress"));
            return;
        }
        restart(guestConfig);
        return;
    }
    if (!m_queue.empty() && m_queue.back().kind != EngineOperation::Stop) {
        m_queue.back().config = guestConfig;
        return;
    }
    if (!m_op && m_queue.empty() && m_state == EngineState::Running) {
        if (sameJson(m_launchedConfig, guestConfig)) {
            QTimer::singleShot(0, this, [this] {
                emit operationFinished(EngineOperation::Start, true, QStringLiteral("Already running"));
            });
            return;
        }
        enqueue({EngineOperation::Restart, guestConfig});
        return;
    }
    enqueue({EngineOperation::Start, guestConfig});
}

void EngineController::restart(const QByteArray& newGuestConfig)
{
    if (m_op && m_op->kind != EngineOperation::Stop) {
        if (!m_op->launched) {
            m_op->config = newGuestConfig;
            emit progress(QStringLiteral("Merged into the restart in progress"));
            return;
        }
        if (sameJson(m_op->config, newGuestConfig)) {
            // The latest wish is what is being launched: a restart queued since is obsolete.
            if (!m_queue.empty() && m_queue.back().kind != EngineOperation::Stop) {
                const auto kind = m_queue.back().kind;
                m_queue.pop_back();
                QTimer::singleShot(0, this, [this, kind] {
                    emit operationFinished(
                        kind, true,
                        QStringLiteral("Superseded: the restart in progress applies the latest configuration"));
                });
            }
            emit progress(QStringLiteral("The restart in progress already applies this configuration"));
            return;
        }
    }
    if (!m_queue.empty() && m_queue.back().kind != EngineOperation::Stop) {
        m_queue.back().kind = EngineOperation::Restart;
        m_queue.back().config = newGuestConfig;
        emit progress(QStringLiteral("Merged into the pending restart"));
        return;
    }
    enqueue({EngineOperation::Restart, newGuestConfig});
}

void EngineController::stop(StopMode mode)
{
    const bool force = mode == StopMode::Force;
    // A stop supersedes every start or restart that has not finished.
    for (auto it = m_queue.begin(); it != m_queue.end();) {
        if (it->kind == EngineOperation::Stop) {
            ++it;
            continue;
        }
        const auto kind = it->kind;
        it = m_queue.erase(it);
        QTimer::singleShot(0, this, [this, kind] {
            emit operationFinished(kind, false, QStringLiteral("Cancelled by a stop request"));
        });
    }
    for (auto& queued : m_queue) {
        if (queued.kind == EngineOperation::Stop) {
            queued.force = queued.force || force;
            return;
        }
    }
    if (m_op && m_op->kind == EngineOperation::Stop) {
        if (force && !m_op->force) {
            m_op->force = true;
            if (m_step == Step::StopAgent || m_step == Step::StopPowerdown) { stopViaKill(); }
        }
        return;
    }
    if (m_op && m_step != Step::Failing) {
        if (isStopStep()) {
            // A restart that is still stopping simply does not launch again.
            const auto kind = m_op->kind;
            m_op = Op{EngineOperation::Stop, {}, force};
            emit operationFinished(kind, false, QStringLiteral("Cancelled by a stop request"));
            if (force && m_step != Step::StopKill) { stopViaKill(); }
            return;
        }
        cancelCurrent(QStringLiteral("Cancelled by a stop request"));
        m_op = Op{EngineOperation::Stop, {}, force};
        beginStop();
        return;
    }
    enqueue({EngineOperation::Stop, {}, force});
}

// ---- operation queue -------------------------------------------------------------------------

void EngineController::enqueue(Op op)
{
    m_queue.push_back(std::move(op));
    scheduleNext();
}

void EngineController::scheduleNext()
{
    // Queued, so that a request returns before any of its signals fire.
    if (m_nextScheduled) { return; }
    m_nextScheduled = true;
    QTimer::singleShot(0, this, [this] {
        m_nextScheduled = false;
        runNext();
    });
}

void EngineController::runNext()
{
    if (m_op || m_queue.empty()) { return; }
    m_op = std::move(m_queue.front());
    m_queue.pop_front();
    spdlog::info("engine: {} begins", engineOperationName(m_op->kind).toStdString());
    switch (m_op->kind) {
    case EngineOperation::Start:
        if (m_vm && m_state == EngineState::Running && sameJson(m_launchedConfig, m_op->config)) {
            finishOp(true, QStringLiteral("Already running"));
            return;
        }
        if (m_vm) {  // running with another config, or in Error with QEMU still around
            m_op->kind = EngineOperation::Restart;
            beginStop();
            return;
        }
        beginLaunch();
        return;
    case EngineOperation::Restart:
        if (!m_vm) {
            beginLaunch();
            return;
        }
        beginStop();
        return;
    case EngineOperation::Stop: beginStop(); return;
    }
}

void EngineController::finishOp(bool ok, const QString& message)
{
    if (!m_op) { return; }
    const auto kind = m_op->kind;
    m_op.reset();
    setStep(Step::Idle);
    spdlog::info("engine: {} {}: {}", engineOperationName(kind).toStdString(), ok ? "succeeded" : "failed",
                 message.toStdString());
    emit operationFinished(kind, ok, message);
    scheduleNext();
}

void EngineController::cancelCurrent(const QString& why)
{
    if (!m_op) { return; }
    const auto kind = m_op->kind;
    m_timer->stop();
    if (m_reaper) {
        m_reaper->disconnect(this);
        m_reaper->deleteLater();
        m_reaper = nullptr;
    }
    if (m_probe) {
        m_probe->disconnect(this);
        m_probe->deleteLater();
        m_probe = nullptr;
    }
    m_op.reset();
    emit operationFinished(kind, false, why);
}

bool EngineController::isStopStep() const
{
    return m_step == Step::StopAgent || m_step == Step::StopPowerdown || m_step == Step::StopKill;
}

// ---- launching -------------------------------------------------------------------------------

void EngineController::beginLaunch()
{
    const QByteArray config = m_op->config;
    m_reportedConfig.clear();
    setState(EngineState::Starting, QStringLiteral("Preparing the VM"));

    const auto json = nlohmann::json::parse(config.constData(), config.constData() + config.size(), nullptr, false);
    if (json.is_discarded() || !json.is_object()) {
        failWithoutVm(QStringLiteral("The guest configuration is not a JSON object"));
        return;
    }
    if (m_options.kernel.isEmpty() || !QFile::exists(m_options.kernel)) {
        failWithoutVm(QStringLiteral("The VM kernel \"%1\" does not exist").arg(m_options.kernel));
        return;
    }
    if (!claimInstance()) { return; }
    QSaveFile file(m_dir.guestConfig());
    if (!file.open(QIODevice::WriteOnly) || file.write(config) != config.size() || !file.commit()) {
        failWithoutVm(
            QStringLiteral("Cannot write the guest configuration %1: %2").arg(m_dir.guestConfig(), file.errorString()));
        return;
    }
    QFile::setPermissions(m_dir.guestConfig(), QFile::ReadOwner | QFile::WriteOwner);
    m_lastConfig = config;
    cleanStale();
}

void EngineController::cleanStale()
{
    setStep(Step::CleaningStale);
    m_reaper = new StaleQemuReaper(m_dir, m_options.timeouts.powerdown, this);
    connect(m_reaper, &StaleQemuReaper::finished, this, [this](bool found, bool ok, const QString& message) {
        m_reaper->deleteLater();
        m_reaper = nullptr;
        if (!ok) {
            failWithoutVm(message);
            return;
        }
        if (found) { emit progress(message); }
        chooseAccelerator();
    });
    if (findStaleQemu(m_dir) != 0) { emit progress(QStringLiteral("Shutting down a QEMU left by an earlier run")); }
    m_reaper->run();
}

void EngineController::chooseAccelerator()
{
    setStep(Step::ChoosingAccelerator);
    using Choice = EngineOptions::AcceleratorChoice;
    if (m_options.accelerator == Choice::Tcg) {
        m_verdict = AcceleratorVerdict{Accelerator::Tcg, QStringLiteral("TCG was requested"), false};
    } else if (m_options.accelerator == Choice::Kvm) {
        m_verdict = AcceleratorVerdict{Accelerator::Kvm, QStringLiteral("KVM was requested"), false};
    }
    if (m_verdict) {
        launch();
        return;
    }
    emit progress(QStringLiteral("Checking whether KVM works on this host"));
    AcceleratorProbe::Options probeOptions;
    probeOptions.qemuBinary = m_options.qemuBinary;
    probeOptions.kernel = m_options.kernel;
    probeOptions.kvmDevice = m_options.kvmDevice;
    probeOptions.timeout = m_options.timeouts.acceleratorProbe;
    probeOptions.cacheFile
        = m_options.acceleratorCacheFile.isEmpty() ? m_dir.acceleratorCache() : m_options.acceleratorCacheFile;
    m_probe = new AcceleratorProbe(probeOptions, m_processes, this);
    connect(m_probe, &AcceleratorProbe::finished, this, [this](const AcceleratorVerdict& verdict) {
        m_probe->deleteLater();
        m_probe = nullptr;
        m_verdict = verdict;
        launch();
    });
    m_probe->run();
}

void EngineController::launch()
{
    VmSpec spec;
    spec.qemuBinary = m_options.qemuBinary;
    spec.kernel = m_options.kernel;
    spec.initrd = m_options.initrd;
    spec.kernelCmdline = m_options.kernelCmdline;
    spec.rootImage = m_options.rootImage;
    spec.dataDisk = m_options.dataDisk;
    spec.dataDiskSizeBytes = m_options.dataDiskSizeBytes;
    const DataDiskSizing sizing = planDataDiskSize(m_options.dataDisk, m_options.dataDiskSizeBytes);
    if (sizing.action == DataDiskSizing::Action::KeepLarger) {
        spdlog::warn("engine: {}", sizing.message.toStdString());
        emit progress(sizing.message);
    } else if (sizing.action == DataDiskSizing::Action::Grow) {
        emit progress(sizing.message);
    }
    spec.cpus = vcpusFor(m_verdict->accelerator, m_options.cpus);
    if (spec.cpus != m_options.cpus) {
        const QString why
            = QStringLiteral("Under TCG the VM gets one CPU instead of %1: with several, the guest kernel "
                             "can hang on all of them when it patches its own code")
                  .arg(m_options.cpus);
        spdlog::info("engine: {}", why.toStdString());
        emit progress(why);
    }
    spec.memoryMiB = m_options.memoryMiB;
    spec.guestConfigFile = m_dir.guestConfig();
    spec.extraFwCfg = m_options.extraFwCfg;
    spec.accelerator = m_verdict->accelerator;
    spec.engineGuestPort = m_options.engineGuestPort;
    spec.engineHostPort = m_options.engineGuestPort != 0 ? chooseEnginePort() : 0;
    spec.extraForwards = m_options.extraForwards;
    spec.quitGrace = std::min<milliseconds>(seconds(1), m_options.timeouts.kill / 2);
    spec.instanceDir = m_dir.root();
    spec.dieWithParent = m_options.qemuDiesWithController;
    m_enginePort = spec.engineHostPort;

    setStep(Step::Launching);
    ++m_generation;
    m_lastEngineProblem.clear();
    m_vm = m_backend->create(spec);
    m_vmManager = m_backend->description();
    m_agent = new AgentChannel(this);
    connect(m_vm.get(), &VirtualMachine::launchProgress, this, [this](const QString& text) {
        if (m_step != Step::Launching) { return; }
        // The backend waits for work of its own that it bounds itself (libvirt examining QEMU):
        // not the boot's time, so the launch gets the controller's longer limit.
        if (m_launchLimit != m_options.timeouts.launch) {
            m_launchLimit = m_options.timeouts.launch;
            armTimer(m_launchLimit, &EngineController::launchTimedOut);
        }
        setState(EngineState::Starting, text);
        emit progress(text);
    });
    connect(m_vm.get(), &VirtualMachine::running, this, &EngineController::onVmRunning);
    connect(m_vm.get(), &VirtualMachine::stopped, this, &EngineController::onVmStopped);
    connect(m_vm.get(), &VirtualMachine::guestEvent, this, [this](const QString& name, const QByteArray& data) {
        // QEMU pauses the guest when a disk write fails (werror=enospc, its default): the engine
        // would hang paused, so that is an Error naming the cause. Any other STOP (a guest panic)
        // is said, and the timeouts take care of the rest. SHUTDOWN and POWERDOWN are what a stop
        // expects.
        if (const QString stopped = diskWriteStop(name, data, m_options.dataDisk); !stopped.isEmpty()) {
            if (m_step == Step::WaitingForReady || m_step == Step::Launching || m_state == EngineState::Running) {
                failWithVm(stopped);
            } else {
                emit progress(stopped);
            }
        } else if (name == QLatin1String("STOP")) {
            emit progress(QStringLiteral("QEMU paused the VM (%1)").arg(QString::fromUtf8(data)));
        } else if (name == QLatin1String("POWERDOWN")) {
            emit progress(QStringLiteral("The VM received the power button press"));
        } else if (name == QLatin1String("SHUTDOWN")) {
            emit progress(QStringLiteral("The VM is powering off"));
        }
    });
    connect(m_agent, &AgentChannel::hello, this, [this](int version, const QString& agentName) {
        emit progress(QStringLiteral("Guest agent %1 connected (protocol %2)")
                          .arg(agentName.isEmpty() ? QStringLiteral("(unnamed)") : agentName)
                          .arg(version));
        // A stop that came before the agent did pressed the power button, which a guest still
        // booting may never see; left to the timeout, QEMU would be cut off with the data disk
        // mounted. The agent stops the boot where it is and unmounts the disk first.
        if (m_step == Step::StopPowerdown) { stopViaAgent(); }
    });
    connect(m_agent, &AgentChannel::phase, this, [this](const QString& name) {
        emit guestPhase(name);
        if (m_state == EngineState::WaitingForEngine) {
            setState(EngineState::WaitingForEngine, QStringLiteral("Guest: %1").arg(name));
        }
        emit progress(QStringLiteral("Guest: %1").arg(name));
    });
    connect(m_agent, &AgentChannel::ready, this, &EngineController::onAgentReady);
    connect(m_agent, &AgentChannel::guestError, this, [this](const QString& step, const QString& message) {
        if (m_step == Step::WaitingForReady || m_step == Step::Launching || m_state == EngineState::Running) {
            failWithVm(QStringLiteral("The guest failed%1: %2")
                           .arg(step.isEmpty() ? QString() : QStringLiteral(" at step \"%1\"").arg(step), message));
        }
    });
    connect(m_agent, &AgentChannel::incompatibleAgent, this, [this](const QString& reason) {
        if (m_step == Step::WaitingForReady || m_step == Step::Launching) { failWithVm(reason); }
    });
    connect(m_agent, &AgentChannel::shuttingDown, this,
            [this] { emit progress(QStringLiteral("The guest is shutting down")); });

    m_op->launched = true;
    m_launchedConfig = m_op->config;
    emit progress(QStringLiteral("Launching QEMU with %1 (%2) through %3")
                      .arg(vm::toString(m_verdict->accelerator).toUpper(), m_verdict->reason, m_vmManager));
    m_launchLimit = m_options.timeouts.bootToReady;
    armTimer(m_launchLimit, &EngineController::launchTimedOut);
    m_vm->start();
}

quint16 EngineController::chooseEnginePort() const
{
    QFile file(m_dir.enginePortFile());
    const quint16 kept = file.open(QIODevice::ReadOnly) ? file.readAll().trimmed().toUShort() : 0;
    file.close();
    const quint16 port = freeLoopbackPort(kept);
    if (port != kept && port != 0) {
        if (kept != 0) { spdlog::info("engine: port {} is taken; the engine moves to 127.0.0.1:{}", kept, port); }
        QSaveFile save(m_dir.enginePortFile());
        if (save.open(QIODevice::WriteOnly)) {
            save.setPermissions(QFile::ReadOwner | QFile::WriteOwner);
            save.write(QByteArray::number(port) + '\n');
            save.commit();
        }
    }
    return port;
}

void EngineController::setResources(const Resources& resources)
{
    m_options.cpus = resources.cpus;
    m_options.memoryMiB = resources.memoryMiB;
    m_options.dataDiskSizeBytes = resources.dataDiskSizeBytes;
}

EngineController::Resources EngineController::resources() const
{
    return {m_options.cpus, m_options.memoryMiB, m_options.dataDiskSizeBytes};
}

void EngineController::onVmRunning()
{
    if (m_step != Step::Launching) { return; }
    m_lastPid = m_vm->pid();
    setStep(Step::WaitingForReady);
    setState(EngineState::WaitingForEngine,
             QStringLiteral("Waiting for the guest to boot (QEMU pid %1)").arg(m_lastPid));
    armTimer(m_options.timeouts.bootToReady, nullptr);  // the boot deadline starts with QEMU
    // QEMU creates all its sockets before its monitor answers, so the agent socket is there.
    m_agent->connectToSocket(m_dir.agentSocket(), m_options.timeouts.bootToReady);
}

void EngineController::launchTimedOut()
{
    if (m_step != Step::Launching) { return; }
    failWithVm(
        QStringLiteral("QEMU did not start within %1 s through %2").arg(secondsText(m_launchLimit), m_vmManager));
}

void EngineController::onAgentReady(const QByteArray& config)
{
    m_reportedConfig = config;
    if (m_step != Step::WaitingForReady) { return; }
    if (!m_options.engineCheck) {
        becomeRunning();
        return;
    }
    setState(EngineState::WaitingForEngine, QStringLiteral("Waiting for the engine to answer"));
    checkEngine();
}

void EngineController::checkEngine()
{
    if (m_step != Step::WaitingForReady) { return; }
    const quint64 generation = m_generation;
    QPointer<EngineController> self(this);
    m_options.engineCheck(m_enginePort, [self, generation](bool ok, const QString& why) {
        if (!self || self->m_generation != generation || self->m_step != Step::WaitingForReady) { return; }
        if (ok) {
            self->becomeRunning();
            return;
        }
        if (why != self->m_lastEngineProblem) {
            self->m_lastEngineProblem = why;
            emit self->progress(QStringLiteral("The engine does not answer yet: %1").arg(why));
        }
        self->m_engineRetry->start(self->m_options.engineCheckInterval);
    });
}

void EngineController::becomeRunning()
{
    m_timer->stop();
    m_engineRetry->stop();
    setState(
        EngineState::Running,
        QStringLiteral("Running (QEMU pid %1, %2)").arg(m_lastPid).arg(vm::toString(m_verdict->accelerator).toUpper()));
    syncGuestClock();
    m_clockSync->start(m_options.clockSyncInterval);
    finishOp(true, QStringLiteral("Running"));
}

void EngineController::syncGuestClock()
{
    if (m_state != EngineState::Running || !m_agent) {
        m_clockSync->stop();
        return;
    }
    m_agent->sendTime(QDateTime::currentMSecsSinceEpoch());
}

void EngineController::failWithVm(const QString& reason)
{
    if (!m_vm) {
        failWithoutVm(reason);
        return;
    }
    if (m_step == Step::Failing) { return; }
    m_failure = reason + QStringLiteral("\n") + m_vm->diagnostics();
    spdlog::error("engine: {}", reason.toStdString());
    setStep(Step::Failing);
    emit progress(QStringLiteral("%1; stopping QEMU").arg(reason));
    armTimer(m_options.timeouts.kill, &EngineController::stopViaKill);
    m_vm->forceStop();
}

void EngineController::failWithoutVm(const QString& reason)
{
    spdlog::error("engine: {}", reason.toStdString());
    setState(EngineState::Error, reason);
    finishOp(false, reason);
}

// ---- stopping --------------------------------------------------------------------------------

void EngineController::releaseInstance()
{
    if (!isBusy() && !m_vm && m_state == EngineState::Stopped) { m_lock.release(); }
}

bool EngineController::claimInstance()
{
    QString error;
    if (!m_dir.ensure(&error) || !m_lock.acquire(&error)) {
        failWithoutVm(error);
        return false;
    }
    return true;
}

void EngineController::beginStop()
{
    if (!m_vm) {
        if (!claimInstance()) { return; }
        // Nothing of ours runs, but a QEMU from an earlier run might: stop means stopped.
        setState(EngineState::Stopping, QStringLiteral("Checking for a QEMU left by an earlier run"));
        m_reaper = new StaleQemuReaper(m_dir, m_op->force ? milliseconds(0) : m_options.timeouts.powerdown, this);
        connect(m_reaper, &StaleQemuReaper::finished, this, [this](bool found, bool ok, const QString& message) {
            m_reaper->deleteLater();
            m_reaper = nullptr;
            if (!ok) {
                failWithoutVm(message);
                return;
            }
            if (found) { emit progress(message); }
            setState(EngineState::Stopped, QStringLiteral("Stopped"));
            if (m_op->kind == EngineOperation::Restart) {
                beginLaunch();
            } else {
                finishOp(true, QStringLiteral("Stopped"));
            }
        });
        m_reaper->run();
        return;
    }
    setState(EngineState::Stopping, QStringLiteral("Stopping the VM"));
    if (m_op->force) {
        stopViaKill();
    } else if (m_agent && m_agent->isConnected() && m_agent->isAgentKnown()) {
        stopViaAgent();
    } else {
        stopViaPowerdown();
    }
}

void EngineController::stopViaAgent()
{
    setStep(Step::StopAgent);
    const auto timeout = m_options.timeouts.agentShutdown;
    emit progress(
        QStringLiteral("Asking the guest to stop the engine and power off (up to %1 s)").arg(secondsText(timeout)));
    m_agent->requestShutdown(std::max<int>(1, static_cast<int>(duration_cast<std::chrono::seconds>(timeout).count())));
    armTimer(timeout, &EngineController::stopViaPowerdown);
}

void EngineController::stopViaPowerdown()
{
    if (!m_vm) { return; }
    if (m_step == Step::StopAgent) {
        emit progress(QStringLiteral("The guest did not power off within %1 s")
                          .arg(secondsText(m_options.timeouts.agentShutdown)));
    }
    setStep(Step::StopPowerdown);
    emit progress(
        QStringLiteral("Pressing the VM's power button (up to %1 s)").arg(secondsText(m_options.timeouts.powerdown)));
    m_vm->requestShutdown();
    armTimer(m_options.timeouts.powerdown, &EngineController::stopViaKill);
}

void EngineController::stopViaKill()
{
    if (!m_vm) { return; }
    if (m_step == Step::StopKill) {
        // SIGKILL did not end it within the kill timeout: something is badly wrong (D state?).
        const QString reason = QStringLiteral("QEMU (pid %1) did not exit %2 s after SIGKILL")
                                   .arg(m_vm->pid())
                                   .arg(secondsText(m_options.timeouts.kill));
        setState(EngineState::Error, reason);
        finishOp(false, reason);
        return;
    }
    if (m_step == Step::StopPowerdown) {
        emit progress(QStringLiteral("The guest did not power off within %1 s; killing QEMU")
                          .arg(secondsText(m_options.timeouts.powerdown)));
    } else {
        emit progress(QStringLiteral("Stopping QEMU without the guest (QMP quit, then SIGKILL if it hangs)"));
    }
    if (m_step != Step::Failing) { setStep(Step::StopKill); }
    m_vm->forceStop();
    armTimer(m_options.timeouts.kill, &EngineController::stopViaKill);
}

void EngineController::onVmStopped(const VmExit& exit)
{
    m_timer->stop();
    const Step step = m_step;
    dropVm();

    if (isStopStep()) {
        setState(EngineState::Stopped, QStringLiteral("Stopped"));
        if (m_op && m_op->kind == EngineOperation::Restart) {
            beginLaunch();
        } else {
            finishOp(true, QStringLiteral("Stopped"));
        }
        return;
    }
    if (step == Step::Failing) {
        setState(EngineState::Error, m_failure);
        finishOp(false, m_failure);
        return;
    }
    // Nobody asked for this: the guest crashed, powered itself off, or QEMU was killed.
    QString reason = QStringLiteral("QEMU (pid %1) %2 unexpectedly").arg(m_lastPid).arg(exit.process.describe());
    if (exit.process.failedToStart) { reason = QStringLiteral("QEMU %1").arg(exit.process.describe()); }
    if (!exit.guestShutdownReason.isEmpty()) {
        reason += QStringLiteral(" (QEMU shutdown reason: %1)").arg(exit.guestShutdownReason);
    }
    reason += QStringLiteral("\n") + exit.diagnostics;
    spdlog::error("engine: {}", reason.toStdString());
    setState(EngineState::Error, reason);
    if (m_op) { finishOp(false, reason); }
}

void EngineController::dropVm()
{
    if (m_agent) {
        m_agent->close();
        m_agent->disconnect(this);
        m_agent->deleteLater();
        m_agent = nullptr;
    }
    if (m_vm) {
        m_vm->disconnect(this);
        m_vm.release()->deleteLater();  // we may be inside its signal
    }
    m_enginePort = 0;
}

// ---- plumbing --------------------------------------------------------------------------------

void EngineController::setStep(Step step)
{
    m_step = step;
}

void EngineController::armTimer(milliseconds timeout, void (EngineController::*onTimeout)())
{
    m_timer->stop();
    m_timer->disconnect();
    if (onTimeout) {
        connect(m_timer, &QTimer::timeout, this, onTimeout);
    } else {
        // The boot deadline.
        connect(m_timer, &QTimer::timeout, this, [this, timeout] {
            if (m_step != Step::Launching && m_step != Step::WaitingForReady) { return; }
            m_engineRetry->stop();
            if (!m_reportedConfig.isEmpty()) {
                failWithVm(QStringLiteral("The engine did not answer within %1 s of boot: %2")
                               .arg(secondsText(timeout), m_lastEngineProblem));
            } else {
                failWithVm(QStringLiteral("The guest did not report ready within %1 s").arg(secondsText(timeout)));
            }
        });
    }
    m_timer->start(timeout);
}

void EngineController::setState(EngineState state, const QString& detail)
{
    const bool changed = state != m_state || detail != m_detail;
    m_state = state;
    m_detail = detail;
    if (!changed) { return; }
    spdlog::info("engine: state {}: {}", toString(state).toStdString(),
                 detail.section(QLatin1Char('\n'), 0, 0).toStdString());
    writeStatusFile();
    emit stateChanged(state, detail);
}

void EngineController::writeStatusFile() const
{
    if (!QFile::exists(m_dir.root())) { return; }
    nlohmann::json status = {
        {"state", toString(m_state).toStdString()},
        {"detail", m_detail.toStdString()},
        {"qemuPid", qemuPid()},
        {"controllerPid", static_cast<qint64>(::getpid())},
        {"serialLog", m_dir.serialLog().toStdString()},
        {"enginePort", m_enginePort},
        {"vmManager", vmManager().toStdString()},
        {"updated", QDateTime::currentDateTimeUtc().toString(Qt::ISODate).toStdString()},
    };
    if (m_verdict) {
        status["accelerator"] = vm::toString(m_verdict->accelerator).toStdString();
        status["acceleratorReason"] = m_verdict->reason.toStdString();
    }
    QSaveFile file(m_dir.statusFile());
    if (file.open(QIODevice::WriteOnly)) {
        file.write(QByteArray::fromStdString(status.dump(2)) + '\n');
        file.commit();
    }
}

nlohmann::json EngineController::readStatusFile(const QString& instanceDir)
{
    QFile file(InstanceDir(instanceDir).statusFile());
    if (!file.open(QIODevice::ReadOnly)) { return nullptr; }
    auto json = nlohmann::json::parse(file.readAll().toStdString(), nullptr, false);
    return json.is_discarded() ? nlohmann::json(nullptr) : json;
}

}  // namespace berth::vm
