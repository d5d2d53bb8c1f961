// The engine controller against a fake QEMU: states, merging, serialization and every way a
// stop or a guest can go wrong, without a hypervisor.
#include "berth/vm/engine_controller.h"
#include "data_disk.h"

#include "fake_qemu.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <optional>

using namespace berth::vm;
using namespace berth::vm::testing;
using namespace std::chrono_literals;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

namespace {

struct Finished {
    EngineOperation operation;
    bool ok;
    QString message;
};

class EngineControllerTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        ASSERT_TRUE(m_tmp.isValid());
        m_options = fakeEngineOptions(m_tmp.path());
    }

    EngineController& controller()
    {
        if (!m_controller) {
            m_controller = std::make_unique<EngineController>(m_options, m_processes);
            QObject::connect(m_controller.get(), &EngineController::stateChanged,
                             [this](EngineState state, const QString&) {
                                 if (m_states.empty() || m_states.back() != state) { m_states.push_back(state); }
                             });
            QObject::connect(m_controller.get(), &EngineController::operationFinished,
                             [this](EngineOperation operation, bool ok, const QString& message) {
                                 m_finished.push_back({operation, ok, message});
                             });
            QObject::connect(m_controller.get(), &EngineController::progress,
                             [this](const QString& text) { m_progress << text; });
        }
        return *m_controller;
    }

    // Waits until `count` operations have finished; returns the last one.
    Finished waitForOperations(size_t count, int timeoutMs = 5000)
    {
        EXPECT_TRUE(QTest::qWaitFor([&] { return m_finished.size() >= count; }, timeoutMs))
            << "only " << m_finished.size() << " of " << count << " operations finished";
        return m_finished.empty() ? Finished{EngineOperation::Start, false, "none"} : m_finished.back();
    }

    void startRunning(const QByteArray& config = R"({"eci":false})")
    {
        controller().start(plan(config));
        const auto result = waitForOperations(m_finished.size() + 1);
        ASSERT_TRUE(result.ok) << result.message.toStdString();
        ASSERT_EQ(controller().state(), EngineState::Running);
    }

    // What the engine host would plan, with this guest config.
    LaunchPlan plan(const QByteArray& guestConfig) const
    {
        LaunchPlan planned = m_plan;
        planned.guestConfig = guestConfig;
        return planned;
    }
    LaunchPlan plan(const char* guestConfig) const { return plan(QByteArray(guestConfig)); }
    LaunchPlan plan(const nlohmann::json& guestConfig) const
    {
        return plan(QByteArray::fromStdString(guestConfig.dump()));
    }

    QString instanceFile(const char* name) const { return m_options.instanceDir + "/" + name; }

    // What a fake QEMU was asked, and whether it was killed, as it stood when it exited
    // (`killed` stays empty while it has not exited).
    struct QemuRecord {
        QStringList qmpCommands;
        QStringList agentRequests;
        std::optional<bool> killed;
    };
    static std::shared_ptr<QemuRecord> recordWhenItExits(FakeQemuProcess* qemu)
    {
        auto record = std::make_shared<QemuRecord>();
        QObject::connect(qemu, &Process::finished, [qemu, record] {
            record->qmpCommands = qemu->qmpCommands;
            record->agentRequests = qemu->agentRequests;
            record->killed = qemu->killed;
        });
        return record;
    }

    QTemporaryDir m_tmp;
    EngineOptions m_options;
    LaunchPlan m_plan;  // what plan() hands the controller besides the guest config
    std::shared_ptr<FakeProcessFactory> m_processes = std::make_shared<FakeProcessFactory>();
    std::unique_ptr<EngineController> m_controller;
    std::vector<EngineState> m_states;
    std::vector<Finished> m_finished;
    QStringList m_progress;
};

}  // namespace

TEST_F(EngineControllerTest, StartReachesRunningAndTheGuestEchoesTheConfig)
{
    controller().start(plan(nlohmann::json{{"eci", true}, {"memory", 2048}}));
    EXPECT_EQ(controller().state(), EngineState::Stopped) << "requests return before anything happens";
    const auto result = waitForOperations(1);
    ASSERT_TRUE(result.ok) << result.message.toStdString();
    EXPECT_EQ(result.operation, EngineOperation::Start);
    EXPECT_THAT(m_states, ElementsAre(EngineState::Starting, EngineState::WaitingForEngine, EngineState::Running));
    EXPECT_EQ(nlohmann::json::parse(controller().guestReportedConfig().toStdString()),
              (nlohmann::json{{"eci", true}, {"memory", 2048}}));
    EXPECT_NE(controller().qemuPid(), 0);
    EXPECT_EQ(controller().accelerator(), Accelerator::Tcg);
    EXPECT_NE(controller().enginePort(), 0);

    auto* qemu = m_processes->lastQemu();
    ASSERT_NE(qemu, nullptr);
    EXPECT_THAT(qemu->qmpCommands, ::testing::Contains("qmp_capabilities"));
    EXPECT_EQ(qemu->qmpCommands.first(), "qmp_capabilities") << "the handshake comes first";
    QFile config(instanceFile("guest-config.json"));
    ASSERT_TRUE(config.open(QIODevice::ReadOnly));
    EXPECT_EQ(nlohmann::json::parse(config.readAll().toStdString())["memory"], 2048);
    EXPECT_FALSE(config.permissions().testFlag(QFile::ReadOther));

    const auto status = EngineController::readStatusFile(m_options.instanceDir);
    EXPECT_EQ(status["state"], "Running");
    EXPECT_EQ(status["qemuPid"], controller().qemuPid());
    EXPECT_EQ(status["accelerator"], "tcg");
}

