// The engine controller with a real qemu-system-x86_64 (TCG) and the test guest: boot, config
// over fw_cfg, the agent channel, graceful and forced quits, crashes and stale processes.
// Every QEMU started here is stopped or killed before the test ends.
#include "accelerator.h"
#include "berth/vm/engine_controller.h"
#include "controller_test.h"
#include "data_disk.h"
#include "stale_qemu.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <cstdio>

using namespace berth::vm;
using namespace berth::vm::itest;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

namespace {

bool isAlive(qint64 pid)
{
    return pid > 0 && !ProcessExitWatcher(pid).hasExited();
}

bool waitForExit(qint64 pid, int timeoutMs)
{
    ProcessExitWatcher watcher(pid);
    return QTest::qWaitFor([&] { return watcher.hasExited(); }, timeoutMs);
}

class QemuIntegrationTest : public berth::vm::itest::ControllerTest {
protected:
    void TearDown() override
    {
        m_controller.reset();  // kills a QEMU a failed test left running
        for (const qint64 pid : m_foreignPids) {
            if (isAlive(pid)) { ::kill(static_cast<pid_t>(pid), SIGKILL); }
        }
        for (auto* helper : m_helpers) {
            helper->kill();
            helper->waitForFinished(5000);
            delete helper;
        }
    }

    // An app process owning a controller, to be killed with SIGKILL.
    qint64 startHelper(const QString& instanceDir, const QByteArray& config, bool qemuSurvives)
    {
        auto* helper = new QProcess;
        m_helpers.push_back(helper);
        QStringList args{instanceDir, guestFile("vmlinux"), guestFile("initramfs.img"), QString::fromUtf8(config)};
        if (qemuSurvives) { args << "--qemu-survives"; }
        helper->start(qEnvironmentVariable("BERTH_VM_CONTROLLER_HELPER"), args);
        EXPECT_TRUE(helper->waitForStarted(5000));
        QByteArray output;
        EXPECT_TRUE(QTest::qWaitFor(
            [&] {
                output += helper->readAllStandardOutput();
                return output.contains('\n') || helper->state() == QProcess::NotRunning;
            },
            kBootMs))
            << "helper did not report";
        EXPECT_TRUE(output.startsWith("RUNNING "))
            << output.toStdString() << helper->readAllStandardError().toStdString();
        const qint64 pid = output.mid(8).trimmed().toLongLong();
        m_foreignPids.push_back(pid);
        return pid;
    }

    // What an app killed with SIGKILL leaves: its QEMU, running, with nobody to talk to its agent.
    qint64 leaveStaleQemu()
    {
        const qint64 pid
            = startHelper(m_options.instanceDir, QByteArray::fromStdString(guestConfig("helper").dump()), true);
        EXPECT_TRUE(isAlive(pid)) << "the helper's QEMU is not running";
        m_helpers.back()->kill();
        m_helpers.back()->waitForFinished(5000);
        return pid;
    }

    std::vector<qint64> m_foreignPids;
    std::vector<QProcess*> m_helpers;
};

}  // namespace

TEST_F(QemuIntegrationTest, StartReachesReadyWithTheConfigEchoedAndAnIdleGuestStopsFast)
{
    const nlohmann::json config = guestConfig("first boot", true);
    const qint64 startMs = run([&] { controller().start(plan(config)); });
    report("start -> ready (includes the accelerator choice)", startMs);
    ASSERT_EQ(controller().state(), EngineState::Running) << controller().stateDetail().toStdString();
    EXPECT_EQ(reportedConfig(), config);
    const qint64 pid = controller().qemuPid();
    EXPECT_TRUE(isAlive(pid));
    ASSERT_TRUE(controller().accelerator().has_value());
    EXPECT_FALSE(controller().acceleratorReason().isEmpty());
    std::printf("[ accel    ] %s: %s\n", qPrintable(toString(*controller().accelerator())),
                qPrintable(controller().acceleratorReason()));

    const auto status = EngineController::readStatusFile(m_options.instanceDir);
    EXPECT_EQ(status["state"], "Running");
    EXPECT_EQ(status["qemuPid"], pid);

    QFile::Permissions socketPermissions = QFile::permissions(m_options.instanceDir + "/agent.sock");
    EXPECT_FALSE(socketPermissions & (QFile::ReadGroup | QFile::WriteGroup | QFile::ReadOther | QFile::WriteOther))
        << "sockets are private";

    const qint64 stopMs = run([&] { controller().stop(); });
    report("graceful stop (idle guest)", stopMs);
    EXPECT_LT(stopMs, 2000);
    EXPECT_EQ(controller().state(), EngineState::Stopped);
    EXPECT_FALSE(isAlive(pid));
    EXPECT_FALSE(QFile::exists(m_options.instanceDir + "/qemu.pid"));
}

