// The engine controller through the libvirt backend with a real libvirtd and the test guest (TCG):
// start, restart with a new config, graceful stop, switching backends on restart, a guest
// ignoring shutdown, a domain left running by a crash, forced stop, and an unreachable daemon.
// libvirtd and virtlogd do not run on a fresh machine: the suite starts them when they are not
// running and stops only what it started. It skips only when libvirtd is not installed.
#include "berth/vm/engine_controller.h"
#include "controller_test.h"
#include "libvirt/libvirt_backend.h"
#include "libvirt_daemons.h"
#include "qemu/qemu_backend.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <cstdio>

#include <sys/stat.h>
#include <unistd.h>

using namespace berth::vm;
using namespace berth::vm::itest;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

namespace {

class LibvirtIntegrationTest : public berth::vm::itest::ControllerTest {
protected:
    static void SetUpTestSuite()
    {
        s_skip = berth::testing::LibvirtDaemons::notInstalledReason();
        if (!s_skip.isEmpty()) { return; }
        s_uri = berth::testing::LibvirtDaemons::defaultUri();
        s_daemons = new berth::testing::LibvirtDaemons;
        s_setupError = s_daemons->ensureRunning(s_uri);
    }

    static void TearDownTestSuite()
    {
        delete s_daemons;  // stops what it started
        s_daemons = nullptr;
    }

    void SetUp() override
    {
        if (!s_skip.isEmpty()) { GTEST_SKIP() << s_skip.toStdString(); }
        ASSERT_TRUE(s_setupError.isEmpty()) << s_setupError.toStdString();
        ControllerTest::SetUp();
        if (HasFatalFailure()) { return; }
        m_backendOptions.uri = s_uri;
        m_backendOptions.leftoverShutdown = 2s;
    }