TEST_F(EngineControllerTest, GracefulStopGoesThroughTheAgent)
{
    startRunning();
    auto* qemu = m_processes->lastQemu();
    const auto exited = recordWhenItExits(qemu);
    controller().stop();
    const auto result = waitForOperations(2);
    ASSERT_TRUE(result.ok) << result.message.toStdString();
    EXPECT_EQ(result.operation, EngineOperation::Stop);
    EXPECT_THAT(exited->agentRequests.join('\n').toStdString(), HasSubstr(R"({"timeout":2,"type":"shutdown"})"));
    EXPECT_THAT(exited->qmpCommands, ::testing::Not(::testing::Contains("system_powerdown")));
    EXPECT_EQ(exited->killed, false);
    EXPECT_EQ(controller().state(), EngineState::Stopped);
    EXPECT_THAT(m_states,
                ElementsAre(EngineState::Starting, EngineState::WaitingForEngine, EngineState::Running,
                            EngineState::Stopping, EngineState::Stopped));
    EXPECT_FALSE(QFile::exists(instanceFile("qemu.pid")));
    EXPECT_EQ(m_processes->runningCount(), 0);
    EXPECT_EQ(controller().qemuPid(), 0);
    EXPECT_EQ(m_processes->qemuLaunches(), 1);
}

TEST_F(EngineControllerTest, StopFallsBackToThePowerButtonWhenTheAgentIgnoresShutdown)
{
    m_processes->behaviour.ignoreAgentShutdown = true;
    m_options.timeouts.agentShutdown = 100ms;
    startRunning();
    const auto exited = recordWhenItExits(m_processes->lastQemu());
    controller().stop();
    const auto result = waitForOperations(2);
    ASSERT_TRUE(result.ok) << result.message.toStdString();
    EXPECT_THAT(exited->agentRequests.join('\n').toStdString(), HasSubstr("\"type\":\"shutdown\""));
    EXPECT_THAT(exited->qmpCommands, ::testing::Contains("system_powerdown"));
    EXPECT_THAT(m_progress.join('\n').toStdString(), HasSubstr("power button"));
}

TEST_F(EngineControllerTest, HungGuestIsKilledAfterTheTimeouts)
{
    m_processes->behaviour.ignoreAgentShutdown = true;
    m_processes->behaviour.ignoreAcpi = true;
    m_processes->behaviour.ignoreQuit = true;
    m_options.timeouts.agentShutdown = 100ms;
    m_options.timeouts.powerdown = 100ms;
    startRunning();
    auto* qemu = m_processes->lastQemu();
    const auto exited = recordWhenItExits(qemu);
    QElapsedTimer clock;
    clock.start();
    controller().stop();
    const auto result = waitForOperations(2);
    ASSERT_TRUE(result.ok) << result.message.toStdString();
    EXPECT_EQ(exited->killed, true);
    EXPECT_GE(clock.elapsed(), 200 + 1000) << "both grace periods and QMP quit's were honoured";
    EXPECT_EQ(controller().state(), EngineState::Stopped);
    EXPECT_FALSE(QFile::exists(instanceFile("qemu.pid"))) << "SIGKILL leaves the pidfile; Stopped means it is gone";
    EXPECT_THAT(m_progress.join('\n').toStdString(), HasSubstr("killing QEMU"));
}

TEST_F(EngineControllerTest, ForceStopQuitsQemuWithoutAskingTheGuest)
{
    startRunning();
    auto* qemu = m_processes->lastQemu();
    const auto exited = recordWhenItExits(qemu);
    QElapsedTimer clock;
    clock.start();
    controller().stop(EngineController::StopMode::Force);
    ASSERT_TRUE(waitForOperations(2).ok);
    EXPECT_LT(clock.elapsed(), 1000);
    EXPECT_THAT(exited->qmpCommands, ::testing::Contains("quit")) << "QEMU flushes the qcow2 data disk on quit";
    EXPECT_EQ(exited->killed, false) << "quit was enough";
    EXPECT_THAT(exited->agentRequests.join('\n').toStdString(), ::testing::Not(HasSubstr("shutdown")));
}

TEST_F(EngineControllerTest, ForceStopKillsAQemuThatDoesNotQuit)
{
    m_processes->behaviour.ignoreQuit = true;
    startRunning();
    auto* qemu = m_processes->lastQemu();
    const auto exited = recordWhenItExits(qemu);
    QElapsedTimer clock;
    clock.start();
    controller().stop(EngineController::StopMode::Force);
    const auto result = waitForOperations(2);
    ASSERT_TRUE(result.ok) << result.message.toStdString();
    EXPECT_EQ(exited->killed, true);
    EXPECT_GE(clock.elapsed(), 900) << "QMP quit gets its grace (1 s with a 2 s kill timeout)";
    EXPECT_EQ(controller().state(), EngineState::Stopped);
}

