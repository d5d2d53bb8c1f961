// The Settings window against the real settings library with injected admin and user files.
#include <QApplication>
#include <QCheckBox>
#include <QFileDialog>
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QTimer>
#include <QtTest>

#include "apply_restart.h"
#include "gui_test_support.h"
#include "managed_settings_page.h"
#include "restart_progress.h"
#include "setting_editor.h"
#include "settings_draft.h"
#include "settings_page.h"
#include "settings_window.h"

using namespace berth;
using berth::test::FakeContainers;
using berth::test::FakeEngine;
using berth::test::ScriptedPrompts;
using berth::test::SettingsFiles;
using Choice = gui::UserPrompts::ExistingContainersChoice;
using engine::EngineOperation;
namespace keys = settings::keys;

namespace {

// One Settings window wired to fakes, on files from `adminFixture` (a tests/data/admin file).
struct Rig {
    SettingsFiles files;
    settings::Settings settings;
    FakeEngine engine;
    FakeContainers containers{engine.calls};
    ScriptedPrompts prompts;
    gui::SettingsDraft draft{settings};
    gui::ApplyRestart applier{draft, engine, containers, prompts};
    gui::SettingsWindow window{draft, applier, engine};

    explicit Rig(const std::string& adminFixture = {})
        : files(adminFixture),
          settings(settings::Settings::load(files.paths)),
          engine(files.paths)
    {
        window.show();
    }

    QWidget* control(std::string_view key) const { return window.editor(key)->control(); }
    QCheckBox* eciBox() const { return qobject_cast<QCheckBox*>(control(keys::kEnhancedContainerIsolation)); }
    QPushButton* apply() const { return window.applyButton(); }
    void clickApply() const { QTest::mouseClick(apply(), Qt::LeftButton); }
    // Checks a box the way a user does: the window is shown on the right page.
    void click(QWidget* widget) const
    {
        QVERIFY(widget->isVisible());
        QTest::mouseClick(widget, Qt::LeftButton, {}, QPoint(4, widget->height() / 2));
    }
};

bool eciEnabledIn(const std::optional<berth::contracts::GuestConfig>& guestConfig)
{
    return guestConfig.has_value() && guestConfig->eci.enabled;
}

// Chooses `directory` in the next folder chooser once it is up, without blocking the test.
void chooseInNextFileDialog(const QString& directory)
{
    QTimer::singleShot(0, [directory] {
        QFileDialog* dialog = nullptr;
        QTRY_VERIFY((dialog = qobject_cast<QFileDialog*>(QApplication::activeModalWidget())) != nullptr);
        dialog->setDirectory(directory);
        static_cast<QDialog*>(dialog)->accept();  // QFileDialog::accept, which QFileDialog makes protected
    });
}

QStringList listed(const QListWidget* list)
{
    QStringList entries;
    for (int i = 0; i < list->count(); ++i) { entries << list->item(i)->text(); }
    return entries;
}

gui::ContainerInfo container(const char* name, const char* runtime)
{
    return {QString::fromLatin1(name), QStringLiteral("alpine:3"), QString::fromLatin1(runtime)};
}

}  // namespace

class TestSettingsWindow : public QObject {
    Q_OBJECT

private slots:
    void lockedEciDisablesCheckboxShowsTooltipAndBanner()
    {
        Rig rig("eci-locked.json");
        QCheckBox* box = rig.eciBox();
        QVERIFY(box != nullptr);
        QVERIFY(!box->isEnabled());
        QVERIFY(box->isChecked());
        QCOMPARE(box->toolTip(), QStringLiteral("Locked by your administrator (%1)").arg(rig.files.adminPath()));
        QVERIFY(rig.window.editor(keys::kEnhancedContainerIsolation)->isLocked());
        QVERIFY(rig.window.page(settings::Page::General)->showsManagedBanner());
        // Only pages with a locked control say so.
        QVERIFY(!rig.window.page(settings::Page::Resources)->showsManagedBanner());
        QVERIFY(!rig.window.page(settings::Page::DockerEngine)->showsManagedBanner());

        // A click on the greyed-out box changes nothing, and there is nothing to apply.
        rig.click(box);
        QVERIFY(box->isChecked());
        QVERIFY(!rig.draft.isDirty());
        QVERIFY(!rig.apply()->isEnabled());
    }

