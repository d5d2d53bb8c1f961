// End to end, the way a user meets the engine: `berthctl start` boots the real guest image under
// TCG (berth-engine, QEMU, the guest agent, containerd, dockerd), and the docker CLI reaches it
// through the `berth` context over TLS. Every case shares one engine; they run in order.
//
// Everything the engine writes lives in a temporary home (XDG dirs, DOCKER_CONFIG), so the
// machine's own Berth and docker set-ups are untouched.

#include "e2e_support.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QScopeGuard>
#include <QStandardPaths>
#include <QtTest>

using berth::e2e::Run;

namespace {
// A minute of the Resource Saver's idle time, in this test.
constexpr std::chrono::milliseconds kSaverMinute{3000};
}  // namespace

class EngineE2e : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();

    void dockerContextAnswers();
    void importedImageRunsEchoHello();
    void dashboardFollowsAContainerAndStopsIt();
    void volumeSurvivesRestartAndTheDiskGrows();
    void engineAndContainersUseTheProxies();
    void hardKillThenStartRepairsTheDataDisk();
    void clientWithoutCertificateIsRefused();
    void resourceSaverStopsTheIdleEngineAndDockerStartsIt();
    void stopPowersOffCleanly();

private:
    berth::e2e::Environment m_env;
};

void EngineE2e::initTestCase()
{
    QString why;
    if (!m_env.setUp(&why)) { QSKIP(qPrintable(why)); }
    // The Resource Saver's minute, for berth-engine (the setting is off until its case).
    m_env.setVariable("BERTH_TEST_RESOURCE_SAVER_MINUTE_MS", QString::number(kSaverMinute.count()));
    const Run start = m_env.berthctl({"start"}, std::chrono::minutes(6));
    QVERIFY2(start.exitCode == 0, qPrintable(start.describe()));
    qInfo("engine up in %.1f s", start.seconds);
}

void EngineE2e::cleanupTestCase()
{
    m_env.tearDown();
}

void EngineE2e::dockerContextAnswers()
{
    const Run version = m_env.docker({"--context", "berth", "version", "--format", "{{.Server.Version}}"});
    QVERIFY2(version.exitCode == 0, qPrintable(version.describe()));
    QVERIFY2(version.output.trimmed().startsWith(m_env.engineVersionPrefix()), qPrintable(version.describe()));
}

void EngineE2e::importedImageRunsEchoHello()
{
    QVERIFY(m_env.importTinyImage());
    const Run hello = m_env.docker({"--context", "berth", "run", "--rm", berth::e2e::kTinyImage, "echo", "hello"});
    QVERIFY2(hello.exitCode == 0, qPrintable(hello.describe()));
    QCOMPARE(hello.output.trimmed(), QByteArray("hello"));
}

