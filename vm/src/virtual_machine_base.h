#pragma once

// What the QEMU and libvirt VMs do alike, so the two cannot drift apart: the state and its
// signal, the power button pressed at once or as soon as the VM runs, the serial log's part of
// the diagnostics, and the VmExit that ends a run.

#include "berth/vm/instance_dir.h"
#include "berth/vm/virtual_machine.h"

#include <memory>

namespace berth::vm {

// QEMU's user-mode network with every forward of `spec` on loopback only, as a -netdev value.
QString userNetdev(const VmSpec& spec, const QString& id);

// The data disk's serial, by which the guest finds it.
inline constexpr const char* kDataDiskSerial = "berth-data";

// The kernel command line both backends boot with: the spec's, plus berth.data_disk=<serial>
// when a data disk is attached, so the guest waits for that disk rather than keeping Docker's
// data in memory when the disk is slow to appear.
QString guestKernelCmdline(const VmSpec& spec);

// What the emulated CPU leaves out under TCG, as QEMU's -cpu max sees it: ERMS (fast string
// instructions). QEMU emulates `rep stosb` and `rep movsb` one byte per loop, and a CPU with ERMS
// makes the guest kernel clear every page and glibc copy large blocks that way; without it they
// use `rep stosq` and vector moves, about 7 times faster under TCG. Under KVM the CPU is the host's.
inline constexpr const char* kTcgCpuFeaturesOff[] = {"erms"};

// The firmware for `spec`'s boot, or empty for QEMU's default (SeaBIOS). Under TCG, qboot (QEMU's
// minimal firmware for a direct kernel boot, in Debian's qemu-system-data) when it is installed:
// SeaBIOS's device scans and option ROMs serve boots from disks the VM does not have, and cost
// 0.2 to 0.6 s of the one emulated CPU (docs/performance.md). KVM keeps SeaBIOS.
QString guestFirmware(const VmSpec& spec);

class SharedDirectoryServers;

class VirtualMachineBase : public VirtualMachine {
public:
    explicit VirtualMachineBase(const QString& instanceDir);
    ~VirtualMachineBase() override;

    void requestShutdown() final;
    State state() const final { return m_state; }
    // QEMU's own hostfwd_add/hostfwd_remove on the user network, through humanMonitorCommand().
    void setHostForward(const HostPort& port, bool enabled, ForwardDone done) final;
    void setTcpForward(quint16 hostPort, quint16 guestPort, bool enabled, ForwardDone done) final;

protected:
    // One HMP command line, answered with QEMU's text (empty when such a command succeeded) or
    // a transport error (ok false), never inside the call.
    using MonitorDone = std::function<void(bool ok, const QString& output)>;
    virtual void humanMonitorCommand(const QString& line, MonitorDone done) = 0;
    // The -netdev id of the user network (userNetdev()).
    virtual QString netdevId() const = 0;

    // The ACPI power button: QMP system_powerdown, virDomainShutdown.
    virtual void pressPowerButton() = 0;

    // A start begins: the common per-run fields are reset and the VM is Launching.
    void beginLaunch();
    // The VM runs: running() is emitted, and a shutdown asked for while launching goes out now.
    void becomeRunning();
    // The run ended: Off, then stopped() with the exit, the shutdown reason and diagnostics().
    void endRun(const ProcessExit& exit);
    void setState(State state);
    // The serial console's last lines (or that it is empty), the end of every diagnostics(),
    // after what the shared directories' virtiofsd processes said.
    QString serialLogDiagnostics() const;

    // Starts the virtiofsd of each of the spec's shared directories, just before QEMU starts.
    // False, with why, when one cannot be started. One that ends while the VM runs stops the VM
    // (forceStop), since the guest would hang on that share; endRun() ends them all.
    bool startSharedDirectories(const VmSpec& spec, const std::shared_ptr<ProcessFactory>& processes, QString* error);

    InstanceDir m_dir;
    bool m_requested = false;  // requestShutdown() or forceStop() was called in this run
    QString m_shutdownReason;  // why the guest went down, as the backend heard it

private:
    void forward(const QString& protocol, quint16 hostPort, quint16 guestPort, bool enabled, ForwardDone done);
    State m_state = State::Off;
    bool m_powerdownPending = false;
    std::unique_ptr<SharedDirectoryServers> m_sharedDirectories;
};

}  // namespace berth::vm
