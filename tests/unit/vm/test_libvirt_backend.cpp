// The libvirt backend against a fake libvirt daemon: the domain XML, the lifecycle driven by
// events, leftovers from a crash, foreign domains, connection failures, and the engine controller
// stopping and switching backends through it.
#include "berth/vm/engine_controller.h"
#include "berth/vm/instance_dir.h"
#include "libvirt/libvirt_backend.h"
#include "qemu/qemu_backend.h"

#include "fake_libvirt.h"
#include "fake_qemu.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QXmlStreamReader>

#include <unistd.h>

using namespace berth::vm;
using namespace berth::vm::testing;
using namespace std::chrono_literals;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

std::string text(const QString& s)
{
    return s.toStdString();
}

class LibvirtBackendTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        ASSERT_TRUE(m_tmp.isValid());
        m_spec.kernel = m_tmp.filePath("vmlinux");
        m_spec.initrd = m_tmp.filePath("initramfs.img");
        m_spec.kernelCmdline = "console=ttyS0 berth.test=1";
        m_spec.rootImage = m_tmp.filePath("root.img");
        m_spec.dataDisk = m_tmp.filePath("data.qcow2");
        m_spec.resources.cpus = 3;
        m_spec.resources.memoryMiB = 768;
        m_spec.instanceDir = m_tmp.filePath("instance");
        m_spec.guestConfigFile = m_spec.instanceDir + "/guest-config.json";
        m_spec.extraFwCfg = {{"opt/berth/tls", m_tmp.filePath("tls.tar")}};
        m_spec.engineHostPort = 45678;
        QString error;
        ASSERT_TRUE(InstanceDir(m_spec.instanceDir).ensure(&error)) << text(error);
        QFile config(m_spec.guestConfigFile);
        ASSERT_TRUE(config.open(QIODevice::WriteOnly));
        config.write(R"({"eci":true})");
    }

    std::unique_ptr<VirtualMachine> createVm(std::chrono::milliseconds leftoverShutdown = 10s)
    {
        LibvirtBackend backend({"qemu:///session", leftoverShutdown}, m_libvirt, m_processes);
        auto vm = backend.create(m_spec);
        QObject::connect(vm.get(), &VirtualMachine::stopped, [this](const VmExit& exit) { m_exits.push_back(exit); });
        return vm;
    }

    QString domainName() const { return libvirtDomainName(m_spec.instanceDir); }

    QTemporaryDir m_tmp;
    VmSpec m_spec;
    std::shared_ptr<FakeLibvirt> m_libvirt = std::make_shared<FakeLibvirt>();
    std::shared_ptr<FakeProcessFactory> m_processes = std::make_shared<FakeProcessFactory>();
    std::vector<VmExit> m_exits;
};

}  // namespace

