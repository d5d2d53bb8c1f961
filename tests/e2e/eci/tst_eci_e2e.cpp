// Enhanced Container Isolation end to end, on the real guest under TCG: ECI is switched on the
// way a user does it (the setting, then berthctl restart) and checked the way Docker's docs check
// it, then switched off again. One engine for all cases; they run in order.

#include "e2e_support.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QtTest>

#include <cstdlib>

using berth::e2e::kTinyImage;
using berth::e2e::Run;

class EciE2e : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();

    void verifyEciPassesAllFourChecks();
    void runtimeIsSysboxRunc();
    void noFlagLeavesTheUserNamespace_data();
    void noFlagLeavesTheUserNamespace();
    void liveContainersGetExclusiveBlocks();
    void hostNamespacesAreRefused_data();
    void hostNamespacesAreRefused();
    void engineSocketMountsAreRefused_data();
    void engineSocketMountsAreRefused();
    void vmPathsAreRestrictedMounts();
    void rootFilesystemIsWritableAsContainerRoot();
    void namedVolumeIsSharedAcrossRanges();
    void dockerManagedFilesAreWritableAsRoot();
    void commitKeepsOwnersInTheContainersRange();
    void buildKeepsOwnersInTheContainersRange_data();
    void buildKeepsOwnersInTheContainersRange();
    void privilegedStaysContained();
    void seccompProfilesCannotLiftTheMountGuard_data();
    void seccompProfilesCannotLiftTheMountGuard();
    void execPrivilegedCannotRemountReadOnlyBinds();
    void ordinaryMountsStillWorkWithCapSysAdmin();
    void dockerMasksStayInPlace_data();
    void dockerMasksStayInPlace();
    void lockedStartKeepsTheUserCapabilitiesAndCommand();
    void execJoinsTheLockedMounts();
    void readOnlyBindsStillWork();
    void buildKitStateIsARestrictedMount();
    void anotherContainersShmOnlyThroughItsIpcNamespace();
    void networkJoinerGetsOnlyTheJoinedContainersFiles();
    void ownershipShiftNeverLeavesTheUpperLayer();
    void serverIsTheGuestReleasesEngine();
    void cliPluginsAreOfferedToTheUsersCli();
    void composeProjectRunsIsolated();
    void buildxBuildsWithBuildKit();
    void eciOffRunsPlainRunc();
    void filesOnDiskAreOwnedByZeroBasedIds();
    void containersCreatedBeforeEciRunIsolated();  // turns ECI back on: keep it last

private:
    Run dockerRun(const QStringList& args) const
    {
        return m_env.docker(QStringList{"--context", "berth", "run", "--rm"} + args);
    }

    Run docker(const QStringList& args) const { return m_env.docker(QStringList{"--context", "berth"} + args); }
    // The first host ID of the block a /proc/self/uid_map shows (root mapped to 65536 IDs); -1
    // when the map is anything else, e.g. the identity map of a container that is not isolated.
    static qlonglong blockIn(const Run& uidMap)
    {
        const auto fields = uidMap.output.simplified().split(' ');
        if (uidMap.exitCode != 0 || fields.size() != 3 || fields[0] != "0" || fields[2] != "65536") { return -1; }
        return fields[1].toLongLong();
    }
    // The block of a running container.
    qlonglong blockOf(const QString& container) const
    {
        return blockIn(docker({"exec", container, "cat", "/proc/self/uid_map"}));
    }

    // A seccomp profile written to the temporary home (the CLI reads it and sends its content).
    QString profileFile(const QString& name, const QByteArray& json) const
    {
        const QString path = m_env.home() + "/seccomp-" + name + ".json";
        QFile file(path);
        if (file.open(QIODevice::WriteOnly)) { file.write(json); }
        return path;
    }
    QString idOf(const QString& container) const
    {
        return QString::fromUtf8(docker({"inspect", "--format", "{{.Id}}", container}).output.trimmed());
    }

    QString imageDir() const { return m_env.guestImageDir(); }
    bool shipsCliPlugins() const { return QFileInfo::exists(imageDir() + "/cli-plugins/docker-compose"); }
    static void writeFile(const QString& path, const QByteArray& content)
    {
        QVERIFY(QDir().mkpath(QFileInfo(path).absolutePath()));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(content);
    }

    berth::e2e::Environment m_env;
};

void EciE2e::initTestCase()
{
    QString why;
    if (!m_env.setUp(&why)) { QSKIP(qPrintable(why)); }
    const Run set = m_env.berthctl({"settings", "set", "enhancedContainerIsolation", "true"});
    QVERIFY2(set.exitCode == 0, qPrintable(set.describe()));
    const Run start = m_env.berthctl({"start"}, std::chrono::minutes(6));
    QVERIFY2(start.exitCode == 0, qPrintable(start.describe()));
    QVERIFY(m_env.importTinyImage());
}

void EciE2e::cleanupTestCase()
{
    m_env.tearDown();
}

void EciE2e::verifyEciPassesAllFourChecks()
{
    const Run verify = m_env.berthctl({"verify-eci", "--image", kTinyImage}, std::chrono::minutes(5));
    QVERIFY2(verify.exitCode == 0, qPrintable(verify.describe()));
    QVERIFY2(!verify.output.contains("FAIL"), qPrintable(verify.describe()));
}

void EciE2e::runtimeIsSysboxRunc()
{
    const Run create = m_env.docker({"--context", "berth", "create", "--name", "eci-runtime", kTinyImage, "true"});
    QVERIFY2(create.exitCode == 0, qPrintable(create.describe()));
    const Run inspect
        = m_env.docker({"--context", "berth", "inspect", "--format", "{{.HostConfig.Runtime}}", "eci-runtime"});
    QCOMPARE(inspect.output.trimmed(), QByteArray("sysbox-runc"));
    m_env.docker({"--context", "berth", "rm", "-f", "eci-runtime"});
}

void EciE2e::noFlagLeavesTheUserNamespace_data()
{
    QTest::addColumn<QString>("flag");
    QTest::newRow("runtime runc") << "--runtime=runc";
    QTest::newRow("userns host") << "--userns=host";
    QTest::newRow("privileged") << "--privileged";
}

// The ways out Docker Desktop closes: each still runs in its own block.
void EciE2e::noFlagLeavesTheUserNamespace()
{
    QFETCH(QString, flag);
    const Run map = dockerRun({flag, kTinyImage, "cat", "/proc/self/uid_map"});
    QVERIFY2(blockIn(map) >= 100000, qPrintable(map.describe()));
}

