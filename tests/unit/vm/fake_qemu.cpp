#include "fake_qemu.h"

#include <QFile>
#include <QLocalServer>
#include <QLocalSocket>
#include <QTimer>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <csignal>

namespace berth::vm::testing {

FakeQemuProcess::FakeQemuProcess(ProcessSpec spec, FakeQemuBehaviour behaviour, FakeProcessFactory* factory, qint64 pid)
    : m_spec(std::move(spec)),
      m_behaviour(behaviour),
      m_factory(factory),
      m_pid(pid)
{}

FakeQemuProcess::~FakeQemuProcess()
{
    m_running = false;
    if (!m_factory) { return; }
    auto& alive = m_factory->alive;
    alive.erase(std::remove(alive.begin(), alive.end(), this), alive.end());
    m_factory->noteRunningChanged();
}

QString FakeQemuProcess::argument(const QString& option) const
{
    const auto index = m_spec.arguments.indexOf(option);
    return index >= 0 && index + 1 < m_spec.arguments.size() ? m_spec.arguments.at(index + 1) : QString();
}

QString FakeQemuProcess::chardevPath(const QString& id) const
{
    for (qsizetype i = 0; i + 1 < m_spec.arguments.size(); ++i) {
        if (m_spec.arguments.at(i) != QLatin1String("-chardev")) { continue; }
        const QStringList parts = m_spec.arguments.at(i + 1).split(QLatin1Char(','));
        if (!parts.contains(QStringLiteral("id=") + id)) { continue; }
        for (const auto& part : parts) {
            if (part.startsWith(QLatin1String("path="))) { return part.mid(5); }
        }
    }
    return {};
}

void FakeQemuProcess::start()
{
    m_running = true;
    noteRunningChanged();
    if (m_spec.program.endsWith(QLatin1String("qemu-img"))) {
        QTimer::singleShot(0, this, [this] {
            emit started();
            exitWith(0, false, false);
        });
        return;
    }
    if (m_spec.program.endsWith(QLatin1String("virtiofsd"))) {
        // Serves until killed, or until crash() ends it.
        QTimer::singleShot(0, this, [this] { emit started(); });
        return;
    }
    if (m_behaviour.failToStart) {
        QTimer::singleShot(0, this, [this] {
            m_running = false;
            noteRunningChanged();
            ProcessExit exit;
            exit.failedToStart = true;
            exit.exitCode = -1;
            exit.errorString = m_spec.program + QStringLiteral(": No such file or directory");
            emit finished(exit);
        });
        return;
    }
    if (argument(QStringLiteral("-append")).contains(QLatin1String("berth-probe"))) {
        startAsProbe();
        return;
    }

    QFile pidFile(argument(QStringLiteral("-pidfile")));
    if (pidFile.open(QIODevice::WriteOnly)) { pidFile.write(QByteArray::number(m_pid) + '\n'); }
    QFile serial(chardevPath(QStringLiteral("serial0")));
    if (serial.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        serial.write("[    0.000000] Linux version 6.1.0-fake\n[    0.100000] fake guest booting\n");
    }

    m_qmpServer = new QLocalServer(this);
    m_qmpServer->listen(chardevPath(QStringLiteral("qmp")));
    connect(m_qmpServer, &QLocalServer::newConnection, this, [this] {
        m_qmpClient = m_qmpServer->nextPendingConnection();
        connect(m_qmpClient, &QLocalSocket::readyRead, this, [this] {
            m_qmpBuffer += m_qmpClient->readAll();
            qsizetype newline;
            while ((newline = m_qmpBuffer.indexOf('\n')) >= 0) {
                const QByteArray line = m_qmpBuffer.left(newline);
                m_qmpBuffer.remove(0, newline + 1);
                onQmpLine(m_qmpClient, line);
            }
        });
        if (m_behaviour.qmpNoise) {
            m_qmpClient->write("qemu-system-x86_64: warning: fake host doesn't support requested feature\n\n");
        }
        if (m_behaviour.qmpGreets) {
            m_qmpClient->write(
                R"({"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}}, "capabilities": []}})"
                "\n");
        }
    });

    m_agentServer = new QLocalServer(this);
    m_agentServer->listen(chardevPath(QStringLiteral("agent")));
    connect(m_agentServer, &QLocalServer::newConnection, this, [this] {
        m_agentClient = m_agentServer->nextPendingConnection();
        connect(m_agentClient, &QLocalSocket::readyRead, this, [this] {
            m_agentBuffer += m_agentClient->readAll();
            qsizetype newline;
            while ((newline = m_agentBuffer.indexOf('\n')) >= 0) {
                const QByteArray line = m_agentBuffer.left(newline);
                m_agentBuffer.remove(0, newline + 1);
                onAgentLine(line);
            }
        });
        if (!m_behaviour.agent) { return; }
        // The guest boots "later": after the host connected, like the real agent.
        QTimer::singleShot(m_behaviour.agentHelloDelayMs, this, [this] {
            if (!m_running || !m_agentClient) { return; }
            sendAgent(QStringLiteral(R"({"type":"hello","version":%1,"agent":"fake-agent","features":[%2]})")
                          .arg(m_behaviour.agentVersion)
                          .arg(m_behaviour.agentKeepsTime ? QStringLiteral("\"time\"") : QString())
                          .toUtf8());
            sendAgent(R"({"type":"phase","name":"config"})");
            if (m_behaviour.failBoot) {
                sendAgent(R"({"type":"error","step":"config","message":"failBoot requested"})");
                return;
            }
            QFile config(argument(QStringLiteral("-fw_cfg")).section(QStringLiteral("file="), 1));
            config.open(QIODevice::ReadOnly);
            const auto json = nlohmann::json::parse(config.readAll().toStdString(), nullptr, false);
            const nlohmann::json ready = {{"type", "ready"}, {"version", m_behaviour.agentVersion}, {"config", json}};
            sendAgent(QByteArray::fromStdString(ready.dump()));
        });
    });
    QTimer::singleShot(0, this, [this] {
        if (m_running) { emit started(); }
    });
}

