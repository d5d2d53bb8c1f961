// Faults users meet, injected against the real VM (full guest, QEMU under TCG): berth-engine, QEMU
// or the app (its Settings window, berth_e2e_app) killed while running and at each phase of Apply &
// restart, dockerd refusing its options, two restarts and the app's Apply at once, a stop during
// Apply & restart, the engine's port taken, stale files from an earlier run, the guest's
// clock jumping, the host's file system full or read-only under the instance. After each the
// user sees a truthful state in bounded time, no QEMU is orphaned, the next start recovers, and
// the data disk still holds the image, the container and the volume made at the beginning.
// docs/reliability.md records what each case measured.
//
// The cases share one engine and run in order; each leaves it running. The last moves the instance
// onto a small tmpfs (root only) to fill the host's file system under the data disk.

#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QStandardPaths>
#include <QTcpServer>
#include <QtTest>

#include <optional>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e2e_support.h"

using berth::e2e::kTinyImage;
using berth::e2e::Run;

namespace {

// Holds this test's QEMU launches at their start while it is closed, so a fault meant for the
// Starting step lands there every time: the step lasts well under a second, too short to catch by
// polling status.json. A wrapper named qemu-system-x86_64, first on the engine's PATH, reads a line
// from a FIFO while the FIFO exists, then becomes the real QEMU (same pid, same command line).
class LaunchGate {
public:
    // Writes the wrapper into `dir`; false with the reason when QEMU is not on PATH.
    bool install(const QString& dir, QString* why)
    {
        const QString qemu = QStandardPaths::findExecutable("qemu-system-x86_64");
        if (qemu.isEmpty()) {
            *why = "qemu-system-x86_64 is not on PATH";
            return false;
        }
        m_fifo = dir + "/gate";
        QFile wrapper(dir + "/qemu-system-x86_64");
        const QByteArray script = "#!/bin/sh\n"
                                  "# The faults test's launch gate: while the FIFO exists, wait for a line from it.\n"
                                  "if [ -p '"
            + m_fifo.toUtf8() + "' ]; then read -r _ < '" + m_fifo.toUtf8()
            + "'; fi\n"
              "exec '"
            + qemu.toUtf8() + "' \"$@\"\n";
        if (!QDir().mkpath(dir) || !wrapper.open(QIODevice::WriteOnly) || wrapper.write(script) != script.size()) {
            *why = "cannot write " + wrapper.fileName();
            return false;
        }
        wrapper.close();
        return wrapper.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    }
    bool close() const { return ::mkfifo(qPrintable(m_fifo), 0600) == 0; }
    bool closed() const { return QFileInfo::exists(m_fifo); }
    // Lets a launch that waits through (none may: its engine may have died), and closes no more.
    void open() const
    {
        const int fd = ::open(qPrintable(m_fifo), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0) {
            [[maybe_unused]] const ssize_t written = ::write(fd, "go\n", 3);
            ::close(fd);
        }
        ::unlink(qPrintable(m_fifo));
    }

private:
    QString m_fifo;
};

// The gate closed for as long as this lives: a row that ends early must not hold later launches.
class HeldLaunch {
public:
    explicit HeldLaunch(const LaunchGate& gate) : m_gate(gate) { QVERIFY(m_gate.close()); }
    ~HeldLaunch() { m_gate.open(); }
    HeldLaunch(const HeldLaunch&) = delete;
    HeldLaunch& operator=(const HeldLaunch&) = delete;

private:
    const LaunchGate& m_gate;
};

}  // namespace

class FaultsE2e : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();

    void engineKilledWhileRunningTakesItsVmAlong();
    void qemuKilledWhileRunningIsAnError();
    void engineKilledDuringApplyAndRestart_data();
    void engineKilledDuringApplyAndRestart();
    void qemuKilledDuringApplyAndRestart_data();
    void qemuKilledDuringApplyAndRestart();
    void theAppKilledDuringApplyAndRestartLeavesItToFinish_data() { engineKilledDuringApplyAndRestart_data(); }
    void theAppKilledDuringApplyAndRestartLeavesItToFinish();
    void dockerdRefusingAnOptionIsAnErrorNamingIt();
    void twoRestartsAndTheAppsApplyAtOnceLeaveOneVm();
    void aStopDuringApplyAndRestartWins();
    void aTakenPortAndAStalePidFileAreRecoveredFrom();
    void theGuestClockFollowsTheHostsAfterAJump();
    void aFullDataDiskStillRestartsAndCanBeFreed();
    void aFullOrReadOnlyHostDiskIsAnErrorNamingTheFix();

