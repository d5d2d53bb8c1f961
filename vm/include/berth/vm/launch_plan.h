#pragma once

// LaunchPlan: everything one launch of the VM gets that can change between launches. The engine
// host decides it from the settings at every start and restart (engine::planLaunch) and hands it
// to EngineController::start or restart, the only way these inputs reach the controller; what
// never changes for an instance (images, instance directory, timeouts) is EngineOptions.

#include "berth/vm/virtual_machine.h"

#include <QByteArray>
#include <QList>

#include <memory>

namespace berth::vm {

struct LaunchPlan {
    std::shared_ptr<VmBackend> backend;  // QEMU or libvirt; null: the controller's own
    VmResources resources;
    QList<PortForward> extraForwards;  // more loopback-only forwards (the unsafe 2375 when asked for)
    QList<SharedDirectory> sharedDirectories;  // as the guest config names them (sharedDirectories)
    QByteArray guestConfig = QByteArrayLiteral("{}");  // a JSON object, handed to the guest verbatim
};

// A plan for `guestConfig` with the default resources and no extra forwards.
LaunchPlan planFor(const QByteArray& guestConfig, const VmResources& resources = {});

// Whether two plans launch the same VM: the same backend, resources, forwards, shares and guest config
// (compared as JSON, so formatting does not matter). A request for the launch that is already
// running or being launched is no new work.
bool sameLaunch(const LaunchPlan& a, const LaunchPlan& b);

}  // namespace berth::vm
