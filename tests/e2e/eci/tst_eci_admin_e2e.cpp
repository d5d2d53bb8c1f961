// ECI as an administrator enforces it, end to end on the real guest under TCG: a root-owned
// /etc/berth/admin-settings.json deployed with `berthctl admin deploy` locks ECI on and sets the
// docker socket policy (an allowed image, a deny command list). The user cannot turn ECI off by
// editing their own settings file; an allowed image gets a working engine socket (docker-in-docker
// style, through the command-list filter), whose containers are isolated too; a denied command
// and a denied image are refused with Docker's messages.
//
// The policy file is real and machine-wide, so this test runs only as root and only where no
// policy exists, and removes what it created however it ends (cleanupTestCase, the guard's
// destructor, atexit, and fatal signals).

#include "e2e_support.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QtTest>

#include <csignal>
#include <cstdlib>

#include <unistd.h>

using berth::e2e::kTinyImage;
using berth::e2e::Run;

namespace {

constexpr const char* kAdminDir = "/etc/berth";
constexpr const char* kAdminFile = "/etc/berth/admin-settings.json";
// Built FROM kTinyImage with the docker client added; the only image the policy allows.
constexpr const char* kClientImage = "berth-e2e/dind:1";

// What this test created, for every way out of it; plain globals so a signal handler may use them.
volatile sig_atomic_t g_removeFile = 0;
volatile sig_atomic_t g_removeDir = 0;

void removeAdminPolicy()
{
    // unlink and rmdir only: safe in a signal handler.
    if (g_removeFile) { ::unlink(kAdminFile); }
    if (g_removeDir) { ::rmdir(kAdminDir); }
    g_removeFile = 0;
    g_removeDir = 0;
}

void onFatalSignal(int signal)
{
    removeAdminPolicy();
    std::signal(signal, SIG_DFL);
    std::raise(signal);
}

class AdminPolicyGuard {
public:
    ~AdminPolicyGuard() { removeAdminPolicy(); }
    // Called just before the deploy: from here on the file (and the directory, if new) is ours.
    void claim()
    {
        g_removeDir = QFileInfo::exists(kAdminDir) ? 0 : 1;
        g_removeFile = 1;
        static bool registered = false;
        if (!registered) {
            std::atexit(removeAdminPolicy);
            registered = true;
        }
        // Qt Test's own handlers abort the run on these; ours clean up first and then die the same way.
        for (const int s : {SIGABRT, SIGSEGV, SIGTERM, SIGINT, SIGBUS, SIGFPE, SIGILL}) {
            std::signal(s, onFatalSignal);
        }
    }
};

// A policy file steers every Berth engine on the machine at its next start: while another one
// runs (someone else's tests, or a user's engine), deploying one is not ours to do.
bool anotherEngineRuns()
{
    const QDir proc("/proc");
    for (const QString& pid : proc.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        QFile comm(proc.filePath(pid + "/comm"));
        if (comm.open(QIODevice::ReadOnly) && comm.readAll().trimmed() == "berth-engine") { return true; }
    }
    return false;
}

}  // namespace

class EciAdminE2e : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();

    void lockedEciSurvivesAHandEditedUserFile();
    void allowedImageUsesTheEngineSocket();
    void containersStartedThroughTheSocketAreIsolated();
    void requestBodiesStreamThroughTheSocket();
    void deniedCommandIsBlocked();
    void deniedImageCannotMountTheSocket();

private:
    Run docker(const QStringList& args) const { return m_env.docker(QStringList{"--context", "berth"} + args); }
    // The allowed image with the engine socket mounted, running `sh -c script`.
    Run inClientContainer(const QString& script) const
    {
        return docker({"run", "--rm", "-e", "HOME=/tmp", "-v", "/var/run/docker.sock:/var/run/docker.sock",
                       kClientImage, "sh", "-c", script});
    }

    AdminPolicyGuard m_guard;
    berth::e2e::Environment m_env;
};