TEST_F(LibvirtBackendTest, DomainXmlGivesTheGuestTheSameDevicesAsTheQemuBackend)
{
    const QString xml = libvirtDomainXml(m_spec, false);
    QXmlStreamReader reader(xml);
    while (!reader.atEnd()) { reader.readNext(); }
    ASSERT_FALSE(reader.hasError()) << text(reader.errorString());

    const QString dir = m_spec.instanceDir;
    EXPECT_THAT(text(xml), HasSubstr("<domain type=\"qemu\""));  // TCG
    EXPECT_THAT(text(xml), HasSubstr("<name>" + text(domainName()) + "</name>"));
    EXPECT_THAT(text(xml), HasSubstr("<uuid>" + text(libvirtDomainUuid(dir)) + "</uuid>"));
    EXPECT_THAT(text(xml), HasSubstr("<memory unit=\"MiB\">768</memory>"));
    EXPECT_THAT(text(xml), HasSubstr("<vcpu>3</vcpu>"));
    EXPECT_THAT(text(xml), HasSubstr("machine=\"q35\""));
    EXPECT_THAT(text(xml), HasSubstr("<kernel>" + text(m_spec.kernel) + "</kernel>"));
    EXPECT_THAT(text(xml), HasSubstr("<initrd>" + text(m_spec.initrd) + "</initrd>"));
    EXPECT_THAT(
        text(xml),
        HasSubstr("<cmdline>console=ttyS0 berth.test=1 cryptomgr.notests=1 berth.data_disk=berth-data</cmdline>"));
    EXPECT_THAT(text(xml), HasSubstr("<sysinfo type=\"fwcfg\">"));
    EXPECT_THAT(text(xml),
                HasSubstr("<entry name=\"opt/berth/config\" file=\"" + text(m_spec.guestConfigFile) + "\"/>"));
    EXPECT_THAT(text(xml),
                HasSubstr("<entry name=\"opt/berth/tls\" file=\"" + text(m_tmp.filePath("tls.tar")) + "\"/>"));
    EXPECT_THAT(text(xml), HasSubstr("<acpi/>"));
    EXPECT_THAT(text(xml),
                HasSubstr("<cpu mode=\"maximum\">\n    <feature policy=\"disable\" name=\"erms\"/>\n  </cpu>"));
    if (QFileInfo::exists("/usr/share/qemu/qboot.rom")) {
        EXPECT_THAT(text(xml), HasSubstr("<loader readonly=\"yes\" type=\"rom\">/usr/share/qemu/qboot.rom</loader>"));
    }
    EXPECT_THAT(text(xml), HasSubstr("<on_reboot>destroy</on_reboot>"));
    // The root image read-only, the data disk read-write, with the serials the guest looks for.
    EXPECT_THAT(text(xml), HasSubstr("<driver name=\"qemu\" type=\"raw\"/>"));
    EXPECT_THAT(text(xml), HasSubstr("<source file=\"" + text(m_spec.rootImage) + "\"/>"));
    EXPECT_THAT(text(xml), HasSubstr("<readonly/>"));
    EXPECT_THAT(text(xml), HasSubstr("<serial>berth-root</serial>"));
    EXPECT_THAT(text(xml), HasSubstr("<driver name=\"qemu\" type=\"qcow2\" discard=\"unmap\"/>"));
    EXPECT_THAT(text(xml), HasSubstr("<serial>berth-data</serial>"));
    EXPECT_EQ(xml.count("<readonly/>"), 1);
    // Console to the instance's serial log, the agent port on its socket.
    EXPECT_THAT(text(xml), HasSubstr("<source path=\"" + text(dir) + "/serial.log\"/>"));
    EXPECT_THAT(text(xml), HasSubstr("<source mode=\"bind\" path=\"" + text(dir) + "/agent.sock\"/>"));
    EXPECT_THAT(text(xml), HasSubstr("<target type=\"virtio\" name=\"org.berth.agent.0\"/>"));
    // User networking with the engine's port on loopback only.
    EXPECT_THAT(text(xml), HasSubstr("user,id=berthnet0,hostfwd=tcp:127.0.0.1:45678-:2376\""));
    EXPECT_THAT(text(xml),
                HasSubstr("{&quot;driver&quot;:&quot;virtio-net-pci&quot;,&quot;id&quot;:&quot;berthnic0&quot;,&quot;"
                          "netdev&quot;:&quot;berthnet0&quot;}"));
    EXPECT_THAT(text(xml), HasSubstr("<rng model=\"virtio\">"));
    EXPECT_THAT(text(xml), HasSubstr("<memballoon model=\"virtio\" freePageReporting=\"on\"/>"));
    EXPECT_THAT(text(xml), Not(HasSubstr("seclabel"))) << "a session daemon runs QEMU as the user already";
}

TEST_F(LibvirtBackendTest, DomainXmlFollowsTheAcceleratorThePortAndTheDaemon)
{
    m_spec.accelerator = Accelerator::Kvm;
    m_spec.engineHostPort = 0;
    m_spec.rootImage.clear();
    m_spec.dataDisk.clear();
    const QString xml = libvirtDomainXml(m_spec, true);
    EXPECT_THAT(text(xml), HasSubstr("<domain type=\"kvm\""));
    EXPECT_THAT(text(xml), HasSubstr("<cpu mode=\"host-passthrough\"/>"));
    EXPECT_THAT(text(xml), Not(HasSubstr("<loader"))) << "KVM keeps QEMU's default firmware";
    EXPECT_THAT(text(xml), Not(HasSubstr("hostfwd")));
    EXPECT_THAT(text(xml), Not(HasSubstr("<disk")));
    // The unsafe 2375 forward (exposeDockerAPIOnTCP2375) goes to libvirt's QEMU as to ours.
    m_spec.extraForwards = {{12375, 2375}};
    EXPECT_THAT(text(libvirtDomainXml(m_spec, true)),
                HasSubstr("\"user,id=berthnet0,hostfwd=tcp:127.0.0.1:12375-:2375\""));
    EXPECT_THAT(text(xml), HasSubstr("<seclabel type=\"static\" model=\"dac\" relabel=\"no\">"));
    EXPECT_THAT(text(xml),
                HasSubstr(QStringLiteral("<label>+%1:+%2</label>").arg(::getuid()).arg(::getgid()).toStdString()));
}