// The dashboard under Xvfb (berth_e2e_dashboard, the app's own window over this engine): a
// container started from the CLI shows in its table within 2 s, its Logs show what it wrote, the
// dashboard's Stop stops it, the table shows it exited, and the Images tab lists its image in use.
void EngineE2e::dashboardFollowsAContainerAndStopsIt()
{
    QVERIFY(m_env.importTinyImage());
    const QString xvfbRun = QStandardPaths::findExecutable("xvfb-run");
    QProcessEnvironment environment = m_env.environment();
    QStringList command{BERTH_E2E_DASHBOARD, "--container", "dash-e2e", "--expect-log", "hello from dash-e2e"};
    if (xvfbRun.isEmpty()) {
        qInfo("no xvfb-run: the dashboard runs offscreen");
        environment.insert("QT_QPA_PLATFORM", "offscreen");
    } else {
        environment.insert("QT_QPA_PLATFORM", "xcb");
        command = QStringList{xvfbRun, "-a", "-s", "-screen 0 1280x800x24"} + command;
    }
    QProcess dashboard;
    dashboard.setProcessEnvironment(environment);
    dashboard.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    dashboard.start(command.first(), command.mid(1));
    QVERIFY2(dashboard.waitForStarted(10000), qPrintable(dashboard.errorString()));
    // Closing its input ends it, whatever happens below.
    const auto finish = qScopeGuard([&dashboard] {
        dashboard.closeWriteChannel();
        if (!dashboard.waitForFinished(30000)) {
            dashboard.kill();
            dashboard.waitForFinished(5000);
        }
    });
    QByteArray said;
    const auto waitForLine = [&dashboard, &said](const QByteArray& prefix, int milliseconds) {
        QElapsedTimer clock;
        clock.start();
        while (clock.elapsed() < milliseconds) {
            while (dashboard.canReadLine()) {
                const QByteArray line = dashboard.readLine().trimmed();
                said += line + '\n';
                if (line.startsWith(prefix)) { return line; }
            }
            if (dashboard.state() == QProcess::NotRunning) { return QByteArray(); }
            dashboard.waitForReadyRead(100);
        }
        return QByteArray();
    };
    QVERIFY2(!waitForLine("watching", 60000).isEmpty(), said.constData());

    const Run started = m_env.docker({"--context", "berth", "run", "-d", "--name", "dash-e2e", berth::e2e::kTinyImage,
                                      "sh", "-c", "echo hello from dash-e2e; exec sleep 600"});
    QElapsedTimer sinceStarted;
    sinceStarted.start();
    QVERIFY2(started.exitCode == 0, qPrintable(started.describe()));
    const QByteArray appeared = waitForLine("appeared", 30000);
    const qint64 appearedAfter = sinceStarted.elapsed();
    QVERIFY2(!appeared.isEmpty(), said.constData());
    qInfo("the container showed in the dashboard %lld ms after docker run returned", appearedAfter);
    QVERIFY2(appearedAfter <= 2000, qPrintable(QString("shown after %1 ms").arg(appearedAfter)));

    QVERIFY2(!waitForLine("logs", 30000).isEmpty(), said.constData());
    // sleep as PID 1 ignores SIGTERM: the engine kills it after the 10 s stop timeout.
    const QByteArray stopped = waitForLine("stopped", 60000);
    QVERIFY2(stopped.startsWith("stopped exited"), said.constData());
    // The Images tab lists the image the container was made from, in use by it (stopped or not).
    const QByteArray image = waitForLine("image berth-e2e/tiny", 60000);
    QVERIFY2(image == "image berth-e2e/tiny 1 1 container", said.constData());
    QVERIFY2(!waitForLine("Disk: Images", 10000).isEmpty(), said.constData());
    const Run state = m_env.docker({"--context", "berth", "inspect", "-f", "{{.State.Status}}", "dash-e2e"});
    QCOMPARE(state.output.trimmed(), QByteArray("exited"));
    QVERIFY(dashboard.waitForFinished(10000));
    QCOMPARE(dashboard.exitCode(), 0);
    const Run removed = m_env.docker({"--context", "berth", "rm", "dash-e2e"});
    QVERIFY2(removed.exitCode == 0, qPrintable(removed.describe()));
}

// Apply & restart with a larger disk: the volume is still there, and the filesystem has grown.
void EngineE2e::volumeSurvivesRestartAndTheDiskGrows()
{
    QVERIFY(m_env.importTinyImage());
    const Run write = m_env.docker({"--context", "berth", "run", "--rm", "-v", "berth-e2e-data:/data",
                                    berth::e2e::kTinyImage, "sh", "-c", "echo written-before-restart > /data/note"});
    QVERIFY2(write.exitCode == 0, qPrintable(write.describe()));
    const auto dataDiskKiB = [this] {
        const Run df = m_env.docker({"--context", "berth", "run", "--rm", "-v", "berth-e2e-data:/data",
                                     berth::e2e::kTinyImage, "busybox", "df", "-k", "/data"});
        return df.exitCode == 0 ? df.output.trimmed().split('\n').last().simplified().split(' ').value(1).toLongLong()
                                : qint64{-1};
    };
    const qint64 before = dataDiskKiB();
    QVERIFY(before > 0);
    const qint64 setting = m_env.berthctl({"settings", "get", "vm.diskSizeMiB"}).output.trimmed().toLongLong();
    QVERIFY(setting > 0);
    const Run grow = m_env.berthctl({"settings", "set", "vm.diskSizeMiB", QString::number(setting + 1024)});
    QVERIFY2(grow.exitCode == 0, qPrintable(grow.describe()));

    const Run restart = m_env.berthctl({"restart"}, std::chrono::minutes(6));
    QVERIFY2(restart.exitCode == 0, qPrintable(restart.describe()));
    qInfo("restart took %.1f s", restart.seconds);

    const Run read = m_env.docker({"--context", "berth", "run", "--rm", "-v", "berth-e2e-data:/data",
                                   berth::e2e::kTinyImage, "cat", "/data/note"});
    QVERIFY2(read.exitCode == 0, qPrintable(read.describe()));
    QCOMPARE(read.output.trimmed(), QByteArray("written-before-restart"));
    const qint64 after = dataDiskKiB();
    qInfo("the data disk's filesystem: %lld KiB before, %lld KiB after growing the disk by 1 GiB", before, after);
    QVERIFY2(after - before > 1000 * 1024, qPrintable(QStringLiteral("%1 KiB -> %2 KiB").arg(before).arg(after)));
}

