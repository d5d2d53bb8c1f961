#include "virtual_machine_base.h"

#include "shared_directory_servers.h"

#include <QFileInfo>
#include <QTimer>

#include <spdlog/spdlog.h>

namespace berth::vm {

QString userNetdev(const VmSpec& spec, const QString& id)
{
    QString netdev = QStringLiteral("user,id=") + id;
    const auto forward = [&netdev](quint16 hostPort, quint16 guestPort) {
        netdev += QStringLiteral(",hostfwd=tcp:127.0.0.1:%1-:%2").arg(hostPort).arg(guestPort);
    };
    if (spec.engineHostPort != 0) { forward(spec.engineHostPort, spec.engineGuestPort); }
    for (const auto& extra : spec.extraForwards) { forward(extra.hostPort, extra.guestPort); }
    return netdev;
}

QString guestKernelCmdline(const VmSpec& spec)
{
    QString cmdline = spec.kernelCmdline;
    // The kernel tests each crypto algorithm as it registers, at boot and as the agent loads
    // modules. Under TCG that takes most of a second of the one emulated CPU, ahead of the engine;
    // under KVM it takes milliseconds, and the tests stay on.
    if (spec.accelerator == Accelerator::Tcg) { cmdline += QStringLiteral(" cryptomgr.notests=1"); }
    if (!spec.dataDisk.isEmpty()) { cmdline += QStringLiteral(" berth.data_disk=") + QLatin1String(kDataDiskSerial); }
    return cmdline;
}

QString guestFirmware(const VmSpec& spec)
{
    static const QString qboot = QStringLiteral("/usr/share/qemu/qboot.rom");
    if (spec.accelerator != Accelerator::Tcg || !QFileInfo::exists(qboot)) { return {}; }
    return qboot;
}

VirtualMachineBase::VirtualMachineBase(const QString& instanceDir) : m_dir(instanceDir)
{}

VirtualMachineBase::~VirtualMachineBase() = default;

bool VirtualMachineBase::startSharedDirectories(const VmSpec& spec, const std::shared_ptr<ProcessFactory>& processes,
                                                QString* error)
{
    if (spec.sharedDirectories.isEmpty()) { return true; }
    if (!m_sharedDirectories) {
        m_sharedDirectories = std::make_unique<SharedDirectoryServers>(processes);
        connect(m_sharedDirectories.get(), &SharedDirectoryServers::exited, this, [this](const QString& why) {
            if (state() == State::Off) { return; }
            if (!m_shutdownReason.isEmpty()) {  // the guest is down: its shares go with it
                spdlog::info("vm: {} after the guest shut down", why.toStdString());
                return;
            }
            spdlog::error("vm: {}; stopping the VM, whose guest would hang on that share", why.toStdString());
            forceStop();
        });
    }
    return m_sharedDirectories->start(spec, error);
}

void VirtualMachineBase::setHostForward(const HostPort& port, bool enabled, ForwardDone done)
{
    forward(port.protocol, port.port, port.port, enabled, std::move(done));
}

void VirtualMachineBase::setTcpForward(quint16 hostPort, quint16 guestPort, bool enabled, ForwardDone done)
{
    forward(QStringLiteral("tcp"), hostPort, guestPort, enabled, std::move(done));
}

void VirtualMachineBase::forward(const QString& protocol, quint16 hostPort, quint16 guestPort, bool enabled,
                                 ForwardDone done)
{
    if (state() != State::Running || (protocol != QLatin1String("tcp") && protocol != QLatin1String("udp"))
        || hostPort == 0 || guestPort == 0) {
        QTimer::singleShot(0, this, [done] { done(QStringLiteral("the VM is not running")); });
        return;
    }
    const QString rule = QStringLiteral("%1:127.0.0.1:%2").arg(protocol).arg(hostPort);
    const QString line = enabled ? QStringLiteral("hostfwd_add %1 %2-:%3").arg(netdevId(), rule).arg(guestPort)
                                 : QStringLiteral("hostfwd_remove %1 %2").arg(netdevId(), rule);
    humanMonitorCommand(line, [done, line](bool ok, const QString& output) {
        // QEMU answers these commands with text only when they failed.
        if (!ok || !output.trimmed().isEmpty()) {
            done(QStringLiteral("%1: %2").arg(line, output.trimmed()));
        } else {
            done({});
        }
    });
}

void VirtualMachineBase::requestShutdown()
{
    if (m_state == State::Off) { return; }
    m_requested = true;
    if (m_state == State::Running || m_state == State::ShuttingDown) {
        setState(State::ShuttingDown);
        m_powerdownPending = false;
        pressPowerButton();
    } else {
        m_powerdownPending = true;  // pressed once the VM runs
    }
}

void VirtualMachineBase::beginLaunch()
{
    m_requested = false;
    m_powerdownPending = false;
    m_shutdownReason.clear();
    setState(State::Launching);
}

void VirtualMachineBase::becomeRunning()
{
    setState(State::Running);
    emit running();
    if (m_powerdownPending) {
        m_powerdownPending = false;
        pressPowerButton();
    }
}

void VirtualMachineBase::endRun(const ProcessExit& exit)
{
    // QEMU is gone, so its virtiofsd processes end now (or have, on their own): not a failure.
    if (m_sharedDirectories) { m_sharedDirectories->stop(); }
    const VmExit vmExit{exit, m_requested, m_shutdownReason, diagnostics()};
    setState(State::Off);
    emit stopped(vmExit);
}

void VirtualMachineBase::setState(State state)
{
    if (m_state == state) { return; }
    m_state = state;
    emit stateChanged(state);
}

QString VirtualMachineBase::serialLogDiagnostics() const
{
    const QString sharing = m_sharedDirectories ? m_sharedDirectories->diagnostics() : QString();
    const QString tail = m_dir.serialLogTail();
    return sharing
        + (tail.isEmpty() ? QStringLiteral("serial log %1 is empty").arg(m_dir.serialLog())
                          : QStringLiteral("last lines of the serial log %1:\n%2").arg(m_dir.serialLog(), tail));
}

}  // namespace berth::vm