void FakeQemuProcess::startAsProbe()
{
    QTimer::singleShot(0, this, [this] {
        emit started();
        switch (m_behaviour.probe) {
        case FakeQemuBehaviour::Probe::Boots:
            m_stdout += "[    0.5] Kernel panic - not syncing: VFS: Unable to mount root fs\n";
            exitWith(0, false, false);
            break;
        case FakeQemuBehaviour::Probe::Fails:
            m_stderr += "qemu-system-x86_64: failed to initialize kvm: Permission denied\n";
            exitWith(1, false, false);
            break;
        case FakeQemuBehaviour::Probe::Hangs: break;
        }
    });
}

void FakeQemuProcess::sendAgent(const QByteArray& json)
{
    if (m_agentClient) { m_agentClient->write(json + '\n'); }
}

void FakeQemuProcess::onQmpLine(QLocalSocket* client, const QByteArray& line)
{
    const auto command = nlohmann::json::parse(line.toStdString(), nullptr, false);
    if (command.is_discarded()) { return; }
    const auto name = QString::fromStdString(command.value("execute", std::string()));
    qmpCommands << name;
    nlohmann::json reply = {{"return", nlohmann::json::object()}};
    if (command.contains("id")) { reply["id"] = command["id"]; }
    if (m_behaviour.qmpInterleaveEvents) {
        client->write(
            R"({"timestamp": {"seconds": 1, "microseconds": 2}, "event": "RTC_CHANGE", "data": {"offset": 0}})"
            "\n");
    }
    if (name == QLatin1String("system_powerdown")) {
        client->write(R"({"timestamp": {"seconds": 1, "microseconds": 3}, "event": "POWERDOWN"})"
                      "\n");
        client->write(QByteArray::fromStdString(reply.dump()) + '\n');
        if (!m_behaviour.ignoreAcpi) {
            QTimer::singleShot(5, this, [this] { powerOff(QStringLiteral("guest-shutdown")); });
        }
        return;
    }
    client->write(QByteArray::fromStdString(reply.dump()) + '\n');
    if (name == QLatin1String("quit") && !m_behaviour.ignoreQuit) {
        QTimer::singleShot(0, this, [this] { powerOff(QStringLiteral("host-qmp-quit")); });
    }
}

void FakeQemuProcess::onAgentLine(const QByteArray& line)
{
    agentRequests << QString::fromUtf8(line);
    const auto request = nlohmann::json::parse(line.toStdString(), nullptr, false);
    if (request.is_discarded()) { return; }
    const auto type = request.value("type", std::string());
    if (type == "status") {
        sendAgent(R"({"type":"status","state":"ready"})");
    } else if (type == "shutdown" && !m_behaviour.ignoreAgentShutdown) {
        sendAgent(R"({"type":"shutting-down"})");
        QTimer::singleShot(5, this, [this] { powerOff(QStringLiteral("guest-shutdown")); });
    }
}

void FakeQemuProcess::powerOff(const QString& reason)
{
    if (!m_running) { return; }
    if (m_qmpClient) {
        m_qmpClient->write(
            QStringLiteral(
                R"({"timestamp": {"seconds": 2, "microseconds": 0}, "event": "SHUTDOWN", "data": {"guest": true, "reason": "%1"}})"
                "\n")
                .arg(reason)
                .toUtf8());
        m_qmpClient->flush();
    }
    exitWith(0, false, true);
}