void EciE2e::liveContainersGetExclusiveBlocks()
{
    const Run first
        = m_env.docker({"--context", "berth", "run", "-d", "--name", "eci-first", kTinyImage, "sleep", "600"});
    QVERIFY2(first.exitCode == 0, qPrintable(first.describe()));
    const Run firstMap = m_env.docker({"--context", "berth", "exec", "eci-first", "cat", "/proc/self/uid_map"});
    const Run secondMap = dockerRun({kTinyImage, "cat", "/proc/self/uid_map"});
    m_env.docker({"--context", "berth", "rm", "-f", "eci-first"});
    const qlonglong a = blockIn(firstMap);
    const qlonglong b = blockIn(secondMap);
    QVERIFY2(a >= 100000 && b >= 100000, qPrintable(firstMap.describe() + secondMap.describe()));
    QVERIFY2(a != b, "two live containers share an ID block");
    QCOMPARE(std::llabs(a - b) % 65536, 0LL);
}

void EciE2e::hostNamespacesAreRefused_data()
{
    QTest::addColumn<QString>("flag");
    QTest::addColumn<QString>("expected");
    QTest::newRow("pid") << "--pid=host"
                         << "can't share namespaces [pid] with the host";
    QTest::newRow("ipc") << "--ipc=host"
                         << "can't share namespaces [ipc] with the host";
    QTest::newRow("uts") << "--uts=host"
                         << "can't share namespaces [uts] with the host";
    QTest::newRow("network") << "--network=host"
                             << "can't share a network namespace with the host";
}

void EciE2e::hostNamespacesAreRefused()
{
    QFETCH(QString, flag);
    QFETCH(QString, expected);
    const Run run = dockerRun({flag, kTinyImage, "true"});
    QVERIFY2(run.exitCode != 0, qPrintable(run.describe()));
    QVERIFY2(run.output.contains(expected.toUtf8()), qPrintable(run.describe()));
}

void EciE2e::engineSocketMountsAreRefused_data()
{
    QTest::addColumn<QString>("mount");
    QTest::newRow("socket") << "/var/run/docker.sock:/var/run/docker.sock";
    QTest::newRow("resolved path") << "/run/docker.sock:/sock";
    QTest::newRow("parent directory") << "/var/run:/hostrun";
}

void EciE2e::engineSocketMountsAreRefused()
{
    QFETCH(QString, mount);
    const Run run = dockerRun({"-v", mount, kTinyImage, "true"});
    QVERIFY2(run.exitCode != 0, qPrintable(run.describe()));
    QVERIFY2(run.output.contains("docker socket mount denied for container with image"), qPrintable(run.describe()));
}

void EciE2e::vmPathsAreRestrictedMounts()
{
    const Run run = dockerRun({"-v", "/etc/docker:/x", kTinyImage, "true"});
    QVERIFY2(run.exitCode != 0, qPrintable(run.describe()));
    QVERIFY2(run.output.contains("because it's configured as a restricted host mount"), qPrintable(run.describe()));
}

void EciE2e::rootFilesystemIsWritableAsContainerRoot()
{
    const Run run = dockerRun({kTinyImage, "sh", "-c", "touch /bin/created-by-root && mkdir -p /var/x && id -u"});
    QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));
    QCOMPARE(run.output.trimmed(), QByteArray("0"));
}

void EciE2e::namedVolumeIsSharedAcrossRanges()
{
    // The first container keeps running, so the second gets another block: the volume is
    // ID-mapped into each, and its files stay owned by 0 on disk (checked again with ECI off).
    const Run first
        = docker({"run", "-d", "--name", "eci-vol-first", "-v", "eci-shared:/data", kTinyImage, "sleep", "600"});
    QVERIFY2(first.exitCode == 0, qPrintable(first.describe()));
    const auto removeFirst = qScopeGuard([&] { docker({"rm", "-f", "eci-vol-first"}); });
    const Run owner = docker({"exec", "eci-vol-first", "sh", "-c",
                              "echo shared > /data/f && mkdir /data/sub && echo deep > /data/sub/g && "
                              "stat -c '%u:%g' /data/f /data/sub/g"});
    QVERIFY2(owner.exitCode == 0, qPrintable(owner.describe()));
    QCOMPARE(owner.output.simplified(), QByteArray("0:0 0:0"));

    const Run second
        = docker({"run", "-d", "--name", "eci-vol-second", "-v", "eci-shared:/data", kTinyImage, "sleep", "600"});
    QVERIFY2(second.exitCode == 0, qPrintable(second.describe()));
    const auto removeSecond = qScopeGuard([&] { docker({"rm", "-f", "eci-vol-second"}); });
    const qlonglong a = blockOf("eci-vol-first");
    const qlonglong b = blockOf("eci-vol-second");
    QVERIFY2(a >= 100000 && b >= 100000 && a != b, qPrintable(QString("blocks %1 and %2").arg(a).arg(b)));

    const Run append = docker({"exec", "eci-vol-second", "sh", "-c",
                               "echo again >> /data/f && echo more >> /data/sub/g && touch /data/h && cat /data/f"});
    QVERIFY2(append.exitCode == 0, qPrintable(append.describe()));
    QCOMPARE(append.output.trimmed(), QByteArray("shared\nagain"));
    const Run listing = docker({"exec", "eci-vol-second", "ls", "-ln", "/data"});
    QVERIFY2(listing.exitCode == 0, qPrintable(listing.describe()));
    for (const QByteArray& line : listing.output.split('\n')) {
        const auto fields = line.simplified().split(' ');
        if (fields.size() < 9) { continue; }  // "total 12"
        QVERIFY2(fields[2] == "0" && fields[3] == "0", qPrintable("not owned by 0:0 inside:\n" + listing.output));
    }
    // And back in the first container, which wrote the files from the other block.
    const Run back = docker({"exec", "eci-vol-first", "sh", "-c", "cat /data/sub/g && stat -c '%u' /data/h"});
    QVERIFY2(back.exitCode == 0, qPrintable(back.describe()));
    QCOMPARE(back.output.trimmed(), QByteArray("deep\nmore\n0"));

    // --network=container:X shares X's user namespace and gets X's hostname, hosts, resolv.conf.
    const Run joined = dockerRun({"--network=container:eci-vol-first", "-v", "eci-shared:/data", kTinyImage, "sh", "-c",
                                  "cat /proc/self/uid_map && stat -c '%u' /etc/hosts /data/f"});
    QVERIFY2(joined.exitCode == 0, qPrintable(joined.describe()));
    const auto joinedLines = joined.output.trimmed().split('\n');
    QCOMPARE(joinedLines.size(), 3);
    QCOMPARE(joinedLines[0].simplified(), QByteArray("0 " + QByteArray::number(a) + " 65536"));
    QCOMPARE(joinedLines[1], QByteArray("0"));
    QCOMPARE(joinedLines[2], QByteArray("0"));

    // A bind of the volume's _data by its VM path is the same volume, mapped the same way; a path
    // inside it is refused (dockerd would resolve it as the VM's root, through links containers make).
    const Run data = dockerRun({"-v", "/var/lib/docker/volumes/eci-shared/_data:/v", kTinyImage, "sh", "-c",
                                "echo bound >> /v/sub/g && stat -c '%u' /v/sub/g && cat /v/sub/g"});
    QVERIFY2(data.exitCode == 0, qPrintable(data.describe()));
    QCOMPARE(data.output.trimmed(), QByteArray("0\ndeep\nmore\nbound"));
    const Run sub = dockerRun({"-v", "/var/lib/docker/volumes/eci-shared/_data/sub:/sub", kTinyImage, "true"});
    QVERIFY2(sub.exitCode != 0 && sub.output.contains("because it's configured as a restricted host mount"),
             qPrintable(sub.describe()));
}

