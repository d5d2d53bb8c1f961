// The app around the Settings window: start-up checks, full quit, dashboard, tray-less running,
// single instance, autostart, the real dialogs, and the translations.
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTableWidget>
#include <QTimer>
#include <QTranslator>
#include <QtTest>

#include "app_controller.h"
#include "apply_restart.h"
#include "autostart.h"
#include "dashboard_window.h"
#include "gui_test_support.h"
#include "schema_strings.h"
#include "setting_editor.h"
#include "settings_draft.h"
#include "settings_window.h"
#include "single_instance.h"
#include "translations.h"

using namespace berth;
using berth::test::FakeContainers;
using berth::test::FakeEngine;
using berth::test::ScriptedPrompts;
using berth::test::SettingsFiles;
using engine::EngineOperation;
namespace keys = settings::keys;

namespace {

struct AppRig {
    SettingsFiles files;
    QTemporaryDir autostartDir;
    settings::Settings settings;
    FakeEngine engine;
    FakeContainers containers{engine.calls};
    ScriptedPrompts prompts;
    gui::AppController app;

    explicit AppRig(const std::string& adminFixture = {}, engine::EngineState initial = engine::EngineState::Stopped)
        : files(adminFixture),
          settings(settings::Settings::load(files.paths)),
          engine(files.paths),
          app({settings, engine, containers, prompts, gui::AutostartEntry(autostartDir.path()),
               QStringLiteral("/usr/bin/berth")})
    {
        engine.moveTo(initial);
    }
};

// Runs `answer` on the next modal dialog once it is up, without blocking the test.
void answerNextModal(std::function<void(QMessageBox*)> answer, QString* seenText = nullptr)
{
    QTimer::singleShot(0, [answer = std::move(answer), seenText] {
        QMessageBox* box = nullptr;
        QTRY_VERIFY((box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget())) != nullptr);
        if (seenText != nullptr) { *seenText = box->text() + QLatin1Char('\n') + box->informativeText(); }
        answer(box);
    });
}

}  // namespace

class TestApp : public QObject {
    Q_OBJECT

private slots:
    void invalidAdminFileShowsTheErrorAndDoesNotStartTheEngine()
    {
        AppRig rig("malformed/trailing-comma.json");
        rig.app.startUp();
        QCOMPARE(rig.prompts.invalidPolicyShown, 1);
        QCOMPARE(rig.engine.starts, 0);
        QCOMPARE(rig.prompts.shownPolicy.file, rig.files.paths.adminFile.string());
        QVERIFY(!rig.app.dashboard()->startButton()->isEnabled());
        QVERIFY(rig.app.dashboard()
                    ->findChild<QLabel*>(QStringLiteral("engineDetail"))
                    ->text()
                    .contains(rig.files.adminPath()));
    }

    void invalidAdminDialogNamesFileLineColumnAndFix()
    {
        SettingsFiles files("malformed/trailing-comma.json");
        const settings::Settings s = settings::Settings::load(files.paths);
        gui::MessageBoxPrompts prompts;
        QString text;
        answerNextModal([](QMessageBox* box) { box->accept(); }, &text);
        prompts.showInvalidAdminPolicy(s.adminPolicy());
        QVERIFY(text.contains(files.adminPath()));
        QVERIFY(text.contains(QStringLiteral("line 5, column")));
        QVERIFY(text.contains(QStringLiteral("Fix: ")));
        QVERIFY(text.contains(QStringLiteral("will not start the engine")));
    }

    void containersDialogButtonsMapToChoices_data()
    {
        QTest::addColumn<QString>("button");
        QTest::addColumn<int>("expected");
        QTest::newRow("remove") << QStringLiteral("removeContainersButton")
                                << int(gui::UserPrompts::ExistingContainersChoice::RemoveThem);
        QTest::newRow("keep") << QStringLiteral("keepContainersButton")
                              << int(gui::UserPrompts::ExistingContainersChoice::KeepThem);
        QTest::newRow("escape") << QString() << int(gui::UserPrompts::ExistingContainersChoice::Cancel);
    }