TEST_F(QemuIntegrationTest, RestartBootsAFreshQemuWithTheNewConfig)
{
    run([&] { controller().start(plan(guestConfig("generation 1"))); });
    ASSERT_EQ(controller().state(), EngineState::Running);
    const qint64 firstPid = controller().qemuPid();

    const qint64 restartMs = run([&] { controller().restart(plan(guestConfig("generation 2", true))); });
    report("restart (stop + launch + boot to ready)", restartMs);
    ASSERT_EQ(controller().state(), EngineState::Running) << controller().stateDetail().toStdString();
    EXPECT_EQ(reportedConfig(), guestConfig("generation 2", true));
    EXPECT_NE(controller().qemuPid(), firstPid);
    EXPECT_FALSE(isAlive(firstPid)) << "a full quit, not a reboot";
    run([&] { controller().stop(); });
}

TEST_F(QemuIntegrationTest, GuestIgnoringShutdownIsKilledAfterTheTimeout)
{
    m_options.timeouts.agentShutdown = 1s;
    m_options.timeouts.powerdown = 1s;
    m_options.kernelCmdline = withTestHooks("ignoreShutdown");
    run([&] { controller().start(plan(guestConfig("ignoring shutdown"))); });
    ASSERT_EQ(controller().state(), EngineState::Running);
    const qint64 pid = controller().qemuPid();
    const qint64 stopMs = run([&] { controller().stop(); });
    report("stop of a guest ignoring shutdown (1 s + 1 s grace)", stopMs);
    EXPECT_GE(stopMs, 2000);
    EXPECT_LT(stopMs, 6000);
    EXPECT_EQ(controller().state(), EngineState::Stopped);
    EXPECT_FALSE(isAlive(pid));
    EXPECT_FALSE(QFile::exists(m_options.instanceDir + "/qemu.pid"));
    EXPECT_THAT(m_progress.join('\n').toStdString(), HasSubstr("killing QEMU"));
}

// The data disk with real qemu-img and QEMU: created, grown at the next launch, and consistent
// after a forced stop, because QMP quit lets QEMU flush the qcow2 metadata.
TEST_F(QemuIntegrationTest, DataDiskGrowsAndSurvivesAForcedStopConsistent)
{
    m_options.dataDisk = m_tmp.filePath("data.qcow2");
    m_plan.resources.dataDiskSizeBytes = 1ll << 30;
    run([&] { controller().start(plan(guestConfig("generation 1"))); });
    ASSERT_EQ(controller().state(), EngineState::Running);
    EXPECT_EQ(qcow2VirtualSize(m_options.dataDisk), 1ll << 30);

    m_plan.resources = {1, 256, 2ll << 30};
    run([&] { controller().restart(plan(guestConfig("generation 2"))); });
    ASSERT_EQ(controller().state(), EngineState::Running);
    EXPECT_EQ(qcow2VirtualSize(m_options.dataDisk), 2ll << 30);

    const qint64 stopMs = run([&] { controller().stop(EngineController::StopMode::Force); });
    report("forced stop (QMP quit)", stopMs);
    EXPECT_LT(stopMs, 1000) << "quit answered; no SIGKILL grace was needed";
    EXPECT_EQ(controller().state(), EngineState::Stopped);

    QProcess check;
    check.start("qemu-img", {"check", "-q", m_options.dataDisk});
    ASSERT_TRUE(check.waitForFinished(30000));
    EXPECT_EQ(check.exitCode(), 0) << check.readAllStandardOutput().toStdString()
                                   << check.readAllStandardError().toStdString();
}

TEST_F(QemuIntegrationTest, QemuKilledExternallyIsAnErrorWithTheSerialLogTail)
{
    run([&] { controller().start(plan(guestConfig("to be killed"))); });
    ASSERT_EQ(controller().state(), EngineState::Running);
    QElapsedTimer clock;
    clock.start();
    ::kill(static_cast<pid_t>(controller().qemuPid()), SIGKILL);
    ASSERT_TRUE(QTest::qWaitFor([&] { return controller().state() == EngineState::Error; }, 1000));
    report("external SIGKILL -> Error", clock.elapsed());
    const std::string reason = controller().stateDetail().toStdString();
    EXPECT_THAT(reason, HasSubstr("killed by signal 9"));
    EXPECT_THAT(reason, HasSubstr("serial.log"));
    EXPECT_THAT(reason, HasSubstr("berth-init")) << "the guest's console output is in the reason";
    EXPECT_FALSE(QFile::exists(m_options.instanceDir + "/qemu.pid"));
}

TEST_F(QemuIntegrationTest, GuestBootFailureIsAnErrorWithTheGuestsMessage)
{
    m_options.kernelCmdline = withTestHooks("failBoot");
    run([&] { controller().start(plan(guestConfig("failing"))); }, false);
    EXPECT_EQ(controller().state(), EngineState::Error);
    EXPECT_THAT(controller().stateDetail().toStdString(), HasSubstr("failBoot"));
    EXPECT_EQ(controller().qemuPid(), 0);
}

