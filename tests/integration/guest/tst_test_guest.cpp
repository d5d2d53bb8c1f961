// The test guest itself (guest/testguest) on a real qemu-system-x86_64 under TCG: the guest
// agent in its test-guest mode on the agent channel (hello, phases, ready echoing the fw_cfg
// config it read strictly, status, errors), graceful shutdown by request and by ACPI power button,
// and the test hooks ignoreShutdown and failBoot on the kernel command line.
// Speaks the protocol with plain Qt so these tests do not depend on libberth_vm.
#include "berth/contracts/guest_config.h"
#include "berth/contracts/names.h"
#include "berth/vm/virtual_machine.h"

#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QFile>
#include <QFileSystemWatcher>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocalSocket>
#include <QProcess>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <functional>
#include <memory>

namespace {

constexpr int kBootMs = 60'000;  // TCG boots the guest in about 3 s; room for a loaded machine
constexpr int kReplyMs = 10'000;
constexpr int kExitMs = 15'000;
constexpr int kConnectRetryMs = 20;

// A config as the host makes it (contracts::toJson), as the bytes handed over fw_cfg.
QByteArray configBytes(const berth::contracts::GuestConfig& config = {})
{
    return QByteArray::fromStdString(berth::contracts::toJson(config).dump());
}

QString guestFile(const char* envName, const char* fileName)
{
    const QString explicitPath = qEnvironmentVariable(envName);
    if (!explicitPath.isEmpty()) { return explicitPath; }
    return qEnvironmentVariable("BERTH_TEST_GUEST_DIR") + QLatin1Char('/') + QLatin1String(fileName);
}

// One QEMU running the test guest, with the agent channel and QMP connected.
class Guest : public QObject {
    Q_OBJECT
public:
    explicit Guest(QObject* parent = nullptr) : QObject(parent)
    {
        connect(&m_agent, &QLocalSocket::readyRead, this, [this] { readAgent(); });
        connect(&m_qmp, &QLocalSocket::readyRead, this, [this] { readQmp(); });
        connect(&m_agent, &QLocalSocket::stateChanged, this, &Guest::changed);
        connect(&m_qmp, &QLocalSocket::stateChanged, this, &Guest::changed);
        connect(&m_qemu, &QProcess::finished, this, &Guest::changed);
        connect(&m_qemu, &QProcess::errorOccurred, this, &Guest::changed);
        connect(&m_serialWatch, &QFileSystemWatcher::fileChanged, this, &Guest::changed);
    }

    ~Guest() override
    {
        if (m_qemu.state() != QProcess::NotRunning) {
            m_qemu.kill();
            m_qemu.waitForFinished(5000);
        }
    }