void EciE2e::dockerManagedFilesAreWritableAsRoot()
{
    const Run run = dockerRun({kTinyImage, "sh", "-c",
                               "echo '10.9.9.9 eci-test' >> /etc/hosts && stat -c '%u' /etc/hosts /etc/hostname "
                               "/etc/resolv.conf && cat /etc/hosts"});
    QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));
    QVERIFY2(run.output.startsWith("0\n0\n0\n"), qPrintable(run.describe()));
    QVERIFY2(run.output.contains("10.9.9.9 eci-test"), qPrintable(run.describe()));
}

void EciE2e::commitKeepsOwnersInTheContainersRange()
{
    const Run made = docker({"run", "--name", "eci-commit", kTinyImage, "sh", "-c",
                             "echo hi > /made && mkdir /dir && touch /dir/x && touch /bin/changed"});
    const auto remove = qScopeGuard([&] { docker({"rm", "-f", "eci-commit"}); });
    QVERIFY2(made.exitCode == 0, qPrintable(made.describe()));
    const Run commit = docker({"commit", "eci-commit", "berth-e2e/committed:1"});
    QVERIFY2(commit.exitCode == 0, qPrintable(commit.describe()));
    // Inside an isolated container an ID outside 0..65535 on disk would show as 65534 (nobody).
    const Run owners = dockerRun(
        {"berth-e2e/committed:1", "sh", "-c", "stat -c '%u:%g' /made /dir /dir/x /bin/changed && ls -ln /made /dir"});
    QVERIFY2(owners.exitCode == 0, qPrintable(owners.describe()));
    QVERIFY2(owners.output.startsWith("0:0\n0:0\n0:0\n0:0\n"), qPrintable(owners.describe()));
    QVERIFY2(!owners.output.contains("65534"), qPrintable(owners.describe()));
    const Run diff = docker({"diff", "eci-commit"});
    QVERIFY2(diff.exitCode == 0 && diff.output.contains("A /made"), qPrintable(diff.describe()));

    // A running container is paused for the commit, and must run on afterwards.
    const Run running = docker({"run", "-d", "--name", "eci-commit-live", kTinyImage, "sleep", "600"});
    const auto removeLive = qScopeGuard([&] { docker({"rm", "-f", "eci-commit-live"}); });
    QVERIFY2(running.exitCode == 0, qPrintable(running.describe()));
    const Run write = docker({"exec", "eci-commit-live", "sh", "-c", "echo live > /live"});
    QVERIFY2(write.exitCode == 0, qPrintable(write.describe()));
    const Run commitLive = docker({"commit", "eci-commit-live", "berth-e2e/committed-live:1"});
    QVERIFY2(commitLive.exitCode == 0, qPrintable(commitLive.describe()));
    const Run after = docker({"exec", "eci-commit-live", "sh", "-c", "echo more >> /live && stat -c '%u' /live"});
    QVERIFY2(after.exitCode == 0, qPrintable(after.describe()));
    QCOMPARE(after.output.trimmed(), QByteArray("0"));
    const Run liveOwner = dockerRun({"berth-e2e/committed-live:1", "stat", "-c", "%u:%g", "/live"});
    QVERIFY2(liveOwner.exitCode == 0, qPrintable(liveOwner.describe()));
    QCOMPARE(liveOwner.output.trimmed(), QByteArray("0:0"));
}

void EciE2e::buildKeepsOwnersInTheContainersRange_data()
{
    QTest::addColumn<QString>("builder");
    QTest::newRow("legacy builder") << "0";
    QTest::newRow("BuildKit") << "1";
}

void EciE2e::buildKeepsOwnersInTheContainersRange()
{
    QFETCH(QString, builder);
    // A local context: no registry is reachable, and FROM names an image the engine has.
    const QString context = m_env.home() + "/build-context-" + builder;
    QVERIFY(QDir().mkpath(context));
    QFile dockerfile(context + "/Dockerfile");
    QVERIFY(dockerfile.open(QIODevice::WriteOnly));
    dockerfile.write(QByteArray("FROM ") + kTinyImage + "\nRUN touch /f && mkdir /d && echo x > /d/y\n");
    dockerfile.close();
    const QString tag = "berth-e2e/built-" + builder + ":1";
    const Run build
        = m_env.run("env",
                    {"DOCKER_BUILDKIT=" + builder, m_env.environment().value("BERTH_GUEST_IMAGE_DIR") + "/docker",
                     "--context", "berth", "build", "-t", tag, context},
                    std::chrono::minutes(5));
    QVERIFY2(build.exitCode == 0, qPrintable(build.describe()));
    const Run owners = dockerRun({tag, "sh", "-c", "stat -c '%u:%g' /f /d /d/y && ls -ln /f /d"});
    QVERIFY2(owners.exitCode == 0, qPrintable(owners.describe()));
    QVERIFY2(owners.output.startsWith("0:0\n0:0\n0:0\n"), qPrintable(owners.describe()));
}

void EciE2e::privilegedStaysContained()
{
    // --privileged keeps its capabilities inside the user namespace only: a global sysctl (here
    // the module loader's path, written back unchanged) needs the VM's root.
    const Run sysctl = dockerRun({"--privileged", kTinyImage, "sh", "-c",
                                  "v=$(cat /proc/sys/kernel/modprobe) && echo \"$v\" > /proc/sys/kernel/modprobe"});
    QVERIFY2(sysctl.exitCode != 0, qPrintable(sysctl.describe()));
    QVERIFY2(sysctl.output.contains("denied") || sysctl.output.contains("Read-only"), qPrintable(sysctl.describe()));
    // No block device of the VM appears, whatever --privileged grants.
    const Run devices = dockerRun({"--privileged", kTinyImage, "sh", "-c", "ls /dev"});
    QVERIFY2(devices.exitCode == 0, qPrintable(devices.describe()));
    QVERIFY2(!devices.output.contains("vda") && !devices.output.contains("sda"), qPrintable(devices.describe()));
    // A read-only bind stays read-only, whether the filesystem or the bind is remounted, with
    // --privileged (no seccomp profile) and with CAP_SYS_ADMIN under Docker's default profile.
    for (const char* grant : {"--privileged", "--cap-add=SYS_ADMIN"}) {
        for (const char* options : {"remount,rw", "remount,bind,rw"}) {
            const Run remount = dockerRun({grant, "-v", "eci-shared:/ro:ro", kTinyImage, "sh", "-c",
                                           QString("/bin/busybox mount -o %1 /ro; touch /ro/written").arg(options)});
            QVERIFY2(remount.exitCode != 0, qPrintable(remount.describe()));
            QVERIFY2(remount.output.contains("Read-only file system"), qPrintable(remount.describe()));
        }
    }
}