    void unlockedAdminDefaultIsEnabledAndPreset()
    {
        Rig rig("eci-default-unlocked.json");
        QCheckBox* box = rig.eciBox();
        QVERIFY(box->isEnabled());
        QVERIFY(box->isChecked());
        QVERIFY(!rig.window.editor(keys::kEnhancedContainerIsolation)->isLocked());
        QVERIFY(!box->toolTip().contains(QStringLiteral("Locked")));
        QVERIFY(!rig.window.page(settings::Page::General)->showsManagedBanner());

        // The user may override an admin default.
        rig.click(box);
        QVERIFY(!box->isChecked());
        QVERIFY(rig.apply()->isEnabled());
    }

    void withoutAdminFileEverythingIsEditable()
    {
        Rig rig;
        for (auto page : {settings::Page::General, settings::Page::Resources, settings::Page::DockerEngine}) {
            const gui::SettingsPage* p = rig.window.page(page);
            QVERIFY(!p->showsManagedBanner());
            for (const gui::SettingEditor* e : p->editors()) {
                QVERIFY2(e->control()->isEnabled(), qPrintable(e->key()));
            }
        }
        QVERIFY(!rig.eciBox()->isChecked());
    }

    void userEditIsPersistedOnlyOnApply()
    {
        Rig rig;
        rig.click(rig.eciBox());
        QVERIFY(rig.eciBox()->isChecked());
        QVERIFY(!std::filesystem::exists(rig.files.paths.userFile));  // a draft, not yet written
        QCOMPARE(rig.settings.get(keys::kEnhancedContainerIsolation).value, nlohmann::json(false));

        rig.clickApply();
        QCOMPARE(rig.files.userJson().value(std::string(keys::kEnhancedContainerIsolation), nlohmann::json()),
                 nlohmann::json(true));
        QVERIFY(!rig.draft.isDirty());
    }

    void applySendsExactlyOneRestartAndTheGuestGetsTheNewConfig()
    {
        Rig rig;
        QSignalSpy started(&rig.applier, &gui::ApplyRestart::restartStarted);
        rig.click(rig.eciBox());
        QVERIFY(rig.apply()->isEnabled());
        QVERIFY(rig.window.proposalText().contains(QStringLiteral("Use Enhanced Container Isolation")));

        rig.clickApply();
        QCOMPARE(rig.engine.restarts, 1);
        QCOMPARE(started.count(), 1);
        QCOMPARE(rig.engine.starts, 0);
        rig.engine.finish(EngineOperation::Restart, true);
        QVERIFY(eciEnabledIn(rig.engine.status().guestConfig));
        QCOMPARE(rig.engine.restarts, 1);
    }

    void applyButtonEnabledOnlyForAValidChange()
    {
        Rig rig;
        QVERIFY(!rig.apply()->isEnabled());
        rig.click(rig.eciBox());
        QVERIFY(rig.apply()->isEnabled());
        rig.click(rig.eciBox());  // back to the effective value: nothing differs
        QVERIFY(!rig.apply()->isEnabled());
        QVERIFY(rig.window.proposalText().isEmpty());
    }

    void clicksDuringARestartMergeIntoIt()
    {
        Rig rig;
        rig.click(rig.eciBox());
        rig.clickApply();
        rig.clickApply();
        QCOMPARE(rig.engine.restarts, 1);
        QVERIFY(!rig.apply()->isEnabled());

        // A further edit during the restart: still no second restart while it runs.
        rig.window.showPage(1);
        auto* cpus = qobject_cast<QSpinBox*>(rig.control(keys::kCpus));
        cpus->setValue(cpus->value() + 1);
        QVERIFY(rig.draft.isDirty());
        QVERIFY(!rig.apply()->isEnabled());
        rig.clickApply();
        QCOMPARE(rig.applier.apply(), gui::ApplyRestart::Outcome::Merged);
        QCOMPARE(rig.engine.restarts, 1);

        rig.engine.moveTo(engine::EngineState::WaitingForEngine);
        QVERIFY(!rig.apply()->isEnabled());
        rig.engine.finish(EngineOperation::Restart, true);
        QVERIFY(rig.apply()->isEnabled());  // the pending CPU edit can now be applied
        rig.clickApply();
        QCOMPARE(rig.engine.restarts, 2);
    }