TEST_F(LibvirtBackendTest, DomainXmlSharesDirectoriesThroughVirtiofsdsStartedFirst)
{
    EXPECT_THAT(text(libvirtDomainXml(m_spec, false)), Not(HasSubstr("memoryBacking")));
    m_spec.sharedDirectories = {{"/home/dev", "berth-share-0"}};
    const QString xml = libvirtDomainXml(m_spec, false);
    EXPECT_THAT(text(xml), HasSubstr("<memoryBacking>"));
    EXPECT_THAT(text(xml), HasSubstr("<source type=\"memfd\"/>"));
    EXPECT_THAT(text(xml), HasSubstr("<access mode=\"shared\"/>"));
    // type "mount" with a socket: libvirt connects QEMU to Berth's virtiofsd and starts none itself.
    EXPECT_THAT(text(xml), HasSubstr("<filesystem type=\"mount\">"));
    EXPECT_THAT(text(xml), HasSubstr("<driver type=\"virtiofs\" queue=\"1024\"/>"));
    EXPECT_THAT(text(xml), HasSubstr("<source socket=\"" + text(m_spec.instanceDir) + "/fs-0.sock\"/>"));
    EXPECT_THAT(text(xml), HasSubstr("<target dir=\"berth-share-0\"/>"));
}

TEST_F(LibvirtBackendTest, DomainXmlEscapesPaths)
{
    m_spec.kernel = m_tmp.filePath("a&b<c>\"d\"/vmlinux");
    const QString xml = libvirtDomainXml(m_spec, false);
    QXmlStreamReader reader(xml);
    QString kernel;
    while (!reader.atEnd()) {
        if (reader.readNext() == QXmlStreamReader::StartElement && reader.name() == QLatin1String("kernel")) {
            kernel = reader.readElementText();
        }
    }
    ASSERT_FALSE(reader.hasError()) << text(reader.errorString());
    EXPECT_EQ(kernel, m_spec.kernel);
}

TEST_F(LibvirtBackendTest, DomainNamesAndUuidsArePerInstanceAndStable)
{
    EXPECT_EQ(libvirtDomainName(InstanceDir::defaultRoot()), "berth");
    const QString other = libvirtDomainName(m_spec.instanceDir);
    EXPECT_THAT(text(other), ::testing::MatchesRegex("berth-[0-9a-f]{8}"));
    EXPECT_EQ(libvirtDomainName(m_spec.instanceDir + "/"), other);
    EXPECT_NE(libvirtDomainName(m_tmp.filePath("other")), other);
    EXPECT_EQ(libvirtDomainUuid(m_spec.instanceDir), libvirtDomainUuid(m_spec.instanceDir));
    EXPECT_NE(libvirtDomainUuid(m_spec.instanceDir), libvirtDomainUuid(m_tmp.filePath("other")));
}