TEST_F(EngineControllerTest, ForceDuringAGracefulStopEscalates)
{
    m_processes->behaviour.ignoreAgentShutdown = true;
    m_processes->behaviour.ignoreAcpi = true;
    m_options.timeouts.agentShutdown = 30s;
    startRunning();
    controller().stop();
    ASSERT_TRUE(QTest::qWaitFor([&] { return controller().state() == EngineState::Stopping; }, 2000));
    QElapsedTimer clock;
    clock.start();
    controller().stop(EngineController::StopMode::Force);
    ASSERT_TRUE(waitForOperations(2).ok);
    EXPECT_LT(clock.elapsed(), 2000);
    EXPECT_EQ(m_finished.size(), 2u) << "the second stop merged into the first";
}

TEST_F(EngineControllerTest, UnexpectedExitIsAnErrorWithinASecondWithTheSerialLogTail)
{
    startRunning();
    QElapsedTimer clock;
    clock.start();
    m_processes->lastQemu()->crash("[   12.3] Kernel panic - not syncing: Attempted to kill init!");
    ASSERT_TRUE(QTest::qWaitFor([&] { return controller().state() == EngineState::Error; }, 1000));
    EXPECT_LT(clock.elapsed(), 1000);
    const std::string reason = controller().stateDetail().toStdString();
    EXPECT_THAT(reason, HasSubstr("unexpectedly"));
    EXPECT_THAT(reason, HasSubstr("Kernel panic - not syncing: Attempted to kill init!"));
    EXPECT_THAT(reason, HasSubstr("fake crash")) << "QEMU's stderr is part of the diagnosis";
    EXPECT_THAT(reason, HasSubstr("serial.log"));
    EXPECT_EQ(controller().qemuPid(), 0);

    // Error is not a dead end: start again.
    controller().start(plan(R"({"eci":false})"));
    ASSERT_TRUE(waitForOperations(2).ok);
    EXPECT_EQ(controller().state(), EngineState::Running);
}

TEST_F(EngineControllerTest, SharedDirectoriesAreServedForEachRunAndALostServerStopsTheVm)
{
    const QString shared = m_tmp.filePath("project");
    ASSERT_TRUE(QDir().mkpath(shared));
    m_options.virtiofsdBinary = "/usr/lib/berth/bin/virtiofsd";
    m_plan.sharedDirectories = {{shared, "berth-share-0"}};
    startRunning();
    FakeQemuProcess* server = m_processes->lastProgram("virtiofsd");
    ASSERT_NE(server, nullptr);
    EXPECT_TRUE(server->isRunning());
    EXPECT_THAT(server->spec().arguments, Contains("--shared-dir=" + shared));
    const int fd = server->spec().inheritedFd;
    EXPECT_GE(fd, 0) << "virtiofsd gets the socket QEMU connects to, listening already";
    EXPECT_THAT(server->spec().arguments, Contains(QStringLiteral("--fd=%1").arg(fd)));
    EXPECT_THAT(m_processes->lastQemu()->spec().arguments, Contains("socket,id=fs0,path=" + instanceFile("fs-0.sock")));
    EXPECT_TRUE(QFileInfo(instanceFile("fs-0.sock")).exists());

    // The guest would hang on the share for good: the VM is stopped, and the error says why.
    server->crash("", 1);
    ASSERT_TRUE(QTest::qWaitFor([&] { return controller().state() == EngineState::Error; }, 3000));
    EXPECT_THAT(controller().stateDetail().toStdString(), HasSubstr("virtiofsd serving " + shared.toStdString()));
    EXPECT_EQ(controller().qemuPid(), 0);
    EXPECT_FALSE(QFileInfo(instanceFile("fs-0.sock")).exists()) << "the run's sockets go with it";

    // The next run gets a virtiofsd of its own.
    controller().start(plan(R"({"eci":false})"));
    ASSERT_TRUE(waitForOperations(m_finished.size() + 1).ok);
    ASSERT_NE(m_processes->lastProgram("virtiofsd"), server);
    EXPECT_TRUE(m_processes->lastProgram("virtiofsd")->isRunning());
    controller().stop();
    ASSERT_TRUE(waitForOperations(m_finished.size() + 1).ok);
    EXPECT_EQ(m_processes->lastProgram("virtiofsd"), nullptr) << "no virtiofsd outlives its VM";
}

TEST_F(EngineControllerTest, AMissingSharedDirectoryFailsTheStartNamingIt)
{
    m_options.virtiofsdBinary = "/usr/lib/berth/bin/virtiofsd";
    m_plan.sharedDirectories = {{m_tmp.filePath("gone"), "berth-share-0"}};
    controller().start(plan(R"({"eci":false})"));
    const auto result = waitForOperations(1);
    EXPECT_FALSE(result.ok);
    EXPECT_THAT(result.message.toStdString(), HasSubstr(m_tmp.filePath("gone").toStdString() + " does not exist"));
    EXPECT_EQ(m_processes->qemuLaunches(), 0);
}