    void cancelDiscardsTheDraft()
    {
        Rig rig;
        rig.click(rig.eciBox());
        QVERIFY(rig.draft.isDirty());
        QTest::mouseClick(rig.window.cancelButton(), Qt::LeftButton);
        QVERIFY(!rig.draft.isDirty());
        QVERIFY(!rig.eciBox()->isChecked());
        QVERIFY(!std::filesystem::exists(rig.files.paths.userFile));
        QCOMPARE(rig.engine.restarts, 0);
    }

    void turningEciOnWithUnprotectedContainers_data()
    {
        QTest::addColumn<Choice>("answer");
        QTest::addColumn<QStringList>("expectedCalls");
        QTest::addColumn<bool>("persisted");
        QTest::newRow("remove them") << Choice::RemoveThem << QStringList{"removeAll", "restart"} << true;
        QTest::newRow("keep them") << Choice::KeepThem << QStringList{"restart"} << true;
        QTest::newRow("cancel") << Choice::Cancel << QStringList{} << false;
    }

    void turningEciOnWithUnprotectedContainers()
    {
        QFETCH(Choice, answer);
        QFETCH(QStringList, expectedCalls);
        QFETCH(bool, persisted);
        Rig rig;
        rig.containers.containers = {container("web", "runc"), container("db", "runc")};
        rig.prompts.answer = answer;

        rig.click(rig.eciBox());
        rig.clickApply();
        QCOMPARE(rig.prompts.containerQuestions, 1);
        QCOMPARE(rig.prompts.askedAbout.size(), 2);
        QCOMPARE(rig.engine.calls, expectedCalls);  // removal happens before the restart
        QCOMPARE(std::filesystem::exists(rig.files.paths.userFile), persisted);
        QCOMPARE(rig.draft.isDirty(), !persisted);  // a cancelled apply keeps the user's edit
    }

    void turningEciOnWithoutContainersAsksNothing()
    {
        Rig rig;
        rig.containers.containers = {container("isolated", "sysbox-runc")};
        rig.click(rig.eciBox());
        rig.clickApply();
        QCOMPARE(rig.prompts.containerQuestions, 0);
        QCOMPARE(rig.engine.restarts, 1);
    }

    void failedRemovalReportsAndDoesNotRestart()
    {
        Rig rig;
        rig.containers.containers = {container("web", "runc")};
        rig.containers.removeError = QStringLiteral("engine not reachable");
        rig.prompts.answer = Choice::RemoveThem;
        rig.click(rig.eciBox());
        rig.clickApply();
        QCOMPARE(rig.engine.restarts, 0);
        QCOMPARE(rig.prompts.errors.size(), 1);
        QVERIFY(rig.prompts.errors.first().contains(QStringLiteral("engine not reachable")));
        QVERIFY(!std::filesystem::exists(rig.files.paths.userFile));
    }

    void dockerEngineEditorValidatesAsTheUserTypes()
    {
        Rig rig;
        rig.window.showPage(2);
        auto* editor = qobject_cast<QPlainTextEdit*>(rig.control(keys::kDockerDaemonOptions));
        QVERIFY(editor != nullptr);
        auto* problem
            = rig.window.findChild<QLabel*>(QString::fromLatin1(keys::kDockerDaemonOptions.data()) + ".problem");
        QVERIFY(problem != nullptr);

        editor->setPlainText(QStringLiteral("{\"debug\": tru"));
        QVERIFY(!problem->isHidden());
        QVERIFY(!problem->text().isEmpty());
        QVERIFY(!rig.apply()->isEnabled());

        editor->setPlainText(QStringLiteral("{\"debug\": true}"));
        QVERIFY(problem->isHidden());
        QVERIFY(rig.apply()->isEnabled());
        rig.clickApply();
        QCOMPARE(rig.engine.restarts, 1);
        QCOMPARE(rig.files.userJson().value(std::string(keys::kDockerDaemonOptions), std::string()),
                 std::string("{\"debug\": true}"));
    }