    void containersDialogButtonsMapToChoices()
    {
        QFETCH(QString, button);
        QFETCH(int, expected);
        gui::MessageBoxPrompts prompts;
        QString text;
        answerNextModal(
            [button](QMessageBox* box) {
                if (button.isEmpty()) {
                    QTest::keyClick(box, Qt::Key_Escape);
                } else {
                    box->findChild<QPushButton*>(button)->click();
                }
            },
            &text);
        const auto choice = prompts.askAboutUnprotectedContainers(
            {{QStringLiteral("web"), QStringLiteral("nginx"), QStringLiteral("runc")}});
        QCOMPARE(int(choice), expected);
        QVERIFY(text.contains(QStringLiteral("1 container")));
        QVERIFY(text.contains(QStringLiteral("before the restart")));
    }

    void startUpStartsAStoppedEngineOnce()
    {
        AppRig rig;
        rig.app.startUp();
        QCOMPARE(rig.engine.starts, 1);
        QCOMPARE(rig.prompts.invalidPolicyShown, 0);
        QVERIFY(rig.app.dashboard()->isVisible());  // app.openDashboardAtStart defaults to true
    }

    void startUpInTheBackgroundLeavesTheDashboardClosed()
    {
        AppRig rig;
        if (!rig.app.hasTray()) { QSKIP("without a tray the dashboard is the only way in"); }
        rig.app.startUp(/*background=*/true);
        QVERIFY(!rig.app.dashboard()->isVisible());
    }

    void quitStopsTheVmBeforeQuitting()
    {
        AppRig rig({}, engine::EngineState::Running);
        QSignalSpy ready(&rig.app, &gui::AppController::quitReady);
        rig.app.requestQuit();
        rig.app.requestQuit();  // a second Quit does not stop twice
        QCOMPARE(rig.engine.stops, 1);
        QCOMPARE(ready.count(), 0);
        rig.engine.finish(EngineOperation::Stop, true);
        QCOMPARE(ready.count(), 1);
    }

    void quitForcesTheStopWhenTheGracefulOneFails()
    {
        AppRig rig({}, engine::EngineState::Running);
        QSignalSpy ready(&rig.app, &gui::AppController::quitReady);
        rig.app.requestQuit();
        rig.engine.finish(EngineOperation::Stop, false, QStringLiteral("agent did not answer"));
        QCOMPARE(rig.engine.forcedStops, 1);
        QCOMPARE(ready.count(), 0);
        rig.engine.finish(EngineOperation::Stop, true);
        QCOMPARE(ready.count(), 1);
    }

    void quitWithTheEngineStoppedIsImmediate()
    {
        AppRig rig;
        QSignalSpy ready(&rig.app, &gui::AppController::quitReady);
        rig.app.requestQuit();
        QCOMPARE(ready.count(), 1);
        QCOMPARE(rig.engine.stops, 0);
    }

    void withoutATrayClosingTheDashboardQuits()
    {
        AppRig rig({}, engine::EngineState::Running);
        if (rig.app.hasTray()) { QSKIP("a tray is available here"); }
        rig.app.showDashboard();
        rig.app.dashboard()->close();
        QCOMPARE(rig.engine.stops, 1);
    }

