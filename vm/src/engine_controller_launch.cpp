// EngineController's launch sequence: write the guest config, reap a QEMU left by an earlier run,
// choose the accelerator, launch through the plan's backend, wait for the guest agent's ready
// and the engine's answer.

#include "berth/vm/engine_controller.h"

#include "accelerator.h"
#include "agent_channel.h"
#include "data_disk.h"
#include "durations.h"
#include "operation_queue.h"
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

void rememberEnginePort(const InstanceDir& dir, quint16 port)
{
    QSaveFile save(dir.enginePortFile());
    if (save.open(QIODevice::WriteOnly)) {
        save.setPermissions(QFile::ReadOwner | QFile::WriteOwner);
        save.write(QByteArray::number(port) + '\n');
        save.commit();
    }
}

// The loopback port for the engine: the one kept in <instanceDir>/engine-port while it is free,
// so clients configured with it (the docker context) rarely need updating.
quint16 keepEnginePort(const InstanceDir& dir)
{
    QFile file(dir.enginePortFile());
    const quint16 kept = file.open(QIODevice::ReadOnly) ? file.readAll().trimmed().toUShort() : 0;
    file.close();
    const quint16 port = freeLoopbackPort(kept);
    if (port != kept && port != 0) {
        if (kept != 0) { spdlog::info("engine: port {} is taken; the engine moves to 127.0.0.1:{}", kept, port); }
        rememberEnginePort(dir, port);
    }
    return port;
}

}  // namespace

void EngineController::beginLaunch()
{
    m_reportedConfig.clear();
    setState(EngineState::Starting, QStringLiteral("Preparing the VM"));
    if (m_options.kernel.isEmpty() || !QFile::exists(m_options.kernel)) {
        failWithoutVm(QStringLiteral("The VM kernel \"%1\" does not exist").arg(m_options.kernel));
        return;
    }
    if (!claimInstance()) { return; }
    cleanStale();
}

// Written just before QEMU starts: a request merged into this launch until then may change it.
bool EngineController::writeGuestConfig(const QByteArray& config)
{
    const auto json = nlohmann::json::parse(config.constData(), config.constData() + config.size(), nullptr, false);
    if (json.is_discarded() || !json.is_object()) {
        failWithoutVm(QStringLiteral("The guest configuration is not a JSON object"));
        return false;
    }
    QSaveFile file(m_dir.guestConfig());
    if (!file.open(QIODevice::WriteOnly) || file.write(config) != config.size() || !file.commit()) {
        failWithoutVm(
            QStringLiteral("Cannot write the guest configuration %1: %2").arg(m_dir.guestConfig(), file.errorString()));
        return false;
    }
    QFile::setPermissions(m_dir.guestConfig(), QFile::ReadOwner | QFile::WriteOwner);
    return true;
}

void EngineController::cleanStale()
{
    setStep(Step::CleaningStale);
    if (findStaleQemu(m_dir) != 0) { emit progress(QStringLiteral("Shutting down a QEMU left by an earlier run")); }
    reapStaleQemu(m_options.timeouts.powerdown, &EngineController::chooseAccelerator);
}

void EngineController::reapStaleQemu(milliseconds powerdown, void (EngineController::*then)())
{
    m_reaper = new StaleQemuReaper(m_dir, powerdown, this);
    connect(m_reaper, &StaleQemuReaper::finished, this, [this, then](bool found, bool ok, const QString& message) {
        m_reaper->deleteLater();
        m_reaper = nullptr;
        if (!ok) {
            failWithoutVm(message);
            return;
        }
        if (found) { emit progress(message); }
        (this->*then)();
    });
    m_reaper->run();
}

void EngineController::chooseAccelerator()
{
    setStep(Step::ChoosingAccelerator);
    using Choice = EngineOptions::AcceleratorChoice;
    if (m_options.accelerator == Choice::Tcg) {
        m_verdict = std::make_unique<AcceleratorVerdict>(
            AcceleratorVerdict{Accelerator::Tcg, QStringLiteral("TCG was requested"), false});
    } else if (m_options.accelerator == Choice::Kvm) {
        m_verdict = std::make_unique<AcceleratorVerdict>(
            AcceleratorVerdict{Accelerator::Kvm, QStringLiteral("KVM was requested"), false});
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
        m_verdict = std::make_unique<AcceleratorVerdict>(verdict);
        launch();
    });
    m_probe->run();
}