TEST_F(LibvirtBackendTest, StartDefinesAndStartsThenAnAcpiShutdownEndsIt)
{
    auto vm = createVm();
    QSignalSpy running(vm.get(), &VirtualMachine::running);
    QSignalSpy events(vm.get(), &VirtualMachine::guestEvent);
    vm->start();
    EXPECT_EQ(vm->state(), VirtualMachine::State::Launching);
    EXPECT_TRUE(m_libvirt->calls.isEmpty()) << "start() returns before talking to libvirt";
    ASSERT_TRUE(running.wait(5000));
    EXPECT_EQ(vm->state(), VirtualMachine::State::Running);
    EXPECT_NE(vm->pid(), 0);
    EXPECT_THAT(
        m_libvirt->calls,
        ElementsAre("open qemu:///session", "define " + domainName(), "start " + domainName() + " autodestroy"));

    vm->requestShutdown();
    EXPECT_EQ(vm->state(), VirtualMachine::State::ShuttingDown);
    ASSERT_TRUE(QTest::qWaitFor([&] { return !m_exits.empty(); }, 5000));
    EXPECT_TRUE(m_exits[0].requested);
    EXPECT_EQ(m_exits[0].guestShutdownReason, "guest-shutdown");
    EXPECT_FALSE(m_exits[0].process.failedToStart);
    EXPECT_EQ(vm->state(), VirtualMachine::State::Off);
    EXPECT_EQ(m_libvirt->calls.last(), "shutdown " + domainName());
    QStringList names;
    for (const auto& e : events) { names << e.at(0).toString(); }
    EXPECT_THAT(names, ElementsAre("POWERDOWN", "SHUTDOWN"));
}

TEST_F(LibvirtBackendTest, WithoutDieWithParentTheDomainIsNotAutoDestroyed)
{
    m_spec.dieWithParent = false;
    auto vm = createVm();
    QSignalSpy running(vm.get(), &VirtualMachine::running);
    vm->start();
    ASSERT_TRUE(running.wait(5000));
    EXPECT_EQ(m_libvirt->calls.last(), "start " + domainName());
}

TEST_F(LibvirtBackendTest, ForceStopDestroysTheDomain)
{
    auto vm = createVm();
    QSignalSpy running(vm.get(), &VirtualMachine::running);
    vm->start();
    ASSERT_TRUE(running.wait(5000));
    vm->forceStop();
    ASSERT_TRUE(QTest::qWaitFor([&] { return !m_exits.empty(); }, 5000));
    EXPECT_TRUE(m_exits[0].requested);
    EXPECT_EQ(m_exits[0].guestShutdownReason, "destroyed");
    EXPECT_EQ(m_libvirt->calls.last(), "destroy " + domainName());
}

TEST_F(LibvirtBackendTest, AForceStopBeforeTheDomainStartsCancelsTheStart)
{
    auto vm = createVm();
    vm->start();
    vm->forceStop();
    ASSERT_TRUE(QTest::qWaitFor([&] { return !m_exits.empty(); }, 5000));
    EXPECT_TRUE(m_exits[0].requested);
    EXPECT_EQ(vm->state(), VirtualMachine::State::Off);
    EXPECT_THAT(m_libvirt->calls, Not(Contains("start " + domainName() + " autodestroy")));
}

TEST_F(LibvirtBackendTest, AShutdownRequestedWhileLaunchingIsSentOnceTheDomainRuns)
{
    auto vm = createVm();
    vm->start();
    vm->requestShutdown();
    ASSERT_TRUE(QTest::qWaitFor([&] { return !m_exits.empty(); }, 5000));
    EXPECT_TRUE(m_exits[0].requested);
    EXPECT_THAT(m_libvirt->calls.mid(m_libvirt->calls.size() - 2),
                ElementsAre("start " + domainName() + " autodestroy", "shutdown " + domainName()));
}

TEST_F(LibvirtBackendTest, ADomainThatStopsOnItsOwnIsReportedAsUnrequested)
{
    auto vm = createVm();
    QSignalSpy running(vm.get(), &VirtualMachine::running);
    vm->start();
    ASSERT_TRUE(running.wait(5000));
    m_libvirt->powerOff(domainName(), "crashed");
    ASSERT_TRUE(QTest::qWaitFor([&] { return !m_exits.empty(); }, 5000));
    EXPECT_FALSE(m_exits[0].requested);
    EXPECT_EQ(m_exits[0].guestShutdownReason, "crashed");
    EXPECT_THAT(text(m_exits[0].diagnostics), HasSubstr("serial.log"));
}

