// Enhanced Container Isolation end to end, on the real guest under TCG: ECI is switched on the
// way a user does it (the setting, then berthctl restart) and checked the way Docker's docs check
// it, then switched off again. One engine for all cases; they run in order.

#include "e2e_support.h"

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
    void liveContainersGetExclusiveBlocks();
    void hostNamespacesAreRefused_data();
    void hostNamespacesAreRefused();
    void engineSocketMountsAreRefused_data();
    void engineSocketMountsAreRefused();
    void vmPathsAreRestrictedMounts();
    void rootFilesystemIsWritableAsContainerRoot();
    void namedVolumeIsSharedAcrossRanges();
    void eciOffRunsPlainRunc();
    void containersCreatedBeforeEciRunIsolated();

private:
    Run dockerRun(const QStringList& args) const
    {
        return m_env.docker(QStringList{"--context", "berth", "run", "--rm"} + args);
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
    const Run inspect = m_env.docker({"--context", "berth", "inspect", "--format", "{{.HostConfig.Runtime}}", "eci-runtime"});
    QCOMPARE(inspect.output.trimmed(), QByteArray("sysbox-runc"));
    m_env.docker({"--context", "berth", "rm", "-f", "eci-runtime"});
}

void EciE2e::liveContainersGetExclusiveBlocks()
{
    const Run first = m_env.docker({"--context", "berth", "run", "-d", "--name", "eci-first", kTinyImage, "sleep", "600"});
    QVERIFY2(first.exitCode == 0, qPrintable(first.describe()));
    const Run firstMap = m_env.docker({"--context", "berth", "exec", "eci-first", "cat", "/proc/self/uid_map"});
    const Run secondMap = dockerRun({kTinyImage, "cat", "/proc/self/uid_map"});
    m_env.docker({"--context", "berth", "rm", "-f", "eci-first"});
    QVERIFY2(firstMap.exitCode == 0 && secondMap.exitCode == 0, qPrintable(firstMap.describe() + secondMap.describe()));
    const auto fields = [](const QByteArray& map) { return map.simplified().split(' '); };
    const auto a = fields(firstMap.output);
    const auto b = fields(secondMap.output);
    QCOMPARE(a.size(), 3);
    QCOMPARE(b.size(), 3);
    QCOMPARE(a[0], QByteArray("0"));
    QCOMPARE(a[2], QByteArray("65536"));
    QCOMPARE(b[2], QByteArray("65536"));
    QVERIFY(a[1].toLongLong() >= 100000);
    QVERIFY(b[1].toLongLong() >= 100000);
    QVERIFY2(a[1] != b[1], "two live containers share an ID block");
    QCOMPARE(std::llabs(a[1].toLongLong() - b[1].toLongLong()) % 65536, 0LL);
}

void EciE2e::hostNamespacesAreRefused_data()
{
    QTest::addColumn<QString>("flag");
    QTest::addColumn<QString>("expected");
    QTest::newRow("pid") << "--pid=host" << "can't share namespaces [pid] with the host";
    QTest::newRow("ipc") << "--ipc=host" << "can't share namespaces [ipc] with the host";
    QTest::newRow("uts") << "--uts=host" << "can't share namespaces [uts] with the host";
    QTest::newRow("network") << "--network=host" << "can't share a network namespace with the host";
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
    const Run write = dockerRun({"-v", "eci-shared:/data", kTinyImage, "sh", "-c", "echo shared > /data/f"});
    // Volumes are not ID-mapped into the container's range yet: dockerd creates them owned by the
    // VM's root, which a container's root (another ID) cannot write. Issue 6 tracks it.
    QEXPECT_FAIL("", "named volumes are not ID-mapped yet", Abort);
    QVERIFY2(write.exitCode == 0, qPrintable(write.describe()));
    const Run append = dockerRun({"-v", "eci-shared:/data", kTinyImage, "sh", "-c", "echo again >> /data/f && cat /data/f"});
    QVERIFY2(append.exitCode == 0, qPrintable(append.describe()));
    QCOMPARE(append.output.trimmed(), QByteArray("shared\nagain"));
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

// Turning ECI on restarts the VM, and the guest puts the wrapper in place of runc, so a container
// created with ECI off runs isolated once started again, and one ECI would have refused does not start.
void EciE2e::containersCreatedBeforeEciRunIsolated()
{
    m_env.docker({"--context", "berth", "rm", "-f", "pre-eci", "pre-eci-hostpid"});
    const Run plain = m_env.docker({"--context", "berth", "create", "--name", "pre-eci", kTinyImage, "cat", "/proc/self/uid_map"});
    QVERIFY2(plain.exitCode == 0, qPrintable(plain.describe()));
    const Run hostPid = m_env.docker({"--context", "berth", "create", "--name", "pre-eci-hostpid", "--pid=host", kTinyImage, "true"});
    QVERIFY2(hostPid.exitCode == 0, qPrintable(hostPid.describe()));
    const Run runtime = m_env.docker({"--context", "berth", "inspect", "--format", "{{.HostConfig.Runtime}}", "pre-eci"});
    QCOMPARE(runtime.output.trimmed(), QByteArray("runc"));

    const Run set = m_env.berthctl({"settings", "set", "enhancedContainerIsolation", "true"});
    QVERIFY2(set.exitCode == 0, qPrintable(set.describe()));
    const Run restart = m_env.berthctl({"restart"}, std::chrono::minutes(6));
    QVERIFY2(restart.exitCode == 0, qPrintable(restart.describe()));

    const Run map = m_env.docker({"--context", "berth", "start", "-a", "pre-eci"});
    QVERIFY2(map.exitCode == 0, qPrintable(map.describe()));
    const auto fields = map.output.simplified().split(' ');
    QCOMPARE(fields.size(), 3);
    QCOMPARE(fields[0], QByteArray("0"));
    QVERIFY2(fields[1].toLongLong() >= 100000, qPrintable(map.describe()));
    QCOMPARE(fields[2], QByteArray("65536"));
    const Run refused = m_env.docker({"--context", "berth", "start", "pre-eci-hostpid"});
    QVERIFY2(refused.exitCode != 0, qPrintable(refused.describe()));
    QVERIFY2(refused.output.contains("can't share namespaces [pid] with the host"), qPrintable(refused.describe()));
    m_env.docker({"--context", "berth", "rm", "-f", "pre-eci", "pre-eci-hostpid"});
}

QTEST_GUILESS_MAIN(EciE2e)
#include "tst_eci_e2e.moc"