    void dashboardShowsStateAcceleratorAndErrors()
    {
        AppRig rig({}, engine::EngineState::Running);
        gui::DashboardWindow* d = rig.app.dashboard();
        QCOMPARE(d->stateText(), QStringLiteral("Running"));
        QVERIFY(d->acceleratorText().contains(QStringLiteral("TCG")));
        QVERIFY(d->acceleratorText().contains(QStringLiteral("/dev/kvm is not usable")));
        QVERIFY(!d->startButton()->isEnabled());
        QVERIFY(d->stopButton()->isEnabled());
        QVERIFY(d->restartButton()->isEnabled());

        rig.engine.pauseByResourceSaver();
        QCOMPARE(d->stateText(), QStringLiteral("Paused by Resource Saver"));
        QVERIFY(
            d->findChild<QLabel*>(QStringLiteral("engineDetail"))->text().contains(QStringLiteral("docker command")));
        QVERIFY(d->startButton()->isEnabled());
        rig.engine.moveTo(engine::EngineState::WaitingForEngine);
        QCOMPARE(d->stateText(), QStringLiteral("Waiting for engine"));
        rig.engine.moveTo(engine::EngineState::Error, QStringLiteral("QEMU exited with status 1"));
        QCOMPARE(d->stateText(), QStringLiteral("Error"));
        QVERIFY(d->findChild<QLabel*>(QStringLiteral("engineDetail"))
                    ->text()
                    .contains(QStringLiteral("QEMU exited with status 1")));
        QVERIFY(d->showLogButton()->isEnabled());
        QVERIFY(d->startButton()->isEnabled());

        QTest::mouseClick(d->restartButton(), Qt::LeftButton);  // disabled in Error
        QCOMPARE(rig.engine.restarts, 0);
        QTest::mouseClick(d->startButton(), Qt::LeftButton);
        QCOMPARE(rig.engine.starts, 1);
    }

    void dashboardMarksContainersCreatedBeforeEci()
    {
        AppRig rig("eci-locked.json", engine::EngineState::Stopped);
        rig.containers.containers = {{QStringLiteral("old"), QStringLiteral("nginx"), QStringLiteral("runc")},
                                     {QStringLiteral("new"), QStringLiteral("nginx"), QStringLiteral("sysbox-runc")}};
        rig.engine.moveTo(engine::EngineState::Running);
        QTableWidget* t = rig.app.dashboard()->containersTable();
        QTRY_VERIFY(!rig.app.dashboard()->refreshing());  // the list arrives on the event loop
        QCOMPARE(t->rowCount(), 2);
        QCOMPARE(t->item(0, gui::DashboardWindow::NameColumn)->text(), QStringLiteral("old"));
        QVERIFY(t->item(0, gui::DashboardWindow::IsolationColumn)->text().startsWith(QStringLiteral("Created before")));
        QVERIFY(t->item(0, gui::DashboardWindow::IsolationColumn)
                    ->toolTip()
                    .contains(QStringLiteral("own user namespace")));
        QVERIFY(!t->item(0, gui::DashboardWindow::IsolationColumn)->icon().isNull());
        QCOMPARE(t->item(1, gui::DashboardWindow::IsolationColumn)->text(), QStringLiteral("Isolated"));
        QCOMPARE(t->item(1, gui::DashboardWindow::RuntimeColumn)->text(), QStringLiteral("sysbox-runc"));
    }

    void showLogReadsTheSerialLog()
    {
        AppRig rig;
        QTemporaryFile log;
        QVERIFY(log.open());
        log.write("Linux version 6.1\nberth-agent: ready\n");
        log.flush();
        engine::EngineStatus s = rig.engine.status();
        s.serialLog = log.fileName();
        rig.engine.setStatus(s);
        rig.app.showLog();
        auto* viewer = qobject_cast<QDialog*>(QApplication::activeWindow());
        QTRY_VERIFY((viewer =
                         [] {
                             for (QWidget* w : QApplication::topLevelWidgets()) {
                                 if (w->isVisible() && w->windowTitle() == QStringLiteral("Engine log")) {
                                     return qobject_cast<QDialog*>(w);
                                 }
                             }
                             return static_cast<QDialog*>(nullptr);
                         }())
                    != nullptr);
        QVERIFY(viewer->findChild<QPlainTextEdit*>()->toPlainText().contains(QStringLiteral("berth-agent: ready")));
        viewer->close();
    }

    void startAtLoginWritesAndRemovesTheAutostartEntry()
    {
        AppRig rig;
        rig.app.showSettings();
        gui::SettingsWindow* w = rig.app.settingsWindow();
        auto* box = qobject_cast<QCheckBox*>(w->editor(keys::kStartAtLogin)->control());
        const gui::AutostartEntry entry(rig.autostartDir.path());
        box->click();
        QVERIFY(!entry.exists());  // only on Apply
        QTest::mouseClick(w->applyButton(), Qt::LeftButton);
        QVERIFY(entry.exists());
        QVERIFY(test::readText(entry.path().toStdString()).find("Exec=/usr/bin/berth --background")
                != std::string::npos);
        box->click();
        QTest::mouseClick(w->applyButton(), Qt::LeftButton);
        QVERIFY(!entry.exists());
        QCOMPARE(rig.engine.restarts, 0);
    }

