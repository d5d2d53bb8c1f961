// Runs an EngineController in its own process, for tests that kill "the app" with SIGKILL.
// Usage: berth_vm_controller_helper INSTANCE_DIR KERNEL INITRD CONFIG_JSON [--qemu-survives]
// Prints "RUNNING <qemu pid>" once the guest is ready, then waits to be killed.
#include "berth/vm/engine_controller.h"

#include <QCoreApplication>
#include <QStringList>

#include <spdlog/spdlog.h>

#include <cstdio>

using namespace berth::vm;

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() < 5) {
        std::fprintf(stderr, "usage: %s INSTANCE_DIR KERNEL INITRD CONFIG_JSON [--qemu-survives]\n", argv[0]);
        return 2;
    }
    spdlog::set_level(spdlog::level::warn);
    EngineOptions options;
    options.instanceDir = args.at(1);
    options.kernel = args.at(2);
    options.initrd = args.at(3);
    options.accelerator = EngineOptions::AcceleratorChoice::Tcg;
    options.qemuDiesWithController = !args.contains(QStringLiteral("--qemu-survives"));
    EngineController controller(options);
    QObject::connect(&controller, &EngineController::operationFinished, [&](auto, bool ok, const QString& message) {
        if (!ok) {
            std::fprintf(stderr, "FAILED %s\n", qPrintable(message));
            app.exit(1);
            return;
        }
        std::printf("RUNNING %lld\n", static_cast<long long>(controller.qemuPid()));
        std::fflush(stdout);
    });
    controller.start(planFor(args.at(4).toUtf8(), {1, 256, 0}));
    return app.exec();
}