    // Launches QEMU with `config` as the fw_cfg guest config and `hooks` (e.g. "failBoot") as the
    // test hooks on the kernel command line, and connects to QMP and, unless told otherwise, to
    // the agent channel.
    bool start(const QByteArray& config, bool connectAgentNow = true, const QString& hooks = {})
    {
        const QString qemu = QStandardPaths::findExecutable(QStringLiteral("qemu-system-x86_64"));
        const QString kernel = guestFile("BERTH_TEST_GUEST_KERNEL", "vmlinux");
        const QString initrd = guestFile("BERTH_TEST_GUEST_INITRD", "initramfs.img");
        if (qemu.isEmpty()) {
            return fail(QStringLiteral("qemu-system-x86_64 not found in PATH (apt-get install qemu-system-x86)"));
        }
        if (!QFile::exists(kernel) || !QFile::exists(initrd)) {
            return fail(
                QStringLiteral("test guest not found (%1, %2): build the berth_test_guest target").arg(kernel, initrd));
        }
        if (!m_dir.isValid()) { return fail(QStringLiteral("cannot create a temporary directory")); }
        QFile cfg(path("config.json"));
        if (!cfg.open(QIODevice::WriteOnly) || cfg.write(config) != config.size()) {
            return fail(QStringLiteral("cannot write %1").arg(cfg.fileName()));
        }
        cfg.close();
        // The serial log exists before QEMU starts (QEMU truncates it, keeping the inode), so it
        // can be watched from the first line on.
        QFile serial(path("serial.log"));
        if (!serial.open(QIODevice::WriteOnly) || !m_serialWatch.addPath(serial.fileName())) {
            return fail(QStringLiteral("cannot create and watch %1").arg(serial.fileName()));
        }
        serial.close();

        const QStringList args = {
            QStringLiteral("-accel"),
            QStringLiteral("tcg"),
            QStringLiteral("-nodefaults"),
            QStringLiteral("-no-reboot"),
            QStringLiteral("-nographic"),
            QStringLiteral("-m"),
            QStringLiteral("256"),
            QStringLiteral("-kernel"),
            kernel,
            QStringLiteral("-initrd"),
            initrd,
            QStringLiteral("-append"),
            berth::vm::kDefaultKernelCmdline
                + (hooks.isEmpty() ? QString()
                                   : QStringLiteral(" %1=%2").arg(
                                       QLatin1String(berth::contracts::kTestHooksKernelParameter), hooks)),
            QStringLiteral("-serial"),
            QStringLiteral("file:") + path("serial.log"),
            QStringLiteral("-fw_cfg"),
            QStringLiteral("name=opt/berth/config,file=") + cfg.fileName(),
            QStringLiteral("-device"),
            QStringLiteral("virtio-serial-pci"),
            QStringLiteral("-chardev"),
            QStringLiteral("socket,id=agent,path=%1,server=on,wait=off").arg(path("agent.sock")),
            QStringLiteral("-device"),
            QStringLiteral("virtserialport,chardev=agent,name=org.berth.agent.0"),
            QStringLiteral("-qmp"),
            QStringLiteral("unix:%1,server=on,wait=off").arg(path("qmp.sock")),
        };
        m_qemu.setProcessChannelMode(QProcess::MergedChannels);
        m_clock.start();
        m_qemu.start(qemu, args);
        if (!m_qemu.waitForStarted(10'000)) {
            return fail(QStringLiteral("cannot start %1: %2").arg(qemu, m_qemu.errorString()));
        }

        // QEMU creates its listening sockets while starting up; connecting is retried until
        // they exist (the only timer-driven wait in here).
        const QDeadlineTimer deadline(kBootMs);
        connectWithRetry(m_qmp, path("qmp.sock"));
        if (!waitUntil([this] { return isConnected(m_qmp); }, deadline)) {
            return fail(QStringLiteral("cannot connect to QEMU's QMP socket: %1").arg(diagnostics()));
        }
        if (connectAgentNow && !connectAgent()) { return false; }

        // QMP: greeting, then capabilities negotiation before any command.
        if (!waitUntil([this] { return !m_qmpMessages.isEmpty(); }, deadline)) {
            return fail(QStringLiteral("no QMP greeting"));
        }
        return qmpCommand("qmp_capabilities");
    }

    // (Re)connects to the agent channel; what was received before is dropped. On a reconnect it
    // waits until the guest has seen the disconnect: the guest can only notice a host that goes
    // away and comes back if the port stays closed until its agent looks.
    bool connectAgent()
    {
        if (isConnected(m_agent)) {
            const qsizetype seen = serialLog().count("host disconnected");
            m_agent.disconnectFromServer();
            if (!waitUntil([&] { return serialLog().count("host disconnected") > seen; }, QDeadlineTimer(kReplyMs))) {
                return fail(QStringLiteral("the guest did not notice the disconnect"));
            }
        }
        m_messages.clear();
        m_rawLines.clear();
        m_agentBuffer.clear();
        if (!m_agentRetrying) {
            connectWithRetry(m_agent, path("agent.sock"));
            m_agentRetrying = true;
        } else {
            m_agent.connectToServer(path("agent.sock"));
        }
        if (!waitUntil([this] { return isConnected(m_agent); }, QDeadlineTimer(kBootMs))) {
            return fail(QStringLiteral("cannot connect to the agent channel: %1").arg(diagnostics()));
        }
        return true;
    }

    // Waits for the next agent message of `type` (earlier messages of other types are kept).
    std::optional<QJsonObject> waitFor(const QString& type, int timeoutMs, QByteArray* rawLine = nullptr)
    {
        qsizetype found = -1;
        const bool ok = waitUntil(
            [&] {
                for (qsizetype i = 0; i < m_messages.size(); ++i) {
                    if (m_messages[i].value(QLatin1String("type")).toString() == type) {
                        found = i;
                        return true;
                    }
                }
                return false;
            },
            QDeadlineTimer(timeoutMs));
        if (!ok) { return std::nullopt; }
        const QJsonObject message = m_messages.takeAt(found);
        if (rawLine) {
            *rawLine = m_rawLines.takeAt(found);
        } else {
            m_rawLines.removeAt(found);
        }
        return message;
    }

    // The next agent message, whatever its type.
    std::optional<QJsonObject> next(int timeoutMs)
    {
        if (!waitUntil([this] { return !m_messages.isEmpty(); }, QDeadlineTimer(timeoutMs))) { return std::nullopt; }
        m_rawLines.removeFirst();
        return m_messages.takeFirst();
    }

    QList<QJsonObject> pending() const { return m_messages; }

    void send(const QByteArray& bytes)
    {
        m_agent.write(bytes);
        m_agent.flush();
    }

    bool qmpCommand(const char* command)
    {
        m_qmpMessages.clear();
        m_qmp.write(QByteArray("{\"execute\":\"") + command + "\"}\n");
        m_qmp.flush();
        const bool ok = waitUntil(
            [this] {
                for (const QJsonObject& m : std::as_const(m_qmpMessages)) {
                    if (m.contains(QLatin1String("return")) || m.contains(QLatin1String("error"))) { return true; }
                }
                return false;
            },
            QDeadlineTimer(kReplyMs));
        if (!ok) { return fail(QStringLiteral("no reply to QMP %1").arg(QLatin1String(command))); }
        for (const QJsonObject& m : std::as_const(m_qmpMessages)) {
            if (m.contains(QLatin1String("error"))) {
                return fail(QStringLiteral("QMP %1 failed: %2")
                                .arg(QLatin1String(command),
                                     QString::fromUtf8(QJsonDocument(m).toJson(QJsonDocument::Compact))));
            }
        }
        return true;
    }

    bool waitForExit(int timeoutMs)
    {
        return waitUntil([this] { return m_qemu.state() == QProcess::NotRunning; }, QDeadlineTimer(timeoutMs));
    }

    bool waitForSerial(const QByteArray& needle, int timeoutMs)
    {
        return waitUntil([&] { return serialLog().contains(needle); }, QDeadlineTimer(timeoutMs));
    }

    void kill()
    {
        m_qemu.kill();
        waitForExit(kExitMs);
    }

    bool running() const { return m_qemu.state() == QProcess::Running; }
    int exitCode() const { return m_qemu.exitCode(); }
    QProcess::ExitStatus exitStatus() const { return m_qemu.exitStatus(); }
    qint64 elapsedMs() const { return m_clock.elapsed(); }
    QString error() const { return m_error; }

    QByteArray serialLog() const
    {
        QFile f(path("serial.log"));
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }

    QString diagnostics()
    {
        return QStringLiteral("QEMU %1, its output: %2\nserial log:\n%3")
            .arg(running() ? QStringLiteral("running") : QStringLiteral("exited (%1)").arg(exitCode()),
                 QString::fromLocal8Bit(m_qemu.readAll()), QString::fromUtf8(serialLog()));
    }

signals:
    void changed();

private:
    QString path(const char* name) const { return m_dir.filePath(QLatin1String(name)); }

    bool fail(const QString& message)
    {
        m_error = message;
        return false;
    }

    static bool isConnected(const QLocalSocket& s) { return s.state() == QLocalSocket::ConnectedState; }

    void connectWithRetry(QLocalSocket& socket, const QString& name)
    {
        connect(&socket, &QLocalSocket::errorOccurred, this, [this, &socket, name] {
            if (!isConnected(socket) && m_qemu.state() == QProcess::Running) {
                QTimer::singleShot(kConnectRetryMs, this, [&socket, name] {
                    if (socket.state() == QLocalSocket::UnconnectedState) { socket.connectToServer(name); }
                });
            }
        });
        socket.connectToServer(name);
    }

    // Runs the event loop until `done` holds or the deadline passes; wakes on every change.
    bool waitUntil(const std::function<bool()>& done, QDeadlineTimer deadline)
    {
        QSignalSpy spy(this, &Guest::changed);
        while (!done()) {
            if (deadline.hasExpired()) { return false; }
            spy.wait(static_cast<int>(qMax<qint64>(1, deadline.remainingTime())));
        }
        return true;
    }

    static void splitLines(QByteArray& buffer, const std::function<void(const QByteArray&)>& onLine)
    {
        qsizetype nl;
        while ((nl = buffer.indexOf('\n')) >= 0) {
            onLine(buffer.left(nl));
            buffer.remove(0, nl + 1);
        }
    }

    void readAgent()
    {
        m_agentBuffer += m_agent.readAll();
        splitLines(m_agentBuffer, [this](const QByteArray& line) {
            const QJsonDocument doc = QJsonDocument::fromJson(line);
            if (!doc.isObject()) {
                qWarning("agent sent a line that is not a JSON object: %s", line.constData());
                return;
            }
            m_messages.append(doc.object());
            m_rawLines.append(line);
        });
        emit changed();
    }

    void readQmp()
    {
        m_qmpBuffer += m_qmp.readAll();
        splitLines(m_qmpBuffer, [this](const QByteArray& line) {
            const QJsonDocument doc = QJsonDocument::fromJson(line);
            if (doc.isObject() && !doc.object().contains(QLatin1String("event"))) {
                m_qmpMessages.append(doc.object());
            }
        });
        emit changed();
    }

    QTemporaryDir m_dir;
    QProcess m_qemu;
    QLocalSocket m_agent;
    QLocalSocket m_qmp;
    QFileSystemWatcher m_serialWatch;
    QByteArray m_agentBuffer, m_qmpBuffer;
    QList<QJsonObject> m_messages;
    QList<QByteArray> m_rawLines;
    QList<QJsonObject> m_qmpMessages;
    QElapsedTimer m_clock;
    QString m_error;
    bool m_agentRetrying = false;
};

QJsonObject statusRequestReply(Guest& guest)
{
    guest.send("{\"type\":\"status\"}"
               "\n");
    return guest.waitFor(QStringLiteral("status"), kReplyMs).value_or(QJsonObject());
}

void timing(const char* what, qint64 ms)
{
    qInfo("timing: %s: %lld ms", what, static_cast<long long>(ms));
}

}  // namespace

class TestGuestTest : public QObject {
    Q_OBJECT
private:
    // Starts a guest, waits for hello and ready; on failure the test fails with the serial log.
    std::unique_ptr<Guest> boot(const QByteArray& config, QByteArray* readyLine = nullptr, const QString& hooks = {})
    {
        auto guest = std::make_unique<Guest>();
        if (!guest->start(config, true, hooks)) {
            QTest::qFail(qPrintable(guest->error()), __FILE__, __LINE__);
            return nullptr;
        }
        const auto hello = guest->waitFor(QStringLiteral("hello"), kBootMs);
        if (!hello) {
            QTest::qFail(qPrintable("no hello: " + guest->diagnostics()), __FILE__, __LINE__);
            return nullptr;
        }
        timing("QEMU launch to hello", guest->elapsedMs());
        if (hello->value(QLatin1String("version")).toInt() != 1
            || hello->value(QLatin1String("agent")).toString() != QLatin1String("berth-guest-agent")) {
            QTest::qFail(qPrintable("unexpected hello: " + QString::fromUtf8(QJsonDocument(*hello).toJson())), __FILE__,
                         __LINE__);
            return nullptr;
        }
        const auto ready = guest->waitFor(QStringLiteral("ready"), kBootMs, readyLine);
        if (!ready) {
            QTest::qFail(qPrintable("no ready: " + guest->diagnostics()), __FILE__, __LINE__);
            return nullptr;
        }
        timing("QEMU launch to ready", guest->elapsedMs());
        return guest;
    }

private slots:
    void readyEchoesConfigAndShutdownPowersOff()
    {
        berth::contracts::GuestConfig typed;
        typed.eci.enabled = true;
        typed.eci.socketMountImages = {"docker/desktop:*", "a\"b"};
        typed.blockDockerLoad = true;
        typed.dockerDaemonOptions = {{"labels", {"caf\u00e9 \u2603"}}, {"debug", true}};
        typed.overriddenDaemonOptions = {"hosts"};
        const QByteArray config = configBytes(typed);
        QByteArray readyLine;
        auto guest = boot(config, &readyLine);
        QVERIFY(guest);
        auto dump = qScopeGuard([&] {
            if (QTest::currentTestFailed()) { qWarning().noquote() << guest->diagnostics(); }
        });

        // The config comes back as the guest read it, which is what the host wrote.
        QVERIFY2(readyLine.contains("\"config\":" + config + ","), readyLine.constData());
        const QJsonObject ready = QJsonDocument::fromJson(readyLine).object();
        QCOMPARE(ready.value(QLatin1String("version")).toInt(), 1);
        QCOMPARE(ready.value(QLatin1String("config")).toObject(), QJsonDocument::fromJson(config).object());
        // Boot phases came before ready.
        int phases = 0;
        while (guest->waitFor(QStringLiteral("phase"), 0)) { ++phases; }
        QVERIFY(phases > 0);

        QCOMPARE(statusRequestReply(*guest).value(QLatin1String("state")).toString(), QStringLiteral("ready"));

        // Unknown requests, garbage and overlong lines each get an error; empty lines nothing.
        guest->send("{\"type\":\"reticulate-splines\",\"n\":3}"
                    "\n");
        const auto error = guest->next(kReplyMs);
        QVERIFY(error);
        QCOMPARE(error->value(QLatin1String("type")).toString(), QStringLiteral("error"));
        QCOMPARE(error->value(QLatin1String("step")).toString(), QStringLiteral("channel"));
        QVERIFY(error->value(QLatin1String("message")).toString().contains(QLatin1String("unknown request")));
        guest->send("this is not json\n[1,2,3]\n{\"type\":\n\n" + QByteArray(70 * 1024, 'x') + "\n");
        guest->send("{\"type\":\"status\"}"
                    "\n");
        int errors = 0;
        for (;;) {
            const auto reply = guest->next(kReplyMs);
            QVERIFY(reply);
            const QString type = reply->value(QLatin1String("type")).toString();
            if (type == QLatin1String("status")) { break; }
            QCOMPARE(type, QStringLiteral("error"));
            QCOMPARE(reply->value(QLatin1String("step")).toString(), QStringLiteral("channel"));
            ++errors;
        }
        QCOMPARE(errors, 4);

        QElapsedTimer shutdownClock;
        shutdownClock.start();
        guest->send("{\"type\":\"shutdown\",\"timeout\":10}"
                    "\n");
        QVERIFY(guest->waitFor(QStringLiteral("shutting-down"), kReplyMs));
        QVERIFY2(guest->waitForExit(kExitMs), "QEMU did not exit after the shutdown request");
        timing("shutdown request to QEMU exit", shutdownClock.elapsed());
        QCOMPARE(guest->exitStatus(), QProcess::NormalExit);
        QCOMPARE(guest->exitCode(), 0);
        QVERIFY(guest->serialLog().contains("reboot: Power down"));
    }

