// Host-facing pieces: the real process wrapper, the accelerator choice, stale QEMU cleanup.
#include "accelerator.h"
#include "berth/vm/instance_dir.h"
#include "berth/vm/process.h"
#include "stale_qemu.h"

#include "fake_qemu.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <QFile>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace berth::vm;
using namespace berth::vm::testing;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

namespace {

ProcessExit runToEnd(Process& process, QByteArray* output = nullptr)
{
    ProcessExit result;
    bool done = false;
    QObject::connect(&process, &Process::finished, [&](const ProcessExit& exit) {
        result = exit;
        done = true;
    });
    process.start();
    EXPECT_TRUE(QTest::qWaitFor([&] { return done; }, 5000));
    if (output) { *output = process.readAllStandardOutput(); }
    return result;
}

}  // namespace

TEST(SystemProcess, ChildGetsPrivateUmaskAndItsOwnProcessGroup)
{
    auto process
        = systemProcessFactory()->create({"/bin/sh", {"-c", "umask; echo $$; cut -d' ' -f5 /proc/$$/stat"}, {}});
    QByteArray output;
    const auto exit = runToEnd(*process, &output);
    EXPECT_EQ(exit.exitCode, 0);
    const auto lines = output.split('\n');
    ASSERT_GE(lines.size(), 3);
    EXPECT_EQ(lines[0], "0077");
    EXPECT_EQ(lines[1], lines[2]) << "pgid == pid";
}

TEST(SystemProcess, ReportsSignalsAndFailuresToStart)
{
    auto sleeper = systemProcessFactory()->create({"/bin/sleep", {"30"}, {}});
    bool started = false;
    QObject::connect(sleeper.get(), &Process::started, [&] { started = true; });
    ProcessExit exit;
    bool done = false;
    QObject::connect(sleeper.get(), &Process::finished, [&](const ProcessExit& e) {
        exit = e;
        done = true;
    });
    sleeper->start();
    ASSERT_TRUE(QTest::qWaitFor([&] { return started; }, 5000));
    EXPECT_GT(sleeper->pid(), 0);
    sleeper->kill();
    ASSERT_TRUE(QTest::qWaitFor([&] { return done; }, 5000));
    EXPECT_TRUE(exit.crashed);
    EXPECT_EQ(exit.exitCode, SIGKILL);
    EXPECT_THAT(exit.describe().toStdString(), HasSubstr("signal 9"));

    auto missing = systemProcessFactory()->create({"/nonexistent/qemu-system-x86_64", {}, {}});
    const auto failed = runToEnd(*missing);
    EXPECT_TRUE(failed.failedToStart);
    EXPECT_THAT(failed.describe().toStdString(), HasSubstr("/nonexistent/qemu-system-x86_64"));
}

class AcceleratorTest : public ::testing::Test {
protected:
    AcceleratorVerdict probe(const QString& device = "/dev/kvm")
    {
        AcceleratorProbe::Options options;
        options.kernel = m_tmp.filePath("vmlinux");
        options.kvmDevice = device;
        options.timeout = 200ms;
        options.cacheFile = m_tmp.filePath("accelerator.json");
        AcceleratorProbe probe(options, m_processes);
        probe.setDeviceCheck(m_deviceCheck);
        AcceleratorVerdict verdict;
        bool done = false;
        QObject::connect(&probe, &AcceleratorProbe::finished, [&](const AcceleratorVerdict& v) {
            verdict = v;
            done = true;
        });
        probe.run();
        EXPECT_TRUE(QTest::qWaitFor([&] { return done; }, 3000));
        return verdict;
    }

    QTemporaryDir m_tmp;
    std::shared_ptr<FakeProcessFactory> m_processes = std::make_shared<FakeProcessFactory>();
    AcceleratorProbe::DeviceCheck m_deviceCheck = [](const QString&) { return QString(); };
};

TEST_F(AcceleratorTest, UnusableDeviceMeansTcgWithoutAProbe)
{
    m_deviceCheck = kvmDeviceProblem;  // the real check, on a path that is not a KVM device
    const auto verdict = probe(m_tmp.filePath("no-kvm-here"));
    EXPECT_EQ(verdict.accelerator, Accelerator::Tcg);
    EXPECT_THAT(verdict.reason.toStdString(), HasSubstr("no-kvm-here is not usable"));
    EXPECT_TRUE(m_processes->launched.empty());
}

TEST_F(AcceleratorTest, BootingProbeMeansKvmAndTheVerdictIsCached)
{
    const auto first = probe();
    EXPECT_EQ(first.accelerator, Accelerator::Kvm);
    EXPECT_FALSE(first.fromCache);
    ASSERT_EQ(m_processes->launched.size(), 1u);
    EXPECT_THAT(m_processes->launched[0].arguments, ::testing::Contains("kvm"));

    const auto second = probe();
    EXPECT_EQ(second.accelerator, Accelerator::Kvm);
    EXPECT_TRUE(second.fromCache);
    EXPECT_EQ(m_processes->launched.size(), 1u) << "no second probe boot";
}