void EciAdminE2e::initTestCase()
{
    if (::geteuid() != 0) { QSKIP("deploying /etc/berth/admin-settings.json needs root"); }
    if (QFileInfo::exists(kAdminFile)) {
        QSKIP("this machine already has /etc/berth/admin-settings.json; it is not ours to replace");
    }
    // The engine of a test that just ended exits once its stop is done: give it time to go.
    if (!QTest::qWaitFor([] { return !anotherEngineRuns(); }, 60000)) {
        QSKIP("another berth-engine runs on this machine; a machine-wide policy would steer it");
    }
    QString why;
    if (!m_env.setUp(&why)) { QSKIP(qPrintable(why)); }

    const nlohmann::json policy = {{"configurationFileVersion", 2},
                                   {"enhancedContainerIsolation",
                                    {{"locked", true},
                                     {"value", true},
                                     {"dockerSocketMount",
                                      {{"imageList", {{"images", {"berth-e2e/dind:*"}}, {"allowDerivedImages", false}}},
                                       {"commandList", {{"type", "deny"}, {"commands", {"volume*", "push"}}}}}}}}};
    m_guard.claim();
    const Run deploy = m_env.berthctl({"admin", "deploy", "--admin-settings=" + QString::fromStdString(policy.dump())});
    QVERIFY2(deploy.exitCode == 0, qPrintable(deploy.describe()));
    const QFileInfo file(kAdminFile);
    QVERIFY(file.exists());
    QCOMPARE(file.ownerId(), 0U);

    const Run start = m_env.berthctl({"start"}, std::chrono::minutes(8));
    QVERIFY2(start.exitCode == 0, qPrintable(start.describe()));
    QVERIFY(m_env.importTinyImage());

    // The docker-in-docker client image: the tiny image plus the guest image's client, with the
    // libraries it links (Debian's client is linked against libc; host and guest are both Debian 12).
    const QString context = m_env.home() + "/dind-context";
    const QString rootfs = context + "/rootfs";
    QVERIFY(QDir().mkpath(rootfs + "/bin"));
    const QString client = m_env.environment().value("BERTH_GUEST_IMAGE_DIR") + "/docker";
    QVERIFY2(QFile::copy(client, rootfs + "/bin/docker"), qPrintable(client));
    const Run ldd = m_env.run("ldd", {client}, std::chrono::seconds(30));
    for (const QByteArray& line : ldd.output.split('\n')) {
        // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" or "/lib64/ld-linux-x86-64.so.2 (0x...)"
        const QList<QByteArray> fields = line.simplified().split(' ');
        const qsizetype arrow = fields.indexOf("=>");
        const QString library = QString::fromUtf8(arrow >= 0 ? fields.value(arrow + 1) : fields.value(0));
        if (!library.startsWith('/')) { continue; }
        QVERIFY(QDir().mkpath(rootfs + QFileInfo(library).path()));
        QVERIFY2(QFile::copy(library, rootfs + library), qPrintable(library));  // the file, not the link
    }
    QFile dockerfile(context + "/Dockerfile");
    QVERIFY(dockerfile.open(QIODevice::WriteOnly));
    dockerfile.write(QByteArray("FROM ") + kTinyImage + "\nCOPY rootfs/ /\n");
    dockerfile.close();
    const Run build = m_env.docker({"--context", "berth", "build", "-q", "-t", kClientImage, context});
    QVERIFY2(build.exitCode == 0, qPrintable(build.describe()));
}

void EciAdminE2e::cleanupTestCase()
{
    m_env.tearDown();
    removeAdminPolicy();
    QVERIFY(!QFileInfo::exists(kAdminFile));
}

void EciAdminE2e::lockedEciSurvivesAHandEditedUserFile()
{
    // The CLI refuses outright (exit 3: locked by the administrator) ...
    const Run set = m_env.berthctl({"settings", "set", "enhancedContainerIsolation", "false"});
    QCOMPARE(set.exitCode, 3);

    // ... so the user edits the file by hand instead.
    QFile store(m_env.settingsFile());
    nlohmann::json settings = nlohmann::json::object();
    if (store.open(QIODevice::ReadOnly)) {
        settings = nlohmann::json::parse(store.readAll().toStdString(), nullptr, false);
        store.close();
        if (!settings.is_object()) { settings = nlohmann::json::object(); }
    }
    settings["enhancedContainerIsolation"] = false;
    QDir().mkpath(QFileInfo(store).absolutePath());
    QVERIFY(store.open(QIODevice::WriteOnly | QIODevice::Truncate));
    store.write(QByteArray::fromStdString(settings.dump(2)));
    store.close();

    const Run restart = m_env.berthctl({"restart"}, std::chrono::minutes(8));
    QVERIFY2(restart.exitCode == 0, qPrintable(restart.describe()));

    const Run map = docker({"run", "--rm", kTinyImage, "cat", "/proc/self/uid_map"});
    QVERIFY2(map.exitCode == 0, qPrintable(map.describe()));
    QVERIFY2(map.output.simplified() != "0 0 4294967295", "ECI is off although the administrator locked it on");
    QVERIFY2(map.output.simplified().endsWith(" 65536"), qPrintable(map.describe()));

    const Run create = docker({"create", "--name", "admin-runtime", kTinyImage, "true"});
    QVERIFY2(create.exitCode == 0, qPrintable(create.describe()));
    const Run inspect = docker({"inspect", "--format", "{{.HostConfig.Runtime}}", "admin-runtime"});
    docker({"rm", "-f", "admin-runtime"});
    QCOMPARE(inspect.output.trimmed(), QByteArray("sysbox-runc"));

    const Run verify = m_env.berthctl({"verify-eci", "--image", kTinyImage}, std::chrono::minutes(5));
    QVERIFY2(verify.exitCode == 0 && !verify.output.contains("FAIL"), qPrintable(verify.describe()));
}

