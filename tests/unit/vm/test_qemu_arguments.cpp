#include "berth/vm/instance_dir.h"
#include "qemu/qemu_backend.h"
#include "shared_directory_servers.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>

using namespace berth::vm;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

VmSpec testSpec(const QString& instance)
{
    VmSpec spec;
    spec.kernel = "/images/vmlinux";
    spec.initrd = "/images/initramfs.img";
    spec.guestConfigFile = instance + "/guest-config.json";
    spec.instanceDir = instance;
    spec.resources.cpus = 2;
    spec.resources.memoryMiB = 1536;
    spec.engineHostPort = 40123;
    spec.dataDisk = "/data/disk.qcow2";
    return spec;
}

std::string joined(const QStringList& args)
{
    return args.join(' ').toStdString();
}

}  // namespace

TEST(QemuArguments, CarryTheLifecycleEssentials)
{
    const QStringList args = qemuArguments(testSpec("/inst"));
    EXPECT_THAT(args, Contains("-nodefaults"));
    EXPECT_THAT(args, Contains("-no-reboot"));
    EXPECT_EQ(args.at(args.indexOf("-pidfile") + 1), "/inst/qemu.pid");
    EXPECT_THAT(args, Contains("socket,id=qmp,path=/inst/qmp.sock,server=on,wait=off"));
    EXPECT_THAT(args, Contains("chardev=qmp,mode=control"));
    EXPECT_THAT(args, Contains("file,id=serial0,path=/inst/serial.log"));
    EXPECT_THAT(args, Contains("name=opt/berth/config,file=/inst/guest-config.json"));
    EXPECT_THAT(args, Contains("virtio-serial-pci"));
    EXPECT_THAT(args, Contains("socket,id=agent,path=/inst/agent.sock,server=on,wait=off"));
    EXPECT_THAT(args, Contains("virtserialport,chardev=agent,name=org.berth.agent.0"));
    EXPECT_THAT(args, Contains("virtio-blk-pci,drive=data,serial=berth-data"));
    EXPECT_THAT(args, Contains("virtio-balloon-pci,free-page-reporting=on")) << "freed guest memory goes back";
    EXPECT_EQ(args.at(args.indexOf("-smp") + 1), "2");
    EXPECT_EQ(args.at(args.indexOf("-m") + 1), "1536M");
    // The guest learns that a data disk is attached, and waits for it.
    EXPECT_EQ(args.at(args.indexOf("-append") + 1),
              "console=ttyS0 panic=-1 no_timer_check quiet cryptomgr.notests=1 berth.data_disk=berth-data");
}

TEST(QemuArguments, OnlyTcgSkipsTheKernelsCryptoSelfTests)
{
    VmSpec spec = testSpec("/inst");
    const auto cmdline = [&spec] {
        const QStringList args = qemuArguments(spec);
        return args.at(args.indexOf("-append") + 1);
    };
    spec.accelerator = Accelerator::Tcg;
    EXPECT_EQ(cmdline(), "console=ttyS0 panic=-1 no_timer_check quiet cryptomgr.notests=1 berth.data_disk=berth-data");
    spec.accelerator = Accelerator::Kvm;
    EXPECT_EQ(cmdline(), "console=ttyS0 panic=-1 no_timer_check quiet berth.data_disk=berth-data");
}

TEST(QemuArguments, ForwardOnlyALoopbackPort)
{
    const QStringList args = qemuArguments(testSpec("/inst"));
    const QString netdev = args.at(args.indexOf("-netdev") + 1);
    EXPECT_EQ(netdev, "user,id=net0,hostfwd=tcp:127.0.0.1:40123-:2376");
    VmSpec noForward = testSpec("/inst");
    noForward.engineHostPort = 0;
    EXPECT_THAT(joined(qemuArguments(noForward)), Not(HasSubstr("hostfwd")));
}

TEST(QemuArguments, AcceleratorSelectsCpuModel)
{
    VmSpec spec = testSpec("/inst");
    spec.accelerator = Accelerator::Kvm;
    EXPECT_THAT(joined(qemuArguments(spec)), HasSubstr("-accel kvm -cpu host"));
    EXPECT_THAT(joined(qemuArguments(spec)), Not(HasSubstr("-bios"))) << "KVM keeps QEMU's default firmware";
    spec.accelerator = Accelerator::Tcg;
    EXPECT_THAT(joined(qemuArguments(spec)), HasSubstr("-accel tcg,thread=multi -cpu max,erms=off"))
        << "no byte-at-a-time string instructions under TCG";
    if (QFileInfo::exists("/usr/share/qemu/qboot.rom")) {
        EXPECT_THAT(joined(qemuArguments(spec)), HasSubstr("-bios /usr/share/qemu/qboot.rom"));
    } else {
        EXPECT_THAT(joined(qemuArguments(spec)), Not(HasSubstr("-bios"))) << "without qboot, QEMU's default";
    }
}

