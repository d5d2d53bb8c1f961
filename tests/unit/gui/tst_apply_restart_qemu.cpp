// Apply & restart from the Settings window against the real engine: EngineClient launches
// berth-engine, which boots the test guest under QEMU (TCG); ticking ECI and pressing Apply &
// restart must fully restart the VM, and the guest agent must report the new config it read
// over fw_cfg.
#include <QCheckBox>
#include <QPushButton>
#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>

#include "apply_restart.h"
#include "berth/vm/engine_client.h"
#include "container_source.h"
#include "restart_progress.h"
#include "setting_editor.h"
#include "settings_draft.h"
#include "settings_window.h"
#include "user_prompts.h"

using namespace berth;
using Operation = vm::EngineHandle::Operation;

namespace {

constexpr int kBootTimeoutMs = 240'000;  // TCG on a busy 2-core machine

// What the guest says it read; older engines only say what the VM was launched with.
template <typename Status>
nlohmann::json reportedConfig(const Status& status)
{
    if constexpr (requires { status.guestReportedConfig; }) {
        return status.guestReportedConfig;
    } else {
        return status.guestConfig;
    }
}

bool eciReported(const vm::EngineStatus& status)
{
    const nlohmann::json config = reportedConfig(status);
    return config.is_object() && config.value("/enhancedContainerIsolation/enabled"_json_pointer, false);
}

bool waitFor(QSignalSpy& finished, Operation operation)
{
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < kBootTimeoutMs) {
        for (const QList<QVariant>& args : std::as_const(finished)) {
            if (args.at(0).value<Operation>() == operation) { return args.at(1).toBool(); }
        }
        finished.wait(1000);
    }
    return false;
}

}  // namespace

class TestApplyRestartQemu : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        if (!QFileInfo::exists(QStringLiteral(BERTH_TEST_GUEST_DIR "/vmlinuz"))) {
            QSKIP("the test guest is not built (target berth_test_guest)");
        }
        if (std::filesystem::exists(settings::kAdminSettingsPath)) {
            QSKIP("this machine has an admin-settings.json, which would decide ECI");
        }
        QVERIFY(home_.isValid());
        // The engine host reads the user's settings from $XDG_CONFIG_HOME, like the app.
        qputenv("XDG_CONFIG_HOME", home_.filePath(QStringLiteral("config")).toUtf8());
        qputenv("XDG_STATE_HOME", home_.filePath(QStringLiteral("state")).toUtf8());
    }

    void applyAndRestart_bootsTheGuestWithTheNewConfig()
    {
        settings::Settings s = settings::Settings::load(settings::SettingsPaths::forCurrentUser());
        QCOMPARE(s.get(settings::keys::kEnhancedContainerIsolation).value, nlohmann::json(false));

        vm::EngineClientOptions options;
        options.instanceDir = home_.filePath(QStringLiteral("instance"));
        options.hostProgram = QStringLiteral(BERTH_ENGINE_PROGRAM);
        options.hostArguments = {QStringLiteral("--instance-dir"), options.instanceDir,
                                 QStringLiteral("--guest-dir"), QStringLiteral(BERTH_TEST_GUEST_DIR)};
        vm::EngineClient engine(options);
        QSignalSpy finished(&engine, &vm::EngineHandle::operationFinished);
        engine.start();
        QVERIFY2(waitFor(finished, Operation::Start), qPrintable(engine.status().detail));
        QVERIFY(!eciReported(engine.status()));
        const qint64 firstPid = engine.status().qemuPid;
        finished.clear();

        gui::NoContainers containers;
        gui::MessageBoxPrompts prompts;
        gui::SettingsDraft draft(s);
        gui::ApplyRestart applier(draft, engine, containers, prompts);
        gui::SettingsWindow window(draft, applier, engine);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QStringList phases;
        connect(&engine, &vm::EngineHandle::statusChanged, &window, [&] {
            const QString phase = window.restartProgress()->phaseText();
            if (phases.isEmpty() || phases.last() != phase) { phases << phase; }
        });

        auto* eci = qobject_cast<QCheckBox*>(window.editor(settings::keys::kEnhancedContainerIsolation)->control());
        QTest::mouseClick(eci, Qt::LeftButton, {}, QPoint(4, eci->height() / 2));
        QVERIFY(window.applyButton()->isEnabled());
        QTest::mouseClick(window.applyButton(), Qt::LeftButton);
        QTest::mouseClick(window.applyButton(), Qt::LeftButton);  // merged: the button is disabled
        QVERIFY(!window.applyButton()->isEnabled());

        QVERIFY2(waitFor(finished, Operation::Restart), qPrintable(engine.status().detail));
        QTRY_VERIFY_WITH_TIMEOUT(eciReported(engine.status()), 10000);
        QVERIFY(engine.status().qemuPid != firstPid);  // a fresh QEMU, not a reboot of the old one
        int restarts = 0;
        for (const auto& args : std::as_const(finished)) { restarts += args.at(0).value<Operation>() == Operation::Restart; }
        QCOMPARE(restarts, 1);
        QVERIFY2(phases.contains(QStringLiteral("Stopping engine…")), qPrintable(phases.join(" | ")));
        QVERIFY2(phases.contains(QStringLiteral("Waiting for engine…")), qPrintable(phases.join(" | ")));
        QCOMPARE(window.restartProgress()->step(), gui::RestartProgress::stepCount());

        finished.clear();
        engine.stop();
        QVERIFY(waitFor(finished, Operation::Stop));
    }

private:
    QTemporaryDir home_;
};

QTEST_MAIN(TestApplyRestartQemu)
#include "tst_apply_restart_qemu.moc"