private:
    // status.json as the engine keeps it (the controller's state, its pid and QEMU's).
    nlohmann::json engineStatus() const;
    QString engineStep() const { return QString::fromStdString(engineStatus().value("state", "")); }
    static bool alive(qint64 pid);
    // What berthctl said in the end: its "berthctl: ..." error line, else its last line.
    static QByteArray answer(const QByteArray& output);
    // Every live QEMU that runs this test's instance.
    QList<qint64> instanceQemus() const;
    void startAndCheckDataIntact(const char* after);
    // Stops the engine and ends berth-engine, so nothing holds a file of the instance open.
    void stopEngineProcess();
    // The app's Settings window (berth_e2e_app) ticking `key` and clicking Apply & restart.
    std::unique_ptr<QProcess> startAppApplying(const char* key) const;
    // Waits until Apply & restart is at `step`; with the gate closed, until the launch waits there.
    bool reachedStep(const QString& step) const;
    bool setting(const char* key) const { return m_env.berthctl({"settings", "get", key}).output.trimmed() == "true"; }

    berth::e2e::Environment m_env;
    LaunchGate m_gate;
    QString m_smallMount;  // a size-limited tmpfs mounted over the instance directory
};

nlohmann::json FaultsE2e::engineStatus() const
{
    QFile file(m_env.instanceDir() + "/status.json");
    if (!file.open(QIODevice::ReadOnly)) { return nlohmann::json::object(); }
    const QByteArray text = file.readAll();
    auto parsed = nlohmann::json::parse(text.constData(), text.constData() + text.size(), nullptr, false);
    return parsed.is_object() ? parsed : nlohmann::json::object();
}

bool FaultsE2e::alive(qint64 pid)
{
    if (pid <= 0) { return false; }
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly)) { return false; }
    const QByteArray text = stat.readAll();
    const int close = text.lastIndexOf(')');
    return close > 0 && text.mid(close + 2, 1) != "Z";  // a zombie has let go of everything
}

QByteArray FaultsE2e::answer(const QByteArray& output)
{
    const QList<QByteArray> lines = output.trimmed().split('\n');
    for (const QByteArray& line : lines) {
        if (line.startsWith("berthctl: ")) { return line; }
    }
    return lines.isEmpty() ? QByteArray() : lines.last();
}

QList<qint64> FaultsE2e::instanceQemus() const
{
    QList<qint64> found;
    const QByteArray instance = m_env.instanceDir().toUtf8();
    for (const QString& entry : QDir("/proc").entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        bool number = false;
        const qint64 pid = entry.toLongLong(&number);
        if (!number || !alive(pid)) { continue; }
        QFile cmdline(QStringLiteral("/proc/%1/cmdline").arg(pid));
        if (!cmdline.open(QIODevice::ReadOnly)) { continue; }
        const QByteArray args = cmdline.readAll();
        if (args.startsWith("qemu-system") || args.contains("/qemu-system")) {
            if (args.contains(instance)) { found << pid; }
        }
    }
    return found;
}

// The next `berthctl start` brings the engine back, and what initTestCase made is all there.
void FaultsE2e::startAndCheckDataIntact(const char* after)
{
    const Run start = m_env.berthctl({"start"}, std::chrono::minutes(6));
    if (start.exitCode != 0) { QFAIL(qPrintable(start.describe() + m_env.diagnostics())); }
    qInfo("%s: the next start reached Running in %.1f s", after, start.seconds);
    QCOMPARE(instanceQemus().size(), 1);
    const Run note = m_env.docker({"--context", "berth", "run", "--rm", "--pull=never", "-v", "faults-data:/data",
                                   kTinyImage, "cat", "/data/note"});
    if (note.exitCode != 0) { QFAIL(qPrintable(note.describe() + m_env.diagnostics())); }
    QCOMPARE(note.output.trimmed(), QByteArray("before the faults"));
    const Run kept = m_env.docker({"--context", "berth", "inspect", "--format", "{{.Config.Image}}", "faults-kept"});
    QVERIFY2(kept.exitCode == 0, qPrintable(kept.describe()));
    QCOMPARE(kept.output.trimmed(), QByteArray(kTinyImage));
}

