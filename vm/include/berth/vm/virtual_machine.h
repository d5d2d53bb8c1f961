#pragma once

// The backend interface: one VM described by a VmSpec, which a backend creates, starts, asks to
// shut down, force-stops and reports on. Small on purpose so the engine controller can be tested
// against fakes and a libvirt backend can sit next to the QEMU one.

#include "berth/vm/process.h"

#include <QList>
#include <QObject>
#include <QString>

#include <chrono>
#include <functional>
#include <memory>

namespace berth::vm {

enum class Accelerator { Kvm, Tcg };
QString toString(Accelerator accelerator);

// A file handed to the guest read-only over fw_cfg, readable there at
// /sys/firmware/qemu_fw_cfg/by_name/<name>/raw.
struct FwCfgFile {
    QString name;  // e.g. "opt/berth/tls"
    QString file;
};

// A TCP port of the guest reachable on the host at 127.0.0.1:<hostPort>, never on other addresses.
struct PortForward {
    quint16 hostPort = 0;
    quint16 guestPort = 0;
    bool operator==(const PortForward&) const = default;
};

// A port of the guest published on the host's loopback while the VM runs (a container's
// `-p 8080:80` reaching the host's 127.0.0.1:8080), at the same number on both sides.
struct HostPort {
    QString protocol;  // "tcp" or "udp"
    quint16 port = 0;
    bool operator==(const HostPort&) const = default;
};

// A host directory the guest mounts at the same path over virtiofs, served by a virtiofsd of its
// own that shows the user's files to the guest as uid and gid 1000 and writes whatever the guest
// writes as the user (docs/file-sharing.md).
struct SharedDirectory {
    QString path;  // absolute, on the host and in the guest
    QString tag;  // the virtiofs tag the guest mounts (contracts::sharedDirectoryTag)
    bool operator==(const SharedDirectory&) const = default;
};

// The guest kernel's command line. no_timer_check: under TCG on a busy host the kernel's boot-time
// check that the timer reaches the IO-APIC can time out, and the kernel then panics ("IO-APIC +
// timer doesn't work!"); under KVM the kernel skips that check by itself.
inline const QString kDefaultKernelCmdline = QStringLiteral("console=ttyS0 panic=-1 no_timer_check quiet");

// The VM's size when nothing says otherwise: the same as the defaults of the settings vm.cpus and
// vm.memoryMiB, which the engine host's launch plan passes on (tst_berthctl checks they agree).
inline constexpr int kDefaultCpus = 2;
inline constexpr int kDefaultMemoryMiB = 4096;

// How large one launch of the VM is: decided per launch (LaunchPlan), carried to the backend (VmSpec).
struct VmResources {
    int cpus = kDefaultCpus;
    int memoryMiB = kDefaultMemoryMiB;
    qint64 dataDiskSizeBytes = 0;  // grows the data disk (or creates it) when larger; never shrinks it
    bool operator==(const VmResources&) const = default;
};

struct VmSpec {
    QString qemuBinary = QStringLiteral("qemu-system-x86_64");
    QString kernel;
    QString initrd;
    QString kernelCmdline = kDefaultKernelCmdline;
    QString rootImage;  // optional: raw, attached read-only
    QString dataDisk;  // optional: qcow2, read-write
    VmResources resources;
    QString guestConfigFile;  // handed to the guest as fw_cfg opt/berth/config
    QList<FwCfgFile> extraFwCfg;  // more fw_cfg files (the engine's TLS material)
    Accelerator accelerator = Accelerator::Tcg;
    quint16 engineHostPort = 0;  // 127.0.0.1:<this> forwards to the guest's engineGuestPort; 0 = none
    quint16 engineGuestPort = 2376;
    QList<PortForward> extraForwards;  // more loopback forwards (the unsafe 2375 when asked for)
    QList<SharedDirectory> sharedDirectories;  // each needs virtiofsdBinary
    QString virtiofsdBinary;
    QString instanceDir;  // sockets, logs and pidfile (see InstanceDir)
    bool dieWithParent = true;  // see ProcessSpec::dieWithParent
    // forceStop() first asks QEMU to quit (it flushes the qcow2 data disk), then SIGKILLs after this.
    std::chrono::milliseconds quitGrace = std::chrono::seconds(1);
};

struct VmExit {
    ProcessExit process;
    bool requested = false;  // requestShutdown() or forceStop() was called
    QString guestShutdownReason;  // from QMP SHUTDOWN ("guest-shutdown", "host-qmp-quit", ...), if seen
    QString diagnostics;  // QEMU's stderr tail and the serial log tail
};

class VirtualMachine : public QObject {
    Q_OBJECT
public:
    enum class State { Off, Launching, Running, ShuttingDown };

    using QObject::QObject;

    virtual void start() = 0;
    // ACPI power button: the guest decides whether and when to power off.
    virtual void requestShutdown() = 0;
    // QEMU's own quit (no guest shutdown, but disk caches and qcow2 metadata are flushed), then
    // SIGKILL after VmSpec::quitGrace or on a second call. stopped() follows once QEMU is reaped.
    virtual void forceStop() = 0;
    virtual State state() const = 0;
    virtual qint64 pid() const = 0;
    // What to show when something went wrong: QEMU's stderr and the serial console's last lines.
    virtual QString diagnostics() const = 0;
    // Forwards the host's 127.0.0.1:<port> to the guest's <port> (or stops), while the VM runs.
    // `done` gets an empty string, or why not (the host's port is taken, ...), never inside the call.
    using ForwardDone = std::function<void(const QString& error)>;
    virtual void setHostForward(const HostPort& port, bool enabled, ForwardDone done) = 0;
    // The same for a TCP port that the guest serves at another number (the engine's), as `done`.
    virtual void setTcpForward(quint16 hostPort, quint16 guestPort, bool enabled, ForwardDone done) = 0;

signals:
    void stateChanged(berth::vm::VirtualMachine::State state);
    // What the launch waits for when it is more than QEMU starting (libvirt examining QEMU first).
    void launchProgress(const QString& text);
    // QEMU is up and its monitor answers; the guest is booting.
    void running();
    // The QEMU process is reaped and its pidfile removed.
    void stopped(const berth::vm::VmExit& exit);
    // QMP events such as SHUTDOWN, POWERDOWN, RESET, STOP.
    void guestEvent(const QString& name, const QByteArray& dataJson);
};

class VmBackend {
public:
    virtual ~VmBackend() = default;
    virtual QString name() const = 0;
    // What `berthctl status` shows, e.g. "libvirt (qemu:///session)".
    virtual QString description() const { return name(); }
    virtual std::unique_ptr<VirtualMachine> create(const VmSpec& spec) = 0;
};

}  // namespace berth::vm

Q_DECLARE_METATYPE(berth::vm::VmExit)