TEST_F(AcceleratorTest, HangingProbeMeansTcgAndTheProbeIsKilled)
{
    m_processes->behaviour.probe = FakeQemuBehaviour::Probe::Hangs;
    const auto verdict = probe();
    EXPECT_EQ(verdict.accelerator, Accelerator::Tcg);
    EXPECT_THAT(verdict.reason.toStdString(), HasSubstr("did not boot within 0.2 s"));
    EXPECT_TRUE(QTest::qWaitFor([&] { return m_processes->runningCount() == 0; }, 1000));

    const auto cached = probe();
    EXPECT_TRUE(cached.fromCache);
    EXPECT_EQ(cached.accelerator, Accelerator::Tcg);
    EXPECT_EQ(cached.reason, verdict.reason) << "status shows the same reason on later starts";
}

TEST_F(AcceleratorTest, FailingProbeMeansTcgWithQemusReason)
{
    m_processes->behaviour.probe = FakeQemuBehaviour::Probe::Fails;
    const auto verdict = probe();
    EXPECT_EQ(verdict.accelerator, Accelerator::Tcg);
    EXPECT_THAT(verdict.reason.toStdString(), HasSubstr("failed to initialize kvm"));
}

class StaleQemuTest : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_TRUE(m_dir.ensure(nullptr)); }

    // A stand-in for a leftover QEMU: argv[0] is qemu-system-x86_64 and it names our QMP socket.
    qint64 spawnImpostor(const QString& socketPath)
    {
        qint64 pid = 0;
        const bool ok = QProcess::startDetached(
            "/bin/bash", {"-c", "exec -a qemu-system-x86_64 tail -f /dev/null \"$0\" 2>/dev/null", socketPath}, {},
            &pid);
        EXPECT_TRUE(ok);
        // Wait until the exec happened, so /proc shows the final command line.
        EXPECT_TRUE(QTest::qWaitFor(
            [&] {
                QFile cmdline(QStringLiteral("/proc/%1/cmdline").arg(pid));
                return cmdline.open(QIODevice::ReadOnly) && cmdline.readAll().startsWith("qemu-system");
            },
            5000));
        return pid;
    }

    void writePidFile(qint64 pid)
    {
        QFile file(m_dir.pidFile());
        ASSERT_TRUE(file.open(QIODevice::WriteOnly));
        file.write(QByteArray::number(pid) + "\n");
    }

    QTemporaryDir m_tmp;
    InstanceDir m_dir{m_tmp.filePath("instance")};
};

TEST_F(StaleQemuTest, LeftoverQemuOfThisInstanceIsShutDown)
{
    const qint64 pid = spawnImpostor(m_dir.qmpSocket());
    writePidFile(pid);
    EXPECT_EQ(findStaleQemu(m_dir), pid);

    StaleQemuReaper reaper(m_dir, 2s);
    QSignalSpy finished(&reaper, &StaleQemuReaper::finished);
    reaper.run();
    ASSERT_TRUE(finished.count() == 1 || finished.wait(5000));
    EXPECT_TRUE(finished.at(0).at(0).toBool()) << "found";
    EXPECT_TRUE(finished.at(0).at(1).toBool()) << "ok";
    EXPECT_THAT(finished.at(0).at(2).toString().toStdString(), HasSubstr(std::to_string(pid)));
    EXPECT_TRUE(ProcessExitWatcher(pid).hasExited());
    EXPECT_FALSE(QFile::exists(m_dir.pidFile()));
}

TEST_F(StaleQemuTest, UnrelatedProcessBehindAStalePidfileIsLeftAlone)
{
    const qint64 other = spawnImpostor(m_tmp.filePath("another-instance/qmp.sock"));
    writePidFile(other);
    EXPECT_EQ(findStaleQemu(m_dir), 0) << "a QEMU of another instance";
    writePidFile(::getpid());
    EXPECT_EQ(findStaleQemu(m_dir), 0) << "ourselves";

    StaleQemuReaper reaper(m_dir, 2s);
    QSignalSpy finished(&reaper, &StaleQemuReaper::finished);
    reaper.run();
    ASSERT_TRUE(finished.count() == 1 || finished.wait(2000));
    EXPECT_FALSE(finished.at(0).at(0).toBool());
    EXPECT_FALSE(QFile::exists(m_dir.pidFile())) << "the meaningless pidfile is removed";
    EXPECT_FALSE(ProcessExitWatcher(other).hasExited());
    ::kill(static_cast<pid_t>(other), SIGKILL);
}