    void powerButtonPowersOff()
    {
        auto guest = boot(configBytes());
        QVERIFY(guest);
        auto dump = qScopeGuard([&] {
            if (QTest::currentTestFailed()) { qWarning().noquote() << guest->diagnostics(); }
        });

        // A host that reconnects gets hello and the boot result again.
        QVERIFY2(guest->connectAgent(), qPrintable(guest->error()));
        const auto hello = guest->next(kReplyMs);
        QVERIFY(hello);
        QCOMPARE(hello->value(QLatin1String("type")).toString(), QStringLiteral("hello"));
        std::optional<QJsonObject> ready = guest->next(kReplyMs);
        while (ready && ready->value(QLatin1String("type")).toString() == QLatin1String("phase")) {
            ready = guest->next(kReplyMs);
        }
        QVERIFY(ready);
        QCOMPARE(ready->value(QLatin1String("type")).toString(), QStringLiteral("ready"));
        QCOMPARE(ready->value(QLatin1String("config")).toObject(), QJsonDocument::fromJson(configBytes()).object());

        QElapsedTimer clock;
        clock.start();
        QVERIFY2(guest->qmpCommand("system_powerdown"), qPrintable(guest->error()));
        QVERIFY(guest->waitFor(QStringLiteral("shutting-down"), kReplyMs));
        QVERIFY2(guest->waitForExit(kExitMs), "QEMU did not exit after system_powerdown");
        timing("system_powerdown to QEMU exit", clock.elapsed());
        QCOMPARE(guest->exitStatus(), QProcess::NormalExit);
        QCOMPARE(guest->exitCode(), 0);
    }