void FaultsE2e::initTestCase()
{
    QString why;
    if (!m_env.setUp(&why)) { QSKIP(qPrintable(why)); }
    QVERIFY2(m_gate.install(m_env.home() + "/launch-gate", &why), qPrintable(why));
    m_env.prependToPath(m_env.home() + "/launch-gate");
    const Run start = m_env.berthctl({"start"}, std::chrono::minutes(6));
    QVERIFY2(start.exitCode == 0, qPrintable(start.describe()));
    QVERIFY(m_env.importTinyImage());
    const Run write = m_env.docker({"--context", "berth", "run", "--rm", "-v", "faults-data:/data", kTinyImage, "sh",
                                    "-c", "echo before the faults > /data/note"});
    QVERIFY2(write.exitCode == 0, qPrintable(write.describe()));
    const Run create = m_env.docker({"--context", "berth", "create", "--name", "faults-kept", kTinyImage, "true"});
    QVERIFY2(create.exitCode == 0, qPrintable(create.describe()));
    // What the faults must not lose is what reached the disk: dockerd 26 leaves a just-created
    // container's files to the page cache, and the first fault is a hard kill of the VM.
    const Run sync = m_env.docker({"--context", "berth", "run", "--rm", kTinyImage, "busybox", "sync"});
    QVERIFY2(sync.exitCode == 0, qPrintable(sync.describe()));
}

void FaultsE2e::cleanupTestCase()
{
    if (!m_smallMount.isEmpty()) {
        stopEngineProcess();
        m_env.run("umount", {"--lazy", m_smallMount}, std::chrono::seconds(30));
    }
    m_env.tearDown();
}

void FaultsE2e::stopEngineProcess()
{
    const Run stop = m_env.berthctl({"stop"}, std::chrono::minutes(2));
    QVERIFY2(stop.exitCode == 0, qPrintable(stop.describe()));
    const qint64 engine = engineStatus().value("controllerPid", qint64{0});
    if (alive(engine)) { ::kill(static_cast<pid_t>(engine), SIGTERM); }
    QTRY_VERIFY_WITH_TIMEOUT(!alive(engine), 30000);
}

bool FaultsE2e::reachedStep(const QString& step) const
{
    const bool held = m_gate.closed();
    return QTest::qWaitFor([&] { return engineStep() == step && (!held || !instanceQemus().isEmpty()); }, 240000);
}

std::unique_ptr<QProcess> FaultsE2e::startAppApplying(const char* key) const
{
    auto app = std::make_unique<QProcess>();
    QProcessEnvironment env = m_env.environment();
    env.insert("QT_QPA_PLATFORM", "offscreen");
    app->setProcessEnvironment(env);
    app->setProcessChannelMode(QProcess::MergedChannels);
    app->start(QStringLiteral(BERTH_E2E_APP),
               {"--engine", env.value("BERTH_E2E_BIN_DIR") + "/berth-engine", "--toggle", key});
    return app;
}

void FaultsE2e::engineKilledWhileRunningTakesItsVmAlong()
{
    const qint64 engine = engineStatus().value("controllerPid", qint64{0});
    const QList<qint64> qemus = instanceQemus();
    QVERIFY(alive(engine));
    QCOMPARE(qemus.size(), 1);
    QVERIFY(::kill(static_cast<pid_t>(engine), SIGKILL) == 0);
    // QEMU dies with the process that started it: nothing keeps the data disk open.
    QTRY_VERIFY_WITH_TIMEOUT(!alive(qemus.first()), 30000);
    startAndCheckDataIntact("berth-engine killed while running");
}

