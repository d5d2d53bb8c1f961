// Apply & restart from the Settings window against the real engine: EngineClient launches
// berth-engine, which boots the test guest under TCG; ticking ECI and pressing Apply & restart
// must fully restart the VM, and the guest agent must report the new config it read over fw_cfg.
// Once with QEMU run directly, once through libvirt, and once switching QEMU -> libvirt in the
// same Apply (libvirtd and virtlogd are started for it when they do not run).
#include <QCheckBox>
#include <QComboBox>
#include <QPushButton>
#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>

#include "apply_restart.h"
#include "berth/engine/engine_client.h"
#include "container_source.h"
#include "libvirt/libvirt_backend.h"
#include "libvirt_daemons.h"
#include "restart_progress.h"
#include "setting_editor.h"
#include "settings_draft.h"
#include "settings_window.h"
#include "user_prompts.h"

using namespace berth;
using engine::EngineOperation;

namespace {

constexpr int kBootTimeoutMs = 240'000;  // TCG on a busy 2-core machine

// What the guest says it read.
bool eciReported(const engine::EngineStatus& status)
{
    return status.guestReportedConfig && status.guestReportedConfig->eci.enabled;
}

bool waitFor(QSignalSpy& finished, EngineOperation operation)
{
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < kBootTimeoutMs) {
        for (const QList<QVariant>& args : std::as_const(finished)) {
            if (args.at(0).value<EngineOperation>() == operation) { return args.at(1).toBool(); }
        }
        finished.wait(1000);
    }
    return false;
}