    void ignoreShutdownKeepsTheGuestUp()
    {
        auto guest = boot(configBytes(), nullptr, QStringLiteral("ignoreShutdown"));
        QVERIFY(guest);
        auto dump = qScopeGuard([&] {
            if (QTest::currentTestFailed()) { qWarning().noquote() << guest->diagnostics(); }
        });

        guest->send("{\"type\":\"shutdown\",\"timeout\":1}"
                    "\n");
        // Requests are handled in order: a status reply proves the shutdown was passed over.
        QCOMPARE(statusRequestReply(*guest).value(QLatin1String("state")).toString(), QStringLiteral("ready"));
        QVERIFY(guest->serialLog().contains("ignoring shutdown request: requested by the host"));

        QVERIFY2(guest->qmpCommand("system_powerdown"), qPrintable(guest->error()));
        QVERIFY(guest->waitForSerial("ignoring shutdown request: ACPI power button", kReplyMs));
        QCOMPARE(statusRequestReply(*guest).value(QLatin1String("state")).toString(), QStringLiteral("ready"));
        QVERIFY(guest->running());
        for (const QJsonObject& m : guest->pending()) {
            QVERIFY(m.value(QLatin1String("type")).toString() != QLatin1String("shutting-down"));
        }

        guest->kill();  // what the host does after its timeout
        QVERIFY(!guest->running());
    }

