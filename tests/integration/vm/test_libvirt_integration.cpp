// The engine controller through the libvirt backend with a real libvirtd and the test guest (TCG):
// start, restart with a new config, graceful stop, switching backends on restart, a guest
// ignoring shutdown, a domain left running by a crash, forced stop, and an unreachable daemon.
// libvirtd and virtlogd do not run on a fresh machine: the suite starts them when they are not
// running and stops only what it started. It skips only when libvirtd is not installed.
#include "berth/vm/engine_controller.h"
#include "berth/vm/libvirt_backend.h"
#include "berth/vm/qemu_backend.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <QElapsedTimer>
#include <QFile>
#include <QLocalSocket>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <cstdio>

#include <sys/stat.h>
#include <unistd.h>

using namespace berth::vm;
using namespace std::chrono_literals;
using ::testing::HasSubstr;
using State = EngineController::State;
using Operation = EngineController::Operation;

namespace {

constexpr int kBootMs = 60'000;

QString guestFile(const char* name)
{
    return qEnvironmentVariable("BERTH_TEST_GUEST_DIR") + "/" + name;
}

void report(const char* what, qint64 ms)
{
    std::printf("[ timing   ] %s: %lld ms\n", what, static_cast<long long>(ms));
    std::fflush(stdout);
}

bool answers(const QString& socketPath)
{
    QLocalSocket socket;
    socket.connectToServer(socketPath);
    return socket.waitForConnected(1000);
}

// One daemon this suite may have to start: `program -d --pid-file FILE` when `socket` is silent.
class Daemon {
public:
    Daemon(QString program, QString socket) : m_program(std::move(program)), m_socket(std::move(socket)) {}

