// berth-engine: the process that owns the VM. Front ends (the Berth window, berthctl) launch it
// on demand and talk to it over <instanceDir>/engine.sock; it exits once the engine is stopped.

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>

#include <QSocketNotifier>

#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>

#include <spdlog/spdlog.h>

#include "berth/vm/instance_dir.h"
#include "engine_service.h"
#include "logging.h"

namespace {

// Where the package or the build put the guest image, found relative to this binary so no path
// of the build machine is compiled in: the package has /usr/libexec/berth/berth-engine and
// /usr/lib/berth/guest; a build tree has <build>/bin and the guest its CMake chose.
QString defaultGuestDir()
{
    const QString bin = QCoreApplication::applicationDirPath();
    const QString installed = bin + "/../../lib/berth/guest";
    if (QFileInfo::exists(installed + "/vmlinux")) { return QDir(installed).canonicalPath(); }
    return QDir::cleanPath(bin + "/" + QStringLiteral(BERTH_GUEST_DIR_FROM_BIN));
}

// The docker client and CLI plugins shipped with the full guest image: /usr/lib/berth/bin in the
// package; in a build tree, beside the image.
QString defaultToolsDir(const QString& guestDir)
{
    const QString installed = QCoreApplication::applicationDirPath() + "/../../lib/berth/bin";
    if (QFileInfo::exists(installed + "/docker")) { return QDir(installed).canonicalPath(); }
    return guestDir;
}

// virtiofsd, which shares host directories with the VM: /usr/lib/berth/bin in the package; in a
// build tree, beside this binary.
QString defaultVirtiofsd()
{
    const QString bin = QCoreApplication::applicationDirPath();
    const QString installed = bin + "/../../lib/berth/bin/virtiofsd";
    if (QFileInfo::exists(installed)) { return QFileInfo(installed).canonicalFilePath(); }
    return bin + "/virtiofsd";
}

}  // namespace

int main(int argc, char* argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName("berth-engine");
    QCoreApplication::setApplicationVersion(BERTH_VERSION);

    QCommandLineParser parser;
    parser.setApplicationDescription("Owns Berth's VM and serves it to the Berth window and berthctl.");
    parser.addHelpOption();
    parser.addVersionOption();
    QCommandLineOption instanceDir("instance-dir", "VM instance directory.", "dir",
                                   berth::vm::InstanceDir::defaultRoot());
    const QString guestDirDefault = defaultGuestDir();
    QCommandLineOption guestDir(
        "guest-dir",
        QString("Directory with the guest image: vmlinux, initramfs.img, root.squashfs (default %1).")
            .arg(guestDirDefault),
        "dir", guestDirDefault);
    // Long form only: -v is --version's (addVersionOption).
    QCommandLineOption verbose("verbose", "Log debug messages.");
    parser.addOptions({instanceDir, guestDir, verbose});
    parser.process(app);

    berth::app::initLogging("berth-engine", /*console=*/false, parser.isSet(verbose));

    // The admin policy path is fixed (SettingsPaths::forCurrentUser); nothing here can move it.
    berth::engine::EngineServiceOptions options;
    options.instanceDir = parser.value(instanceDir);
    options.guestDir = parser.value(guestDir);
    options.toolsDir = defaultToolsDir(options.guestDir);
    options.virtiofsd = defaultVirtiofsd();
    options.settingsPaths = berth::settings::SettingsPaths::forCurrentUser();
    // Tests wait seconds, not minutes, for the Resource Saver.
    if (const int ms = qEnvironmentVariableIntValue("BERTH_TEST_RESOURCE_SAVER_MINUTE_MS"); ms > 0) {
        options.resourceSaverMinute = std::chrono::milliseconds(ms);
    }
    berth::engine::EngineService service(options);
    QString error;
    if (!service.listen(&error)) {
        spdlog::error("{}", error.toStdString());
        std::fprintf(stderr, "berth-engine: %s\n", qPrintable(error));
        return 1;
    }
    QObject::connect(&service, &berth::engine::EngineService::idle, &app, [] {
        spdlog::info("engine stopped; the host exits");
        QCoreApplication::quit();
    });
    // SIGTERM and SIGINT (logout, systemd, Ctrl-C) mean a graceful stop, not an abandoned VM.
    static int signalPipe[2];
    if (::pipe2(signalPipe, O_CLOEXEC | O_NONBLOCK) != 0) {
        spdlog::error("cannot create the signal pipe");
        return 1;
    }
    QSocketNotifier notifier(signalPipe[0], QSocketNotifier::Read);
    QObject::connect(&notifier, &QSocketNotifier::activated, &service, [&service] {
        char drained[16];
        while (::read(signalPipe[0], drained, sizeof drained) > 0) {}
        spdlog::info("asked to terminate: stopping the engine");
        service.controller().stop();
    });
    struct sigaction action {};
    action.sa_handler = [](int) { [[maybe_unused]] auto n = ::write(signalPipe[1], "x", 1); };
    ::sigaction(SIGTERM, &action, nullptr);
    ::sigaction(SIGINT, &action, nullptr);
    return app.exec();
}
