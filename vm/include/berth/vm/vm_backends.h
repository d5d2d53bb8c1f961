#pragma once

// The backends a user can choose (setting vm.manager) and how each is made.

#include "berth/vm/virtual_machine.h"

#include <QStringList>

namespace berth::vm {

// "qemu" (QEMU run directly, the default) and "libvirt".
QStringList vmManagerNames();

// The backend for a vm.manager value; libvirtUri is used by "libvirt" only. An unknown name
// gives nullptr (the settings schema only allows the names above).
std::shared_ptr<VmBackend> makeVmBackend(const QString& manager, const QString& libvirtUri,
                                         std::shared_ptr<ProcessFactory> processes = systemProcessFactory());

}  // namespace berth::vm
