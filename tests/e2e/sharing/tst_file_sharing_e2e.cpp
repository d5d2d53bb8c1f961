// File sharing end to end, as a developer meets it: a host directory in fileSharing.directories
// appears in the VM at its own path (virtiofs), so `docker run -v "$dir":/src` reads and writes
// the user's files. Whatever writes them in a container, the host sees them owned by the user who
// runs Berth; the host's edits are seen at once; a host path that is not shared is refused and
// the message says how to share it. Then the same with Enhanced Container Isolation on, where a
// route from the share into the VM stays a restricted VM path. Run as an ordinary user.

#include "e2e_support.h"

#include <QtTest>

#include <sys/stat.h>
#include <unistd.h>

using berth::e2e::kTinyImage;
using berth::e2e::Run;

class FileSharingE2e : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();

    void containerWritesLandAsTheUser();
    void hostWritesAreSeenAtOnce();
    void anUnsharedHostPathIsRefusedSayingHowToShareIt();
    void withEciOnTheContainersRootWritesAsTheUser();
    void withEciOnARouteFromTheShareIntoTheVmIsRestricted();

private:
    Run docker(const QStringList& args) const { return m_env.docker(QStringList{"--context", "berth"} + args); }
    // `docker run --rm -v <shared>:/src <tiny image> sh -c <script>`, with more options first.
    Run inShare(const QString& script, const QStringList& options = {}) const
    {
        return docker(QStringList{"run", "--rm"} + options
                      + QStringList{"-v", m_shared + ":/src", kTinyImage, "sh", "-c", script});
    }
    static QByteArray readHostFile(const QString& path)
    {
        QFile file(path);
        return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray("<unreadable>");
    }
    // "uid:gid" of a host file, and of the user running the test.
    static QString hostOwner(const QString& path)
    {
        struct stat st {};
        if (::lstat(QFile::encodeName(path).constData(), &st) != 0) { return QStringLiteral("<missing>"); }
        return QStringLiteral("%1:%2").arg(st.st_uid).arg(st.st_gid);
    }
    static QString user() { return QStringLiteral("%1:%2").arg(::getuid()).arg(::getgid()); }

    berth::e2e::Environment m_env;
    QString m_shared;  // in the temporary home, shared
};

void FileSharingE2e::initTestCase()
{
    QString why;
    if (!m_env.setUp(&why)) { QSKIP(qPrintable(why)); }
    QVERIFY2(::getuid() != 0 || qEnvironmentVariableIsEmpty("BERTH_E2E_RUN_AS"), "meant for an ordinary user");
    m_shared = m_env.home() + "/project";
    QVERIFY(QDir().mkpath(m_shared));
    const Run set = m_env.berthctl({"settings", "set", "fileSharing.directories", m_shared});
    QVERIFY2(set.exitCode == 0, qPrintable(set.describe()));
    const Run start = m_env.berthctl({"start"}, std::chrono::minutes(6));
    QVERIFY2(start.exitCode == 0, qPrintable(start.describe()));
    qInfo("engine up in %.1f s", start.seconds);
    QVERIFY(m_env.importTinyImage());
}

void FileSharingE2e::cleanupTestCase()
{
    m_env.tearDown();
}

void FileSharingE2e::containerWritesLandAsTheUser()
{
    // The container's root, and the container user the user's own files show as (1000).
    const Run asRoot = inShare("echo by-root > /src/by-root && mkdir /src/dir && echo in-dir > /src/dir/f && id -u");
    QVERIFY2(asRoot.exitCode == 0, qPrintable(asRoot.describe()));
    QCOMPARE(asRoot.output.trimmed(), QByteArray("0"));
    QCOMPARE(readHostFile(m_shared + "/by-root"), QByteArray("by-root\n"));
    QCOMPARE(readHostFile(m_shared + "/dir/f"), QByteArray("in-dir\n"));
    for (const char* name : {"/by-root", "/dir", "/dir/f"}) { QCOMPARE(hostOwner(m_shared + name), user()); }

    const Run asUser = inShare("echo by-1000 > /src/by-1000 && chmod 600 /src/by-1000 && stat -c %u:%g /src/by-1000",
                               {"--user", "1000:1000"});
    QVERIFY2(asUser.exitCode == 0, qPrintable(asUser.describe()));
    QCOMPARE(asUser.output.trimmed(), QByteArray("1000:1000"));
    QCOMPARE(hostOwner(m_shared + "/by-1000"), user());
    struct stat st {};
    QCOMPARE(::stat(QFile::encodeName(m_shared + "/by-1000").constData(), &st), 0);
    QCOMPARE(st.st_mode & 0777, 0600u);  // a chmod in the container is the host file's

    // Any other ID a container runs as still writes as the user, never as an ID of its own.
    QVERIFY(QFile::setPermissions(m_shared, QFile::permissions(m_shared) | QFile::WriteOther | QFile::ExeOther));
    const Run asOther = inShare("echo by-4242 > /src/by-4242", {"--user", "4242:4242"});
    QVERIFY2(asOther.exitCode == 0, qPrintable(asOther.describe()));
    QCOMPARE(hostOwner(m_shared + "/by-4242"), user());
}

