#pragma once

// EngineService: berth-engine's whole set-up, out of main() so the shipped binary and the test
// host run the same sequence. From a guest image and an instance directory it makes the
// controller (with the engine's TLS check for the full guest), the host that serves it on
// engine.sock and plans each launch from the settings (planLaunch), renews the engine's
// certificates before each launch of the full guest, and whenever the engine comes up points the
// docker CLI's context at it and gives the CLI the containers' proxy for it (setCliProxy), offers
// the user the docker CLI tools shipped with the guest image, and publishes the containers' ports on the host's
// loopback (PortPublisher); with the Resource Saver on, it stops the idle engine and starts it
// again when a client connects (ResourceSaver).

#include "berth/endpoint/cli_proxy.h"
#include "berth/engine/engine_host.h"
#include "berth/settings/settings.h"
#include "berth/vm/engine_controller.h"

#include <QObject>
#include <QString>

#include <chrono>
#include <memory>

namespace berth::engine {

class PortPublisher;
class ResourceSaver;

struct EngineServiceOptions {
    QString instanceDir;
    QString guestDir;  // vmlinux, initramfs.img and, for the full guest, root.squashfs
    // The docker client and cli-plugins/ that come with the full guest image (the image folder in
    // a build tree, /usr/lib/berth/bin in the packages); empty means guestDir.
    QString toolsDir;
    QString virtiofsd;  // serves the shared directories; empty or missing: nothing is shared
    settings::SettingsPaths settingsPaths;
    vm::EngineOptions::AcceleratorChoice accelerator = vm::EngineOptions::AcceleratorChoice::Auto;
    // How long one minute of the Resource Saver's idle time lasts; tests shorten it.
    std::chrono::milliseconds resourceSaverMinute = std::chrono::minutes(1);
};

class EngineService : public QObject {
    Q_OBJECT
public:
    explicit EngineService(EngineServiceOptions options, QObject* parent = nullptr);
    ~EngineService() override;

    // Listens on <instanceDir>/engine.sock (see EngineHost::listen).
    bool listen(QString* error);
    vm::EngineController& controller() { return *m_controller; }

signals:
    // The engine stopped on request and nothing is pending: the process may exit.
    void idle();

private:
    PlannedLaunch planNextLaunch();
    void setUpDockerCli();
    void publishContainerPorts();

    EngineServiceOptions m_options;
    bool m_fullGuest = false;
    std::unique_ptr<vm::EngineController> m_controller;
    std::unique_ptr<EngineHost> m_host;
    std::unique_ptr<PortPublisher> m_ports;  // the full guest's
    std::unique_ptr<ResourceSaver> m_resourceSaver;  // the full guest's
    endpoint::CliProxy m_containersProxy;  // containersProxy, as the launch that runs now read it
};

}  // namespace berth::engine