    void themeFollowsTheSettingOnApply()
    {
        AppRig rig;
        rig.app.showSettings();
        gui::SettingsWindow* w = rig.app.settingsWindow();
        auto* theme = qobject_cast<QComboBox*>(w->editor(keys::kTheme)->control());
        const QPalette before = QApplication::palette();
        theme->setCurrentIndex(theme->findData(QStringLiteral("dark")));
        QCOMPARE(QApplication::palette().color(QPalette::Window), before.color(QPalette::Window));  // only on Apply
        QTest::mouseClick(w->applyButton(), Qt::LeftButton);
        QVERIFY(QApplication::palette().color(QPalette::Window).lightness() < 100);
        theme->setCurrentIndex(theme->findData(QStringLiteral("system")));
        QTest::mouseClick(w->applyButton(), Qt::LeftButton);
        QCOMPARE(QApplication::palette().color(QPalette::Window), before.color(QPalette::Window));
        QCOMPARE(rig.engine.restarts, 0);
    }

    void secondInstanceRaisesTheFirst()
    {
        const QString name = QStringLiteral("berth-test-%1").arg(QCoreApplication::applicationPid());
        gui::SingleInstance first(name);
        QVERIFY(first.claim());
        QSignalSpy raised(&first, &gui::SingleInstance::raiseRequested);
        gui::SingleInstance second(name);
        QVERIFY(!second.claim());
        QVERIFY(raised.wait(5000));
        // `berth --settings` while Berth runs: the running one opens its Settings window.
        QSignalSpy settings(&first, &gui::SingleInstance::settingsRequested);
        gui::SingleInstance third(name);
        QVERIFY(!third.claim(gui::SingleInstance::Window::Settings));
        QVERIFY(settings.wait(5000));
        QCOMPARE(raised.count(), 1);
    }

    void chineseTranslatesTheSettingsWindowAndEverySchemaText()
    {
        QVERIFY(gui::installTranslations(QLocale(QLocale::Chinese, QLocale::China)));
        AppRig rig("eci-locked.json");
        rig.app.showSettings();
        gui::SettingsWindow* w = rig.app.settingsWindow();
        QVERIFY(w->applyButton()->text().contains(QStringLiteral("应用")));
        QVERIFY(!qobject_cast<QCheckBox*>(w->editor(keys::kEnhancedContainerIsolation)->control())
                     ->text()
                     .contains(QStringLiteral("Enhanced")));
        const QString tooltip = w->editor(keys::kEnhancedContainerIsolation)->control()->toolTip();
        QVERIFY(tooltip.contains(rig.files.adminPath()));
        QVERIFY(tooltip.contains(QStringLiteral("管理员")));
        for (const QString& source : gui::schemaSourceTexts()) {
            QVERIFY2(QCoreApplication::translate("Setting", source.toUtf8().constData()) != source, qPrintable(source));
        }
        // Every schema text is in the list lupdate reads.
        for (const auto& spec : settings::schema()) {
            QVERIFY2(
                gui::schemaSourceTexts().contains(QString::fromUtf8(spec.label.data(), qsizetype(spec.label.size()))),
                spec.label.data());
            if (!spec.description.empty()) {
                QVERIFY2(gui::schemaSourceTexts().contains(
                             QString::fromUtf8(spec.description.data(), qsizetype(spec.description.size()))),
                         spec.description.data());
            }
        }
        for (QTranslator* t : QCoreApplication::instance()->findChildren<QTranslator*>()) {
            QCoreApplication::removeTranslator(t);
            delete t;
        }
    }
};

QTEST_MAIN(TestApp)
#include "tst_app.moc"