TEST_F(EngineControllerTest, ADiskWriteThatPausesTheVmIsAnErrorNamingTheDiskAndTheFix)
{
    m_options.dataDisk = instanceFile("data.qcow2");
    startRunning();
    // What QEMU sends when the host file system under the data disk is full (werror=enospc).
    m_processes->lastQemu()->sendQmpEvent(
        R"({"event": "BLOCK_IO_ERROR", "data": {"device": "data", "operation": "write", )"
        R"("action": "stop", "nospace": true, "reason": "No space left on device"}})");
    m_processes->lastQemu()->sendQmpEvent(R"({"event": "STOP"})");
    ASSERT_TRUE(QTest::qWaitFor([&] { return controller().state() == EngineState::Error; }, 3000));
    const std::string reason = controller().stateDetail().toStdString();
    EXPECT_THAT(reason, HasSubstr("no space left for the data disk " + m_options.dataDisk.toStdString()));
    EXPECT_THAT(reason, HasSubstr("Free space there, then start the engine again"));
    EXPECT_EQ(controller().qemuPid(), 0) << "a VM paused for good is stopped, not left hanging";
}

TEST_F(EngineControllerTest, AReportedDiskErrorThatDoesNotPauseTheVmIsNoError)
{
    startRunning();
    m_processes->lastQemu()->sendQmpEvent(
        R"({"event": "BLOCK_IO_ERROR", "data": {"device": "root", "operation": "read", )"
        R"("action": "report", "nospace": false, "reason": "Input/output error"}})");
    // A plain STOP after it, which the controller reports as a progress line: once that line is
    // there, the BLOCK_IO_ERROR before it has been handled.
    m_processes->lastQemu()->sendQmpEvent(R"({"event": "STOP"})");
    ASSERT_TRUE(QTest::qWaitFor([&] { return !m_progress.filter("QEMU paused the VM").isEmpty(); }, 3000));
    EXPECT_EQ(controller().state(), EngineState::Running);
}

TEST_F(EngineControllerTest, ASuspensionForAnIoErrorIsAnErrorNamingTheDisk)
{
    // libvirt's shape of the same pause: the domain suspended with reason io-error, no cause given.
    m_options.dataDisk = instanceFile("data.qcow2");
    startRunning();
    m_processes->lastQemu()->sendQmpEvent(R"({"event": "STOP", "data": {"reason": "io-error"}})");
    ASSERT_TRUE(QTest::qWaitFor([&] { return controller().state() == EngineState::Error; }, 3000));
    EXPECT_THAT(controller().stateDetail().toStdString(),
                HasSubstr("failed write to the data disk " + m_options.dataDisk.toStdString() + ": an I/O error"));
}

TEST_F(EngineControllerTest, TheGuestClockIsSetToTheHostsOnRunningAndAtEachInterval)
{
    m_processes->behaviour.agentKeepsTime = true;
    m_options.clockSyncInterval = 100ms;
    startRunning();
    const auto timeRequests = [&] { return m_processes->lastQemu()->agentRequests.filter(R"("type":"time")").size(); };
    ASSERT_TRUE(QTest::qWaitFor([&] { return timeRequests() >= 3; }, 3000)) << "on Running, then every 100 ms";
    const QString first = m_processes->lastQemu()->agentRequests.filter(R"("type":"time")").first();
    const qint64 sent = nlohmann::json::parse(first.toStdString()).value("unixMillis", qint64{0});
    EXPECT_LE(std::abs(sent - QDateTime::currentMSecsSinceEpoch()), 5000) << first.toStdString();
}

TEST_F(EngineControllerTest, RestartRequestsDuringARestartMergeIntoIt)
{
    startRunning(R"({"v":"A"})");
    controller().restart(plan(QByteArray(R"({"v":"B"})")));
    controller().restart(plan(QByteArray(R"({"v":"C"})")));
    controller().restart(plan(QByteArray(R"({"v":"D"})")));
    const auto result = waitForOperations(2);
    ASSERT_TRUE(result.ok) << result.message.toStdString();
    EXPECT_EQ(result.operation, EngineOperation::Restart);
    // Let anything wrongly queued run: nothing more may happen.
    QTest::qWait(100);
    EXPECT_EQ(m_finished.size(), 2u);
    EXPECT_EQ(m_processes->qemuLaunches(), 2) << "one restart, one fresh QEMU";
    EXPECT_EQ(nlohmann::json::parse(controller().guestReportedConfig().toStdString())["v"], "D");
}