TEST_F(LibvirtBackendTest, ADomainLeftRunningByACrashIsShutDownBeforeTheNewStart)
{
    m_libvirt->domains.insert(domainName(), {libvirtDomainUuid(m_spec.instanceDir), "<old/>", true});
    auto vm = createVm();
    QSignalSpy running(vm.get(), &VirtualMachine::running);
    vm->start();
    ASSERT_TRUE(running.wait(5000));
    EXPECT_THAT(m_libvirt->calls,
                ElementsAre("open qemu:///session", "shutdown " + domainName(), "define " + domainName(),
                            "start " + domainName() + " autodestroy"));
    EXPECT_THAT(text(vm->diagnostics()), HasSubstr("left running by an earlier run"));
}

TEST_F(LibvirtBackendTest, ALeftoverThatIgnoresTheButtonIsDestroyedAfterTheGracePeriod)
{
    m_libvirt->domains.insert(domainName(), {libvirtDomainUuid(m_spec.instanceDir), "<old/>", true});
    m_libvirt->ignoreAcpi = true;
    auto vm = createVm(100ms);
    QSignalSpy running(vm.get(), &VirtualMachine::running);
    vm->start();
    ASSERT_TRUE(running.wait(5000));
    EXPECT_THAT(m_libvirt->calls,
                ElementsAre("open qemu:///session", "shutdown " + domainName(), "destroy " + domainName(),
                            "define " + domainName(), "start " + domainName() + " autodestroy"));
}

TEST_F(LibvirtBackendTest, ADomainOfTheSameNameThatIsNotOursIsLeftAlone)
{
    m_libvirt->domains.insert(domainName(), {"00000000-1111-2222-3333-444444444444", "<theirs/>", true});
    auto vm = createVm();
    vm->start();
    ASSERT_TRUE(QTest::qWaitFor([&] { return !m_exits.empty(); }, 5000));
    EXPECT_TRUE(m_exits[0].process.failedToStart);
    EXPECT_THAT(text(m_exits[0].process.errorString), HasSubstr("already exists"));
    EXPECT_THAT(text(m_exits[0].process.errorString), HasSubstr("undefine " + text(domainName())));
    EXPECT_THAT(m_libvirt->calls, ElementsAre("open qemu:///session"));
    EXPECT_TRUE(m_libvirt->domains.value(domainName()).active);
}

TEST_F(LibvirtBackendTest, AConnectionFailureEndsTheStartWithTheExplanation)
{
    m_libvirt->openError = explainConnectFailure(
        "qemu:///system", "Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory");
    auto vm = createVm();
    vm->start();
    ASSERT_TRUE(QTest::qWaitFor([&] { return !m_exits.empty(); }, 5000));
    EXPECT_TRUE(m_exits[0].process.failedToStart);
    EXPECT_THAT(text(m_exits[0].process.describe()), HasSubstr("libvirtd is not running"));
    EXPECT_EQ(vm->state(), VirtualMachine::State::Off);
}

TEST_F(LibvirtBackendTest, AStartRefusedByLibvirtSaysWhy)
{
    m_libvirt->startError = "internal error: process exited while connecting to monitor";
    auto vm = createVm();
    vm->start();
    ASSERT_TRUE(QTest::qWaitFor([&] { return !m_exits.empty(); }, 5000));
    EXPECT_TRUE(m_exits[0].process.failedToStart);
    EXPECT_THAT(text(m_exits[0].process.errorString), HasSubstr("process exited while connecting to monitor"));
    EXPECT_THAT(text(m_exits[0].diagnostics), HasSubstr("process exited while connecting to monitor"));
}