void EciE2e::seccompProfilesCannotLiftTheMountGuard_data()
{
    // Each profile let `mount -o remount,bind,rw` through before: only the wrapper's rules may
    // decide mount and mount_setattr, whatever a profile says about them.
    QTest::addColumn<QByteArray>("profile");
    QTest::newRow("log rule") << QByteArray(R"({"defaultAction":"SCMP_ACT_ALLOW",
        "syscalls":[{"names":["mount"],"action":"SCMP_ACT_LOG"}]})");
    QTest::newRow("always-true conditional allow") << QByteArray(R"({"defaultAction":"SCMP_ACT_LOG",
        "syscalls":[{"names":["mount"],"action":"SCMP_ACT_ALLOW",
                     "args":[{"index":3,"value":0,"valueTwo":0,"op":"SCMP_CMP_MASKED_EQ"}]}]})");
    // A denying default must allow what runc calls once the filter is loaded, and busybox.
    QTest::newRow("conditional log under a denying default") << QByteArray(R"({"defaultAction":"SCMP_ACT_ERRNO",
        "syscalls":[{"names":["mount","mount_setattr"],"action":"SCMP_ACT_LOG",
                     "args":[{"index":2,"value":0,"valueTwo":0,"op":"SCMP_CMP_GE"}]},
                    {"names":["accept","accept4","access","arch_prctl","bind","brk","capget","capset","chdir",
                              "chmod","chown","clock_getres","clock_gettime","clock_nanosleep","clone",
                              "clone3","close","close_range","connect","dup","dup2","dup3","epoll_create",
                              "epoll_create1","epoll_ctl","epoll_pwait","epoll_wait","eventfd2","execve",
                              "execveat","exit","exit_group","faccessat","faccessat2","fchdir","fchmod",
                              "fchmodat","fchown","fchownat","fcntl","fdatasync","flock","fork","fstat",
                              "fstatfs","fsync","ftruncate","futex","getcwd","getdents","getdents64",
                              "getegid","geteuid","getgid","getgroups","getpgid","getpgrp","getpid","getppid",
                              "getpriority","getrandom","getresgid","getresuid","getrlimit","getrusage",
                              "getsid","gettid","gettimeofday","getuid","getxattr","ioctl","kill","lchown",
                              "lgetxattr","link","linkat","listen","lseek","lstat","madvise","memfd_create",
                              "mkdir","mkdirat","mknodat","mmap","mprotect","mremap","munmap","nanosleep",
                              "newfstatat","open","openat","openat2","pause","pipe","pipe2","poll","ppoll",
                              "prctl","pread64","prlimit64","pselect6","pwrite64","read","readlink",
                              "readlinkat","readv","recvfrom","recvmsg","rename","renameat","renameat2",
                              "restart_syscall","rmdir","rseq","rt_sigaction","rt_sigpending",
                              "rt_sigprocmask","rt_sigqueueinfo","rt_sigreturn","rt_sigsuspend",
                              "rt_sigtimedwait","sched_getaffinity","sched_yield","select","sendmsg","sendto",
                              "set_robust_list","set_tid_address","setgid","setgroups","setitimer","setpgid",
                              "setresgid","setresuid","setsid","setuid","sigaltstack","socket","socketpair",
                              "stat","statfs","statx","symlink","symlinkat","sysinfo","tgkill","time","times",
                              "tkill","umask","umount2","uname","unlink","unlinkat","utime","utimensat",
                              "utimes","vfork","wait4","waitid","write","writev"],
                     "action":"SCMP_ACT_ALLOW"}]})");
    QTest::newRow("logging default") << QByteArray(R"({"defaultAction":"SCMP_ACT_LOG"})");
}

void EciE2e::seccompProfilesCannotLiftTheMountGuard()
{
    QFETCH(QByteArray, profile);
    const QString file = profileFile(QString::fromLatin1(QTest::currentDataTag()).replace(' ', '-'), profile);
    for (const char* options : {"remount,bind,rw", "remount,rw"}) {
        const Run remount = dockerRun({"--cap-add=SYS_ADMIN", "--security-opt", "seccomp=" + file, "--security-opt",
                                       "apparmor=unconfined", "-v", "eci-shared:/ro:ro", kTinyImage, "sh", "-c",
                                       QString("/bin/busybox mount -o %1 /ro; touch /ro/written").arg(options)});
        QVERIFY2(remount.exitCode != 0, qPrintable(remount.describe()));
        QVERIFY2(remount.output.contains("Read-only file system"), qPrintable(remount.describe()));
    }
}

// seccomp=unconfined and no capability at start: docker exec --privileged hands the exec'd
// process every capability later, under the container's filter.
void EciE2e::execPrivilegedCannotRemountReadOnlyBinds()
{
    const Run started = docker({"run", "-d", "--name", "eci-exec-priv", "--security-opt", "seccomp=unconfined", "-v",
                                "eci-shared:/ro:ro", kTinyImage, "sleep", "600"});
    QVERIFY2(started.exitCode == 0, qPrintable(started.describe()));
    const auto remove = qScopeGuard([&] { docker({"rm", "-f", "eci-exec-priv"}); });
    for (const char* options : {"remount,bind,rw", "remount,rw"}) {
        const Run remount = docker({"exec", "--privileged", "eci-exec-priv", "sh", "-c",
                                    QString("/bin/busybox mount -o %1 /ro; touch /ro/written").arg(options)});
        QVERIFY2(remount.exitCode != 0, qPrintable(remount.describe()));
        QVERIFY2(remount.output.contains("Read-only file system"), qPrintable(remount.describe()));
    }
}

void EciE2e::ordinaryMountsStillWorkWithCapSysAdmin()
{
    // Not a remount, not a bind, or read-only: what a privileged workload does stays allowed, and
    // what it mounted itself it unmounts.
    const QString script = "mkdir -p /m /b && /bin/busybox mount -t tmpfs t /m && touch /m/x && "
                           "/bin/busybox mount --bind /m /b && ls /b && /bin/busybox mount -o remount,bind,ro /b && "
                           "! touch /b/y 2>/dev/null && /bin/busybox umount /b && /bin/busybox umount /m && "
                           "echo mounted";
    for (const QStringList& grant :
         {QStringList{"--privileged"}, QStringList{"--cap-add=SYS_ADMIN", "--security-opt", "apparmor=unconfined"},
          QStringList{"--cap-add=SYS_ADMIN", "--security-opt", "apparmor=unconfined", "--security-opt",
                      "seccomp=unconfined"}}) {
        const Run run = dockerRun(grant + QStringList{kTinyImage, "sh", "-c", script});
        QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));
        QVERIFY2(run.output.contains("x\nmounted"), qPrintable(run.describe()));
    }
}

