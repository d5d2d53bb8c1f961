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

#include "berth/contracts/names.h"
#include "berth/endpoint/docker_api.h"
#include "berth/endpoint/docker_context.h"
#include "berth/endpoint/endpoint_certs.h"
#include "berth/engine/engine_host.h"
#include "berth/settings/guest_config.h"
#include "berth/vm/engine_controller.h"
#include "berth/vm/vm_backends.h"
#include "logging.h"

namespace {

// Where the package or the build put the guest image, found relative to this binary so no path
// of the build machine is compiled in: the package has /usr/libexec/berth/berth-engine and
// /usr/lib/berth/guest; a build tree has <build>/bin and the guest its CMake chose.
QString defaultGuestDir()
{
    const QString bin = QCoreApplication::applicationDirPath();
    const QString installed = bin + "/../../lib/berth/guest";
    if (QFileInfo::exists(installed + "/vmlinuz")) { return QDir(installed).canonicalPath(); }
    return QDir::cleanPath(bin + "/" + QStringLiteral(BERTH_GUEST_DIR_FROM_BIN));
}

std::int64_t integerSetting(const berth::settings::Settings& settings, std::string_view key)
{
    return settings.get(key).value.get<std::int64_t>();
}

// What the next launch gets from the settings: read at every start and restart, so a change
// applied with Apply & restart reaches the VM without restarting this host.
void applyLaunchSettings(berth::vm::EngineController& controller, const berth::settings::Settings& settings,
                         bool dataDisk)
{
    namespace keys = berth::settings::keys;
    berth::vm::EngineController::Resources resources;
    resources.cpus = static_cast<int>(integerSetting(settings, keys::kCpus));
    resources.memoryMiB = static_cast<int>(integerSetting(settings, keys::kMemoryMiB));
    resources.dataDiskSizeBytes = dataDisk ? integerSetting(settings, keys::kDiskSizeMiB) * 1024 * 1024 : 0;
    controller.setResources(resources);
    // Unsafe by design (no TLS), so only on loopback and only when asked for.
    QList<berth::vm::PortForward> forwards;
    if (settings.get(keys::kExposeDockerApiOnTcp2375).value == true) {
        forwards.append({2375, 2375});
        spdlog::warn("exposeDockerAPIOnTCP2375 is on: 127.0.0.1:2375 reaches the engine without TLS (unsafe)");
    }
    controller.setExtraForwards(forwards);
}

// The backend the settings choose (vm.manager, vm.libvirtUri).
std::shared_ptr<berth::vm::VmBackend> chosenBackend(const berth::settings::Settings& settings)
{
    const auto text
        = [&](std::string_view key) { return QString::fromStdString(settings.get(key).value.get<std::string>()); };
    return berth::vm::makeVmBackend(text(berth::settings::keys::kVmManager), text(berth::settings::keys::kLibvirtUri));
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
        QString("Directory with the guest image: vmlinuz, initramfs.img, root.squashfs (default %1).")
            .arg(guestDirDefault),
        "dir", guestDirDefault);
    // Long form only: -v is --version's (addVersionOption).
    QCommandLineOption verbose("verbose", "Log debug messages.");
    parser.addOptions({instanceDir, guestDir, verbose});
    parser.process(app);

    berth::app::initLogging("berth-engine", /*console=*/false, parser.isSet(verbose));

    // The admin policy path is fixed (SettingsPaths::forCurrentUser); nothing here can move it.
    const auto paths = berth::settings::SettingsPaths::forCurrentUser();
    const auto settings = berth::settings::Settings::load(paths);

    const QString guestPath = parser.value(guestDir);
    // The full guest (dockerd) comes with a root image; the test guest boots from its initramfs.
    const bool fullGuest = QFileInfo::exists(guestPath + "/root.squashfs");
    const berth::vm::InstanceDir instance(parser.value(instanceDir));
    const berth::endpoint::EngineCertPaths certs{berth::endpoint::defaultEngineCertsDir()};