void FaultsE2e::qemuKilledWhileRunningIsAnError()
{
    const QList<qint64> qemus = instanceQemus();
    QCOMPARE(qemus.size(), 1);
    QVERIFY(::kill(static_cast<pid_t>(qemus.first()), SIGKILL) == 0);
    QTRY_COMPARE_WITH_TIMEOUT(engineStep(), QStringLiteral("Error"), 30000);
    const QString detail = QString::fromStdString(engineStatus().value("detail", ""));
    QVERIFY2(detail.contains("QEMU", Qt::CaseInsensitive), qPrintable(detail));
    const Run status = m_env.berthctl({"status"});
    QVERIFY2(status.output.contains("Error"), qPrintable(status.describe()));
    startAndCheckDataIntact("QEMU killed while running");
}

void FaultsE2e::engineKilledDuringApplyAndRestart_data()
{
    QTest::addColumn<QString>("step");
    QTest::newRow("stopping") << "Stopping";
    QTest::newRow("starting") << "Starting";
    QTest::newRow("waiting for the engine") << "WaitingForEngine";
}

// The app or berthctl asked for Apply & restart; berth-engine dies at one step of it. berthctl
// says so rather than waiting, no QEMU is left, the settings file is whole, the next start recovers.
void FaultsE2e::engineKilledDuringApplyAndRestart()
{
    QFETCH(QString, step);
    const Run set = m_env.berthctl({"settings", "set", "blockDockerLoad", "true"});
    QVERIFY2(set.exitCode == 0, qPrintable(set.describe()));
    std::optional<HeldLaunch> held;
    if (step == "Starting") { held.emplace(m_gate); }
    const auto restart = m_env.startBerthctl({"restart"});
    QVERIFY(restart->waitForStarted(10000));
    QVERIFY2(reachedStep(step), qPrintable("never saw " + step + "; the engine is at " + engineStep()));
    const qint64 engine = engineStatus().value("controllerPid", qint64{0});
    QVERIFY(::kill(static_cast<pid_t>(engine), SIGKILL) == 0);
    held.reset();

    QElapsedTimer answered;
    answered.start();
    QVERIFY2(restart->waitForFinished(60000), "berthctl restart kept waiting for an engine that was gone");
    const QByteArray said = restart->readAll();
    QVERIFY2(restart->exitCode() != 0, said.constData());
    qInfo("killed while %s: berthctl answered after %.1f s: %s", qPrintable(step), answered.elapsed() / 1000.0,
          answer(said).constData());
    QTRY_VERIFY_WITH_TIMEOUT(instanceQemus().isEmpty(), 30000);

    QFile settings(m_env.settingsFile());
    QVERIFY(settings.open(QIODevice::ReadOnly));
    const QByteArray text = settings.readAll();
    QVERIFY2(!nlohmann::json::parse(text.constData(), text.constData() + text.size(), nullptr, false).is_discarded(),
             text.constData());
    QCOMPARE(m_env.berthctl({"settings", "get", "blockDockerLoad"}).output.trimmed(), QByteArray("true"));
    startAndCheckDataIntact(qPrintable("berth-engine killed while " + step));
    m_env.berthctl({"settings", "set", "blockDockerLoad", "false"});
}

void FaultsE2e::qemuKilledDuringApplyAndRestart_data()
{
    QTest::addColumn<QString>("step");
    QTest::addColumn<bool>("restartEndsRunning");
    // The old VM dying while it is being stopped is the stop done early: the new one boots.
    QTest::newRow("stopping") << "Stopping" << true;
    // The new VM dying while it boots is the restart failed: Error, naming QEMU.
    QTest::newRow("waiting for the engine") << "WaitingForEngine" << false;
}