// What the container mounts itself it may unmount; Docker's masks over the VM's /proc and /sys
// it may neither unmount, detach nor move, and no fresh procfs or sysfs uncovers them: the
// container's mounts are locked by the kernel (berth-eci-init, mount_lock.h).
void EciE2e::dockerMasksStayInPlace_data()
{
    QTest::addColumn<QStringList>("grant");
    QTest::addColumn<bool>("masked");  // --privileged has no masks, only Docker's /sys/fs/cgroup
    QTest::newRow("cap-add SYS_ADMIN") << QStringList{"--cap-add=SYS_ADMIN", "--security-opt", "apparmor=unconfined"}
                                       << true;
    QTest::newRow("cap-add SYS_ADMIN, seccomp unconfined")
        << QStringList{"--cap-add=SYS_ADMIN", "--security-opt", "apparmor=unconfined", "--security-opt",
                       "seccomp=unconfined"}
        << true;
    QTest::newRow("cap-add SYS_ADMIN, user 1000 (no capability until it becomes root)")
        << QStringList{"--cap-add=SYS_ADMIN", "--security-opt", "apparmor=unconfined", "--user", "1000"} << true;
    QTest::newRow("cap-add SYS_ADMIN, read-only root")
        << QStringList{"--cap-add=SYS_ADMIN", "--security-opt", "apparmor=unconfined", "--read-only", "--tmpfs", "/tmp"}
        << true;
    QTest::newRow("privileged") << QStringList{"--privileged"} << false;
}

void EciE2e::dockerMasksStayInPlace()
{
    QFETCH(QStringList, grant);
    QFETCH(bool, masked);
    // Each way out prints a line naming it ("escaped:"; "unmasked:" for a procfs or sysfs without
    // the masks, which only counts where there are masks);
    // "checked N" counts the masks that were there to try.
    const QString script = R"(b=/bin/busybox; n=0
masks="/proc/kcore /proc/keys /proc/timer_list /proc/sysrq-trigger /proc/sys /proc/irq /proc/bus /proc/fs"
for m in $masks /proc/acpi /proc/scsi /sys/firmware /sys/fs/cgroup; do
  $b grep -q " $m " /proc/self/mountinfo || continue
  n=$((n+1))
  $b umount $m 2>/dev/null && echo "escaped: unmounted $m"
  $b umount -l $m 2>/dev/null && echo "escaped: detached $m"
  $b mkdir -p /tmp/moved && $b mount --move $m /tmp/moved 2>/dev/null && echo "escaped: moved $m"
done
$b umount -l /proc 2>/dev/null && echo "escaped: detached /proc"
$b umount -l /sys 2>/dev/null && echo "escaped: detached /sys"
$b mkdir -p /tmp/p /tmp/s /tmp/bp /tmp/bs
$b mount -t proc proc /tmp/p 2>/dev/null && echo "unmasked: a fresh proc"
$b mount -t sysfs sysfs /tmp/s 2>/dev/null && echo "unmasked: a fresh sysfs"
$b mount --bind /proc /tmp/bp 2>/dev/null && echo "unmasked: /proc bound without its masks"
$b mount --bind /sys /tmp/bs 2>/dev/null && echo "unmasked: /sys bound without its masks"
$b mount -o remount,rw /proc/sys 2>/dev/null && echo "escaped: remounted /proc/sys rw"
echo "checked $n")";
    const Run run = dockerRun(grant + QStringList{kTinyImage, "sh", "-c", script});
    QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));
    const int checked = QString::fromUtf8(run.output).section("checked ", 1).trimmed().toInt();
    QVERIFY2(checked >= (masked ? 8 : 1), qPrintable(run.describe()));
    QVERIFY2(!run.output.contains("escaped:"), qPrintable(run.describe()));
    if (masked) { QVERIFY2(!run.output.contains("unmasked:"), qPrintable(run.describe())); }
}

// The container's command runs as PID 1 with the user, groups, working directory, environment and
// capabilities Docker gave it, exactly as without the init; a missing command fails as with runc.
void EciE2e::lockedStartKeepsTheUserCapabilitiesAndCommand()
{
    const QString report
        = "id -u; id -g; id -G; pwd; echo \"$FOO\"; /bin/busybox tr '\\0' ' ' < /proc/1/cmdline; echo; "
          "/bin/busybox grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb)' /proc/self/status";
    const auto capabilities = [](const Run& run) {
        QMap<QString, quint64> caps;
        for (const QByteArray& line : run.output.split('\n')) {
            if (!line.startsWith("Cap")) { continue; }
            const QList<QByteArray> fields = line.simplified().split(' ');
            if (fields.size() == 2) {
                caps[QString::fromLatin1(fields[0]).chopped(1)] = fields[1].toULongLong(nullptr, 16);
            }
        }
        return caps;
    };
    // Docker's default set, without the init (nothing lets this container change mounts).
    const Run plain = dockerRun({kTinyImage, "sh", "-c", report});
    QVERIFY2(plain.exitCode == 0, qPrintable(plain.describe()));
    const quint64 defaults = capabilities(plain).value("CapBnd");
    QVERIFY2(defaults != 0, qPrintable(plain.describe()));
    constexpr quint64 kSysAdmin = 1ULL << 21;
    constexpr quint64 kSysChroot = 1ULL << 18;
    constexpr quint64 kSetpcap = 1ULL << 8;

    const Run user = dockerRun({"--cap-add=SYS_ADMIN", "--user", "1000:1001", "--group-add", "5", "-w", "/tmp", "-e",
                                "FOO=bar baz", kTinyImage, "sh", "-c", report});
    QVERIFY2(user.exitCode == 0, qPrintable(user.describe()));
    QVERIFY2(user.output.startsWith("1000\n1001\n1001 5\n/tmp\nbar baz\nsh -c id -u"), qPrintable(user.describe()));
    auto caps = capabilities(user);
    QCOMPARE(caps.value("CapBnd"), defaults | kSysAdmin);
    QCOMPARE(caps.value("CapEff"), 0ULL);
    QCOMPARE(caps.value("CapPrm"), 0ULL);
    QCOMPARE(caps.value("CapInh"), 0ULL);
    QCOMPARE(caps.value("CapAmb"), 0ULL);

    // Root without the capabilities the init needed for itself: they are gone again.
    const Run root = dockerRun(
        {"--cap-add=SYS_ADMIN", "--cap-drop=SYS_CHROOT", "--cap-drop=SETPCAP", kTinyImage, "sh", "-c", report});
    QVERIFY2(root.exitCode == 0, qPrintable(root.describe()));
    QVERIFY2(root.output.startsWith("0\n0\n"), qPrintable(root.describe()));
    caps = capabilities(root);
    const quint64 expected = (defaults | kSysAdmin) & ~(kSysChroot | kSetpcap);
    QCOMPARE(caps.value("CapBnd"), expected);
    QCOMPARE(caps.value("CapEff"), expected);
    QCOMPARE(caps.value("CapPrm"), expected);

    const Run missing = dockerRun({"--cap-add=SYS_ADMIN", kTinyImage, "no-such-command"});
    QCOMPARE(missing.exitCode, 127);
    QVERIFY2(missing.output.contains("executable file not found"), qPrintable(missing.describe()));
}