void EngineController::launch()
{
    // From here on this plan is what launches: a request made meanwhile queues a restart.
    const LaunchPlan plan = currentOp().plan;
    currentOp().launched = true;
    if (!writeGuestConfig(plan.guestConfig)) { return; }
    VmSpec spec;
    spec.qemuBinary = m_options.qemuBinary;
    spec.kernel = m_options.kernel;
    spec.initrd = m_options.initrd;
    spec.kernelCmdline = m_options.kernelCmdline;
    spec.rootImage = m_options.rootImage;
    spec.dataDisk = m_options.dataDisk;
    spec.resources = plan.resources;
    const DataDiskSizing sizing = planDataDiskSize(m_options.dataDisk, plan.resources.dataDiskSizeBytes);
    if (sizing.action == DataDiskSizing::Action::KeepLarger) {
        spdlog::warn("engine: {}", sizing.message.toStdString());
        emit progress(sizing.message);
    } else if (sizing.action == DataDiskSizing::Action::Grow) {
        emit progress(sizing.message);
    }
    spec.resources.cpus = vcpusFor(m_verdict->accelerator, plan.resources.cpus);
    if (spec.resources.cpus != plan.resources.cpus) {
        const QString why
            = QStringLiteral("Under TCG the VM gets one CPU instead of %1: with several, the guest kernel "
                             "can hang on all of them when it patches its own code")
                  .arg(plan.resources.cpus);
        spdlog::info("engine: {}", why.toStdString());
        emit progress(why);
    }
    spec.guestConfigFile = m_dir.guestConfig();
    spec.extraFwCfg = m_options.extraFwCfg;
    spec.accelerator = m_verdict->accelerator;
    spec.engineGuestPort = m_options.engineGuestPort;
    // A held port is taken until the engine answers: the engine starts on another, then moves.
    m_engineMovesTo = m_options.engineGuestPort != 0 ? std::exchange(m_heldEnginePort, 0) : 0;
    if (m_engineMovesTo == 0) {
        m_releaseHeldPort = {};
        spec.engineHostPort = m_options.engineGuestPort != 0 ? keepEnginePort(m_dir) : 0;
    } else {
        spec.engineHostPort = freeLoopbackPort();
    }
    spec.extraForwards = plan.extraForwards;
    spec.sharedDirectories = plan.sharedDirectories;
    spec.virtiofsdBinary = m_options.virtiofsdBinary;
    spec.quitGrace = std::min<milliseconds>(seconds(1), m_options.timeouts.kill / 2);
    spec.instanceDir = m_dir.root();
    spec.dieWithParent = m_options.qemuDiesWithController;
    m_enginePort = spec.engineHostPort;

    setStep(Step::Launching);
    ++m_generation;
    m_lastEngineProblem.clear();
    m_launched = plan;
    m_vm = plan.backend->create(spec);
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

    emit progress(QStringLiteral("Launching QEMU with %1 (%2) through %3")
                      .arg(vm::toString(m_verdict->accelerator).toUpper(), m_verdict->reason, vmManager()));
    m_launchLimit = m_options.timeouts.bootToReady;
    armTimer(m_launchLimit, &EngineController::launchTimedOut);
    m_vm->start();
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
        QStringLiteral("QEMU did not start within %1 s through %2").arg(secondsText(m_launchLimit), vmManager()));
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

// The engine answers on its temporary port: the holder lets the held one go and the engine takes
// it, so every client keeps the port it knows. Should another program take it first, the engine
// stays where it is, as when its kept port is taken at a launch.
void EngineController::moveEngineToHeldPort()
{
    const quint16 held = std::exchange(m_engineMovesTo, 0);
    const quint16 temporary = m_enginePort;
    if (const auto release = std::exchange(m_releaseHeldPort, {})) { release(); }
    const quint64 generation = m_generation;
    QPointer<EngineController> self(this);
    m_vm->setTcpForward(
        held, m_options.engineGuestPort, true, [self, generation, held, temporary](const QString& error) {
            if (!self || self->m_generation != generation || self->m_step != Step::WaitingForReady) { return; }
            if (error.isEmpty()) {
                self->m_vm->setTcpForward(temporary, self->m_options.engineGuestPort, false, [](const QString&) {});
                self->m_enginePort = held;
            } else {
                spdlog::info("engine: port {} is taken ({}); the engine moves to 127.0.0.1:{}", held,
                             error.toStdString(), temporary);
                rememberEnginePort(self->m_dir, temporary);
            }
            self->becomeRunning();
        });
}

void EngineController::becomeRunning()
{
    if (m_engineMovesTo != 0 && m_vm) {
        moveEngineToHeldPort();
        return;
    }
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

}  // namespace berth::vm