    void failBootSendsErrorInsteadOfReady()
    {
        auto guest = std::make_unique<Guest>();
        QVERIFY2(guest->start(configBytes(), true, QStringLiteral("failBoot")), qPrintable(guest->error()));
        auto dump = qScopeGuard([&] {
            if (QTest::currentTestFailed()) { qWarning().noquote() << guest->diagnostics(); }
        });
        QVERIFY(guest->waitFor(QStringLiteral("hello"), kBootMs));
        const auto error = guest->waitFor(QStringLiteral("error"), kBootMs);
        QVERIFY(error);
        QCOMPARE(error->value(QLatin1String("step")).toString(), QStringLiteral("boot"));
        QVERIFY(error->value(QLatin1String("message")).toString().contains(QLatin1String("failBoot")));
        QCOMPARE(statusRequestReply(*guest).value(QLatin1String("state")).toString(), QStringLiteral("error"));
        for (const QJsonObject& m : guest->pending()) {
            QVERIFY(m.value(QLatin1String("type")).toString() != QLatin1String("ready"));
        }
        // The guest still shuts down on request.
        guest->send("{\"type\":\"shutdown\",\"timeout\":1}"
                    "\n");
        QVERIFY(guest->waitForExit(kExitMs));
    }

    void hostConnectingLateGetsEverythingInOrder()
    {
        auto guest = std::make_unique<Guest>();
        QVERIFY2(guest->start(configBytes(), /*connectAgentNow=*/false), qPrintable(guest->error()));
        auto dump = qScopeGuard([&] {
            if (QTest::currentTestFailed()) { qWarning().noquote() << guest->diagnostics(); }
        });
        // The agent has booted before any host listens; what it would have said is kept.
        QVERIFY(guest->waitForSerial("(no host) {\"config\":", kBootMs));
        QVERIFY2(guest->connectAgent(), qPrintable(guest->error()));
        QStringList types;
        while (types.isEmpty() || types.last() != QLatin1String("ready")) {
            const auto m = guest->next(kReplyMs);
            QVERIFY(m);
            types << m->value(QLatin1String("type")).toString();
        }
        QCOMPARE(types.first(), QStringLiteral("hello"));
        QVERIFY(types.count(QStringLiteral("phase")) > 0);
        QCOMPARE(types.count(QStringLiteral("hello")), 1);
        guest->send("{\"type\":\"shutdown\",\"timeout\":1}\n");
        QVERIFY(guest->waitForExit(kExitMs));
    }