// docker exec (privileged too) joins the locked mount namespace, from the first moment on.
void EciE2e::execJoinsTheLockedMounts()
{
    const Run started = docker({"run", "-d", "--name", "eci-locked", "--cap-add=SYS_ADMIN", "--security-opt",
                                "apparmor=unconfined", kTinyImage, "sleep", "600"});
    QVERIFY2(started.exitCode == 0, qPrintable(started.describe()));
    const auto remove = qScopeGuard([&] { docker({"rm", "-f", "eci-locked"}); });
    const Run same
        = docker({"exec", "eci-locked", "sh", "-c",
                  "[ \"$(/bin/busybox readlink /proc/self/ns/mnt)\" = \"$(/bin/busybox readlink /proc/1/ns/mnt)\" ] "
                  "&& echo same"});
    QVERIFY2(same.exitCode == 0 && same.output.trimmed() == "same", qPrintable(same.describe()));
    for (const QStringList& exec : {QStringList{"exec"}, QStringList{"exec", "--privileged"}}) {
        const Run umount = docker(exec
                                  + QStringList{"eci-locked", "sh", "-c",
                                                "/bin/busybox umount /proc/kcore || /bin/busybox umount -l /proc/kcore "
                                                "|| echo refused"});
        QVERIFY2(umount.exitCode == 0 && umount.output.contains("refused"), qPrintable(umount.describe()));
    }
}

// Read-only binds are staged read-only in the VM (so the kernel locks the flag in the
// container's namespace); runc still binds and remounts them as it always did.
void EciE2e::readOnlyBindsStillWork()
{
    const Run run = dockerRun({"--init", "-v", "eci-shared:/ro:ro", "-v", "eci-shared:/rw", kTinyImage, "sh", "-c",
                               "cat /ro/f && ! touch /ro/x 2>/dev/null && touch /rw/rw-ok && ls /ro/rw-ok && "
                               "stat -c '%u' /ro/f && /bin/busybox ps -o comm | /bin/busybox head -2"});
    QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));
    QVERIFY2(run.output.contains("/ro/rw-ok\n0\n"), qPrintable(run.describe()));
    QVERIFY2(run.output.contains("docker-init"), qPrintable(run.describe()));
}

void EciE2e::buildKitStateIsARestrictedMount()
{
    // BuildKit's state belongs to BuildKit's own steps (runc run from its executor), never to a
    // container of dockerd's, whatever part of it is asked for.
    for (const char* source : {"/var/lib/docker/buildkit", "/var/lib/docker/buildkit/executor",
                               "/var/lib/docker/buildkit/executor/resolv.conf"}) {
        const Run run = dockerRun({"-v", QString(source) + ":/x", kTinyImage, "true"});
        QVERIFY2(run.exitCode != 0, qPrintable(run.describe()));
        QVERIFY2(run.output.contains("because it's configured as a restricted host mount"), qPrintable(run.describe()));
    }
}

void EciE2e::anotherContainersShmOnlyThroughItsIpcNamespace()
{
    for (const char* name : {"eci-ipc-a", "eci-ipc-b"}) {
        const Run started = docker({"run", "-d", "--name", name, "--ipc=shareable", kTinyImage, "sh", "-c",
                                    QString("echo %1 > /dev/shm/owner && sleep 600").arg(name)});
        QVERIFY2(started.exitCode == 0, qPrintable(started.describe()));
    }
    const auto remove = qScopeGuard([&] { docker({"rm", "-f", "eci-ipc-a", "eci-ipc-b"}); });
    const QString shmA = "/var/lib/docker/containers/" + idOf("eci-ipc-a") + "/mounts/shm";
    const QString shmB = "/var/lib/docker/containers/" + idOf("eci-ipc-b") + "/mounts/shm";

    // By its VM path, from a container of its own: refused.
    const Run alone = dockerRun({"-v", shmA + ":/x", kTinyImage, "cat", "/x/owner"});
    QVERIFY2(alone.exitCode != 0, qPrintable(alone.describe()));
    QVERIFY2(alone.output.contains("restricted host mount"), qPrintable(alone.describe()));
    // From a container in A's IPC namespace: A's shm, as dockerd hands it out, but not B's.
    const Run joined = dockerRun({"--ipc=container:eci-ipc-a", kTinyImage, "cat", "/dev/shm/owner"});
    QVERIFY2(joined.exitCode == 0, qPrintable(joined.describe()));
    QCOMPARE(joined.output.trimmed(), QByteArray("eci-ipc-a"));
    const Run other = dockerRun({"--ipc=container:eci-ipc-a", "-v", shmB + ":/x", kTinyImage, "cat", "/x/owner"});
    QVERIFY2(other.exitCode != 0, qPrintable(other.describe()));
    QVERIFY2(other.output.contains("restricted host mount"), qPrintable(other.describe()));
    // Sharing A's network is not sharing its IPC namespace.
    const Run network = dockerRun({"--network=container:eci-ipc-a", "-v", shmA + ":/x", kTinyImage, "true"});
    QVERIFY2(network.exitCode != 0, qPrintable(network.describe()));
}

void EciE2e::networkJoinerGetsOnlyTheJoinedContainersFiles()
{
    for (const char* name : {"eci-net-a", "eci-net-b"}) {
        const Run started = docker({"run", "-d", "--name", name, kTinyImage, "sleep", "600"});
        QVERIFY2(started.exitCode == 0, qPrintable(started.describe()));
    }
    const auto remove = qScopeGuard([&] { docker({"rm", "-f", "eci-net-a", "eci-net-b"}); });
    const QString dirB = "/var/lib/docker/containers/" + idOf("eci-net-b");
    for (const char* file : {"hosts", "hostname", "resolv.conf"}) {
        const Run run = dockerRun({"--network=container:eci-net-a", "-v", dirB + "/" + file + ":/x", kTinyImage, "sh",
                                   "-c", "echo '10.6.6.6 planted' >> /x"});
        QVERIFY2(run.exitCode != 0, qPrintable(run.describe()));
        QVERIFY2(run.output.contains("restricted host mount"), qPrintable(run.describe()));
    }
    const Run hostsB = docker({"exec", "eci-net-b", "cat", "/etc/hosts"});
    QVERIFY2(hostsB.exitCode == 0 && !hostsB.output.contains("planted"), qPrintable(hostsB.describe()));
    // The joiner still gets A's own files, and writes them as root, as with plain Docker.
    const Run joined = dockerRun(
        {"--network=container:eci-net-a", kTinyImage, "sh", "-c", "echo '10.7.7.7 joiner' >> /etc/hosts && echo ok"});
    QVERIFY2(joined.exitCode == 0, qPrintable(joined.describe()));
    const Run hostsA = docker({"exec", "eci-net-a", "cat", "/etc/hosts"});
    QVERIFY2(hostsA.output.contains("10.7.7.7 joiner"), qPrintable(hostsA.describe()));
}

