#include "berth/vm/vm_backends.h"

#include "libvirt/libvirt_backend.h"
#include "qemu/qemu_backend.h"

namespace berth::vm {

QStringList vmManagerNames()
{
    return {QStringLiteral("qemu"), QStringLiteral("libvirt")};
}

std::shared_ptr<VmBackend> makeVmBackend(const QString& manager, const QString& libvirtUri,
                                         std::shared_ptr<ProcessFactory> processes)
{
    if (manager == QLatin1String("qemu")) { return std::make_shared<QemuBackend>(std::move(processes)); }
    if (manager == QLatin1String("libvirt")) {
        LibvirtBackend::Options options;
        if (!libvirtUri.isEmpty()) { options.uri = libvirtUri; }
        return std::make_shared<LibvirtBackend>(options, systemLibvirt(), std::move(processes));
    }
    return nullptr;
}

}  // namespace berth::vm