TEST_F(EngineControllerTest, RestartAfterTheNewQemuLaunchedQueuesExactlyOneMore)
{
    startRunning(R"({"v":"A"})");
    controller().restart(plan(QByteArray(R"({"v":"B"})")));
    ASSERT_TRUE(QTest::qWaitFor([&] { return m_processes->qemuLaunches() == 2; }, 5000));
    controller().restart(plan(QByteArray(R"({"v":"B"})")));  // what is being launched: nothing to do
    controller().restart(plan(QByteArray(R"({"v":"C"})")));
    controller().restart(plan(QByteArray(R"({"v":"D"})")));
    waitForOperations(3);
    QTest::qWait(100);
    ASSERT_EQ(m_finished.size(), 3u);
    EXPECT_TRUE(m_finished[1].ok);
    EXPECT_TRUE(m_finished[2].ok);
    EXPECT_EQ(m_processes->qemuLaunches(), 3);
    EXPECT_EQ(nlohmann::json::parse(controller().guestReportedConfig().toStdString())["v"], "D");
    EXPECT_EQ(m_processes->maxRunningAtOnce, 1);
}

TEST_F(EngineControllerTest, OperationsRunOneAtATimeInOrder)
{
    startRunning(R"({"v":"A"})");
    controller().stop();
    controller().start(plan(QByteArray(R"({"v":"B"})")));
    controller().stop();
    controller().start(plan(QByteArray(R"({"v":"C"})")));
    waitForOperations(4);  // start A, stop (the second stop merged into it), start B cancelled... see below
    ASSERT_TRUE(QTest::qWaitFor([&] { return !controller().isBusy(); }, 5000));
    // start(B) was cancelled by the second stop, which itself merged into the first.
    ASSERT_EQ(m_finished.size(), 4u);
    EXPECT_EQ(m_finished[1].operation, EngineOperation::Start);
    EXPECT_FALSE(m_finished[1].ok);
    EXPECT_THAT(m_finished[1].message.toStdString(), HasSubstr("Cancelled"));
    EXPECT_EQ(m_finished[2].operation, EngineOperation::Stop);
    EXPECT_TRUE(m_finished[2].ok);
    EXPECT_EQ(m_finished[3].operation, EngineOperation::Start);
    EXPECT_TRUE(m_finished[3].ok);
    EXPECT_EQ(controller().state(), EngineState::Running);
    EXPECT_EQ(nlohmann::json::parse(controller().guestReportedConfig().toStdString())["v"], "C");
    EXPECT_EQ(m_processes->maxRunningAtOnce, 1) << "never two QEMUs at once";
}

// Apply & restart clicked while the engine is stopping: the stop finishes, then the restart starts
// the VM with the new configuration; one QEMU at a time, and each caller hears how its request ended.
TEST_F(EngineControllerTest, ARestartRequestedDuringAStopRunsOnceTheStopIsDone)
{
    startRunning(R"({"v":"A"})");
    controller().stop();
    ASSERT_TRUE(QTest::qWaitFor([&] { return controller().state() == EngineState::Stopping; }, 2000));
    controller().restart(plan(QByteArray(R"({"v":"B"})")));
    waitForOperations(3);
    ASSERT_EQ(m_finished.size(), 3u);
    EXPECT_EQ(m_finished[1].operation, EngineOperation::Stop);
    EXPECT_TRUE(m_finished[1].ok);
    EXPECT_EQ(m_finished[2].operation, EngineOperation::Restart);
    EXPECT_TRUE(m_finished[2].ok) << m_finished[2].message.toStdString();
    EXPECT_EQ(controller().state(), EngineState::Running);
    EXPECT_EQ(nlohmann::json::parse(controller().guestReportedConfig().toStdString())["v"], "B");
    EXPECT_EQ(m_processes->qemuLaunches(), 2);
    EXPECT_EQ(m_processes->maxRunningAtOnce, 1) << "never two QEMUs at once";
}

TEST_F(EngineControllerTest, StopDuringBootCancelsTheStart)
{
    m_processes->behaviour.agent = false;  // the guest never gets ready
    m_options.timeouts.powerdown = 100ms;
    controller().start(plan(QByteArray("{}")));
    ASSERT_TRUE(QTest::qWaitFor([&] { return controller().state() == EngineState::WaitingForEngine; }, 2000));
    controller().stop();
    waitForOperations(2);
    EXPECT_EQ(m_finished[0].operation, EngineOperation::Start);
    EXPECT_FALSE(m_finished[0].ok);
    EXPECT_EQ(m_finished[1].operation, EngineOperation::Stop);
    EXPECT_TRUE(m_finished[1].ok);
    EXPECT_EQ(controller().state(), EngineState::Stopped);
    EXPECT_EQ(m_processes->runningCount(), 0);
}

