#pragma once

// QEMU backend: qemu-system-x86_64 with -nodefaults -no-reboot, a pidfile, QMP and the agent's
// virtio-serial port on unix sockets in the instance directory, the serial console in a log file,
// virtio disks/net/rng, the guest config over fw_cfg and user networking with loopback-only port
// forwards (the engine's TLS port, and whatever VmSpec::extraForwards asks for).

#include "berth/vm/virtual_machine.h"

#include <QStringList>

#include <chrono>

namespace berth::vm {

// The command line for a spec (exposed for tests and the benchmark's bare-QEMU baseline).
QStringList qemuArguments(const VmSpec& spec);

// Escapes a value for QEMU's key=value,key=value option syntax (a ',' is written ',,').
QString qemuOptionValue(const QString& value);

class QemuBackend final : public VmBackend {
public:
    explicit QemuBackend(std::shared_ptr<ProcessFactory> processes = systemProcessFactory(),
                         std::chrono::milliseconds qmpConnectTimeout = std::chrono::seconds(10));
    QString name() const override { return QStringLiteral("qemu"); }
    std::unique_ptr<VirtualMachine> create(const VmSpec& spec) override;

private:
    std::shared_ptr<ProcessFactory> m_processes;
    std::chrono::milliseconds m_qmpConnectTimeout;
};

}  // namespace berth::vm