    void dockerEngineEditorHonoursALock()
    {
        SettingsFiles files;
        const nlohmann::json admin
            = {{"configurationFileVersion", 2},
               {"linuxVM", {{"dockerDaemonOptions", {{"locked", true}, {"value", "{\"debug\": true}"}}}}}};
        test::writeText(files.paths.adminFile, admin.dump());
        settings::Settings s = settings::Settings::load(files.paths);
        FakeEngine engine(files.paths);
        FakeContainers containers(engine.calls);
        ScriptedPrompts prompts;
        gui::SettingsDraft draft(s);
        gui::ApplyRestart applier(draft, engine, containers, prompts);
        gui::SettingsWindow window(draft, applier, engine);
        auto* editor = qobject_cast<QPlainTextEdit*>(window.editor(keys::kDockerDaemonOptions)->control());
        QVERIFY(!editor->isEnabled());
        QCOMPARE(editor->toPlainText(), QStringLiteral("{\"debug\": true}"));
        QVERIFY(editor->toolTip().startsWith(QStringLiteral("Locked by your administrator (")));
        QVERIFY(window.page(settings::Page::DockerEngine)->showsManagedBanner());
        QVERIFY(!window.page(settings::Page::General)->showsManagedBanner());
    }

    void restartShowsEachPhaseAndOffersRetryOnFailure()
    {
        Rig rig;
        gui::RestartProgress* progress = rig.window.restartProgress();
        QVERIFY(progress->isHidden());
        rig.click(rig.eciBox());
        rig.clickApply();
        QVERIFY(!progress->isHidden());

        const QList<std::pair<engine::EngineState, QString>> phases{
            {engine::EngineState::Stopping, QStringLiteral("Stopping engine…")},
            {engine::EngineState::Stopped, QStringLiteral("VM stopped")},
            {engine::EngineState::Starting, QStringLiteral("Starting VM…")},
            {engine::EngineState::WaitingForEngine, QStringLiteral("Waiting for engine…")},
        };
        int step = 0;
        for (const auto& [state, text] : phases) {
            rig.engine.moveTo(state);
            QCOMPARE(progress->phaseText(), text);
            QVERIFY(progress->step() > step);
            step = progress->step();
        }
        emit rig.engine.progress(QStringLiteral("dockerd is answering /_ping"));
        QCOMPARE(rig.window.findChild<QLabel*>(QStringLiteral("restartDetail"))->text(),
                 QStringLiteral("dockerd is answering /_ping"));

        rig.engine.finish(EngineOperation::Restart, false, QStringLiteral("the guest agent did not report ready"));
        QVERIFY(progress->showsFailure());
        QCOMPARE(rig.window.findChild<QLabel*>(QStringLiteral("restartError"))->text(),
                 QStringLiteral("the guest agent did not report ready"));
        QVERIFY(!progress->retryButton()->isHidden());
        QSignalSpy logRequests(&rig.window, &gui::SettingsWindow::showLogRequested);
        QTest::mouseClick(progress->showLogButton(), Qt::LeftButton);
        QCOMPARE(logRequests.count(), 1);

        QTest::mouseClick(progress->retryButton(), Qt::LeftButton);
        QCOMPARE(rig.engine.restarts, 2);
        QVERIFY(!progress->showsFailure());
        rig.engine.finish(EngineOperation::Restart, true);
        QCOMPARE(progress->step(), gui::RestartProgress::stepCount());
    }

    void managedSettingsPageListsEveryAdminSettingAndProblem()
    {
        Rig rig("docker-full-example.json");
        QTableWidget* table = rig.window.managedPage()->table();
        QMap<QString, int> rowOf;
        for (int r = 0; r < table->rowCount(); ++r) {
            rowOf.insert(table->item(r, 0)->text() + table->item(r, 2)->text(), r);
        }
        const auto cell = [&](const QString& keyAndStatus, int column) {
            return table->item(rowOf.value(keyAndStatus, -1), column)->text();
        };
        QVERIFY(rowOf.contains(QStringLiteral("enhancedContainerIsolationLocked")));
        QCOMPARE(cell(QStringLiteral("enhancedContainerIsolationLocked"), gui::ManagedSettingsPage::ValueColumn),
                 QStringLiteral("true"));
        QVERIFY(cell(QStringLiteral("enhancedContainerIsolationLocked"), gui::ManagedSettingsPage::SourceColumn)
                    .startsWith(rig.files.adminPath() + QLatin1Char(':')));
        QVERIFY(rowOf.contains(QStringLiteral("linuxVM.dockerDaemonOptionsDefault")));
        // Keys Berth does not implement are listed as problems, not dropped.
        bool proxyReported = false;
        for (int r = 0; r < table->rowCount(); ++r) {
            proxyReported = proxyReported
                || (table->item(r, 0)->text().contains(QStringLiteral("proxy"))
                    && !table->item(r, gui::ManagedSettingsPage::ProblemColumn)->text().isEmpty());
        }
        QVERIFY(proxyReported);
        QVERIFY(rig.window.managedPage()->summary().contains(rig.files.adminPath()));
    }