QString domainState(const QString& uri, const QString& domain)
{
    QProcess virsh;
    virsh.start(QStringLiteral("virsh"),
                {QStringLiteral("-q"), QStringLiteral("-c"), uri, QStringLiteral("domstate"), domain});
    virsh.waitForFinished(30'000);
    return QString::fromUtf8(virsh.readAllStandardOutput()).trimmed();
}

void undefineDomain(const QString& uri, const QString& domain)
{
    QProcess virsh;  // nothing to undefine when the row never reached libvirt
    virsh.start(QStringLiteral("virsh"),
                {QStringLiteral("-q"), QStringLiteral("-c"), uri, QStringLiteral("undefine"), domain});
    virsh.waitForFinished(30'000);
}

}  // namespace

class TestApplyRestartQemu : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        if (!QFileInfo::exists(QStringLiteral(BERTH_TEST_GUEST_DIR "/vmlinux"))) {
            QSKIP("the test guest is not built (target berth_test_guest)");
        }
        if (std::filesystem::exists(settings::kAdminSettingsPath)) {
            QSKIP("this machine has an admin-settings.json, which would decide ECI");
        }
    }

    void cleanupTestCase() { m_daemons.stopStarted(); }

    void applyAndRestartBootsTheGuestWithTheNewConfig_data()
    {
        QTest::addColumn<QString>("startOn");
        QTest::addColumn<QString>("applyOn");
        QTest::newRow("qemu") << "qemu"
                              << "qemu";
        QTest::newRow("libvirt") << "libvirt"
                                 << "libvirt";
        QTest::newRow("qemu to libvirt") << "qemu"
                                         << "libvirt";
    }

    void applyAndRestartBootsTheGuestWithTheNewConfig()
    {
        QFETCH(QString, startOn);
        QFETCH(QString, applyOn);
        const bool usesLibvirt = startOn == QLatin1String("libvirt") || applyOn == QLatin1String("libvirt");
        const QString uri = testing::LibvirtDaemons::defaultUri();
        if (usesLibvirt) {
            if (const QString why = testing::LibvirtDaemons::notInstalledReason(); !why.isEmpty()) {
                QSKIP(qPrintable(why));
            }
            const QString error = m_daemons.ensureRunning(uri);
            QVERIFY2(error.isEmpty(), qPrintable(error));
        }
        // A home of its own per row: the engine host reads the user's settings from
        // $XDG_CONFIG_HOME, like the app.
        QTemporaryDir home;
        QVERIFY(home.isValid());
        qputenv("XDG_CONFIG_HOME", home.filePath(QStringLiteral("config")).toUtf8());
        qputenv("XDG_STATE_HOME", home.filePath(QStringLiteral("state")).toUtf8());

        settings::Settings s = settings::Settings::load(settings::SettingsPaths::forCurrentUser());
        QCOMPARE(s.get(settings::keys::kEnhancedContainerIsolation).value, nlohmann::json(false));
        const auto applied = s.apply({{std::string(settings::keys::kVmManager), startOn.toStdString()},
                                      {std::string(settings::keys::kLibvirtUri), uri.toStdString()}});
        QVERIFY(applied.ok());
        const auto managerName = [&](const QString& manager) {
            return manager == QLatin1String("libvirt") ? QStringLiteral("libvirt (%1)").arg(uri) : manager;
        };

        engine::EngineClientOptions options;
        options.instanceDir = home.filePath(QStringLiteral("instance"));
        const QString domain = vm::libvirtDomainName(options.instanceDir);
        const auto undefine = qScopeGuard([&] {
            if (usesLibvirt) { undefineDomain(uri, domain); }
        });
        options.hostProgram = QStringLiteral(BERTH_ENGINE_PROGRAM);
        options.hostArguments = {QStringLiteral("--instance-dir"), options.instanceDir, QStringLiteral("--guest-dir"),
                                 QStringLiteral(BERTH_TEST_GUEST_DIR)};
        engine::EngineClient engine(options);
        QSignalSpy finished(&engine, &engine::EngineHandle::operationFinished);
        // A row that fails still stops its engine (before its libvirtd goes): the engine host
        // would otherwise outlive the test.
        const auto stopOnFailure = qScopeGuard([&] {
            if (!QTest::currentTestFailed()) { return; }
            finished.clear();
            engine.stop(true);
            waitFor(finished, EngineOperation::Stop);
        });
        engine.start();
        QVERIFY2(waitFor(finished, EngineOperation::Start), qPrintable(engine.status().detail));
        QVERIFY(!eciReported(engine.status()));
        QCOMPARE(engine.status().vmManager, managerName(startOn));
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
        connect(&engine, &engine::EngineHandle::statusChanged, &window, [&] {
            const QString phase = window.restartProgress()->phaseText();
            if (phases.isEmpty() || phases.last() != phase) { phases << phase; }
        });

        auto* eci = qobject_cast<QCheckBox*>(window.editor(settings::keys::kEnhancedContainerIsolation)->control());
        QTest::mouseClick(eci, Qt::LeftButton, {}, QPoint(4, eci->height() / 2));
        if (applyOn != startOn) {
            auto* manager = qobject_cast<QComboBox*>(window.editor(settings::keys::kVmManager)->control());
            QVERIFY(manager);
            manager->setCurrentIndex(manager->findData(applyOn));
            QCOMPARE(manager->currentData().toString(), applyOn);
        }
        QVERIFY(window.applyButton()->isEnabled());
        QTest::mouseClick(window.applyButton(), Qt::LeftButton);
        QTest::mouseClick(window.applyButton(), Qt::LeftButton);  // merged: the button is disabled
        QVERIFY(!window.applyButton()->isEnabled());

        QVERIFY2(waitFor(finished, EngineOperation::Restart), qPrintable(engine.status().detail));
        QTRY_VERIFY_WITH_TIMEOUT(eciReported(engine.status()), 10000);
        QVERIFY(engine.status().qemuPid != firstPid);  // a fresh QEMU, not a reboot of the old one
        QCOMPARE(engine.status().vmManager, managerName(applyOn));
        if (applyOn == QLatin1String("libvirt")) { QCOMPARE(domainState(uri, domain), QStringLiteral("running")); }
        int restarts = 0;
        for (const auto& args : std::as_const(finished)) {
            restarts += args.at(0).value<EngineOperation>() == EngineOperation::Restart;
        }
        QCOMPARE(restarts, 1);
        QVERIFY2(phases.contains(QStringLiteral("Stopping engine…")), qPrintable(phases.join(" | ")));
        QVERIFY2(phases.contains(QStringLiteral("Waiting for engine…")), qPrintable(phases.join(" | ")));
        QCOMPARE(window.restartProgress()->step(), gui::RestartProgress::stepCount());

        finished.clear();
        engine.stop();
        QVERIFY(waitFor(finished, EngineOperation::Stop));
        if (usesLibvirt) { QCOMPARE(domainState(uri, domain), QStringLiteral("shut off")); }
    }

private:
    testing::LibvirtDaemons m_daemons;
};

QTEST_MAIN(TestApplyRestartQemu)
#include "tst_apply_restart_qemu.moc"