    // The test guest reads the config as strictly as the full guest: the boot ends, naming what
    // is wrong, and the guest still shuts down on request.
    void aConfigItCannotReadIsAnError_data()
    {
        QTest::addColumn<QByteArray>("config");
        QTest::addColumn<QString>("hooks");
        QTest::addColumn<QString>("step");
        QTest::addColumn<QString>("message");
        const QString config = QStringLiteral("reading guest config");
        QTest::newRow("text") << QByteArray("not json {") << QString() << config << QStringLiteral("is not JSON");
        QTest::newRow("the old form") << QByteArray("{\"version\":1}") << QString() << config
                                      << QStringLiteral("configVersion missing");
        nlohmann::json missing = berth::contracts::toJson({});
        missing.erase("blockDockerLoad");
        QTest::newRow("a field missing") << QByteArray::fromStdString(missing.dump()) << QString() << config
                                         << QStringLiteral("blockDockerLoad is missing");
        nlohmann::json unknown = berth::contracts::toJson({});
        unknown["enhancedContainerIsolation"]["enable"] = true;
        QTest::newRow("an unknown field") << QByteArray::fromStdString(unknown.dump()) << QString() << config
                                          << QStringLiteral("enhancedContainerIsolation.enable is not a field");
        QTest::newRow("an unknown hook") << configBytes() << QStringLiteral("failBoot,explode")
                                         << QStringLiteral("test hooks")
                                         << QStringLiteral("unknown test hook 'explode'");
    }