    void invalidAdminFileBlocksApplyAndNamesTheFile()
    {
        Rig rig("malformed/trailing-comma.json");
        rig.click(rig.eciBox());
        QVERIFY(!rig.apply()->isEnabled());
        auto* banner = rig.window.findChild<QWidget*>(QStringLiteral("invalidPolicyBanner"));
        QVERIFY(banner != nullptr);
        QVERIFY(banner->findChild<QLabel*>(QStringLiteral("bannerText"))->text().contains(rig.files.adminPath()));
        QCOMPARE(rig.applier.apply(), gui::ApplyRestart::Outcome::Refused);
        QCOMPARE(rig.engine.restarts, 0);
        const QTableWidget* table = rig.window.managedPage()->table();
        QVERIFY(table->rowCount() >= 1);
        QCOMPARE(table->item(0, gui::ManagedSettingsPage::StatusColumn)->text(), QStringLiteral("Error"));
        QVERIFY(table->item(0, gui::ManagedSettingsPage::SourceColumn)->text().contains(QStringLiteral(":5:")));
    }

    void resourcesEditIsAppliedWithARestart()
    {
        Rig rig;
        rig.window.showPage(1);
        auto* memory = qobject_cast<QSpinBox*>(rig.control(keys::kMemoryMiB));
        memory->setFocus();
        memory->selectAll();
        QTest::keyClicks(memory, QStringLiteral("8192"));
        QTest::keyClick(memory, Qt::Key_Enter);
        QVERIFY(rig.apply()->isEnabled());
        rig.clickApply();
        QCOMPARE(rig.files.userJson().value(std::string(keys::kMemoryMiB), 0), 8192);
        QCOMPARE(rig.engine.restarts, 1);
    }

    void fileSharingListAddsAndRemovesDirectories()
    {
        Rig rig;
        rig.window.showPage(1);
        const QString key = QString::fromLatin1(keys::kFileSharingDirectories.data());
        auto* list = rig.window.findChild<QListWidget*>(key + QStringLiteral(".list"));
        auto* add = rig.window.findChild<QPushButton*>(key + QStringLiteral(".add"));
        auto* remove = rig.window.findChild<QPushButton*>(key + QStringLiteral(".remove"));
        auto* problem = rig.window.findChild<QLabel*>(key + QStringLiteral(".problem"));
        QVERIFY(list != nullptr && add != nullptr && remove != nullptr && problem != nullptr);
        QVERIFY(list->isVisible());
        QCOMPARE(listed(list), QStringList{QStringLiteral("$HOME")});
        QVERIFY(!remove->isEnabled());  // nothing selected

        QTemporaryDir project(QStringLiteral("/tmp/berth-share-XXXXXX"));  // not under a TMPDIR in /var
        QVERIFY(project.isValid());
        const QString projectPath = QDir::cleanPath(project.path());
        chooseInNextFileDialog(projectPath);
        QTest::mouseClick(add, Qt::LeftButton);
        QCOMPARE(listed(list), (QStringList{QStringLiteral("$HOME"), projectPath}));
        QVERIFY(rig.draft.isDirty());
        QVERIFY(rig.apply()->isEnabled());
        QVERIFY(rig.window.proposalText().contains(QStringLiteral("File sharing")));

        // The same directory again is not listed twice; one the VM cannot take is refused with why.
        chooseInNextFileDialog(projectPath);
        QTest::mouseClick(add, Qt::LeftButton);
        QCOMPARE(list->count(), 2);
        chooseInNextFileDialog(QStringLiteral("/etc"));
        QTest::mouseClick(add, Qt::LeftButton);
        QCOMPARE(list->count(), 2);
        QVERIFY(!problem->isHidden());
        QVERIFY2(problem->text().contains(QStringLiteral("/etc holds the VM's own system")),
                 qPrintable(problem->text()));

        rig.clickApply();
        QCOMPARE(rig.engine.restarts, 1);
        QCOMPARE(rig.files.userJson().value(std::string(keys::kFileSharingDirectories), nlohmann::json()),
                 nlohmann::json({"$HOME", projectPath.toStdString()}));
        rig.engine.finish(EngineOperation::Restart, true);

        list->setCurrentRow(0);
        QVERIFY(remove->isEnabled());
        QTest::mouseClick(remove, Qt::LeftButton);
        QCOMPARE(listed(list), QStringList{projectPath});
        QVERIFY(problem->isHidden());
        rig.clickApply();
        QCOMPARE(rig.engine.restarts, 2);
        QCOMPARE(rig.files.userJson().value(std::string(keys::kFileSharingDirectories), nlohmann::json()),
                 nlohmann::json({projectPath.toStdString()}));
    }