// The power button pressed before the guest's ACPI is up is lost. The stop must not wait for the
// timeout and then cut QEMU off with the data disk mounted: once the agent says hello, it is asked.
TEST_F(EngineControllerTest, AStopBeforeTheAgentConnectedIsHandedToTheAgentOnceItDoes)
{
    m_processes->behaviour.agentHelloDelayMs = 300;
    m_processes->behaviour.ignoreAcpi = true;
    m_options.timeouts.powerdown = 5s;
    controller().start(plan(QByteArray("{}")));
    ASSERT_TRUE(QTest::qWaitFor([&] { return controller().state() == EngineState::WaitingForEngine; }, 2000));
    auto* qemu = m_processes->lastQemu();
    const auto exited = recordWhenItExits(qemu);
    controller().stop();
    waitForOperations(2, 10000);
    EXPECT_EQ(m_finished[1].operation, EngineOperation::Stop);
    EXPECT_TRUE(m_finished[1].ok) << m_finished[1].message.toStdString();
    EXPECT_THAT(exited->agentRequests.join('\n').toStdString(), HasSubstr("\"type\":\"shutdown\""));
    EXPECT_THAT(exited->qmpCommands, ::testing::Not(::testing::Contains("quit")))
        << "the stop waited out the power button";
    EXPECT_EQ(exited->killed, false);
    EXPECT_EQ(controller().state(), EngineState::Stopped);
}

TEST_F(EngineControllerTest, GuestBootFailureIsAnErrorAndQemuIsStopped)
{
    m_processes->behaviour.failBoot = true;
    controller().start(plan(QByteArray("{}")));
    const auto result = waitForOperations(1);
    EXPECT_FALSE(result.ok);
    EXPECT_EQ(controller().state(), EngineState::Error);
    EXPECT_THAT(controller().stateDetail().toStdString(), HasSubstr("at step \"config\": failBoot requested"));
    EXPECT_EQ(m_processes->runningCount(), 0);
    EXPECT_FALSE(QFile::exists(instanceFile("qemu.pid")));
}

TEST_F(EngineControllerTest, GuestThatNeverReportsReadyTimesOut)
{
    m_processes->behaviour.agent = false;
    m_options.timeouts.bootToReady = 300ms;
    controller().start(plan(QByteArray("{}")));
    const auto result = waitForOperations(1);
    EXPECT_FALSE(result.ok);
    EXPECT_THAT(result.message.toStdString(), HasSubstr("did not report ready within 0.3 s"));
    EXPECT_THAT(result.message.toStdString(), HasSubstr("fake guest booting")) << "serial log tail";
    EXPECT_EQ(m_processes->runningCount(), 0);
}

TEST_F(EngineControllerTest, IncompatibleAgentIsAnError)
{
    m_processes->behaviour.agentVersion = 2;
    controller().start(plan(QByteArray("{}")));
    const auto result = waitForOperations(1);
    EXPECT_FALSE(result.ok);
    EXPECT_THAT(result.message.toStdString(), HasSubstr("protocol version 2"));
}

TEST_F(EngineControllerTest, QmpThatNeverGreetsIsAnError)
{
    m_processes->behaviour.qmpGreets = false;
    m_options.timeouts.qmpConnect = 200ms;
    m_options.timeouts.bootToReady = 500ms;
    controller().start(plan(QByteArray("{}")));
    const auto result = waitForOperations(1);
    EXPECT_FALSE(result.ok);
    EXPECT_EQ(controller().state(), EngineState::Error);
    EXPECT_EQ(m_processes->runningCount(), 0);
}

TEST_F(EngineControllerTest, InvalidConfigIsRejectedBeforeLaunching)
{
    controller().start(plan(QByteArray("[not an object]")));
    const auto result = waitForOperations(1);
    EXPECT_FALSE(result.ok);
    EXPECT_THAT(result.message.toStdString(), HasSubstr("not a JSON object"));
    EXPECT_EQ(m_processes->qemuLaunches(), 0);
}

TEST_F(EngineControllerTest, MissingKernelIsAClearError)
{
    m_options.kernel = m_tmp.filePath("no-such-kernel");
    controller().start(plan(QByteArray("{}")));
    const auto result = waitForOperations(1);
    EXPECT_FALSE(result.ok);
    EXPECT_THAT(result.message.toStdString(), HasSubstr("no-such-kernel"));
}

TEST_F(EngineControllerTest, StartWhileRunningWithTheSameConfigIsANoOp)
{
    startRunning(R"({"v":1})");
    controller().start(plan(QByteArray(R"({ "v" : 1 })")));
    const auto result = waitForOperations(2);
    EXPECT_TRUE(result.ok);
    EXPECT_EQ(m_processes->qemuLaunches(), 1);
}

TEST_F(EngineControllerTest, DataDiskIsCreatedWhenMissing)
{
    m_options.dataDisk = m_tmp.filePath("data.qcow2");
    m_plan.resources.dataDiskSizeBytes = 1 << 30;
    startRunning();
    ASSERT_GE(m_processes->launched.size(), 2u);
    EXPECT_TRUE(m_processes->launched[0].program.endsWith("qemu-img"));
    EXPECT_THAT(m_processes->launched[0].arguments, ::testing::Contains(m_options.dataDisk));
}

namespace {

// A qcow2 header claiming `size` bytes (all qcow2VirtualSize reads).
void writeQcow2Header(const QString& path, quint64 size)
{
    QByteArray header(104, '\0');
    header.replace(0, 4, QByteArray("QFI\xfb", 4));
    header[7] = 3;  // version
    for (int i = 0; i < 8; ++i) { header[24 + i] = static_cast<char>((size >> (56 - 8 * i)) & 0xff); }
    QFile file(path);
    ASSERT_TRUE(file.open(QIODevice::WriteOnly));
    file.write(header);
}

}  // namespace