void FakeQemuProcess::crash(const QByteArray& lastSerialLine, int exitCode)
{
    QFile serial(chardevPath(QStringLiteral("serial0")));
    if (serial.open(QIODevice::WriteOnly | QIODevice::Append)) { serial.write(lastSerialLine + '\n'); }
    serial.close();
    m_stderr += "qemu-system-x86_64: fake crash\n";
    exitWith(exitCode, false, false);
}

void FakeQemuProcess::sendQmpEvent(const QByteArray& eventJson)
{
    if (m_qmpClient) { m_qmpClient->write(eventJson + '\n'); }
}

void FakeQemuProcess::terminate()
{
    terminated = true;
    if (m_running) {
        QTimer::singleShot(0, this, [this] { exitWith(0, false, true); });
    }
}

void FakeQemuProcess::kill()
{
    killed = true;
    if (m_running) {
        QTimer::singleShot(0, this, [this] { exitWith(SIGKILL, true, false); });
    }
}

void FakeQemuProcess::exitWith(int code, bool crashed, bool removePidFile)
{
    if (!m_running) { return; }
    m_running = false;
    noteRunningChanged();
    // Like QEMU: a clean exit removes the pidfile, SIGKILL leaves it behind.
    if (removePidFile && !argument(QStringLiteral("-pidfile")).isEmpty()) {
        QFile::remove(argument(QStringLiteral("-pidfile")));
    }
    delete m_qmpServer;
    m_qmpServer = nullptr;
    m_qmpClient = nullptr;
    delete m_agentServer;
    m_agentServer = nullptr;
    m_agentClient = nullptr;
    ProcessExit exit;
    exit.exitCode = code;
    exit.crashed = crashed;
    emit finished(exit);
}

void FakeQemuProcess::noteRunningChanged()
{
    if (m_factory) { m_factory->noteRunningChanged(); }
}

// A process handed to deleteLater() can outlive its test's factory; it must not reach back into it.
FakeProcessFactory::~FakeProcessFactory()
{
    for (auto* process : alive) { process->m_factory = nullptr; }
}

std::unique_ptr<Process> FakeProcessFactory::create(const ProcessSpec& spec) const
{
    launched.push_back(spec);
    auto process
        = std::make_unique<FakeQemuProcess>(spec, behaviour, const_cast<FakeProcessFactory*>(this), m_nextPid++);
    alive.push_back(process.get());
    return process;
}

int FakeProcessFactory::runningCount() const
{
    return static_cast<int>(std::count_if(alive.begin(), alive.end(), [](auto* p) {
        return p->isRunning() && !p->spec().program.endsWith(QLatin1String("qemu-img"))
            && !p->spec().program.endsWith(QLatin1String("virtiofsd"));
    }));
}

void FakeProcessFactory::noteRunningChanged()
{
    maxRunningAtOnce = std::max(maxRunningAtOnce, runningCount());
}

int FakeProcessFactory::qemuLaunches() const
{
    return static_cast<int>(std::count_if(launched.begin(), launched.end(), [](const ProcessSpec& spec) {
        return spec.program.contains(QLatin1String("qemu-system"))
            && !spec.arguments.join(QLatin1Char(' ')).contains(QLatin1String("berth-probe"));
    }));
}

FakeQemuProcess* FakeProcessFactory::lastQemu() const
{
    for (auto it = alive.rbegin(); it != alive.rend(); ++it) {
        if ((*it)->spec().program.contains(QLatin1String("qemu-system"))) { return *it; }
    }
    return nullptr;
}

FakeQemuProcess* FakeProcessFactory::lastProgram(const QString& name) const
{
    for (auto it = alive.rbegin(); it != alive.rend(); ++it) {
        if ((*it)->spec().program.endsWith(name)) { return *it; }
    }
    return nullptr;
}

EngineOptions fakeEngineOptions(const QString& dir)
{
    using namespace std::chrono_literals;
    EngineOptions options;
    QFile kernel(dir + "/vmlinux");
    if (!kernel.open(QIODevice::WriteOnly)) { qFatal("cannot create %s", qPrintable(kernel.fileName())); }
    options.instanceDir = dir + "/instance";
    options.kernel = kernel.fileName();
    options.initrd = dir + "/initramfs.img";
    options.accelerator = EngineOptions::AcceleratorChoice::Tcg;
    options.timeouts.agentShutdown = 2s;
    options.timeouts.powerdown = 2s;
    options.timeouts.kill = 2s;
    options.timeouts.bootToReady = 5s;
    options.timeouts.qmpConnect = 2s;
    return options;
}

}  // namespace berth::vm::testing