// Settings > Proxies, applied with a restart: the engine pulls through `proxy` (reaching the
// host's loopback from the VM), and containers get `containersProxy` as variables.
void EngineE2e::engineAndContainersUseTheProxies()
{
    berth::e2e::RecordingProxy proxy;
    QVERIFY(proxy.port() != 0);
    const QString address = QStringLiteral("http://127.0.0.1:%1").arg(proxy.port());
    const QString forContainers = QStringLiteral("http://proxy.corp.example:3128");
    for (const QString& setting :
         {QStringLiteral("proxy.mode=manual"), QStringLiteral("proxy.http=") + address,
          QStringLiteral("proxy.https=") + address, QStringLiteral("containersProxy.mode=manual"),
          QStringLiteral("containersProxy.https=") + forContainers,
          QStringLiteral("containersProxy.exclude=localhost,.corp.example")}) {
        const Run set = m_env.berthctl({"settings", "set", setting});
        QVERIFY2(set.exitCode == 0, qPrintable(set.describe()));
    }
    const Run restart = m_env.berthctl({"restart"}, std::chrono::minutes(6));
    QVERIFY2(restart.exitCode == 0, qPrintable(restart.describe()));

    // No registry has this name; the pull can only fail, but it must ask the proxy first.
    const Run pull = m_env.docker({"--context", "berth", "pull", "registry.berth-proxy-check.invalid/probe:1"});
    QVERIFY2(pull.exitCode != 0, qPrintable(pull.describe()));
    const QList<QByteArray> asked = proxy.requestLines();
    QVERIFY2(asked.contains("CONNECT registry.berth-proxy-check.invalid:443 HTTP/1.1"),
             qPrintable(asked.join(" | ") + "\n" + pull.describe()));

    const Run env = m_env.docker({"--context", "berth", "run", "--rm", berth::e2e::kTinyImage, "busybox", "env"});
    QVERIFY2(env.exitCode == 0, qPrintable(env.describe()));
    QVERIFY2(env.output.contains("HTTPS_PROXY=" + forContainers.toUtf8()), qPrintable(env.describe()));
    QVERIFY2(env.output.contains("https_proxy=" + forContainers.toUtf8()), qPrintable(env.describe()));
    QVERIFY2(env.output.contains("NO_PROXY=localhost,.corp.example"), qPrintable(env.describe()));
    QVERIFY2(!env.output.contains("HTTP_PROXY="), qPrintable(env.describe()));  // only what was set

    // Back to no proxy for the cases that follow (applied at their restart).
    for (const char* setting : {"proxy.mode=system", "containersProxy.mode=system"}) {
        QCOMPARE(m_env.berthctl({"settings", "set", setting}).exitCode, 0);
    }
}

void EngineE2e::hardKillThenStartRepairsTheDataDisk()
{
    const qint64 qemuPid = m_env.qemuPid();
    QVERIFY2(qemuPid > 0, "berthctl status --json names no QEMU");
    QVERIFY(::kill(static_cast<pid_t>(qemuPid), SIGKILL) == 0);
    // The engine host notices QEMU's death and reports an error; then the user starts again.
    QTRY_VERIFY_WITH_TIMEOUT(m_env.engineState() != "running", 30000);

    const Run start = m_env.berthctl({"start"}, std::chrono::minutes(6));
    QVERIFY2(start.exitCode == 0, qPrintable(start.describe()));
    QVERIFY2(start.output.contains("data disk repaired by fsck"), qPrintable(start.describe()));

    // What was there before the kill still is.
    const Run read = m_env.docker({"--context", "berth", "run", "--rm", "-v", "berth-e2e-data:/data",
                                   berth::e2e::kTinyImage, "cat", "/data/note"});
    QVERIFY2(read.exitCode == 0, qPrintable(read.describe()));
    QCOMPARE(read.output.trimmed(), QByteArray("written-before-restart"));
}