// A guest whose agent connects but never reports the boot's outcome: an Error naming the
// deadline, in bounded time, with no QEMU left; the next start, with a working guest, recovers.
TEST_F(QemuIntegrationTest, AGuestThatNeverReportsReadyIsAnErrorAtTheDeadline)
{
    m_options.timeouts.bootToReady = 5s;
    m_options.kernelCmdline = withTestHooks("silentBoot");
    const qint64 failMs = run([&] { controller().start(plan(guestConfig("silent"))); }, false);
    report("silent guest -> Error (5 s boot deadline)", failMs);
    EXPECT_EQ(controller().state(), EngineState::Error);
    EXPECT_THAT(controller().stateDetail().toStdString(), HasSubstr("did not report ready within 5 s"));
    EXPECT_LT(failMs, 30000);
    EXPECT_EQ(controller().qemuPid(), 0);
    EXPECT_FALSE(QFile::exists(m_options.instanceDir + "/qemu.pid"));

    m_controller.reset();  // a controller as the next launch of the app makes it, with the usual deadline
    m_options.timeouts.bootToReady = 3min;
    m_options.kernelCmdline = kDefaultKernelCmdline;
    run([&] { controller().start(plan(guestConfig("after the silent one"))); });
    EXPECT_EQ(controller().state(), EngineState::Running) << controller().stateDetail().toStdString();
    run([&] { controller().stop(); });
}

TEST_F(QemuIntegrationTest, QemuDiesWithAControllerKilledBySigkill)
{
    const QString instance = m_tmp.filePath("helper-instance");
    const qint64 qemuPid = startHelper(instance, QByteArray::fromStdString(guestConfig("helper").dump()), false);
    ASSERT_TRUE(isAlive(qemuPid));
    m_helpers.back()->kill();
    EXPECT_TRUE(waitForExit(qemuPid, 5000)) << "QEMU outlived its controller";
}

TEST_F(QemuIntegrationTest, StaleQemuFromAKilledControllerIsCleanedUpOnTheNextStart)
{
    const qint64 stalePid = leaveStaleQemu();
    ASSERT_TRUE(isAlive(stalePid)) << "the simulated crash left QEMU running";

    run([&] { controller().start(plan(guestConfig("after a crash"))); });
    ASSERT_EQ(controller().state(), EngineState::Running) << controller().stateDetail().toStdString();
    EXPECT_FALSE(isAlive(stalePid));
    EXPECT_NE(controller().qemuPid(), stalePid);
    EXPECT_EQ(reportedConfig(), guestConfig("after a crash"));
    EXPECT_THAT(m_progress.join('\n').toStdString(), HasSubstr("earlier run"));
    run([&] { controller().stop(); });
}

// The ACPI power button with the firmware and CPU model the VM really gets: a QEMU whose controller
// was killed has no one to ask its agent, so stop presses the button, and the guest powers off.
TEST_F(QemuIntegrationTest, AStaleQemusGuestPowersOffAtItsPowerButton)
{
    const qint64 stalePid = leaveStaleQemu();
    ASSERT_TRUE(isAlive(stalePid)) << "the simulated crash left QEMU running";

    run([&] { controller().stop(); });
    EXPECT_FALSE(isAlive(stalePid));
    QFile serial(m_options.instanceDir + "/serial.log");
    ASSERT_TRUE(serial.open(QIODevice::ReadOnly));
    EXPECT_THAT(serial.readAll().toStdString(), HasSubstr("reboot: Power down"))
        << "the guest did not power off by itself: QEMU was made to quit";
}

TEST_F(QemuIntegrationTest, AcceleratorProbeDecidesQuickly)
{
    AcceleratorProbe::Options probeOptions;
    probeOptions.kernel = guestFile("vmlinux");
    probeOptions.kvmDevice = m_options.kvmDevice;
    probeOptions.timeout = 3s;
    AcceleratorProbe probe(probeOptions, systemProcessFactory());
    std::optional<AcceleratorVerdict> verdict;
    QObject::connect(&probe, &AcceleratorProbe::finished, [&](const AcceleratorVerdict& v) { verdict = v; });
    QElapsedTimer clock;
    clock.start();
    probe.run();
    ASSERT_TRUE(QTest::qWaitFor([&] { return verdict.has_value(); }, 10'000));
    report("accelerator probe", clock.elapsed());
    std::printf("[ accel    ] %s: %s\n", qPrintable(toString(verdict->accelerator)), qPrintable(verdict->reason));
    EXPECT_LT(clock.elapsed(), 4000);
    EXPECT_FALSE(verdict->reason.isEmpty());
}
