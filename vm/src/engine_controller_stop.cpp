// EngineController's stop sequence: the guest agent's shutdown, then the ACPI power button, then
// SIGKILL, each after its timeout; and what happens when the VM stops, asked or not.

#include "berth/vm/engine_controller.h"

#include "agent_channel.h"
#include "durations.h"
#include "operation_queue.h"

#include <QTimer>

#include <spdlog/spdlog.h>

#include <algorithm>

namespace berth::vm {

using namespace std::chrono;

void EngineController::beginStop()
{
    if (!m_vm) {
        if (!claimInstance()) { return; }
        // Nothing of ours runs, but a QEMU from an earlier run might: stop means stopped.
        setState(EngineState::Stopping, QStringLiteral("Checking for a QEMU left by an earlier run"));
        reapStaleQemu(currentOp().force ? milliseconds(0) : m_options.timeouts.powerdown, &EngineController::onStopped);
        return;
    }
    setState(EngineState::Stopping, QStringLiteral("Stopping the VM"));
    if (currentOp().force) {
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
        onStopped();
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
    if (m_ops->current()) { finishOp(false, reason); }
}

// Stopped as asked: a restart goes on to launch, a stop is done.
void EngineController::onStopped()
{
    setState(EngineState::Stopped, QStringLiteral("Stopped"));
    if (m_ops->current() && currentOp().kind == EngineOperation::Restart) {
        beginLaunch();
    } else {
        finishOp(true, QStringLiteral("Stopped"));
    }
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

}  // namespace berth::vm