// QEMU killed (SIGKILL) at one step of Apply & restart: berthctl's answer is the truth about the
// engine, no QEMU is orphaned, and the next start recovers.
void FaultsE2e::qemuKilledDuringApplyAndRestart()
{
    QFETCH(QString, step);
    QFETCH(bool, restartEndsRunning);
    const auto restart = m_env.startBerthctl({"restart"});
    QVERIFY(restart->waitForStarted(10000));
    QTRY_COMPARE_WITH_TIMEOUT(engineStep(), step, 240000);
    QTRY_VERIFY_WITH_TIMEOUT(!instanceQemus().isEmpty(), 30000);
    for (const qint64 qemu : instanceQemus()) { ::kill(static_cast<pid_t>(qemu), SIGKILL); }
    QVERIFY2(restart->waitForFinished(4 * 60 * 1000), "berthctl restart did not answer");
    const QByteArray said = restart->readAll();
    qInfo("QEMU killed while %s: berthctl answered (exit %d): %s", qPrintable(step), restart->exitCode(),
          answer(said).constData());
    if (restartEndsRunning) {
        QVERIFY2(restart->exitCode() == 0, said.constData());
        QCOMPARE(m_env.engineState(), QStringLiteral("running"));
        QCOMPARE(instanceQemus().size(), 1);
    } else {
        QVERIFY2(restart->exitCode() != 0 && said.contains("QEMU"), said.constData());
        QCOMPARE(engineStep(), QStringLiteral("Error"));
        QTRY_VERIFY_WITH_TIMEOUT(instanceQemus().isEmpty(), 30000);
    }
    startAndCheckDataIntact(qPrintable("QEMU killed while " + step));
}

// The app that asked for Apply & restart dies (SIGKILL) at one step of it. It had saved the
// settings first; the restart belongs to berth-engine and finishes on its own, with one VM, and
// the engine is Running for the next client. (berthctl is the same engine client.)
void FaultsE2e::theAppKilledDuringApplyAndRestartLeavesItToFinish()
{
    QFETCH(QString, step);
    const bool before = setting("exposeDockerAPIOnTCP2375");
    std::optional<HeldLaunch> held;
    if (step == "Starting") { held.emplace(m_gate); }
    const auto app = startAppApplying("exposeDockerAPIOnTCP2375");
    QVERIFY(app->waitForStarted(10000));
    QVERIFY2(reachedStep(step), qPrintable("never saw " + step + "; the engine is at " + engineStep()));
    QVERIFY(::kill(static_cast<pid_t>(app->processId()), SIGKILL) == 0);
    QVERIFY(app->waitForFinished(10000));
    held.reset();
    const QByteArray said = app->readAll();
    QVERIFY2(said.contains("applying"), said.constData());
    QElapsedTimer finished;
    finished.start();
    QTRY_COMPARE_WITH_TIMEOUT(m_env.engineState(), QStringLiteral("running"), 240000);
    qInfo("the app killed while %s: the restart reached Running %.1f s later", qPrintable(step),
          finished.elapsed() / 1000.0);
    QCOMPARE(instanceQemus().size(), 1);
    QCOMPARE(setting("exposeDockerAPIOnTCP2375"), !before);
    startAndCheckDataIntact(qPrintable("the app killed while " + step));
}

// An option dockerd refuses: the restart ends in Error naming dockerd, in bounded time.
void FaultsE2e::dockerdRefusingAnOptionIsAnErrorNamingIt()
{
    const Run set = m_env.berthctl({"settings", "set", "linuxVM.dockerDaemonOptions", R"({"log-level":"loudest"})"});
    QVERIFY2(set.exitCode == 0, qPrintable(set.describe()));
    const Run restart = m_env.berthctl({"restart"}, std::chrono::minutes(6));
    QVERIFY2(restart.exitCode != 0, qPrintable(restart.describe()));
    QVERIFY2(restart.output.contains("dockerd"), qPrintable(restart.describe()));
    qInfo("dockerd refusing an option: Error after %.1f s: %s", restart.seconds, answer(restart.output).constData());
    QCOMPARE(engineStep(), QStringLiteral("Error"));
    const Run reset = m_env.berthctl({"settings", "set", "linuxVM.dockerDaemonOptions", "{}"});
    QVERIFY2(reset.exitCode == 0, qPrintable(reset.describe()));
    startAndCheckDataIntact("dockerd refusing an option, then the option removed");
}