TEST_F(EngineControllerTest, DataDiskGrowsBeforeLaunchWhenTheSettingGrows)
{
    m_options.dataDisk = m_tmp.filePath("data.qcow2");
    writeQcow2Header(m_options.dataDisk, 8ull << 30);
    EXPECT_EQ(qcow2VirtualSize(m_options.dataDisk), 8ll << 30);
    m_plan.resources.dataDiskSizeBytes = 8ll << 30;
    startRunning();
    EXPECT_EQ(m_processes->launched.size(), 1u) << "same size: no qemu-img";

    m_plan.resources = {2, 2048, 16ll << 30};
    controller().restart(plan(QByteArray(R"({"eci":true})")));
    ASSERT_TRUE(waitForOperations(2).ok);
    ASSERT_EQ(m_processes->launched.size(), 3u);
    EXPECT_TRUE(m_processes->launched[1].program.endsWith("qemu-img"));
    EXPECT_EQ(m_processes->launched[1].arguments,
              QStringList({"resize", "-q", "-f", "qcow2", m_options.dataDisk, QString::number(16ll << 30)}));
    EXPECT_THAT(m_progress.join('\n').toStdString(), HasSubstr("Growing the data disk from 8 GiB to 16 GiB"));
}

TEST_F(EngineControllerTest, DataDiskIsNeverShrunkAndTheUserIsToldWhy)
{
    m_options.dataDisk = m_tmp.filePath("data.qcow2");
    writeQcow2Header(m_options.dataDisk, 64ull << 30);
    m_plan.resources.dataDiskSizeBytes = 32ll << 30;
    startRunning();
    ASSERT_EQ(m_processes->launched.size(), 1u) << "no qemu-img: nothing is resized";
    const std::string text = m_progress.join('\n').toStdString();
    EXPECT_THAT(text, HasSubstr("stays at 64 GiB"));
    EXPECT_THAT(text, HasSubstr("smaller setting (32 GiB) is not applied"));
    EXPECT_THAT(text, HasSubstr("reset --data"));
}

TEST_F(EngineControllerTest, ResourcesApplyAtTheNextLaunch)
{
    m_options.accelerator = EngineOptions::AcceleratorChoice::Kvm;
    startRunning();
    auto arg = [this](const char* option) { return m_processes->lastQemu()->argument(option); };
    EXPECT_EQ(arg("-smp"), "2");
    m_plan.resources = {1, 512, 0};
    m_plan.extraForwards = {{12375, 2375}};
    EXPECT_EQ(arg("-smp"), "2") << "the running VM keeps what it has";
    controller().restart(plan(QByteArray(R"({"eci":true})")));
    ASSERT_TRUE(waitForOperations(2).ok);
    EXPECT_EQ(arg("-smp"), "1");
    EXPECT_EQ(arg("-m"), "512M");
    EXPECT_THAT(arg("-netdev").toStdString(), HasSubstr(",hostfwd=tcp:127.0.0.1:12375-:2375"));
}

// The plan is the whole launch: the same guest config with another size is new work.
TEST_F(EngineControllerTest, AStartWithTheSameConfigButOtherResourcesRelaunches)
{
    startRunning();
    m_plan.resources.memoryMiB = 1024;
    controller().start(plan(R"({"eci":false})"));
    const auto result = waitForOperations(2);
    ASSERT_TRUE(result.ok) << result.message.toStdString();
    EXPECT_EQ(m_processes->qemuLaunches(), 2);
    EXPECT_EQ(m_processes->lastQemu()->argument("-m"), "1024M");
    EXPECT_EQ(controller().resources().memoryMiB, 1024);
}

// Several vCPUs under QEMU's multi-threaded TCG can hang the guest kernel while it patches its
// own code: under TCG the VM gets one, whatever the setting, and the user is told why.
TEST_F(EngineControllerTest, UnderTcgTheVmGetsOneCpu)
{
    startRunning();
    EXPECT_EQ(m_processes->lastQemu()->argument("-smp"), "1");
    EXPECT_THAT(m_progress.join('\n').toStdString(), HasSubstr("one CPU instead of 2"));
}

TEST_F(EngineControllerTest, EnginePortIsKeptAcrossLaunchesWhileFree)
{
    startRunning();
    const quint16 first = controller().enginePort();
    ASSERT_NE(first, 0);
    QFile kept(instanceFile("engine-port"));
    ASSERT_TRUE(kept.open(QIODevice::ReadOnly));
    EXPECT_EQ(kept.readAll().trimmed().toUShort(), first);
    kept.close();

    controller().restart(plan(QByteArray(R"({"eci":true})")));
    ASSERT_TRUE(waitForOperations(2).ok);
    EXPECT_EQ(controller().enginePort(), first);

    // Someone else took it: another port, remembered from now on.
    controller().stop();
    ASSERT_TRUE(waitForOperations(3).ok);
    QTcpServer squatter;
    ASSERT_TRUE(squatter.listen(QHostAddress::LocalHost, first));
    controller().start(plan(QByteArray(R"({"eci":true})")));
    ASSERT_TRUE(waitForOperations(4).ok);
    EXPECT_NE(controller().enginePort(), first);
    ASSERT_TRUE(kept.open(QIODevice::ReadOnly));
    EXPECT_EQ(kept.readAll().trimmed().toUShort(), controller().enginePort());
}