    void fileSharingListIsGreyedOutWhenTheAdministratorAllowsDirectories()
    {
        Rig rig("docker-full-example.json");
        rig.window.showPage(1);
        const QString key = QString::fromLatin1(keys::kFileSharingDirectories.data());
        gui::SettingEditor* editor = rig.window.editor(keys::kFileSharingDirectories);
        QVERIFY(editor->isLocked());
        QVERIFY(!editor->control()->isEnabled());
        QCOMPARE(editor->control()->toolTip(),
                 QStringLiteral("Locked by your administrator (%1)").arg(rig.files.adminPath()));
        auto* list = rig.window.findChild<QListWidget*>(key + QStringLiteral(".list"));
        auto* add = rig.window.findChild<QPushButton*>(key + QStringLiteral(".add"));
        auto* remove = rig.window.findChild<QPushButton*>(key + QStringLiteral(".remove"));
        QCOMPARE(listed(list), QStringList{QStringLiteral("$HOME")});  // sharedByDefault only
        QVERIFY(!list->isEnabled());
        QVERIFY(!add->isEnabled());
        QVERIFY(!remove->isEnabled());
        QVERIFY(rig.window.page(settings::Page::Resources)->showsManagedBanner());
        // A click on the greyed-out button opens nothing and changes nothing.
        QTest::mouseClick(add, Qt::LeftButton);
        QVERIFY(QApplication::activeModalWidget() == nullptr);
        QVERIFY(!rig.draft.isDirty());
    }

    void appOptionAppliesWithoutRestart()
    {
        Rig rig;
        auto* box = qobject_cast<QCheckBox*>(rig.control(keys::kStartAtLogin));
        rig.click(box);
        QVERIFY(rig.window.proposalText().contains(QStringLiteral("keeps running")));
        QSignalSpy applied(&rig.applier, &gui::ApplyRestart::applied);
        rig.clickApply();
        QCOMPARE(applied.count(), 1);
        QCOMPARE(rig.engine.restarts, 0);
        QCOMPARE(rig.files.userJson().value(std::string(keys::kStartAtLogin), false), true);
    }

    void everyControlHasAnAccessibleNameAndTakesKeyboardFocus()
    {
        Rig rig;
        for (auto page : {settings::Page::General, settings::Page::Resources, settings::Page::DockerEngine}) {
            for (const gui::SettingEditor* e : rig.window.page(page)->editors()) {
                QVERIFY2(!e->control()->accessibleName().isEmpty(), qPrintable(e->key()));
                QVERIFY2(e->control()->focusPolicy() & Qt::TabFocus, qPrintable(e->key()));
            }
        }
        for (QPushButton* b : rig.window.findChildren<QPushButton*>()) {
            QVERIFY2(!b->accessibleName().isEmpty() || !b->text().isEmpty(), qPrintable(b->objectName()));
        }
        QVERIFY(!rig.window.sidebar()->accessibleName().isEmpty());
        // The sidebar switches pages from the keyboard.
        rig.window.sidebar()->setFocus();
        QTest::keyClick(rig.window.sidebar(), Qt::Key_Down);
        QCOMPARE(rig.window.sidebar()->currentRow(), 1);
        QVERIFY(rig.control(keys::kCpus)->isVisible());
    }
};

QTEST_MAIN(TestSettingsWindow)
#include "tst_settings_window.moc"