// Two `berthctl restart` and the app's Apply & restart at once: one VM, and every caller hears
// that the engine is Running, with the app's new setting in force.
void FaultsE2e::twoRestartsAndTheAppsApplyAtOnceLeaveOneVm()
{
    const bool before = setting("exposeDockerAPIOnTCP2375");
    QElapsedTimer clock;
    clock.start();
    const auto first = m_env.startBerthctl({"restart"});
    const auto app = startAppApplying("exposeDockerAPIOnTCP2375");
    const auto second = m_env.startBerthctl({"restart"});
    QVERIFY(first->waitForStarted(10000) && second->waitForStarted(10000) && app->waitForStarted(10000));
    const int limit = 6 * 60 * 1000;
    QVERIFY(first->waitForFinished(limit) && second->waitForFinished(limit) && app->waitForFinished(limit));
    const QByteArray said = first->readAll() + "\n---\n" + second->readAll() + "\n--- the app\n" + app->readAll();
    QVERIFY2(first->exitCode() == 0 && second->exitCode() == 0 && app->exitCode() == 0, said.constData());
    QVERIFY2(said.contains("restart: ok"), said.constData());
    qInfo("two restarts and the app's Apply at once: all answered Running after %.1f s", clock.elapsed() / 1000.0);
    QCOMPARE(m_env.engineState(), QStringLiteral("running"));
    QCOMPARE(instanceQemus().size(), 1);
    QCOMPARE(setting("exposeDockerAPIOnTCP2375"), !before);
    const QString reported
        = QString::fromStdString(m_env.status()["engine"].value("guestReportedConfig", nlohmann::json()).dump());
    QVERIFY2(reported.contains(QStringLiteral("\"exposeDockerAPIOnTCP2375\":%1").arg(before ? "false" : "true")),
             qPrintable(reported));
    startAndCheckDataIntact("two restarts and the app's Apply at once");
}

// Stop pressed while Apply & restart is still booting the VM: the stop wins, both callers get an
// answer, and no QEMU is left.
void FaultsE2e::aStopDuringApplyAndRestartWins()
{
    const auto restart = m_env.startBerthctl({"restart"});
    QVERIFY(restart->waitForStarted(10000));
    QTRY_COMPARE_WITH_TIMEOUT(engineStep(), QStringLiteral("WaitingForEngine"), 240000);
    const Run stop = m_env.berthctl({"stop"}, std::chrono::minutes(2));
    QVERIFY2(stop.exitCode == 0, qPrintable(stop.describe()));
    QVERIFY2(restart->waitForFinished(60000), "berthctl restart kept waiting after the stop");
    const QByteArray said = restart->readAll();
    QVERIFY2(restart->exitCode() != 0, said.constData());  // it did not end Running, and says so
    QVERIFY2(answer(said).startsWith("berthctl: "), said.constData());
    qInfo("stop during Apply & restart: stopped in %.1f s; restart answered: %s", stop.seconds,
          answer(said).constData());
    QCOMPARE(m_env.engineState(), QStringLiteral("stopped"));
    QTRY_VERIFY_WITH_TIMEOUT(instanceQemus().isEmpty(), 30000);
    // The booting guest was asked through its agent, not cut off: it unmounted the data disk.
    QVERIFY2(m_env.serialLog().contains("powering off"), m_env.serialLog().right(2000).constData());
    startAndCheckDataIntact("a stop during Apply & restart");
    QVERIFY2(!m_env.serialLog().contains("after an unclean stop"), m_env.serialLog().right(2000).constData());
}

// Left over while the engine was stopped: its port taken by another program, and a pid file naming
// a live process that is not this instance's QEMU (here: this test). One start recovers from both:
// the engine moves to a free port (and the docker context follows), and kills nothing it does not own.
void FaultsE2e::aTakenPortAndAStalePidFileAreRecoveredFrom()
{
    const quint16 port = m_env.enginePort();
    QVERIFY(port != 0);
    const Run stop = m_env.berthctl({"stop"}, std::chrono::minutes(2));
    QVERIFY2(stop.exitCode == 0, qPrintable(stop.describe()));
    QTcpServer squatter;
    QVERIFY2(squatter.listen(QHostAddress::LocalHost, port), qPrintable(squatter.errorString()));
    QFile pidFile(m_env.instanceDir() + "/qemu.pid");
    QVERIFY(pidFile.open(QIODevice::WriteOnly | QIODevice::Truncate));
    pidFile.write(QByteArray::number(QCoreApplication::applicationPid()) + "\n");
    pidFile.close();
    startAndCheckDataIntact("the engine's port taken and a stale pid file naming another live process");
    QVERIFY(m_env.enginePort() != port);
}

