#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <signal.h>
#include <unistd.h>

#include "berth/engine/engine_client.h"
#include "berth/engine/engine_host.h"
#include "berth/settings/settings.h"
#include "settings_test_support.h"

using namespace berth;
using berth::test::readText;
using berth::test::testData;
using berth::test::writeText;
using engine::EngineOperation;

// A window or berthctl starting, reconfiguring and stopping a real VM through the engine host.
class TestEngineClient : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    settings::SettingsPaths m_paths;
    engine::EngineClientOptions m_options;

    std::unique_ptr<engine::EngineClient> client() { return std::make_unique<engine::EngineClient>(m_options); }

    // Waits for `operation` to finish and returns (ok, message).
    static std::pair<bool, QString> outcome(engine::EngineClient& engine, EngineOperation operation,
                                            int timeoutMs = 120000)
    {
        QSignalSpy finished(&engine, &engine::EngineHandle::operationFinished);
        QDeadlineTimer deadline(timeoutMs);
        while (!deadline.hasExpired()) {
            for (const auto& args : finished) {
                if (args.at(0).value<EngineOperation>() == operation) {
                    return {args.at(1).toBool(), args.at(2).toString()};
                }
            }
            finished.wait(static_cast<int>(std::max<qint64>(1, deadline.remainingTime())));
        }
        return {false, QStringLiteral("timed out")};
    }

    static engine::EngineStatus freshStatus(engine::EngineClient& engine)
    {
        QSignalSpy changed(&engine, &engine::EngineHandle::statusChanged);
        engine.refresh();
        if (changed.isEmpty() && !changed.wait(5000)) { return {}; }
        return changed.last().at(0).value<engine::EngineStatus>();
    }