TEST_F(LibvirtBackendTest, ASlowStartIsToldThenGivenUpWithTheCauseAndALateStartIsDestroyed)
{
    m_libvirt->holdStarts = true;
    LibvirtBackend backend({"qemu:///session", 10s, 400ms, 50ms}, m_libvirt, m_processes);
    auto vm = backend.create(m_spec);
    QObject::connect(vm.get(), &VirtualMachine::stopped, [this](const VmExit& exit) { m_exits.push_back(exit); });
    QSignalSpy notices(vm.get(), &VirtualMachine::launchProgress);
    vm->start();
    ASSERT_TRUE(QTest::qWaitFor([&] { return !m_exits.empty(); }, 5000));
    ASSERT_EQ(notices.size(), 1) << "one notice while waiting, before giving up";
    EXPECT_THAT(text(notices[0].at(0).toString()),
                HasSubstr("Waiting for libvirt to start the domain " + text(domainName())));
    EXPECT_THAT(text(notices[0].at(0).toString()), HasSubstr("examines the QEMU binary"));
    EXPECT_TRUE(m_exits[0].process.failedToStart);
    EXPECT_THAT(text(m_exits[0].process.errorString),
                HasSubstr("did not start the domain " + text(domainName()) + " within 0.4 s"));
    EXPECT_THAT(text(m_exits[0].process.errorString), HasSubstr("libvirtd.log"));
    EXPECT_EQ(vm->state(), VirtualMachine::State::Off);

    ASSERT_EQ(m_libvirt->heldStarts(), 1);
    m_libvirt->releaseStarts();  // libvirt finishes after all
    EXPECT_EQ(m_libvirt->calls.last(), "destroy " + domainName()) << "a domain nobody waits for is not left running";
    EXPECT_FALSE(m_libvirt->domains.value(domainName()).active);
}

TEST_F(LibvirtBackendTest, AForceStopWhileLibvirtIsStartingEndsAtOnce)
{
    m_libvirt->holdStarts = true;
    auto vm = createVm();
    vm->start();
    ASSERT_TRUE(QTest::qWaitFor([&] { return m_libvirt->heldStarts() == 1; }, 5000));
    vm->forceStop();
    ASSERT_EQ(m_exits.size(), 1u) << "not waiting for libvirt";
    EXPECT_TRUE(m_exits[0].requested);
    EXPECT_EQ(vm->state(), VirtualMachine::State::Off);
    m_libvirt->releaseStarts();
    EXPECT_EQ(m_libvirt->calls.last(), "destroy " + domainName());
}

TEST(LibvirtKvmAccess, AKvmDeviceLibvirtsQemuUserCannotOpenIsExplained)
{
    EXPECT_TRUE(libvirtKvmAccessProblem("/dev/kvm", 0660, "root", "kvm").isEmpty()) << "udev's default";
    EXPECT_TRUE(libvirtKvmAccessProblem("/dev/kvm", 0666, "root", "root").isEmpty());
    const QString why = libvirtKvmAccessProblem("/dev/kvm", 0600, "root", "root");
    EXPECT_THAT(text(why), HasSubstr("/dev/kvm is 0600 root:root"));
    EXPECT_THAT(text(why), HasSubstr("stale at every use"));
    EXPECT_THAT(text(why), HasSubstr("sudo chown root:kvm /dev/kvm && sudo chmod 0660 /dev/kvm"));
    EXPECT_FALSE(libvirtKvmAccessProblem("/dev/kvm", 0660, "root", "root").isEmpty())
        << "libvirt-qemu is not in group root";
    EXPECT_TRUE(libvirtKvmAccessProblem(QDir::temp().filePath("no-such-kvm-device")).isEmpty()) << "no KVM, no problem";
}

TEST_F(LibvirtBackendTest, LosingTheDaemonEndsTheVmWithAReason)
{
    auto vm = createVm();
    QSignalSpy running(vm.get(), &VirtualMachine::running);
    vm->start();
    ASSERT_TRUE(running.wait(5000));
    m_libvirt->lastConnection->dropConnection("libvirtd stopped answering");
    ASSERT_EQ(m_exits.size(), 1u);
    EXPECT_FALSE(m_exits[0].requested);
    EXPECT_THAT(text(m_exits[0].diagnostics), HasSubstr("Lost the connection to libvirt"));
}

TEST_F(LibvirtBackendTest, AMissingDataDiskIsCreatedFirst)
{
    m_spec.resources.dataDiskSizeBytes = 1 << 30;
    auto vm = createVm();
    QSignalSpy running(vm.get(), &VirtualMachine::running);
    vm->start();
    ASSERT_TRUE(running.wait(5000));
    ASSERT_FALSE(m_processes->launched.empty());
    EXPECT_EQ(m_processes->launched.front().program, "qemu-img");
    EXPECT_THAT(m_processes->launched.front().arguments, Contains(m_spec.dataDisk));
}

