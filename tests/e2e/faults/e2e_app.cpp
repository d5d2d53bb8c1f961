// berth_e2e_app: the desktop app's Settings window, driven as a user would, in a process of its
// own so tst_faults_e2e can kill it (SIGKILL) in the middle of Apply & restart. It is the app's
// own code (SettingsDraft, ApplyRestart, SettingsWindow over EngineClient); only main() differs:
// it ticks one checkbox, clicks Apply & restart and says how the restart ended.
//
//   berth_e2e_app --engine <berth-engine> --toggle <setting key>
//
// Prints "applying", then each engine state as it changes ("state: stopping", ...), then
// "restart: ok" or "restart: failed: <why>", and exits 0 or 1 accordingly.

#include <QApplication>
#include <QCheckBox>
#include <QCommandLineParser>
#include <QPushButton>
#include <QTimer>

#include <cstdio>

#include "apply_restart.h"
#include "berth/engine/engine_client.h"
#include "berth/settings/settings.h"
#include "container_source.h"
#include "setting_editor.h"
#include "settings_draft.h"
#include "settings_window.h"
#include "user_prompts.h"

namespace {

void say(const QString& line)
{
    std::fputs(qPrintable(line + QLatin1Char('\n')), stdout);
    std::fflush(stdout);
}

// No one is there to answer: errors are printed, and no question is ever asked (the driver
// lists no containers).
class PrintedPrompts final : public berth::gui::UserPrompts {
public:
    ExistingContainersChoice askAboutUnprotectedContainers(const QVector<berth::gui::ContainerInfo>&) override
    {
        return ExistingContainersChoice::Cancel;
    }
    void showInvalidAdminPolicy(const berth::settings::AdminPolicy&) override
    {
        say(QStringLiteral("error: invalid admin policy"));
    }
    void showError(const QString& title, const QString& message) override
    {
        say(QStringLiteral("error: %1: %2").arg(title, message));
    }
};

}  // namespace

int main(int argc, char* argv[])
{
    QApplication app(argc, argv);
    QCommandLineParser options;
    const QCommandLineOption engineProgram(QStringLiteral("engine"), QStringLiteral("berth-engine to launch"),
                                           QStringLiteral("path"));
    const QCommandLineOption toggle(QStringLiteral("toggle"), QStringLiteral("the checkbox setting to flip"),
                                    QStringLiteral("key"));
    options.addOptions({engineProgram, toggle});
    options.process(app);

    auto settings = berth::settings::Settings::load(berth::settings::SettingsPaths::forCurrentUser());
    berth::engine::EngineClientOptions clientOptions;
    clientOptions.hostProgram = options.value(engineProgram);
    berth::engine::EngineClient engine(clientOptions);
    berth::gui::NoContainers containers;
    PrintedPrompts prompts;
    berth::gui::SettingsDraft draft(settings);
    berth::gui::ApplyRestart applier(draft, engine, containers, prompts);
    berth::gui::SettingsWindow window(draft, applier, engine);
    window.show();

    QString last;
    QObject::connect(&engine, &berth::engine::EngineHandle::statusChanged, &app, [&engine, &last] {
        const QString state = berth::engine::engineStateId(engine.status().state);
        if (state != last) { say(QStringLiteral("state: ") + state); }
        last = state;
    });
    QObject::connect(&applier, &berth::gui::ApplyRestart::restartFinished, &app, [](bool ok, const QString& message) {
        say(ok ? QStringLiteral("restart: ok") : QStringLiteral("restart: failed: ") + message);
        QCoreApplication::exit(ok ? 0 : 1);
    });
    QTimer::singleShot(0, &app, [&] {
        auto* editor = window.editor(options.value(toggle).toStdString());
        auto* box = editor ? qobject_cast<QCheckBox*>(editor->control()) : nullptr;
        if (!box) {
            say(QStringLiteral("error: no checkbox for ") + options.value(toggle));
            QCoreApplication::exit(2);
            return;
        }
        box->click();
        say(QStringLiteral("applying"));
        window.applyButton()->click();
        if (!applier.isRestarting()) {
            say(QStringLiteral("error: Apply & restart did not start a restart"));
            QCoreApplication::exit(2);
        }
    });
    return QApplication::exec();
}
