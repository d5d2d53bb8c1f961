// berth-engine for tests: the same EngineService (controller, host, launch planning), but with the
// settings files and trusted owner given on the command line, and TCG without the KVM probe. The
// shipped berth-engine has no such options.
//   engine_host_for_tests INSTANCE_DIR GUEST_DIR ADMIN_FILE USER_FILE TRUSTED_UID

#include <QCoreApplication>

#include <cstdio>
#include <string>

#include "engine_service.h"

int main(int argc, char* argv[])
{
    QCoreApplication app(argc, argv);
    if (argc != 6) {
        std::fprintf(stderr, "usage: %s INSTANCE_DIR GUEST_DIR ADMIN_FILE USER_FILE TRUSTED_UID\n", argv[0]);
        return 2;
    }
    berth::engine::EngineServiceOptions options;
    options.instanceDir = argv[1];
    options.guestDir = argv[2];
    options.settingsPaths.adminFile = argv[3];
    options.settingsPaths.userFile = argv[4];
    options.settingsPaths.adminRules.trustedOwner = static_cast<uid_t>(std::stoul(argv[5]));
    options.accelerator = berth::vm::EngineOptions::AcceleratorChoice::Tcg;
    berth::engine::EngineService service(options);
    QString error;
    if (!service.listen(&error)) {
        std::fprintf(stderr, "%s\n", qPrintable(error));
        return 1;
    }
    QObject::connect(&service, &berth::engine::EngineService::idle, &app, &QCoreApplication::quit);
    return app.exec();
}
