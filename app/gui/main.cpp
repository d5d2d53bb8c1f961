// berth: the desktop app. Everything is in berth_gui; this only picks the production parts.
#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>

#include "app_controller.h"
#include "container_source.h"
#include "dashboard_window.h"
#include "logging.h"
#include "quit_signals.h"
#include "single_instance.h"
#include "translations.h"
#include "user_prompts.h"

#include "berth/engine/engine_client.h"

int main(int argc, char* argv[])
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("berth"));
    QApplication::setApplicationDisplayName(QStringLiteral("Berth"));
    QApplication::setApplicationVersion(QStringLiteral(BERTH_VERSION));
    QApplication::setDesktopFileName(QStringLiteral("berth"));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/berth.svg")));
    QApplication::setQuitOnLastWindowClosed(false);  // the tray keeps Berth running; Quit quits
    berth::gui::installTranslations();

    QCommandLineParser options;
    options.setApplicationDescription(
        QApplication::translate("main", "Berth: containers in a VM, with Enhanced Container Isolation."));
    options.addHelpOption();
    options.addVersionOption();
    const QCommandLineOption background(QStringLiteral("background"),
                                        QApplication::translate("main", "Start without opening the dashboard."));
    const QCommandLineOption openSettings(QStringLiteral("settings"),
                                          QApplication::translate("main", "Open the Settings window."));
    const QCommandLineOption verbose(QStringLiteral("verbose"), QApplication::translate("main", "Log debug messages."));
    options.addOptions({background, openSettings, verbose});
    options.process(app);
    berth::app::initLogging("berth", /*console=*/false, options.isSet(verbose));

    berth::gui::SingleInstance instance;
    using Window = berth::gui::SingleInstance::Window;
    // The running Berth comes forward instead, with its Settings window when that was asked for.
    if (!instance.claim(options.isSet(openSettings) ? Window::Settings : Window::Dashboard)) { return 0; }

    auto settings = berth::settings::Settings::load(berth::settings::SettingsPaths::forCurrentUser());
    berth::engine::EngineClient engine;  // launches berth-engine, which owns the VM, on the first start
    // The engine's containers over its TLS endpoint, once it runs (nothing before).
    berth::gui::EngineContainers containers(engine, {berth::endpoint::defaultEngineCertsDir()});
    berth::gui::MessageBoxPrompts prompts;
    berth::gui::AppController controller(
        {settings, engine, containers, prompts, berth::gui::AutostartEntry(), QApplication::applicationFilePath()});
    prompts.setParent(controller.dashboard());
    QObject::connect(&instance, &berth::gui::SingleInstance::raiseRequested, &controller,
                     &berth::gui::AppController::showDashboard);
    QObject::connect(&instance, &berth::gui::SingleInstance::settingsRequested, &controller,
                     &berth::gui::AppController::showSettings);
    berth::gui::QuitSignals quitSignals;
    QObject::connect(&quitSignals, &berth::gui::QuitSignals::quitRequested, &controller,
                     &berth::gui::AppController::requestQuit);
    QObject::connect(&controller, &berth::gui::AppController::quitReady, &app, &QApplication::quit,
                     Qt::QueuedConnection);

    controller.startUp(options.isSet(background));
    if (options.isSet(openSettings)) { controller.showSettings(); }
    return QApplication::exec();
}