void EciE2e::ownershipShiftNeverLeavesTheUpperLayer()
{
    // A container plants links in its upper layer to a volume's files by their VM paths
    // (absolute, and relative to overlay2/<id>/diff); pause, unpause and commit shift the upper
    // layer's owners each way, and must never chown through them.
    const Run seed = dockerRun({"-v", "eci-shift:/v", kTinyImage, "sh", "-c",
                                "echo vm > /v/f && mkdir -p /v/d && echo vm > /v/d/g && stat -c '%u:%g' /v/f /v/d/g"});
    QVERIFY2(seed.exitCode == 0, qPrintable(seed.describe()));
    QCOMPARE(seed.output.simplified(), QByteArray("0:0 0:0"));
    const QString data = "/var/lib/docker/volumes/eci-shift/_data";
    const Run started = docker({"run", "-d", "--name", "eci-shift-links", kTinyImage, "sh", "-c",
                                "/bin/busybox ln -s " + data
                                    + "/f /abs-file && "
                                      "/bin/busybox ln -s "
                                    + data
                                    + "/d /abs-dir && "
                                      "/bin/busybox ln -s ../../../volumes/eci-shift/_data/d /rel-dir && sleep 600"});
    QVERIFY2(started.exitCode == 0, qPrintable(started.describe()));
    const auto remove = qScopeGuard([&] { docker({"rm", "-f", "eci-shift-links"}); });
    QTest::qWait(1000);
    const Run pause = docker({"pause", "eci-shift-links"});
    QVERIFY2(pause.exitCode == 0, qPrintable(pause.describe()));
    const Run unpause = docker({"unpause", "eci-shift-links"});
    QVERIFY2(unpause.exitCode == 0, qPrintable(unpause.describe()));
    const Run commit = docker({"commit", "eci-shift-links", "berth-e2e/shift-links:1"});
    QVERIFY2(commit.exitCode == 0, qPrintable(commit.describe()));
    // Seen from another container (another block), the volume's files are still 0 on disk: a
    // shift through the links would show them as another block's IDs (65534 here).
    const Run owners
        = dockerRun({"-v", "eci-shift:/v", kTinyImage, "stat", "-c", "%u:%g", "/v", "/v/f", "/v/d", "/v/d/g"});
    QVERIFY2(owners.exitCode == 0, qPrintable(owners.describe()));
    QCOMPARE(owners.output.simplified(), QByteArray("0:0 0:0 0:0 0:0"));
    const Run links = dockerRun({"berth-e2e/shift-links:1", "sh", "-c", "stat -c '%u:%g' /abs-file /abs-dir /rel-dir"});
    QVERIFY2(links.exitCode == 0, qPrintable(links.describe()));
    QCOMPARE(links.output.simplified(), QByteArray("0:0 0:0 0:0"));
}

void EciE2e::serverIsTheGuestReleasesEngine()
{
    const Run version = docker({"version", "--format", "{{.Server.Version}} {{.Server.APIVersion}}"});
    QVERIFY2(version.exitCode == 0, qPrintable(version.describe()));
    const QString suite = m_env.guestSuite();
    QVERIFY2(!suite.isEmpty(), "the image's manifest names no suite");
    QVERIFY2(version.output.startsWith(m_env.engineVersionPrefix()), qPrintable(suite + ": " + version.describe()));
}

void EciE2e::cliPluginsAreOfferedToTheUsersCli()
{
    if (!shipsCliPlugins()) { QSKIP("this guest release ships no docker CLI plugins (bookworm has no compose v2)"); }
    // berth-engine linked them into $DOCKER_CONFIG/cli-plugins when the engine came up.
    const QString userDir = m_env.environment().value("DOCKER_CONFIG") + "/cli-plugins";
    for (const char* plugin : {"docker-compose", "docker-buildx"}) {
        const QFileInfo link(userDir + "/" + plugin);
        QVERIFY2(link.isSymLink(), qPrintable(link.filePath() + " is not a link"));
        QCOMPARE(link.symLinkTarget(), QFileInfo(imageDir() + "/cli-plugins/" + plugin).absoluteFilePath());
    }
    const Run compose = m_env.docker({"compose", "version"});
    QVERIFY2(compose.exitCode == 0 && compose.output.contains("Docker Compose version"),
             qPrintable(compose.describe()));
}

// A two-service project as a developer writes one: a service built from a local Dockerfile FROM
// an image the engine has, one from that image, a named volume both use, a port published.
void EciE2e::composeProjectRunsIsolated()
{
    if (!shipsCliPlugins()) { QSKIP("this guest release ships no docker compose"); }
    const QString project = m_env.home() + "/compose-project";
    writeFile(project + "/web/Dockerfile",
              QByteArray("FROM ") + kTinyImage
                  + "\nRUN mkdir /www && echo hello-compose > /www/index.html\n"
                    "CMD [\"busybox\", \"httpd\", \"-f\", \"-p\", \"8080\", \"-h\", \"/www\"]\n");
    writeFile(project + "/compose.yaml",
              QByteArray("services:\n"
                         "  web:\n"
                         "    build: ./web\n"
                         "    ports: [\"18080:8080\"]\n"
                         "    volumes: [\"data:/data\"]\n"
                         "  store:\n"
                         "    image: ")
                  + kTinyImage
                  + "\n"
                    "    command: [\"sh\", \"-c\", \"echo stored > /data/v && exec sleep 600\"]\n"
                    "    volumes: [\"data:/data\"]\n"
                    "volumes:\n"
                    "  data: {}\n");
    const QStringList compose{"--context", "berth", "compose", "--project-directory", project, "-p", "berth-e2e"};
    const Run up = m_env.docker(compose + QStringList{"up", "-d", "--build", "--wait"}, std::chrono::minutes(8));
    // The end of compose's output says what failed (a Qt Test message keeps only its first 1 KiB).
    QVERIFY2(up.exitCode == 0, up.output.right(900).constData());
    // Both run isolated, in blocks of their own.
    const qlonglong web = blockOf("berth-e2e-web-1");
    const qlonglong store = blockOf("berth-e2e-store-1");
    QVERIFY2(web > 0 && store > 0 && web != store, qPrintable(QString("blocks %1 and %2").arg(web).arg(store)));
    // The project's network resolves service names; the volume is shared; the port is published.
    const Run fetch = docker({"exec", "berth-e2e-store-1", "busybox", "wget", "-qO-", "http://web:8080/"});
    QVERIFY2(fetch.exitCode == 0 && fetch.output.trimmed() == "hello-compose", qPrintable(fetch.describe()));
    const Run shared = docker({"exec", "berth-e2e-web-1", "cat", "/data/v"});
    QVERIFY2(shared.exitCode == 0 && shared.output.trimmed() == "stored", qPrintable(shared.describe()));
    // The published port is on the host's loopback, as with Docker Desktop.
    QVERIFY2(m_env.waitForHostPort(18080, "hello-compose"), "nothing answered on the host's 127.0.0.1:18080");
    const Run down = m_env.docker(compose + QStringList{"down", "-v"}, std::chrono::minutes(3));
    QVERIFY2(down.exitCode == 0, qPrintable(down.describe()));
    QVERIFY2(m_env.waitForHostPort(18080, {}), "the host's 127.0.0.1:18080 stayed open after compose down");
    const Run volumes = docker({"volume", "ls", "-q", "--filter", "name=berth-e2e_data"});
    QVERIFY2(volumes.exitCode == 0 && volumes.output.trimmed().isEmpty(), qPrintable(volumes.describe()));
}

