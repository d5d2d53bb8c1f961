#pragma once

// libvirt backend: the same VM as the QEMU backend (direct kernel boot, the same disks, the
// agent's virtio-serial port on <instance>/agent.sock, the serial console in serial.log, the guest
// config over fw_cfg, user networking with the engine's loopback port forward), as a persistent
// libvirt domain that admins see in virsh and virt-manager.
//
// Defining and starting wait for libvirt, which examines the QEMU binary first when it has no valid
// cached capabilities: after a few seconds the VM says so (launchProgress), and it gives up after
// Options::startTimeout with what to check.
//
// Each start redefines the domain from XML generated here, so edits made in virt-manager are
// replaced; a domain of this instance found running at start is a leftover of a crash and is shut
// down (ACPI, then destroyed after a grace period). State comes from libvirt's lifecycle events.
// The domain is started with VIR_DOMAIN_START_AUTODESTROY when the VM should die with its owner.

#include "berth/vm/virtual_machine.h"
#include "libvirt/libvirt_api.h"

#include <chrono>

namespace berth::vm {

inline constexpr auto kDefaultLibvirtUri = "qemu:///session";

// "berth" for the default instance directory, "berth-<8 hex digits>" for any other.
QString libvirtDomainName(const QString& instanceDir);
// A name-based UUID of the instance directory: the same domain at every start, and a domain of
// the same name that another instance (or a person) defined is recognised as not ours.
QString libvirtDomainUuid(const QString& instanceDir);

// The domain XML for a spec. privilegedDaemon: a qemu:///system daemon, whose QEMU would run as
// libvirt-qemu; the domain then asks for the current user so QEMU can reach the 0700 instance
// directory and the images.
QString libvirtDomainXml(const VmSpec& spec, bool privilegedDaemon);

// Why a system libvirt would re-examine QEMU at every use on this host, or empty. libvirt 9 probes
// QEMU keeping root's file access, so the probe finds KVM; it then checks /dev/kvm as its QEMU user
// (libvirt-qemu, of the kvm group, on Debian), and when that user cannot open it, it deems the
// cached capabilities stale at every lookup, probing QEMU twice each time, many times per start.
QString libvirtKvmAccessProblem(const QString& kvmDevice = QStringLiteral("/dev/kvm"));
// The same from /dev/kvm's facts, pure for tests: its permission bits (st_mode & 0777), owner and group.
QString libvirtKvmAccessProblem(const QString& kvmDevice, unsigned permissions, const QString& owner,
                                const QString& group);

class LibvirtBackend final : public VmBackend {
public:
    struct Options {
        QString uri = QString::fromLatin1(kDefaultLibvirtUri);
        // How long a domain left running by a crash gets to power off before it is destroyed.
        std::chrono::milliseconds leftoverShutdown = std::chrono::seconds(10);
        // How long libvirt gets to define and start the domain (QEMU examined first included).
        std::chrono::milliseconds startTimeout = std::chrono::minutes(3);
        // When the VM tells that libvirt is still at it, and why that may be.
        std::chrono::milliseconds slowStartNotice = std::chrono::seconds(5);
    };

    explicit LibvirtBackend(Options options, std::shared_ptr<LibvirtConnector> libvirt = systemLibvirt(),
                            std::shared_ptr<ProcessFactory> processes = systemProcessFactory());
    QString name() const override { return QStringLiteral("libvirt"); }
    QString description() const override { return QStringLiteral("libvirt (%1)").arg(m_options.uri); }
    QString uri() const { return m_options.uri; }
    std::unique_ptr<VirtualMachine> create(const VmSpec& spec) override;

private:
    Options m_options;
    std::shared_ptr<LibvirtConnector> m_libvirt;
    std::shared_ptr<ProcessFactory> m_processes;
};

}  // namespace berth::vm