    // Empty on success, else why not.
    QString ensureRunning(const QString& pidFile)
    {
        if (answers(m_socket))
            return {};
        const QString path = QStandardPaths::findExecutable(m_program, {"/usr/sbin", "/sbin", "/usr/bin"});
        if (path.isEmpty())
            return m_program + " is not installed";
        QProcess process;
        process.start(path, {"-d", "--pid-file", pidFile});
        if (!process.waitForFinished(20'000) || process.exitCode() != 0)
            return QStringLiteral("%1 -d failed: %2").arg(m_program, QString::fromLocal8Bit(process.readAllStandardError()));
        if (!QTest::qWaitFor([&] { return answers(m_socket); }, 20'000))
            return QStringLiteral("%1 started but %2 does not answer").arg(m_program, m_socket);
        QFile file(pidFile);
        if (file.open(QIODevice::ReadOnly))
            m_startedPid = file.readAll().trimmed().toLongLong();
        std::printf("[ daemon   ] started %s (pid %lld)\n", qPrintable(m_program), static_cast<long long>(m_startedPid));
        return {};
    }

    void stopIfStarted()
    {
        if (m_startedPid <= 0)
            return;
        ::kill(static_cast<pid_t>(m_startedPid), SIGTERM);
        const bool gone = QTest::qWaitFor([&] { return ::kill(static_cast<pid_t>(m_startedPid), 0) != 0; }, 10'000);
        std::printf("[ daemon   ] %s %s (pid %lld)\n", gone ? "stopped" : "could not stop", qPrintable(m_program),
                    static_cast<long long>(m_startedPid));
        m_startedPid = 0;
    }

private:
    QString m_program;
    QString m_socket;
    qint64 m_startedPid = 0;
};

class LibvirtIntegrationTest : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        if (QStandardPaths::findExecutable("libvirtd", {"/usr/sbin", "/sbin", "/usr/bin"}).isEmpty()) {
            s_skip = "libvirtd is not installed (Debian: apt install libvirt-daemon-system)";
            return;
        }
        s_uri = qEnvironmentVariable("BERTH_TEST_LIBVIRT_URI", ::geteuid() == 0 ? "qemu:///system" : "qemu:///session");
        if (s_uri != "qemu:///system")
            return;  // a session daemon is started by libvirt itself
        s_daemonDir = new QTemporaryDir;
        for (auto* daemon : {&s_virtlogd, &s_libvirtd}) {
            const QString error = daemon->ensureRunning(s_daemonDir->filePath(daemon == &s_virtlogd ? "virtlogd.pid" : "libvirtd.pid"));
            if (!error.isEmpty()) {
                s_setupError = error;
                return;
            }
        }
    }

    static void TearDownTestSuite()
    {
        s_libvirtd.stopIfStarted();
        s_virtlogd.stopIfStarted();
        delete s_daemonDir;
        s_daemonDir = nullptr;
    }

    void SetUp() override
    {
        if (!s_skip.isEmpty())
            GTEST_SKIP() << s_skip.toStdString();
        ASSERT_TRUE(s_setupError.isEmpty()) << s_setupError.toStdString();
        if (!QFile::exists(guestFile("vmlinuz")) || !QFile::exists(guestFile("initramfs.img")))
            GTEST_FAIL() << "test guest not found in " << qPrintable(qEnvironmentVariable("BERTH_TEST_GUEST_DIR"))
                         << " (build the berth_test_guest target)";
        ASSERT_TRUE(m_tmp.isValid());
        options.instanceDir = m_tmp.filePath("instance");
        options.kernel = guestFile("vmlinuz");
        options.initrd = guestFile("initramfs.img");
        options.memoryMiB = 256;
        options.cpus = 1;
        options.kvmDevice = qEnvironmentVariable("BERTH_TEST_KVM_DEVICE", "/dev/kvm");
        options.timeouts.bootToReady = std::chrono::milliseconds(kBootMs);
        static QTemporaryDir sharedCache;
        options.acceleratorCacheFile = sharedCache.filePath("accelerator.json");
        backendOptions.uri = s_uri;
        backendOptions.leftoverShutdown = 2s;
    }

    void TearDown() override
    {
        m_controller.reset();  // destroys a domain a failed test left running
        if (!s_skip.isEmpty() || s_uri.isEmpty())
            return;
        // Each test's instance has its own domain: leave no definitions behind.
        QString error;
        if (m_connection)
            m_connection->destroy(domainName(), &error);
        QProcess virsh;  // output kept: a test that defined nothing has nothing to undefine
        virsh.start("virsh", {"-q", "-c", s_uri, "undefine", domainName()});
        virsh.waitForFinished(10'000);
    }

    EngineController& controller()
    {
        if (!m_controller) {
            m_controller = std::make_unique<EngineController>(options, systemProcessFactory(),
                                                              std::make_shared<LibvirtBackend>(backendOptions));
            QObject::connect(m_controller.get(), &EngineController::operationFinished,
                             [this](Operation, bool ok, const QString& message) { results.push_back({ok, message}); });
            QObject::connect(m_controller.get(), &EngineController::progress, [this](const QString& text) { progress << text; });
        }
        return *m_controller;
    }

    qint64 run(const std::function<void()>& request, bool expectOk = true)
    {
        const size_t before = results.size();
        QElapsedTimer clock;
        clock.start();
        request();
        EXPECT_TRUE(QTest::qWaitFor([&] { return results.size() > before; }, kBootMs)) << "operation did not finish";
        if (results.size() > before) {
            EXPECT_EQ(results.back().first, expectOk) << results.back().second.toStdString();
        }
        return clock.elapsed();
    }

    nlohmann::json reportedConfig() { return nlohmann::json::parse(controller().guestReportedConfig().toStdString(), nullptr, false); }

    QString domainName() const { return libvirtDomainName(options.instanceDir); }

    // The domain as libvirt sees it, through a connection of the test's own.
    std::optional<DomainInfo> domain()
    {
        if (!m_connection) {
            QString error;
            m_connection = systemLibvirt()->open(s_uri, &error);
            EXPECT_TRUE(m_connection) << error.toStdString();
            if (!m_connection)
                return std::nullopt;
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
    static inline QTemporaryDir* s_daemonDir = nullptr;
    static inline Daemon s_virtlogd{"virtlogd", "/run/libvirt/virtlogd-sock"};
    static inline Daemon s_libvirtd{"libvirtd", "/run/libvirt/libvirt-sock"};

    QTemporaryDir m_tmp;
    EngineOptions options;
    LibvirtBackend::Options backendOptions;
    std::unique_ptr<EngineController> m_controller;
    std::shared_ptr<LibvirtConnection> m_connection;
    std::vector<std::pair<bool, QString>> results;
    QStringList progress;
};

}  // namespace

TEST_F(LibvirtIntegrationTest, StartRestartWithANewConfigAndGracefulStop)
{
    const nlohmann::json first = {{"generation", 1}, {"marker", "libvirt first boot"}};
    const qint64 startMs = run([&] { controller().start(first); });
    report("libvirt: start -> ready (includes the accelerator choice)", startMs);
    ASSERT_EQ(controller().state(), State::Running) << controller().stateDetail().toStdString();
    EXPECT_EQ(reportedConfig(), first) << "the config went over <sysinfo type='fwcfg'>";
    EXPECT_EQ(controller().vmManager(), "libvirt (" + s_uri + ")");
    EXPECT_TRUE(domainActive()) << "the domain is visible to libvirt clients (virsh list)";
    EXPECT_EQ(domain().value_or(DomainInfo{}).uuid, libvirtDomainUuid(options.instanceDir));
    const qint64 firstPid = controller().qemuPid();
    EXPECT_GT(firstPid, 0);
    ASSERT_TRUE(QFile::exists(options.instanceDir + "/agent.sock"));
    EXPECT_FALSE(QFile::permissions(options.instanceDir + "/agent.sock") & (QFile::ReadOther | QFile::WriteOther))
        << "sockets are private";
    EXPECT_THAT(QFile(options.instanceDir + "/serial.log").size(), ::testing::Gt(0)) << "the console goes to serial.log";

    const nlohmann::json second = {{"generation", 2}, {"eci", true}};
    const qint64 restartMs = run([&] { controller().restart(second); });
    report("libvirt: restart (stop + define + start + boot to ready)", restartMs);
    ASSERT_EQ(controller().state(), State::Running) << controller().stateDetail().toStdString();
    EXPECT_EQ(reportedConfig(), second);
    EXPECT_NE(controller().qemuPid(), firstPid) << "a full quit and a fresh QEMU, not a reboot";

    const qint64 stopMs = run([&] { controller().stop(); });
    report("libvirt: graceful stop (idle guest, through the agent)", stopMs);
    EXPECT_EQ(controller().state(), State::Stopped);
    EXPECT_FALSE(domainActive());
    EXPECT_THAT(progress.join('\n').toStdString(), ::testing::Not(HasSubstr("Pressing the VM's power button")))
        << "the agent powered the guest off; ACPI was not needed";
    EXPECT_TRUE(domain().has_value()) << "the domain stays defined for virsh and virt-manager";
}

// Apply & restart after `vm.manager` changed: berth-engine calls setBackend, then restart.
TEST_F(LibvirtIntegrationTest, SwitchingBackendsOnRestartKeepsTheDataDisk)
{
    options.dataDisk = m_tmp.filePath("data.qcow2");
    options.dataDiskSizeBytes = qint64(64) << 20;
    m_controller = std::make_unique<EngineController>(options, systemProcessFactory(), std::make_shared<QemuBackend>());
    QObject::connect(m_controller.get(), &EngineController::operationFinished,
                     [this](Operation, bool ok, const QString& message) { results.push_back({ok, message}); });
    run([&] { controller().start(nlohmann::json{{"on", "qemu"}}); });
    ASSERT_EQ(controller().state(), State::Running) << controller().stateDetail().toStdString();
    EXPECT_EQ(controller().vmManager(), "qemu");
    const auto inode = [&] {
        struct stat st {};
        return ::stat(options.dataDisk.toLocal8Bit().constData(), &st) == 0 ? st.st_ino : ino_t(0);
    };
    const ino_t disk = inode();
    ASSERT_NE(disk, ino_t(0)) << "the QEMU backend created the data disk";

    controller().setBackend(std::make_shared<LibvirtBackend>(backendOptions));
    const qint64 switchMs = run([&] { controller().restart(nlohmann::json{{"on", "libvirt"}}); });
    report("restart switching QEMU -> libvirt", switchMs);
    ASSERT_EQ(controller().state(), State::Running) << controller().stateDetail().toStdString();
    EXPECT_EQ(controller().vmManager(), "libvirt (" + s_uri + ")");
    EXPECT_EQ(reportedConfig(), (nlohmann::json{{"on", "libvirt"}}));
    EXPECT_TRUE(domainActive());
    EXPECT_EQ(inode(), disk) << "the same data disk, not a new one";

    controller().setBackend(std::make_shared<QemuBackend>());
    run([&] { controller().restart(nlohmann::json{{"on", "qemu again"}}); });
    ASSERT_EQ(controller().state(), State::Running) << controller().stateDetail().toStdString();
    EXPECT_EQ(controller().vmManager(), "qemu");
    EXPECT_FALSE(domainActive()) << "the libvirt domain was shut down by the switch back";
    EXPECT_EQ(inode(), disk);
    run([&] { controller().stop(EngineController::StopMode::Force); });
}

TEST_F(LibvirtIntegrationTest, GuestIgnoringShutdownGetsTheButtonThenIsDestroyed)
{
    options.timeouts.agentShutdown = 1s;
    options.timeouts.powerdown = 1s;
    run([&] { controller().start(nlohmann::json{{"ignoreShutdown", true}}); });
    ASSERT_EQ(controller().state(), State::Running) << controller().stateDetail().toStdString();
    const qint64 stopMs = run([&] { controller().stop(); });
    report("libvirt: stop of a guest ignoring shutdown (1 s + 1 s grace)", stopMs);
    EXPECT_GE(stopMs, 2000);
    EXPECT_LT(stopMs, 8000);
    EXPECT_EQ(controller().state(), State::Stopped);
    EXPECT_FALSE(domainActive());
    const std::string steps = progress.join('\n').toStdString();
    EXPECT_THAT(steps, HasSubstr("Pressing the VM's power button"));
    EXPECT_THAT(steps, HasSubstr("killing QEMU"));
}

TEST_F(LibvirtIntegrationTest, ADomainLeftRunningByACrashIsShutDownAtTheNextStartAndAForcedStopDestroysIt)
{
    // What a Berth killed without autodestroy leaves behind: our domain, running.
    VmSpec spec;
    spec.kernel = options.kernel;
    spec.initrd = options.initrd;
    spec.cpus = 1;
    spec.memoryMiB = 256;
    spec.instanceDir = options.instanceDir;
    QString error;
    ASSERT_TRUE(InstanceDir(spec.instanceDir).ensure(&error)) << error.toStdString();
    domain();  // opens the test's own connection
    ASSERT_TRUE(m_connection);
    ASSERT_TRUE(m_connection->define(libvirtDomainXml(spec, m_connection->isPrivileged()), &error)) << error.toStdString();
    ASSERT_TRUE(m_connection->start(domainName(), false, &error)) << error.toStdString();
    const qint64 leftoverPid = m_connection->qemuPid(domainName());
    ASSERT_TRUE(domainActive());

    const qint64 startMs = run([&] { controller().start(nlohmann::json{{"after", "crash"}}); });
    report("libvirt: start with a leftover domain (its shutdown included)", startMs);
    ASSERT_EQ(controller().state(), State::Running) << controller().stateDetail().toStdString();
    EXPECT_EQ(reportedConfig(), (nlohmann::json{{"after", "crash"}}));
    EXPECT_NE(controller().qemuPid(), leftoverPid);

    // The forced stop (berthctl stop --force): virDomainDestroy at once, no agent, no button.
    progress.clear();
    const qint64 stopMs = run([&] { controller().stop(EngineController::StopMode::Force); });
    report("libvirt: forced stop", stopMs);
    EXPECT_LT(stopMs, 5000);
    EXPECT_EQ(controller().state(), State::Stopped);
    EXPECT_FALSE(domainActive());
    EXPECT_THAT(progress.join('\n').toStdString(), ::testing::Not(HasSubstr("Asking the guest")));
}

TEST_F(LibvirtIntegrationTest, AnUnreachableDaemonIsAClearError)
{
    backendOptions.uri = "qemu+unix:///system?socket=" + m_tmp.filePath("no-such-libvirt-sock");
    run([&] { controller().start(nlohmann::json::object()); }, false);
    EXPECT_EQ(controller().state(), State::Error);
    const std::string detail = controller().stateDetail().toStdString();
    EXPECT_THAT(detail, HasSubstr("Cannot connect to libvirt"));
    EXPECT_THAT(detail, HasSubstr("no-such-libvirt-sock"));
}
