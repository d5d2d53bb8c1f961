// berth-engine for tests: the same EngineHost and EngineController, but with the settings files
// and trusted owner given on the command line. The shipped berth-engine has no such options.
//   engine_host_for_tests INSTANCE_DIR GUEST_DIR ADMIN_FILE USER_FILE TRUSTED_UID

#include <QCoreApplication>

#include <cstdio>

#include "berth/engine/engine_host.h"
#include "berth/settings/guest_config.h"
#include "berth/vm/engine_controller.h"

int main(int argc, char* argv[])
{
    QCoreApplication app(argc, argv);
    if (argc != 6) {
        std::fprintf(stderr, "usage: %s INSTANCE_DIR GUEST_DIR ADMIN_FILE USER_FILE TRUSTED_UID\n", argv[0]);
        return 2;
    }
    berth::settings::SettingsPaths paths;
    paths.adminFile = argv[3];
    paths.userFile = argv[4];
    paths.adminRules.trustedOwner = static_cast<uid_t>(std::stoul(argv[5]));

    berth::vm::EngineOptions options;
    options.instanceDir = argv[1];
    options.kernel = QString(argv[2]) + "/vmlinuz";
    options.initrd = QString(argv[2]) + "/initramfs.img";
    options.memoryMiB = 256;
    options.cpus = 1;
    options.accelerator = berth::vm::EngineOptions::AcceleratorChoice::Tcg;
    options.engineGuestPort = 0;
    berth::vm::EngineController controller(options);
    berth::engine::EngineHost host(&controller, [paths] {
        const auto decision = berth::settings::decideLaunch(berth::settings::Settings::load(paths));
        return berth::engine::LaunchConfig{decision.allowed, decision.guestConfig,
                                           QString::fromStdString(decision.refusal)};
    });
    QString error;
    if (!host.listen(options.instanceDir, &error)) {
        std::fprintf(stderr, "%s\n", qPrintable(error));
        return 1;
    }
    QObject::connect(&host, &berth::engine::EngineHost::idle, &app, &QCoreApplication::quit);
    return app.exec();
}