TEST(LibvirtConnectFailure, SaysWhatToStartInstallOrJoin)
{
    const auto notRunning = explainConnectFailure(
        "qemu:///system", "Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory");
    EXPECT_THAT(text(notRunning), HasSubstr("qemu:///system"));
    EXPECT_THAT(text(notRunning), HasSubstr("systemctl start libvirtd"));
    EXPECT_THAT(text(notRunning), HasSubstr("libvirt-daemon-system"));

    const auto denied = explainConnectFailure(
        "qemu:///system", "Failed to connect socket to '/var/run/libvirt/libvirt-sock': Permission denied");
    EXPECT_THAT(text(denied), HasSubstr("libvirt group"));
    const auto polkit = explainConnectFailure(
        "qemu:///system",
        "authentication unavailable: no polkit agent available to authenticate action 'org.libvirt.unix.manage'");
    EXPECT_THAT(text(polkit), HasSubstr("libvirt group"));

    const auto noDriver
        = explainConnectFailure("qemu:///session", "no connection driver available for qemu:///session");
    EXPECT_THAT(text(noDriver), HasSubstr("libvirt-daemon-driver-qemu"));

    const auto noDaemon
        = explainConnectFailure("qemu:///session", "Cannot find 'libvirtd' in path: No such file or directory");
    EXPECT_THAT(text(noDaemon), HasSubstr("install libvirt"));

    const auto rootSession = explainConnectFailure(
        "qemu:///session", "Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory");
    EXPECT_THAT(text(rootSession), HasSubstr("systemctl start libvirtd")) << "as root, session means the system daemon";

    const auto other = explainConnectFailure("qemu:///session", "something else");
    EXPECT_EQ(text(other), "Cannot connect to libvirt at qemu:///session: something else");
}

// ---- the engine controller over the libvirt backend --------------------------------------------

namespace {

class LibvirtControllerTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        ASSERT_TRUE(m_tmp.isValid());
        QFile kernel(m_tmp.filePath("vmlinux"));
        ASSERT_TRUE(kernel.open(QIODevice::WriteOnly));
        m_options.instanceDir = m_tmp.filePath("instance");
        m_options.kernel = kernel.fileName();
        m_options.accelerator = EngineOptions::AcceleratorChoice::Tcg;
        m_options.timeouts.agentShutdown = 300ms;
        m_options.timeouts.powerdown = 300ms;
        m_options.timeouts.kill = 2s;
        m_options.timeouts.bootToReady = 5s;
    }

    std::shared_ptr<LibvirtBackend> libvirtBackend()
    {
        return std::make_shared<LibvirtBackend>(LibvirtBackend::Options{}, m_libvirt, m_processes);
    }

    EngineController& controller(std::shared_ptr<VmBackend> backend)
    {
        m_controller = std::make_unique<EngineController>(m_options, m_processes, std::move(backend));
        QObject::connect(m_controller.get(), &EngineController::operationFinished,
                         [this](EngineOperation, bool ok, const QString& message) {
                             m_finished.push_back({ok, message});
                         });
        return *m_controller;
    }

    std::pair<bool, QString> waitForOperations(size_t count)
    {
        EXPECT_TRUE(QTest::qWaitFor([&] { return m_finished.size() >= count; }, 8000));
        return m_finished.empty() ? std::pair{false, QStringLiteral("none")} : m_finished.back();
    }

    QString domainName() const { return libvirtDomainName(m_options.instanceDir); }

    QTemporaryDir m_tmp;
    EngineOptions m_options;
    std::shared_ptr<FakeLibvirt> m_libvirt = std::make_shared<FakeLibvirt>();
    std::shared_ptr<FakeProcessFactory> m_processes = std::make_shared<FakeProcessFactory>();
    std::unique_ptr<EngineController> m_controller;
    std::vector<std::pair<bool, QString>> m_finished;
};

}  // namespace

