#include "berth/vm/engine_controller.h"

#include "accelerator.h"
#include "agent_channel.h"
#include "durations.h"
#include "operation_queue.h"
#include "qemu/qemu_backend.h"
#include "stale_qemu.h"

#include <QDateTime>
#include <QFile>
#include <QSaveFile>
#include <QTimer>

#include <spdlog/spdlog.h>

#include <unistd.h>

// The controller's requests, its operation queue and its state; the launch and stop sequences
// are in engine_controller_launch.cpp and engine_controller_stop.cpp.

namespace berth::vm {

using namespace std::chrono;

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
      m_defaultBackend(backend ? std::move(backend)
                               : std::make_shared<QemuBackend>(m_processes, m_options.timeouts.qmpConnect)),
      m_ops(std::make_unique<OperationQueue>()),
      m_timer(new QTimer(this))
{
    m_launched.backend = m_defaultBackend;
    m_launched.guestConfig.clear();  // nothing launched yet
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

QString EngineController::vmManager() const
{
    return m_launched.backend->description();
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

bool EngineController::isBusy() const
{
    return m_ops->isBusy();
}

bool EngineController::launchWaits() const
{
    return m_ops->launchWaits();
}

QueuedOperation& EngineController::currentOp()
{
    return *m_ops->current();
}

// ---- requests --------------------------------------------------------------------------------

void EngineController::start(const LaunchPlan& plan)
{
    request(EngineOperation::Start, plan);
}

void EngineController::restart(const LaunchPlan& plan)
{
    request(EngineOperation::Restart, plan);
}

void EngineController::request(EngineOperation kind, const LaunchPlan& plan)
{
    LaunchPlan resolved = plan;
    if (!resolved.backend) { resolved.backend = m_defaultBackend; }
    const bool runningIdle = !m_ops->isBusy() && m_state == EngineState::Running;
    const auto merge = m_ops->requestLaunch(kind, resolved, runningIdle ? &m_launched : nullptr);
    announceDropped(merge.dropped);
    if (!merge.progress.isEmpty()) { emit progress(merge.progress); }
    if (merge.queued) { scheduleNext(); }
}

void EngineController::stop(StopMode mode)
{
    const bool force = mode == StopMode::Force;
    // A stop supersedes every start or restart that has not finished.
    std::vector<DroppedOperation> cancelled;
    const bool stopWaits = m_ops->mergeStopIntoWaiting(force, &cancelled);
    announceDropped(cancelled);
    if (stopWaits) { return; }
    auto& current = m_ops->current();
    if (current && current->kind == EngineOperation::Stop) {
        if (force && !current->force) {
            current->force = true;
            if (m_step == Step::StopAgent || m_step == Step::StopPowerdown) { stopViaKill(); }
        }
        return;
    }
    if (current && m_step != Step::Failing) {
        if (isStopStep()) {
            // A restart that is still stopping simply does not launch again.
            const auto kind = current->kind;
            current = QueuedOperation{EngineOperation::Stop, {}, force};
            emit operationFinished(kind, false, QStringLiteral("Cancelled by a stop request"));
            if (force && m_step != Step::StopKill) { stopViaKill(); }
            return;
        }
        cancelCurrent(QStringLiteral("Cancelled by a stop request"));
        m_ops->current() = QueuedOperation{EngineOperation::Stop, {}, force};
        beginStop();
        return;
    }
    m_ops->push({EngineOperation::Stop, {}, force});
    scheduleNext();
}

// ---- operation queue -------------------------------------------------------------------------

// Later, so that a request returns before any of its signals fire.
void EngineController::announceDropped(const std::vector<DroppedOperation>& dropped)
{
    for (const auto& each : dropped) {
        QTimer::singleShot(0, this, [this, each] { emit operationFinished(each.kind, each.ok, each.message); });
    }
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
    if (!m_ops->beginNext()) { return; }
    auto& op = currentOp();
    spdlog::info("engine: {} begins", engineOperationName(op.kind).toStdString());
    switch (op.kind) {
    case EngineOperation::Start:
        if (m_vm && m_state == EngineState::Running && sameLaunch(m_launched, op.plan)) {
            finishOp(true, QStringLiteral("Already running"));
            return;
        }
        if (m_vm) {  // running with another config, or in Error with QEMU still around
            op.kind = EngineOperation::Restart;
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
    const auto finished = m_ops->finishCurrent();
    if (!finished) { return; }
    const auto kind = finished->kind;
    setStep(Step::Idle);
    spdlog::info("engine: {} {}: {}", engineOperationName(kind).toStdString(), ok ? "succeeded" : "failed",
                 message.toStdString());
    emit operationFinished(kind, ok, message);
    scheduleNext();
}

void EngineController::cancelCurrent(const QString& why)
{
    if (!m_ops->current()) { return; }
    const auto kind = currentOp().kind;
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
    m_ops->finishCurrent();
    emit operationFinished(kind, false, why);
}

bool EngineController::isStopStep() const
{
    return m_step == Step::StopAgent || m_step == Step::StopPowerdown || m_step == Step::StopKill;
}

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

void EngineController::holdEnginePort(quint16 port, std::function<void()> release)
{
    m_heldEnginePort = port;
    m_releaseHeldPort = std::move(release);
}

void EngineController::setHostForward(const HostPort& port, bool enabled, VirtualMachine::ForwardDone done)
{
    if (m_state != EngineState::Running || !m_vm) {
        QTimer::singleShot(0, this, [done] { done(QStringLiteral("the engine is not running")); });
        return;
    }
    m_vm->setHostForward(port, enabled, std::move(done));
}

}  // namespace berth::vm