    void aConfigItCannotReadIsAnError()
    {
        QFETCH(QByteArray, config);
        QFETCH(QString, hooks);
        QFETCH(QString, step);
        QFETCH(QString, message);
        auto guest = std::make_unique<Guest>();
        QVERIFY2(guest->start(config, true, hooks), qPrintable(guest->error()));
        auto dump = qScopeGuard([&] {
            if (QTest::currentTestFailed()) { qWarning().noquote() << guest->diagnostics(); }
        });
        const auto error = guest->waitFor(QStringLiteral("error"), kBootMs);
        QVERIFY(error);
        QCOMPARE(error->value(QLatin1String("step")).toString(), step);
        QVERIFY2(error->value(QLatin1String("message")).toString().contains(message),
                 qPrintable(error->value(QLatin1String("message")).toString()));
        guest->send("{\"type\":\"shutdown\",\"timeout\":1}"
                    "\n");
        QVERIFY(guest->waitForExit(kExitMs));
    }

    void aPrettyPrintedConfigIsRead()
    {
        QByteArray readyLine;
        auto guest = boot(QByteArray::fromStdString(berth::contracts::toJson({}).dump(2)) + "\n", &readyLine);
        QVERIFY(guest);
        auto dump = qScopeGuard([&] {
            if (QTest::currentTestFailed()) { qWarning().noquote() << guest->diagnostics(); }
        });
        QVERIFY2(readyLine.contains("\"config\":" + configBytes() + ","), readyLine.constData());
        guest->send("{\"type\":\"shutdown\",\"timeout\":1}"
                    "\n");
        QVERIFY(guest->waitForExit(kExitMs));
    }
};

QTEST_GUILESS_MAIN(TestGuestTest)
#include "tst_test_guest.moc"