TEST_F(LibvirtControllerTest, LibvirtsOwnWorkIsToldAndNotCountedAgainstTheBootDeadline)
{
    m_options.timeouts.bootToReady = 300ms;
    m_libvirt->holdStarts = true;
    LibvirtBackend::Options backendOptions;
    backendOptions.slowStartNotice = 50ms;
    auto& engine = controller(std::make_shared<LibvirtBackend>(backendOptions, m_libvirt, m_processes));
    QStringList progress;
    QObject::connect(&engine, &EngineController::progress, [&](const QString& text) { progress << text; });
    engine.start(planFor("{}"));
    ASSERT_TRUE(QTest::qWaitFor([&] { return progress.join('\n').contains("Waiting for libvirt"); }, 5000));
    EXPECT_EQ(engine.state(), EngineState::Starting);
    EXPECT_THAT(text(engine.stateDetail()), HasSubstr("Waiting for libvirt to start the domain"));
    // libvirt answers well after the boot deadline would have passed had it been counted.
    QTimer::singleShot(3 * m_options.timeouts.bootToReady, [this] { m_libvirt->releaseStarts(); });
    const auto result = waitForOperations(1);
    EXPECT_TRUE(result.first) << text(result.second);
    EXPECT_EQ(engine.state(), EngineState::Running);
    engine.stop(EngineController::StopMode::Force);
    waitForOperations(2);
}

TEST_F(LibvirtControllerTest, StartsAndStopsThroughTheAgentFirst)
{
    auto& engine = controller(libvirtBackend());
    EXPECT_EQ(engine.vmManager(), "libvirt (qemu:///session)");
    engine.start(planFor(R"({"eci":true})"));
    auto result = waitForOperations(1);
    ASSERT_TRUE(result.first) << text(result.second);
    EXPECT_EQ(engine.state(), EngineState::Running);
    EXPECT_EQ(nlohmann::json::parse(engine.guestReportedConfig().toStdString()), (nlohmann::json{{"eci", true}}));
    EXPECT_EQ(EngineController::readStatusFile(m_options.instanceDir)["vmManager"], "libvirt (qemu:///session)");

    engine.stop();
    result = waitForOperations(2);
    ASSERT_TRUE(result.first) << text(result.second);
    EXPECT_EQ(engine.state(), EngineState::Stopped);
    EXPECT_THAT(m_libvirt->calls, Not(Contains("shutdown " + domainName()))) << "the agent powered the guest off";
    EXPECT_THAT(m_libvirt->calls, Not(Contains("destroy " + domainName())));
}

TEST_F(LibvirtControllerTest, AGuestIgnoringTheAgentGetsTheButtonThenIsDestroyed)
{
    m_libvirt->ignoreAgentShutdown = true;
    m_libvirt->ignoreAcpi = true;
    auto& engine = controller(libvirtBackend());
    engine.start(planFor("{}"));
    ASSERT_TRUE(waitForOperations(1).first);
    engine.stop();
    const auto result = waitForOperations(2);
    ASSERT_TRUE(result.first) << text(result.second);
    EXPECT_EQ(engine.state(), EngineState::Stopped);
    const auto tail = m_libvirt->calls.mid(m_libvirt->calls.size() - 2);
    EXPECT_THAT(tail, ElementsAre("shutdown " + domainName(), "destroy " + domainName()));
}

TEST_F(LibvirtControllerTest, ARestartWhosePlanNamesAnotherBackendLaunchesThroughIt)
{
    auto& engine = controller(std::make_shared<QemuBackend>(m_processes, 2s));
    engine.start(planFor("{}"));
    ASSERT_TRUE(waitForOperations(1).first);
    EXPECT_EQ(m_processes->qemuLaunches(), 1);
    EXPECT_EQ(engine.vmManager(), "qemu");

    auto toLibvirt = planFor(R"({"eci":true})");
    toLibvirt.backend = libvirtBackend();
    engine.restart(toLibvirt);
    EXPECT_EQ(engine.vmManager(), "qemu") << "the running VM keeps its backend until it stops";
    const auto result = waitForOperations(2);
    ASSERT_TRUE(result.first) << text(result.second);
    EXPECT_EQ(engine.state(), EngineState::Running);
    EXPECT_EQ(m_processes->qemuLaunches(), 1) << "no second QEMU process of our own";
    EXPECT_EQ(m_processes->runningCount(), 0) << "the QEMU-backend VM was stopped";
    EXPECT_EQ(m_libvirt->startedDomains, 1);
    EXPECT_EQ(engine.vmManager(), "libvirt (qemu:///session)");
    EXPECT_EQ(nlohmann::json::parse(engine.guestReportedConfig().toStdString()), (nlohmann::json{{"eci", true}}));
}