private slots:
    void initTestCase()
    {
        qRegisterMetaType<engine::EngineStatus>();
        QVERIFY(m_dir.isValid());
        const QString guest = qEnvironmentVariable("BERTH_TEST_GUEST_DIR");
        if (!QFileInfo::exists(guest + "/vmlinux")) { QFAIL(qPrintable("test guest not built in " + guest)); }
        const std::filesystem::path base = m_dir.path().toStdString();
        std::filesystem::create_directories(base / "etc");
        m_paths.adminFile = base / "etc" / "admin-settings.json";
        m_paths.userFile = base / "config" / "settings-store.json";
        m_paths.adminRules = berth::test::ownerIsMe();
        // The host plans each launch from these settings; the test guest needs no more than the least.
        QVERIFY(settings::Settings::load(m_paths).apply({{"vm.memoryMiB", 1024}}).ok());
        m_options.instanceDir = m_dir.path() + "/vm";
        m_options.hostProgram = qEnvironmentVariable("BERTH_ENGINE_HOST_FOR_TESTS");
        m_options.hostArguments = {m_options.instanceDir, guest, QString::fromStdString(m_paths.adminFile.string()),
                                   QString::fromStdString(m_paths.userFile.string()), QString::number(::geteuid())};
    }

    void startLaunchesAHostAndBootsWithTheSettings()
    {
        auto engine = client();
        QCOMPARE(freshStatus(*engine).state, engine::EngineState::Stopped);  // nothing runs yet, nothing launched
        engine->start();
        const auto [ok, message] = outcome(*engine, EngineOperation::Start);
        QVERIFY2(ok, qPrintable(message));
        const auto status = freshStatus(*engine);
        QCOMPARE(status.state, engine::EngineState::Running);
        QVERIFY(status.qemuPid > 0);
        QVERIFY(status.guestReportedConfig && !status.guestReportedConfig->eci.enabled);
        QCOMPARE(status.accelerator, QStringLiteral("tcg"));
    }

    void applyAndRestartBootsAFreshVmWithTheNewConfig()
    {
        auto engine = client();
        const qint64 before = freshStatus(*engine).qemuPid;
        QVERIFY(settings::Settings::load(m_paths).apply({{"enhancedContainerIsolation", true}}).ok());
        engine->restart();
        const auto [ok, message] = outcome(*engine, EngineOperation::Restart);
        QVERIFY2(ok, qPrintable(message));
        const auto status = freshStatus(*engine);
        QCOMPARE(status.state, engine::EngineState::Running);
        QVERIFY(status.qemuPid != before);
        QCOMPARE(::kill(static_cast<pid_t>(before), 0), -1);  // the old QEMU is gone, not left behind
        QVERIFY(status.guestReportedConfig && status.guestReportedConfig->eci.enabled);
    }

    void anInvalidPolicyRefusesTheRestartAndSaysWhere()
    {
        auto engine = client();
        const qint64 before = freshStatus(*engine).qemuPid;
        writeText(m_paths.adminFile, readText(testData("admin/malformed/trailing-comma.json")));
        engine->restart();
        const auto [ok, message] = outcome(*engine, EngineOperation::Restart);
        std::filesystem::remove(m_paths.adminFile);
        QVERIFY(!ok);
        QVERIFY2(message.contains("admin-settings.json:5:18: error: trailing comma"), qPrintable(message));
        QCOMPARE(freshStatus(*engine).qemuPid, before);  // refused before anything was touched
    }

    // The host cannot start at all (here its instance directory cannot be made, a file is in the
    // way): the caller hears the host's own reason, not only where its log is.
    void aHostThatCannotStartSaysWhyToTheCaller()
    {
        writeText(m_dir.path().toStdString() + "/in-the-way", "a file, not a directory");
        engine::EngineClientOptions options = m_options;
        options.instanceDir = m_dir.path() + "/in-the-way/vm";
        options.hostArguments.first() = options.instanceDir;
        engine::EngineClient engine(options);
        engine.start();
        const auto [ok, message] = outcome(engine, EngineOperation::Start, 30000);
        QVERIFY(!ok);
        QVERIFY2(message.contains("exited at once: ") && message.contains(options.instanceDir), qPrintable(message));
        QVERIFY2(message.contains("Not a directory"), qPrintable(message));
    }

    void anotherClientSeesTheSameEngine()
    {
        auto first = client();
        auto second = client();
        QCOMPARE(freshStatus(*first).qemuPid, freshStatus(*second).qemuPid);
        QCOMPARE(freshStatus(*second).state, engine::EngineState::Running);
    }

    // `berthctl stop` then `berthctl start` at once, or a window that starts as another stops: the
    // starting client is still connected to the host that is exiting. Its start reaches a new host.
    void aStartSentAsTheHostExitsGoesToTheNextHost()
    {
        auto stopper = client();
        auto starter = client();
        QCOMPARE(freshStatus(*starter).state, engine::EngineState::Running);
        const qint64 oldQemu = freshStatus(*starter).qemuPid;
        // Every client hears an operation finish; the starter asks at the earliest moment it can.
        connect(starter.get(), &engine::EngineHandle::operationFinished, starter.get(),
                [&starter](EngineOperation operation, bool ok) {
                    if (operation == EngineOperation::Stop && ok) { starter->start(); }
                });
        stopper->stop();
        QVERIFY(outcome(*stopper, EngineOperation::Stop, 60000).first);
        const auto [ok, message] = outcome(*starter, EngineOperation::Start);
        QVERIFY2(ok, qPrintable(message));
        const engine::EngineStatus now = freshStatus(*starter);
        QCOMPARE(now.state, engine::EngineState::Running);
        QVERIFY(now.qemuPid != oldQemu);
    }

    void stopEndsTheVmAndTheHost()
    {
        auto engine = client();
        const qint64 pid = freshStatus(*engine).qemuPid;
        engine->stop();
        const auto [ok, message] = outcome(*engine, EngineOperation::Stop, 60000);
        QVERIFY2(ok, qPrintable(message));
        QCOMPARE(::kill(static_cast<pid_t>(pid), 0), -1);
        QTRY_VERIFY_WITH_TIMEOUT(!QFileInfo::exists(engine::EngineHost::socketPath(m_options.instanceDir)), 5000);
        QCOMPARE(freshStatus(*engine).state, engine::EngineState::Stopped);
        // Stopping a stopped engine is fine and launches nothing.
        engine->stop();
        QVERIFY(outcome(*engine, EngineOperation::Stop, 5000).first);
    }
};

QTEST_GUILESS_MAIN(TestEngineClient)
#include "tst_engine_client.moc"