    berth::vm::EngineOptions options;
    options.instanceDir = instance.root();
    options.kernel = guestPath + "/vmlinuz";
    options.initrd = guestPath + "/initramfs.img";
    if (fullGuest) {
        options.rootImage = guestPath + "/root.squashfs";
        options.dataDisk = instance.dataDisk();
        options.extraFwCfg = {{QLatin1String(berth::contracts::kGuestTlsFwCfg), instance.guestTlsFile()}};
        // Running means dockerd answers over TLS with our client certificate, not just "booted".
        options.engineCheck = [certs](quint16 port, berth::vm::EngineOptions::EngineCheckDone done) {
            QString problem;
            const auto tls = berth::endpoint::DockerApi::tlsConfiguration(certs, &problem);
            if (!tls) {
                done(false, problem);
                return;
            }
            berth::endpoint::DockerApi(port, *tls, std::chrono::seconds(3))
                .ping(QCoreApplication::instance(), [done](bool ok, const QString& why) { done(ok, why); });
        };
    }

    berth::vm::EngineController controller(options, berth::vm::systemProcessFactory(), chosenBackend(settings));
    applyLaunchSettings(controller, settings, fullGuest);
    berth::engine::EngineHost host(&controller, [paths, fullGuest, certs, instance, &controller] {
        const auto current = berth::settings::Settings::load(paths);
        const auto decision = berth::settings::decideLaunch(current);
        if (decision.allowed) {
            controller.setBackend(chosenBackend(current));  // a switch takes effect at this launch
            applyLaunchSettings(controller, current, fullGuest);
            QString problem;
            if (fullGuest) {
                // Renewed here when missing, expired or corrupt; the guest gets the server side.
                const auto ensured = berth::endpoint::ensureEngineCerts(certs);
                if (!ensured.ok || !berth::endpoint::writeGuestTlsFile(certs, instance.guestTlsFile(), &problem)) {
                    return berth::engine::LaunchConfig{false, {}, ensured.ok ? problem : ensured.message};
                }
            }
        }
        return berth::engine::LaunchConfig{decision.allowed, decision.guestConfig,
                                           QString::fromStdString(decision.refusal)};
    });
    if (fullGuest) {
        // Point the docker CLI at the engine whenever it comes up (the port rarely changes).
        QObject::connect(&controller, &berth::vm::EngineController::stateChanged, &controller,
                         [&controller, certs, guestPath](berth::vm::EngineState state) {
                             if (state != berth::vm::EngineState::Running) { return; }
                             const QString cli = berth::endpoint::findDockerCli(guestPath + "/docker");
                             if (cli.isEmpty()) {
                                 spdlog::info("no docker CLI found; the docker context is not set up");
                                 return;
                             }
                             const auto result = berth::endpoint::ensureDockerContext(
                                 cli, berth::endpoint::kDockerContextName, controller.enginePort(), certs);
                             if (result.outcome == berth::endpoint::DockerContextResult::Outcome::Failed) {
                                 spdlog::warn("{}", result.message.toStdString());
                             } else {
                                 spdlog::info("{}", result.message.toStdString());
                             }
                         });
    }
    QString error;
    if (!host.listen(options.instanceDir, &error)) {
        spdlog::error("{}", error.toStdString());
        std::fprintf(stderr, "berth-engine: %s\n", qPrintable(error));
        return 1;
    }
    QObject::connect(&host, &berth::engine::EngineHost::idle, &app, [] {
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
    QObject::connect(&notifier, &QSocketNotifier::activated, &controller, [&controller] {
        char drained[16];
        while (::read(signalPipe[0], drained, sizeof drained) > 0) {}
        spdlog::info("asked to terminate: stopping the engine");
        controller.stop();
    });
    struct sigaction action {};
    action.sa_handler = [](int) { [[maybe_unused]] auto n = ::write(signalPipe[1], "x", 1); };
    ::sigaction(SIGTERM, &action, nullptr);
    ::sigaction(SIGINT, &action, nullptr);
    return app.exec();
}