// The guest's clock jumps (as after the host slept, or had its own clock set): the engine puts
// it back to the host's within its sync interval (30 s), without a restart.
void FaultsE2e::theGuestClockFollowsTheHostsAfterAJump()
{
    const Run clock = m_env.docker(
        {"--context", "berth", "run", "-d", "--name", "faults-clock", "--pull=never", kTinyImage, "sleep", "600"});
    QVERIFY2(clock.exitCode == 0, qPrintable(clock.describe()));
    const auto guestOffset = [this] {
        const Run date = m_env.docker({"--context", "berth", "exec", "faults-clock", "busybox", "date", "+%s"},
                                      std::chrono::seconds(30));
        return date.exitCode == 0 ? date.output.trimmed().toLongLong() - QDateTime::currentSecsSinceEpoch()
                                  : qint64{-1'000'000'000};
    };
    // Two hours back, through a privileged container (ECI is off here, so it may set the VM's clock).
    const QString past = QDateTime::fromSecsSinceEpoch(QDateTime::currentSecsSinceEpoch() - 7200, Qt::UTC)
                             .toString("yyyy-MM-dd hh:mm:ss");
    const Run jump = m_env.docker({"--context", "berth", "run", "--rm", "--privileged", "--pull=never", kTinyImage,
                                   "busybox", "date", "-u", "-s", past});
    QVERIFY2(jump.exitCode == 0, qPrintable(jump.describe()));
    QElapsedTimer since;
    since.start();
    const qint64 jumped = guestOffset();
    QVERIFY2(jumped < -7000, qPrintable(QStringLiteral("the guest's clock did not jump: %1 s off").arg(jumped)));
    QTRY_VERIFY_WITH_TIMEOUT(std::abs(guestOffset()) <= 3, 60000);
    qInfo("guest clock 2 h behind: back within 3 s of the host's after %.1f s", since.elapsed() / 1000.0);
    QCOMPARE(m_env.engineState(), QStringLiteral("running"));
    m_env.docker({"--context", "berth", "rm", "-f", "faults-clock"});
}

// A container fills the data disk inside the guest (as a runaway build or log would). The user
// sees dockerd's own "no space left on device"; a restart still reaches Running, so the user can
// free space through Docker, and afterwards everything works again.
void FaultsE2e::aFullDataDiskStillRestartsAndCanBeFreed()
{
    // fallocate takes the space without writing it: the disk is full in a second, not minutes.
    const Run fill = m_env.docker({"--context", "berth", "run", "--rm", "--pull=never", "-v", "faults-full:/full",
                                   kTinyImage, "sh", "-c",
                                   "free=$(busybox df -k /full | busybox awk 'NR==2 {print $4}'); "
                                   "busybox fallocate -l \"${free}k\" /full/taken; "
                                   "busybox dd if=/dev/zero of=/full/more bs=1M count=64 2>&1; "
                                   "busybox df -k /full | busybox awk 'NR==2 {print \"available:\", $4}'"},
                                  std::chrono::minutes(3));
    qInfo("filling the data disk: exit %d: %s", fill.exitCode, fill.output.trimmed().right(300).constData());
    QVERIFY2(fill.output.contains("available: 0"), qPrintable(fill.describe()));
    const Run refused = m_env.docker({"--context", "berth", "run", "--rm", "--pull=never", kTinyImage, "sh", "-c",
                                      "echo x > /grow && busybox dd if=/dev/zero of=/grow bs=1M count=16"});
    qInfo("a container writing on the full disk: exit %d: %s", refused.exitCode,
          refused.output.trimmed().right(200).constData());
    QVERIFY2(refused.exitCode != 0 && refused.output.toLower().contains("no space left on device"),
             qPrintable(refused.describe()));

    const Run restart = m_env.berthctl({"restart"}, std::chrono::minutes(6));
    if (restart.exitCode != 0) { QFAIL(qPrintable(restart.describe() + m_env.diagnostics())); }
    qInfo("restart with the data disk full: Running after %.1f s", restart.seconds);
    const Run freed = m_env.docker({"--context", "berth", "volume", "rm", "faults-full"});
    QVERIFY2(freed.exitCode == 0, qPrintable(freed.describe()));
    startAndCheckDataIntact("the data disk full inside the guest, then a volume removed");
}

// The host file system under the instance fills up while the guest writes. QEMU pauses the VM
// (werror=enospc); Berth must not leave every client hanging on it: Error, naming the data disk
// and the fix. Then the file system turns read-only: the start is refused, naming it. Once it is
// writable with space, the next start finds all the data disk held before.
void FaultsE2e::aFullOrReadOnlyHostDiskIsAnErrorNamingTheFix()
{
    if (::geteuid() != 0) { QSKIP("mounting a small file system over the instance directory needs root"); }
    stopEngineProcess();
    // The instance moves onto a tmpfs with 96 MiB to spare beyond what it holds.
    const QString dir = m_env.instanceDir();
    const QString saved = dir + ".saved";
    QVERIFY(QDir().rename(dir, saved));
    QVERIFY(QDir().mkpath(dir));
    const Run used = m_env.run("du", {"-s", "--block-size=1M", saved}, std::chrono::seconds(30));
    const qint64 size = used.output.split('\t').first().toLongLong() + 96;
    const Run mount
        = m_env.run("mount", {"-t", "tmpfs", "-o", QStringLiteral("size=%1M,mode=0700").arg(size), "berth-faults", dir},
                    std::chrono::seconds(30));
    QVERIFY2(mount.exitCode == 0, qPrintable(mount.describe()));
    m_smallMount = dir;
    const Run copy = m_env.run("cp", {"-a", "--sparse=always", saved + "/.", dir}, std::chrono::minutes(2));
    QVERIFY2(copy.exitCode == 0, qPrintable(copy.describe()));
    const Run start = m_env.berthctl({"start"}, std::chrono::minutes(6));
    if (start.exitCode != 0) { QFAIL(qPrintable(start.describe() + m_env.diagnostics())); }

    QElapsedTimer clock;
    clock.start();
    const Run fill = m_env.docker({"--context", "berth", "run", "--rm", "--pull=never", "-v", "faults-fill:/fill",
                                   kTinyImage, "sh", "-c", "dd if=/dev/zero of=/fill/zeros bs=1M count=256 && sync"},
                                  std::chrono::minutes(4));
    QVERIFY2(fill.exitCode != 0, qPrintable(fill.describe()));  // the engine went away under it, and it said so
    QTRY_COMPARE_WITH_TIMEOUT(engineStep(), QStringLiteral("Error"), 60000);
    const QString detail = QString::fromStdString(engineStatus().value("detail", ""));
    QVERIFY2(detail.contains("no space left for the data disk") && detail.contains("Free space there"),
             qPrintable(detail));
    qInfo("host disk full: Error %.1f s after the write began: %s", clock.elapsed() / 1000.0,
          qPrintable(detail.section('\n', 0, 0)));
    QTRY_VERIFY_WITH_TIMEOUT(instanceQemus().isEmpty(), 30000);

    // Not writable at all: the start is refused at once, naming the directory and why.
    stopEngineProcess();
    const Run readOnly = m_env.run("mount", {"-o", "remount,ro", dir}, std::chrono::seconds(30));
    QVERIFY2(readOnly.exitCode == 0, qPrintable(readOnly.describe()));
    const Run refused = m_env.berthctl({"start"}, std::chrono::minutes(2));
    QVERIFY2(refused.exitCode != 0, qPrintable(refused.describe()));
    QVERIFY2(refused.output.contains(dir.toUtf8()) && refused.output.contains("Read-only file system"),
             qPrintable(refused.describe()));
    qInfo("instance directory read-only: refused after %.1f s: %s", refused.seconds,
          answer(refused.output).constData());
    QVERIFY(instanceQemus().isEmpty());

    const Run grow = m_env.run("mount", {"-o", "remount,rw,size=2G", dir}, std::chrono::seconds(30));
    QVERIFY2(grow.exitCode == 0, qPrintable(grow.describe()));
    startAndCheckDataIntact("the host file system under the data disk full, then given space");
}

QTEST_GUILESS_MAIN(FaultsE2e)
#include "tst_faults_e2e.moc"