    void TearDown() override
    {
        m_controller.reset();  // destroys a domain a failed test left running
        if (!s_skip.isEmpty() || s_uri.isEmpty()) { return; }
        // Each test's instance has its own domain: leave no definitions behind.
        QString error;
        if (m_connection) { m_connection->destroy(domainName(), &error); }
        QProcess virsh;  // output kept: a test that defined nothing has nothing to undefine
        virsh.start("virsh", {"-q", "-c", s_uri, "undefine", domainName()});
        virsh.waitForFinished(10'000);
    }

    std::unique_ptr<EngineController> makeController() override
    {
        return std::make_unique<EngineController>(m_options, systemProcessFactory(),
                                                  m_firstBackend ? m_firstBackend
                                                                 : std::make_shared<LibvirtBackend>(m_backendOptions));
    }

    QString domainName() const { return libvirtDomainName(m_options.instanceDir); }

    // The domain as libvirt sees it, through a connection of the test's own.
    std::optional<DomainInfo> domain()
    {
        if (!m_connection) {
            QString error;
            m_connection = systemLibvirt()->open(s_uri, &error);
            EXPECT_TRUE(m_connection) << error.toStdString();
            if (!m_connection) { return std::nullopt; }
        }
        QString error;
        auto info = m_connection->lookup(domainName(), &error);
        EXPECT_TRUE(error.isEmpty()) << error.toStdString();
        return info;
    }

    bool domainActive() { return domain().value_or(DomainInfo{}).active; }

    static inline QString s_skip;
    static inline QString s_setupError;
    static inline QString s_uri;
    static inline berth::testing::LibvirtDaemons* s_daemons = nullptr;

    LibvirtBackend::Options m_backendOptions;
    std::shared_ptr<VmBackend> m_firstBackend;  // the controller's backend when not libvirt
    std::shared_ptr<LibvirtConnection> m_connection;
};

}  // namespace

TEST_F(LibvirtIntegrationTest, StartRestartWithANewConfigAndGracefulStop)
{
    const nlohmann::json first = guestConfig("libvirt first boot");
    const qint64 startMs = run([&] { controller().start(plan(first)); });
    report("libvirt: start -> ready (includes the accelerator choice)", startMs);
    ASSERT_EQ(controller().state(), EngineState::Running) << controller().stateDetail().toStdString();
    EXPECT_EQ(reportedConfig(), first) << "the config went over <sysinfo type='fwcfg'>";
    EXPECT_EQ(controller().vmManager(), "libvirt (" + s_uri + ")");
    EXPECT_TRUE(domainActive()) << "the domain is visible to libvirt clients (virsh list)";
    EXPECT_EQ(domain().value_or(DomainInfo{}).uuid, libvirtDomainUuid(m_options.instanceDir));
    const qint64 firstPid = controller().qemuPid();
    EXPECT_GT(firstPid, 0);
    ASSERT_TRUE(QFile::exists(m_options.instanceDir + "/agent.sock"));
    EXPECT_FALSE(QFile::permissions(m_options.instanceDir + "/agent.sock") & (QFile::ReadOther | QFile::WriteOther))
        << "sockets are private";
    EXPECT_THAT(QFile(m_options.instanceDir + "/serial.log").size(), ::testing::Gt(0))
        << "the console goes to serial.log";

    const nlohmann::json second = guestConfig("libvirt second boot", true);
    const qint64 restartMs = run([&] { controller().restart(plan(second)); });
    report("libvirt: restart (stop + define + start + boot to ready)", restartMs);
    ASSERT_EQ(controller().state(), EngineState::Running) << controller().stateDetail().toStdString();
    EXPECT_EQ(reportedConfig(), second);
    EXPECT_NE(controller().qemuPid(), firstPid) << "a full quit and a fresh QEMU, not a reboot";

    const qint64 stopMs = run([&] { controller().stop(); });
    report("libvirt: graceful stop (idle guest, through the agent)", stopMs);
    EXPECT_EQ(controller().state(), EngineState::Stopped);
    EXPECT_FALSE(domainActive());
    EXPECT_THAT(m_progress.join('\n').toStdString(), ::testing::Not(HasSubstr("Pressing the VM's power button")))
        << "the agent powered the guest off; ACPI was not needed";
    EXPECT_TRUE(domain().has_value()) << "the domain stays defined for virsh and virt-manager";
}

// Apply & restart after `vm.manager` changed: the plan names the other backend.
TEST_F(LibvirtIntegrationTest, SwitchingBackendsOnRestartKeepsTheDataDisk)
{
    m_options.dataDisk = m_tmp.filePath("data.qcow2");
    m_plan.resources.dataDiskSizeBytes = qint64(64) << 20;
    m_firstBackend = std::make_shared<QemuBackend>();
    run([&] { controller().start(plan(guestConfig("on qemu"))); });
    ASSERT_EQ(controller().state(), EngineState::Running) << controller().stateDetail().toStdString();
    EXPECT_EQ(controller().vmManager(), "qemu");
    const auto inode = [&] {
        struct stat st {};
        return ::stat(m_options.dataDisk.toLocal8Bit().constData(), &st) == 0 ? st.st_ino : ino_t(0);
    };
    const ino_t disk = inode();
    ASSERT_NE(disk, ino_t(0)) << "the QEMU backend created the data disk";

    m_plan.backend = std::make_shared<LibvirtBackend>(m_backendOptions);
    const qint64 switchMs = run([&] { controller().restart(plan(guestConfig("on libvirt"))); });
    report("restart switching QEMU -> libvirt", switchMs);
    ASSERT_EQ(controller().state(), EngineState::Running) << controller().stateDetail().toStdString();
    EXPECT_EQ(controller().vmManager(), "libvirt (" + s_uri + ")");
    EXPECT_EQ(reportedConfig(), guestConfig("on libvirt"));
    EXPECT_TRUE(domainActive());
    EXPECT_EQ(inode(), disk) << "the same data disk, not a new one";

    m_plan.backend = std::make_shared<QemuBackend>();
    run([&] { controller().restart(plan(guestConfig("on qemu again"))); });
    ASSERT_EQ(controller().state(), EngineState::Running) << controller().stateDetail().toStdString();
    EXPECT_EQ(controller().vmManager(), "qemu");
    EXPECT_FALSE(domainActive()) << "the libvirt domain was shut down by the switch back";
    EXPECT_EQ(inode(), disk);
    run([&] { controller().stop(EngineController::StopMode::Force); });
}

TEST_F(LibvirtIntegrationTest, GuestIgnoringShutdownGetsTheButtonThenIsDestroyed)
{
    m_options.timeouts.agentShutdown = 1s;
    m_options.timeouts.powerdown = 1s;
    m_options.kernelCmdline = withTestHooks("ignoreShutdown");
    run([&] { controller().start(plan(guestConfig("ignoring shutdown"))); });
    ASSERT_EQ(controller().state(), EngineState::Running) << controller().stateDetail().toStdString();
    const qint64 stopMs = run([&] { controller().stop(); });
    report("libvirt: stop of a guest ignoring shutdown (1 s + 1 s grace)", stopMs);
    EXPECT_GE(stopMs, 2000);
    EXPECT_LT(stopMs, 8000);
    EXPECT_EQ(controller().state(), EngineState::Stopped);
    EXPECT_FALSE(domainActive());
    const std::string steps = m_progress.join('\n').toStdString();
    EXPECT_THAT(steps, HasSubstr("Pressing the VM's power button"));
    EXPECT_THAT(steps, HasSubstr("killing QEMU"));
}

TEST_F(LibvirtIntegrationTest, ADomainLeftRunningByACrashIsShutDownAtTheNextStartAndAForcedStopDestroysIt)
{
    // What a Berth killed without autodestroy leaves behind: our domain, running.
    VmSpec spec;
    spec.kernel = m_options.kernel;
    spec.initrd = m_options.initrd;
    spec.resources.cpus = 1;
    spec.resources.memoryMiB = 256;
    spec.instanceDir = m_options.instanceDir;
    QString error;
    ASSERT_TRUE(InstanceDir(spec.instanceDir).ensure(&error)) << error.toStdString();
    domain();  // opens the test's own connection
    ASSERT_TRUE(m_connection);
    ASSERT_TRUE(m_connection->define(libvirtDomainXml(spec, m_connection->isPrivileged()), &error))
        << error.toStdString();
    ASSERT_TRUE(m_connection->start(domainName(), false, &error)) << error.toStdString();
    const qint64 leftoverPid = m_connection->qemuPid(domainName());
    ASSERT_TRUE(domainActive());

    const qint64 startMs = run([&] { controller().start(plan(guestConfig("after a crash"))); });
    report("libvirt: start with a leftover domain (its shutdown included)", startMs);
    ASSERT_EQ(controller().state(), EngineState::Running) << controller().stateDetail().toStdString();
    EXPECT_EQ(reportedConfig(), guestConfig("after a crash"));
    EXPECT_NE(controller().qemuPid(), leftoverPid);

    // The forced stop (berthctl stop --force): virDomainDestroy at once, no agent, no button.
    m_progress.clear();
    const qint64 stopMs = run([&] { controller().stop(EngineController::StopMode::Force); });
    report("libvirt: forced stop", stopMs);
    EXPECT_LT(stopMs, 5000);
    EXPECT_EQ(controller().state(), EngineState::Stopped);
    EXPECT_FALSE(domainActive());
    EXPECT_THAT(m_progress.join('\n').toStdString(), ::testing::Not(HasSubstr("Asking the guest")));
}

TEST_F(LibvirtIntegrationTest, AnUnreachableDaemonIsAClearError)
{
    m_backendOptions.uri = "qemu+unix:///system?socket=" + m_tmp.filePath("no-such-libvirt-sock");
    run([&] { controller().start(plan(guestConfig("unreachable"))); }, false);
    EXPECT_EQ(controller().state(), EngineState::Error);
    const std::string detail = controller().stateDetail().toStdString();
    EXPECT_THAT(detail, HasSubstr("Cannot connect to libvirt"));
    EXPECT_THAT(detail, HasSubstr("no-such-libvirt-sock"));
}