TEST(QemuArguments, CommasInPathsAreEscaped)
{
    VmSpec spec = testSpec("/odd,dir");
    spec.guestConfigFile = "/odd,dir/guest-config.json";
    const QStringList args = qemuArguments(spec);
    EXPECT_THAT(args, Contains("socket,id=qmp,path=/odd,,dir/qmp.sock,server=on,wait=off"));
    EXPECT_THAT(args, Contains("name=opt/berth/config,file=/odd,,dir/guest-config.json"));
}

TEST(InstanceDir, IsCreatedPrivate)
{
    QTemporaryDir base;
    const InstanceDir dir(base.filePath("berth/vm/default"));
    QString error;
    ASSERT_TRUE(dir.ensure(&error)) << error.toStdString();
    const auto permissions = QFileInfo(dir.root()).permissions();
    EXPECT_TRUE(permissions.testFlag(QFile::ExeOwner));
    EXPECT_FALSE(permissions.testFlag(QFile::ReadGroup));
    EXPECT_FALSE(permissions.testFlag(QFile::ExeOther));
}

TEST(InstanceDir, RejectsPathsTooLongForUnixSockets)
{
    const InstanceDir dir("/tmp/" + QString(120, 'a'));
    QString error;
    EXPECT_FALSE(dir.ensure(&error));
    EXPECT_THAT(error.toStdString(), HasSubstr("too long"));
}

TEST(InstanceDir, SerialLogTailKeepsTheLastLines)
{
    QTemporaryDir base;
    const InstanceDir dir(base.path());
    QFile log(dir.serialLog());
    ASSERT_TRUE(log.open(QIODevice::WriteOnly));
    for (int i = 1; i <= 100; ++i) { log.write(QByteArray("line ") + QByteArray::number(i) + "\r\n"); }
    log.close();
    const QString tail = dir.serialLogTail(3);
    EXPECT_EQ(tail, "line 98\nline 99\nline 100");
}

TEST(QemuArguments, ShareDirectoriesOverVirtiofsWithSharedMemory)
{
    VmSpec spec = testSpec("/inst");
    EXPECT_THAT(joined(qemuArguments(spec)), Not(HasSubstr("memfd")));
    EXPECT_THAT(joined(qemuArguments(spec)), Not(HasSubstr("vhost-user-fs")));
    spec.sharedDirectories = {{"/home/dev", "berth-share-0"}, {"/srv/a,b", "berth-share-1"}};
    const QStringList args = qemuArguments(spec);
    // virtiofsd works in the guest's RAM: all of it, shared.
    EXPECT_THAT(args, Contains("memory-backend-memfd,id=mem,size=1536M,share=on"));
    EXPECT_THAT(args, Contains("memory-backend=mem"));
    EXPECT_THAT(args, Contains("socket,id=fs0,path=/inst/fs-0.sock"));
    EXPECT_THAT(args, Contains("vhost-user-fs-pci,chardev=fs0,tag=berth-share-0,queue-size=1024"));
    EXPECT_THAT(args, Contains("socket,id=fs1,path=/inst/fs-1.sock"));
    EXPECT_THAT(args, Contains("vhost-user-fs-pci,chardev=fs1,tag=berth-share-1,queue-size=1024"));
}

TEST(VirtiofsdArguments, EveryGuestIdWritesAsTheUserWhoseFilesShowAs1000)
{
    const QStringList args = virtiofsdArguments({"/home/dev", "berth-share-0"}, 7, 1001, 1002);
    EXPECT_THAT(args, Contains("--fd=7"));
    EXPECT_THAT(args, Contains("--shared-dir=/home/dev"));
    EXPECT_THAT(args, Contains("--sandbox=namespace")) << "no privilege needed";
    EXPECT_THAT(args, Contains("--translate-uid=squash-guest:0:1001:4294967295"));
    EXPECT_THAT(args, Contains("--translate-gid=squash-guest:0:1002:4294967295"));
    EXPECT_THAT(args, Contains("--translate-uid=host:1001:1000:1"));
    EXPECT_THAT(args, Contains("--translate-gid=host:1002:1000:1"));
}