void EciE2e::buildxBuildsWithBuildKit()
{
    if (!shipsCliPlugins()) { QSKIP("this guest release ships no docker buildx"); }
    const QString context = m_env.home() + "/buildx-context";
    writeFile(context + "/Dockerfile",
              QByteArray("FROM ") + kTinyImage + "\nRUN --mount=type=tmpfs,target=/scratch echo built > /made\n");
    const Run build
        = m_env.docker({"--context", "berth", "buildx", "build", "--load", "-t", "berth-e2e/buildx:1", context},
                       std::chrono::minutes(5));
    QVERIFY2(build.exitCode == 0, qPrintable(build.describe()));
    const Run made = dockerRun({"berth-e2e/buildx:1", "sh", "-c", "cat /made && stat -c '%u:%g' /made"});
    QVERIFY2(made.exitCode == 0, qPrintable(made.describe()));
    QCOMPARE(made.output.simplified(), QByteArray("built 0:0"));
}

void EciE2e::eciOffRunsPlainRunc()
{
    const Run set = m_env.berthctl({"settings", "set", "enhancedContainerIsolation", "false"});
    QVERIFY2(set.exitCode == 0, qPrintable(set.describe()));
    const Run restart = m_env.berthctl({"restart"}, std::chrono::minutes(6));
    QVERIFY2(restart.exitCode == 0, qPrintable(restart.describe()));
    const Run map = dockerRun({kTinyImage, "cat", "/proc/self/uid_map"});
    QVERIFY2(map.exitCode == 0, qPrintable(map.describe()));
    QCOMPARE(map.output.simplified(), QByteArray("0 0 4294967295"));
    const Run verify = m_env.berthctl({"verify-eci", "--image", kTinyImage}, std::chrono::minutes(5));
    QVERIFY2(verify.exitCode != 0, "verify-eci must not pass with ECI off");
}

void EciE2e::filesOnDiskAreOwnedByZeroBasedIds()
{
    // With ECI off, containers see the disk's own IDs: what isolated containers wrote to a volume,
    // committed or built must be 0, never a block's host ID.
    const Run volume
        = dockerRun({"-v", "eci-shared:/data", kTinyImage, "sh", "-c", "stat -c '%u:%g' /data/f /data/sub/g /data/h"});
    QVERIFY2(volume.exitCode == 0, qPrintable(volume.describe()));
    QCOMPARE(volume.output.simplified(), QByteArray("0:0 0:0 0:0"));
    const Run committed = dockerRun({"berth-e2e/committed:1", "stat", "-c", "%u:%g", "/made", "/dir/x"});
    QVERIFY2(committed.exitCode == 0, qPrintable(committed.describe()));
    QCOMPARE(committed.output.simplified(), QByteArray("0:0 0:0"));
    const Run live = dockerRun({"berth-e2e/committed-live:1", "stat", "-c", "%u:%g", "/live"});
    QVERIFY2(live.exitCode == 0, qPrintable(live.describe()));
    QCOMPARE(live.output.simplified(), QByteArray("0:0"));
    for (const char* tag : {"berth-e2e/built-0:1", "berth-e2e/built-1:1"}) {
        const Run built = dockerRun({tag, "stat", "-c", "%u:%g", "/f", "/d/y"});
        QVERIFY2(built.exitCode == 0, qPrintable(built.describe()));
        QCOMPARE(built.output.simplified(), QByteArray("0:0 0:0"));
    }
}

// Turning ECI on restarts the VM, and the guest puts the wrapper in place of runc, so a container
// created with ECI off runs isolated once started again, and one ECI would have refused does not start.
void EciE2e::containersCreatedBeforeEciRunIsolated()
{
    m_env.docker({"--context", "berth", "rm", "-f", "pre-eci", "pre-eci-hostpid"});
    const Run plain
        = m_env.docker({"--context", "berth", "create", "--name", "pre-eci", kTinyImage, "cat", "/proc/self/uid_map"});
    QVERIFY2(plain.exitCode == 0, qPrintable(plain.describe()));
    const Run hostPid
        = m_env.docker({"--context", "berth", "create", "--name", "pre-eci-hostpid", "--pid=host", kTinyImage, "true"});
    QVERIFY2(hostPid.exitCode == 0, qPrintable(hostPid.describe()));
    const Run runtime
        = m_env.docker({"--context", "berth", "inspect", "--format", "{{.HostConfig.Runtime}}", "pre-eci"});
    QCOMPARE(runtime.output.trimmed(), QByteArray("runc"));

    const Run set = m_env.berthctl({"settings", "set", "enhancedContainerIsolation", "true"});
    QVERIFY2(set.exitCode == 0, qPrintable(set.describe()));
    const Run restart = m_env.berthctl({"restart"}, std::chrono::minutes(6));
    QVERIFY2(restart.exitCode == 0, qPrintable(restart.describe()));

    const Run map = m_env.docker({"--context", "berth", "start", "-a", "pre-eci"});
    QVERIFY2(blockIn(map) >= 100000, qPrintable(map.describe()));
    const Run refused = m_env.docker({"--context", "berth", "start", "pre-eci-hostpid"});
    QVERIFY2(refused.exitCode != 0, qPrintable(refused.describe()));
    QVERIFY2(refused.output.contains("can't share namespaces [pid] with the host"), qPrintable(refused.describe()));
    m_env.docker({"--context", "berth", "rm", "-f", "pre-eci", "pre-eci-hostpid"});
}

QTEST_GUILESS_MAIN(EciE2e)
#include "tst_eci_e2e.moc"