void FileSharingE2e::hostWritesAreSeenAtOnce()
{
    const Run running
        = docker({"run", "-d", "--name", "share-reader", "-v", m_shared + ":/src", kTinyImage, "sleep", "600"});
    QVERIFY2(running.exitCode == 0, qPrintable(running.describe()));
    const auto remove = qScopeGuard([&] { docker({"rm", "-f", "share-reader"}); });
    for (const QByteArray& content : {QByteArray("first\n"), QByteArray("second, longer\n")}) {
        QFile file(m_shared + "/from-host");
        QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
        file.write(content);
        file.close();
        const Run read = docker({"exec", "share-reader", "cat", "/src/from-host"});
        QVERIFY2(read.exitCode == 0, qPrintable(read.describe()));
        QCOMPARE(read.output, content);
    }
    QVERIFY(QFile::remove(m_shared + "/from-host"));
    const Run gone = docker({"exec", "share-reader", "sh", "-c", "test ! -e /src/from-host"});
    QVERIFY2(gone.exitCode == 0, qPrintable(gone.describe()));
}

void FileSharingE2e::anUnsharedHostPathIsRefusedSayingHowToShareIt()
{
    QTemporaryDir outside(QDir::tempPath() + "/berth-unshared-XXXXXX");
    QVERIFY(outside.isValid());
    const Run run = docker({"run", "--rm", "-v", outside.path() + ":/x", kTinyImage, "true"});
    QVERIFY2(run.exitCode != 0, qPrintable(run.describe()));
    QVERIFY2(run.output.contains("Mounts denied: The path " + outside.path().toUtf8()
                                 + " is not shared from the host and is not known to Docker."),
             qPrintable(run.describe()));
    QVERIFY2(run.output.contains("fileSharing.directories"), qPrintable(run.describe()));
}

void FileSharingE2e::withEciOnTheContainersRootWritesAsTheUser()
{
    const Run set = m_env.berthctl({"settings", "set", "enhancedContainerIsolation", "true"});
    QVERIFY2(set.exitCode == 0, qPrintable(set.describe()));
    const Run restart = m_env.berthctl({"restart"}, std::chrono::minutes(6));
    QVERIFY2(restart.exitCode == 0, qPrintable(restart.describe()));

    // The container's root is an ID of its own block in the VM; on the host it is the user.
    const Run write = inShare("cat /proc/self/uid_map && echo eci-root > /src/eci-root && stat -c %u /src/by-root");
    QVERIFY2(write.exitCode == 0, qPrintable(write.describe()));
    QVERIFY2(!write.output.contains(" 0          0 4294967295"), qPrintable(write.describe()));
    QVERIFY2(write.output.trimmed().endsWith("1000"), qPrintable(write.describe()));
    QCOMPARE(readHostFile(m_shared + "/eci-root"), QByteArray("eci-root\n"));
    QCOMPARE(hostOwner(m_shared + "/eci-root"), user());
    const Run read = inShare("cat /src/by-root");
    QVERIFY2(read.exitCode == 0, qPrintable(read.describe()));
    QCOMPARE(read.output, QByteArray("by-root\n"));
}

void FileSharingE2e::withEciOnARouteFromTheShareIntoTheVmIsRestricted()
{
    // The link is resolved in the VM, where /etc is the VM's own.
    QVERIFY(QFile::link("/etc", m_shared + "/vm-etc"));
    const Run link = docker({"run", "--rm", "-v", m_shared + "/vm-etc:/x", kTinyImage, "true"});
    QVERIFY2(link.exitCode != 0, qPrintable(link.describe()));
    QVERIFY2(link.output.contains("restricted host mount"), qPrintable(link.describe()));
    // A VM path outside every share stays restricted too.
    const Run vmPath = docker({"run", "--rm", "-v", "/etc/docker:/x", kTinyImage, "true"});
    QVERIFY2(vmPath.exitCode != 0, qPrintable(vmPath.describe()));
    QVERIFY2(vmPath.output.contains("restricted host mount"), qPrintable(vmPath.describe()));
}

QTEST_GUILESS_MAIN(FileSharingE2e)
#include "tst_file_sharing_e2e.moc"
