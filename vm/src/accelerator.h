#pragma once

// Chooses the accelerator: KVM when /dev/kvm is usable *and* a probe guest boots under it in
// time, TCG otherwise, always with a reason the user can read. Some hosts expose /dev/kvm but
// KVM guests hang, which only a real boot reveals. The probe boots the VM's kernel without an
// init, so it panics at once and -no-reboot ends QEMU; a verdict is cached per host boot.

#include "berth/vm/process.h"
#include "berth/vm/virtual_machine.h"

#include <QObject>

#include <chrono>
#include <functional>

class QTimer;

namespace berth::vm {

struct AcceleratorVerdict {
    Accelerator accelerator = Accelerator::Tcg;
    QString reason;
    bool fromCache = false;
};

// Empty when the device can be opened read-write and answers KVM_GET_API_VERSION; otherwise why not.
QString kvmDeviceProblem(const QString& devicePath);

class AcceleratorProbe : public QObject {
    Q_OBJECT
public:
    struct Options {
        QString qemuBinary = QStringLiteral("qemu-system-x86_64");
        QString kernel;
        QString kvmDevice = QStringLiteral("/dev/kvm");
        std::chrono::milliseconds timeout = std::chrono::seconds(4);
        QString cacheFile;  // empty: do not cache
    };
    using DeviceCheck = std::function<QString(const QString& devicePath)>;

    AcceleratorProbe(Options options, std::shared_ptr<ProcessFactory> processes, QObject* parent = nullptr);
    ~AcceleratorProbe() override;

    // Tests replace the /dev/kvm check.
    void setDeviceCheck(DeviceCheck check) { m_deviceCheck = std::move(check); }

    // Asynchronous; finished() follows exactly once.
    void run();

    // The cache key: host boot id, QEMU binary and kernel identity.
    QString cacheKey() const;

signals:
    void finished(const berth::vm::AcceleratorVerdict& verdict);

private:
    void conclude(AcceleratorVerdict verdict, bool store);

    Options m_options;
    std::shared_ptr<ProcessFactory> m_processes;
    DeviceCheck m_deviceCheck;
    std::unique_ptr<Process> m_process;
    QTimer* m_timer = nullptr;
    QByteArray m_output;
    bool m_done = false;
};

}  // namespace berth::vm

Q_DECLARE_METATYPE(berth::vm::AcceleratorVerdict)