void EciAdminE2e::allowedImageUsesTheEngineSocket()
{
    const Run run = inClientContainer("docker version --format '{{.Server.Version}}' && docker ps --format '{{.Image}}'"
                                      " && docker image inspect --format ok "
                                      + QString(kTinyImage));
    QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));
    // ps through the socket sees the very container it runs in.
    QVERIFY2(run.output.contains(kClientImage), qPrintable(run.describe()));
    QVERIFY2(run.output.contains("\nok"), qPrintable(run.describe()));
}

void EciAdminE2e::containersStartedThroughTheSocketAreIsolated()
{
    // run (attach, hijacked), a detached container, exec (Upgrade: tcp) and stdin through the
    // socket: the streaming paths of the filter; the inner containers are isolated by the runtime.
    const QString tiny(kTinyImage);
    const Run run
        = inClientContainer("set -e; echo \"outer $(cat /proc/self/uid_map)\";"
                            " echo \"inner $(docker run --rm "
                            + tiny
                            + " cat /proc/self/uid_map)\";"
                              " docker run -d --name admin-inner "
                            + tiny
                            + " sleep 600 >/dev/null;"
                              " echo \"exec $(docker exec admin-inner cat /proc/self/uid_map)\";"
                              " echo \"stdin $(echo through-the-socket | docker exec -i admin-inner cat)\";"
                              " echo \"runtime $(docker inspect --format '{{.HostConfig.Runtime}}' admin-inner)\";"
                              " docker rm -f admin-inner >/dev/null");
    docker({"rm", "-f", "admin-inner"});
    QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));
    QMap<QByteArray, QList<QByteArray>> lines;
    for (const QByteArray& line : run.output.split('\n')) {
        const auto fields = line.simplified().split(' ');
        if (fields.size() >= 2) { lines[fields[0]] = fields.mid(1); }
    }
    for (const char* which : {"outer", "inner", "exec"}) {
        const auto map = lines.value(which);
        QVERIFY2(map.size() == 3 && map[0] == "0" && map[1].toLongLong() >= 100000 && map[2] == "65536",
                 qPrintable(QString(which) + ": " + run.describe()));
    }
    QVERIFY2(lines.value("outer")[1] != lines.value("inner")[1], qPrintable(run.describe()));
    QCOMPARE(lines.value("stdin").value(0), QByteArray("through-the-socket"));
    QCOMPARE(lines.value("runtime").value(0), QByteArray("sysbox-runc"));
}

void EciAdminE2e::requestBodiesStreamThroughTheSocket()
{
    // The client sends the build context as a chunked body; the build is not on the deny list.
    const Run run = inClientContainer("echo 'FROM " + QString(kTinyImage)
                                      + "' | docker build -q -t berth-e2e/via-socket:1 -"
                                        " && docker image inspect --format built berth-e2e/via-socket:1"
                                        " && docker image rm berth-e2e/via-socket:1 >/dev/null");
    QVERIFY2(run.exitCode == 0 && run.output.contains("built"), qPrintable(run.describe()));
}

void EciAdminE2e::deniedCommandIsBlocked()
{
    const Run run = inClientContainer("docker volume ls");
    QVERIFY2(run.exitCode != 0, qPrintable(run.describe()));
    QVERIFY2(run.output.contains("enhanced container isolation: docker command \"/v1.")
                 && run.output.contains("/volumes") && run.output.contains("is blocked"),
             qPrintable(run.describe()));
    // The list is the only thing refused: the engine itself still answers on the same socket.
    const Run ps = inClientContainer("docker volume create x 2>&1; docker ps -q >/dev/null && echo still-works");
    QVERIFY2(ps.output.contains("is blocked") && ps.output.contains("still-works"), qPrintable(ps.describe()));
    const Run push = inClientContainer("docker push " + QString(kTinyImage));
    QVERIFY2(push.exitCode != 0 && push.output.contains("/push") && push.output.contains("is blocked"),
             qPrintable(push.describe()));
}

void EciAdminE2e::deniedImageCannotMountTheSocket()
{
    const Run run = docker({"run", "--rm", "-v", "/var/run/docker.sock:/var/run/docker.sock", kTinyImage, "true"});
    QVERIFY2(run.exitCode != 0, qPrintable(run.describe()));
    QVERIFY2(run.output.contains("docker socket mount denied for container with image")
                 && run.output.contains("image is not in the allowed list"),
             qPrintable(run.describe()));
}

QTEST_GUILESS_MAIN(EciAdminE2e)
#include "tst_eci_admin_e2e.moc"