void EngineE2e::clientWithoutCertificateIsRefused()
{
    const quint16 port = m_env.enginePort();
    QVERIFY(port != 0);
    const QString host = QStringLiteral("tcp://127.0.0.1:%1").arg(port);
    // The CA alone (server verified, no client certificate): the engine refuses the handshake.
    const Run noCert
        = m_env.docker({"-H", host, "--tlsverify", "--tlscacert", m_env.certsDir() + "/ca.pem", "version"});
    QVERIFY2(noCert.exitCode != 0, qPrintable(noCert.describe()));
    QVERIFY2(!noCert.output.contains("Server:\n Engine"), qPrintable(noCert.describe()));
    // Plain HTTP: no answer from the engine either.
    const Run plain = m_env.docker({"-H", host, "version", "--format", "{{.Server.Version}}"});
    QVERIFY2(plain.exitCode != 0, qPrintable(plain.describe()));
    // And with the client certificate it works, so the refusals above are about the certificate.
    const Run withCert = m_env.docker({"-H", host, "--tlsverify", "--tlscacert", m_env.certsDir() + "/ca.pem",
                                       "--tlscert", m_env.certsDir() + "/cert.pem", "--tlskey",
                                       m_env.certsDir() + "/key.pem", "version", "--format", "{{.Server.Version}}"});
    QVERIFY2(withCert.exitCode == 0, qPrintable(withCert.describe()));
}

void EngineE2e::resourceSaverStopsTheIdleEngineAndDockerStartsIt()
{
    const auto set = [this](const char* setting) { return m_env.berthctl({"settings", "set", setting}).exitCode; };
    const auto paused = [this] { return m_env.status()["engine"].value("resourceSaverPaused", false); };
    QVERIFY(m_env.importTinyImage());
    const Run sleeper = m_env.docker(
        {"--context", "berth", "run", "-d", "--name", "saver-e2e", berth::e2e::kTinyImage, "sleep", "600"});
    QVERIFY2(sleeper.exitCode == 0, qPrintable(sleeper.describe()));
    QCOMPARE(set("resourceSaver.idleMinutes=1"), 0);
    QCOMPARE(set("resourceSaver.enabled=true"), 0);

    // A negative, so it waits: three idle times with a container running, then with a client
    // holding a connection (docker events), and the engine is still up.
    QTest::qWait(static_cast<int>(3 * kSaverMinute.count()));
    QCOMPARE(m_env.engineState(), QStringLiteral("running"));
    const Run removed = m_env.docker({"--context", "berth", "rm", "-f", "saver-e2e"});
    QVERIFY2(removed.exitCode == 0, qPrintable(removed.describe()));
    {
        QProcess events;
        events.setProcessEnvironment(m_env.environment());
        events.start(m_env.guestImageDir() + "/docker", {"--context", "berth", "events"});
        QVERIFY(events.waitForStarted());
        QTest::qWait(static_cast<int>(3 * kSaverMinute.count()));
        QCOMPARE(m_env.engineState(), QStringLiteral("running"));
        events.kill();
        events.waitForFinished();
    }

    // Nothing runs and nobody is connected: the VM stops, and status says why.
    const qint64 qemuPid = m_env.qemuPid();
    QTRY_VERIFY_WITH_TIMEOUT(paused(), 60000);
    QCOMPARE(m_env.engineState(), QStringLiteral("stopped"));
    QVERIFY2(::kill(static_cast<pid_t>(qemuPid), 0) != 0, "QEMU still runs while paused");
    const Run status = m_env.berthctl({"status"});
    QVERIFY2(status.output.contains("paused by Resource Saver"), qPrintable(status.describe()));

    // The next docker command starts it, and gets its answer.
    const Run version
        = m_env.docker({"--context", "berth", "version", "--format", "{{.Server.Version}}"}, std::chrono::minutes(6));
    if (version.exitCode != 0) { QFAIL(qPrintable(version.describe() + m_env.diagnostics())); }
    QVERIFY2(version.output.trimmed().startsWith(m_env.engineVersionPrefix()), qPrintable(version.describe()));
    QCOMPARE(m_env.engineState(), QStringLiteral("running"));
    QVERIFY(!paused());
    qInfo("docker version after the pause: %.1f s", version.seconds);
    QCOMPARE(set("resourceSaver.enabled=false"), 0);
}

void EngineE2e::stopPowersOffCleanly()
{
    const Run stop = m_env.berthctl({"stop"}, std::chrono::minutes(2));
    QVERIFY2(stop.exitCode == 0, qPrintable(stop.describe()));
    QVERIFY2(m_env.serialLog().contains("powering off"), "the guest agent did not power off by itself");
    QVERIFY2(!m_env.serialLog().contains("remounted read-only"), "the data disk was not unmounted cleanly");
}

QTEST_GUILESS_MAIN(EngineE2e)
#include "tst_engine_e2e.moc"