TEST_F(EngineControllerTest, DestroyingTheControllerKillsQemu)
{
    startRunning();
    auto* qemu = m_processes->lastQemu();
    ASSERT_NE(qemu, nullptr);
    m_controller.reset();
    EXPECT_EQ(m_processes->runningCount(), 0);
    EXPECT_TRUE(m_processes->alive.empty()) << "the QEMU process object was destroyed with its controller";
}

TEST_F(EngineControllerTest, RunningWaitsForTheEngineCheck)
{
    int calls = 0;
    quint16 checkedPort = 0;
    m_options.engineCheckInterval = 20ms;
    m_options.engineCheck = [&](quint16 port, EngineOptions::EngineCheckDone done) {
        checkedPort = port;
        ++calls;
        done(calls >= 3, QStringLiteral("connection refused"));
    };
    controller().start(plan(QByteArray("{}")));
    const auto result = waitForOperations(1);
    ASSERT_TRUE(result.ok) << result.message.toStdString();
    EXPECT_EQ(calls, 3);
    EXPECT_EQ(checkedPort, controller().enginePort());
    EXPECT_THAT(m_states, ElementsAre(EngineState::Starting, EngineState::WaitingForEngine, EngineState::Running));
    EXPECT_THAT(m_progress.join('\n').toStdString(), HasSubstr("does not answer yet: connection refused"));
}

TEST_F(EngineControllerTest, EngineThatNeverAnswersIsAnErrorNamingTheProblem)
{
    m_options.engineCheckInterval = 20ms;
    m_options.timeouts.bootToReady = 400ms;
    m_options.engineCheck
        = [](quint16, EngineOptions::EngineCheckDone done) { done(false, QStringLiteral("TLS handshake failed")); };
    controller().start(plan(QByteArray("{}")));
    const auto result = waitForOperations(1);
    EXPECT_FALSE(result.ok);
    EXPECT_THAT(result.message.toStdString(), HasSubstr("engine did not answer"));
    EXPECT_THAT(result.message.toStdString(), HasSubstr("TLS handshake failed"));
    EXPECT_EQ(m_processes->runningCount(), 0);
}

TEST_F(EngineControllerTest, ASecondControllerOnTheSameInstanceIsRefused)
{
    startRunning();
    const qint64 pid = controller().qemuPid();
    EngineController second(m_options, m_processes);
    std::optional<std::pair<bool, QString>> result;
    QObject::connect(&second, &EngineController::operationFinished,
                     [&](EngineOperation, bool ok, const QString& message) {
                         result = {ok, message};
                     });
    second.stop();  // would otherwise take the first one's QEMU for a stale leftover
    ASSERT_TRUE(QTest::qWaitFor([&] { return result.has_value(); }, 5000));
    EXPECT_FALSE(result->first);
    EXPECT_THAT(result->second.toStdString(), HasSubstr("managed by another Berth process"));
    EXPECT_EQ(controller().state(), EngineState::Running);
    EXPECT_EQ(controller().qemuPid(), pid);
    EXPECT_EQ(m_processes->runningCount(), 1);
}

TEST_F(EngineControllerTest, QemuThatCannotStartIsAClearError)
{
    m_processes->behaviour.failToStart = true;
    controller().start(plan(QByteArray("{}")));
    const auto result = waitForOperations(1);
    EXPECT_FALSE(result.ok);
    EXPECT_EQ(controller().state(), EngineState::Error);
    EXPECT_THAT(result.message.toStdString(),
                HasSubstr("failed to start: qemu-system-x86_64: No such file or directory"));
}

TEST_F(EngineControllerTest, GoingBackToTheConfigBeingLaunchedDropsTheQueuedRestart)
{
    startRunning(R"({"v":"A"})");
    controller().restart(plan(QByteArray(R"({"v":"B"})")));
    ASSERT_TRUE(QTest::qWaitFor([&] { return m_processes->qemuLaunches() == 2; }, 5000));
    controller().restart(plan(QByteArray(R"({"v":"C"})")));  // queued behind the restart to B
    controller().restart(plan(QByteArray(R"({"v":"B"})")));  // changed my mind: B it is
    waitForOperations(3);
    ASSERT_TRUE(QTest::qWaitFor([&] { return !controller().isBusy(); }, 5000));
    QTest::qWait(100);
    EXPECT_EQ(m_processes->qemuLaunches(), 2);
    EXPECT_EQ(nlohmann::json::parse(controller().guestReportedConfig().toStdString())["v"], "B");
    ASSERT_EQ(m_finished.size(), 3u);
    EXPECT_TRUE(m_finished[1].ok);
    EXPECT_TRUE(m_finished[2].ok);
}
