#include "berth/engine/engine_client.h"

#include <QCoreApplication>

#include <algorithm>

#include <QDir>
#include <QFileInfo>
#include <QLocalSocket>
#include <QProcess>
#include <QTemporaryFile>
#include <QTimer>
#include <signal.h>

#include <spdlog/spdlog.h>

#include "berth/engine/engine_host.h"
#include "berth/vm/instance_dir.h"

namespace berth::engine {

namespace {

constexpr auto kRetryInterval = std::chrono::milliseconds(100);

QByteArray requestLine(const nlohmann::json& request)
{
    return QByteArray::fromStdString(request.dump() + "\n");
}

}  // namespace

EngineClient::EngineClient(QObject* parent) : EngineClient(EngineClientOptions{}, parent)
{}

EngineClient::EngineClient(EngineClientOptions options, QObject* parent)
    : EngineHandle(parent),
      m_options(std::move(options))
{
    if (m_options.instanceDir.isEmpty()) { m_options.instanceDir = vm::InstanceDir::defaultRoot(); }
    if (m_options.hostProgram.isEmpty()) { m_options.hostProgram = defaultHostProgram(); }
    m_socket = new QLocalSocket(this);
    m_retry = new QTimer(this);
    m_retry->setSingleShot(true);
    connect(m_retry, &QTimer::timeout, this, &EngineClient::connectNow);
    connect(m_socket, &QLocalSocket::connected, this, &EngineClient::onConnected);
    connect(m_socket, &QLocalSocket::readyRead, this, &EngineClient::onReadyRead);
    connect(m_socket, &QLocalSocket::disconnected, this, &EngineClient::onDisconnected);
    connect(m_socket, &QLocalSocket::errorOccurred, this, [this] {
        if (m_socket->state() != QLocalSocket::ConnectedState) { onConnectFailed(); }
    });
}

EngineClient::~EngineClient() = default;

QString EngineClient::defaultHostProgram()
{
    const QString dir = QCoreApplication::applicationDirPath();
    for (const QString& candidate : {dir + "/berth-engine", dir + "/../libexec/berth/berth-engine"}) {
        if (QFileInfo(candidate).isExecutable()) { return QFileInfo(candidate).canonicalFilePath(); }
    }
    return dir + "/berth-engine";
}

void EngineClient::start()
{
    submit({requestLine({{"op", "start"}}), true, EngineOperation::Start, false});
}

void EngineClient::stop(bool force)
{
    submit({requestLine({{"op", "stop"}, {"force", force}}), false, EngineOperation::Stop, false});
}

void EngineClient::restart()
{
    submit({requestLine({{"op", "restart"}}), true, EngineOperation::Restart, false});
}

void EngineClient::refresh()
{
    submit({requestLine({{"op", "status"}}), false, EngineOperation::Start, true});
}

void EngineClient::submit(Request request)
{
    m_pending.push_back(std::move(request));
    if (m_socket->state() == QLocalSocket::ConnectedState) {
        flush();
    } else if (m_socket->state() == QLocalSocket::UnconnectedState && !m_retry->isActive()) {
        m_retry->start(0);  // from the event loop, so no signal fires before the caller returns
    }
}

void EngineClient::connectNow()
{
    if (m_socket->state() != QLocalSocket::UnconnectedState) { return; }
    m_socket->connectToServer(EngineHost::socketPath(m_options.instanceDir));
}

void EngineClient::onConnected()
{
    m_heardFromHost = false;
    m_hostClosing = false;
    m_hostLaunched = false;
    m_hostStderr.reset();
    flush();
}

void EngineClient::onConnectFailed()
{
    const bool needsHost
        = std::any_of(m_pending.begin(), m_pending.end(), [](const Request& r) { return r.needsHost; });
    if (!needsHost) {
        // Nobody hosts the engine, so it is not running: answer what can be answered.
        EngineStatus stopped;
        stopped.state = EngineState::Stopped;
        stopped.detail = tr("The engine is not running.");
        setStatus(stopped);
        for (const Request& r : m_pending) {
            if (!r.isStatus) { emit operationFinished(r.operation, true, tr("The engine is not running.")); }
        }
        m_pending.clear();
        return;
    }
    if (!m_hostLaunched) {
        QProcess host;
        host.setProgram(m_options.hostProgram);
        host.setArguments(m_options.hostArguments);
        host.setStandardInputFile(QProcess::nullDevice());
        host.setStandardOutputFile(QProcess::nullDevice());
        // The host logs to its file; what it prints on stderr is why it could not start at all
        // (its socket, its log or the instance directory not writable), which the caller must see.
        m_hostStderr
            = std::make_unique<QTemporaryFile>(QDir::tempPath() + QStringLiteral("/berth-engine-start-XXXXXX.txt"));
        host.setStandardErrorFile(m_hostStderr->open() ? m_hostStderr->fileName() : QProcess::nullDevice());
        if (!host.startDetached(&m_hostPid)) {
            m_hostStderr.reset();
            failPending(tr("Cannot launch the engine host %1: %2").arg(m_options.hostProgram, host.errorString()));
            return;
        }
        spdlog::info("launched engine host {}", m_options.hostProgram.toStdString());
        m_hostLaunched = true;
        m_launchDeadline = std::chrono::steady_clock::now() + m_options.hostStartTimeout;
    } else if (::kill(static_cast<pid_t>(m_hostPid), 0) != 0) {
        m_hostLaunched = false;
        const QString said = m_hostStderr ? QString::fromLocal8Bit(m_hostStderr->readAll()).trimmed() : QString();
        m_hostStderr.reset();
        failPending(said.isEmpty()
                        ? tr("The engine host %1 exited at once; see its log in %2.")
                              .arg(m_options.hostProgram, QStringLiteral("~/.local/state/berth/logs/berth-engine.log"))
                        : tr("The engine host %1 exited at once: %2").arg(m_options.hostProgram, said.right(2000)));
        return;
    } else if (std::chrono::steady_clock::now() > m_launchDeadline) {
        m_hostLaunched = false;
        m_hostStderr.reset();
        failPending(tr("The engine host %1 did not answer within %2 s; see its log in ~/.local/state/berth/logs.")
                        .arg(m_options.hostProgram)
                        .arg(std::chrono::duration_cast<std::chrono::seconds>(m_options.hostStartTimeout).count()));
        return;
    }
    m_retry->start(kRetryInterval);  // the host needs a moment to create its socket
}

void EngineClient::flush()
{
    while (!m_pending.empty()) {
        m_socket->write(m_pending.front().line);
        if (!m_pending.front().isStatus) { m_inFlight.push_back(m_pending.front()); }
        m_pending.pop_front();
    }
}

void EngineClient::failPending(const QString& why)
{
    spdlog::error("{}", why.toStdString());
    for (const Request& r : m_pending) {
        if (!r.isStatus) { emit operationFinished(r.operation, false, why); }
    }
    m_pending.clear();
}

void EngineClient::onReadyRead()
{
    while (m_socket->canReadLine()) {
        const QByteArray line = m_socket->readLine(kEngineSocketMaxLineBytes);
        const auto event = nlohmann::json::parse(line.toStdString(), nullptr, false);
        if (!event.is_object()) { continue; }
        const std::string type = event.value("type", std::string());
        m_heardFromHost = true;
        m_silentHosts = 0;
        if (type == "closing") {
            m_hostClosing = true;
        } else if (type == "status") {
            setStatus(EngineStatus::fromJson(event.value("status", nlohmann::json::object())));
        } else if (type == "progress") {
            emit progress(QString::fromStdString(event.value("text", std::string())));
        } else if (type == "finished") {
            const auto ok = event.find("ok");
            // A name this client does not know (none is sent today) counts as a start, as it always has.
            const EngineOperation operation
                = vm::engineOperationFromName(QString::fromStdString(event.value("op", std::string())))
                      .value_or(EngineOperation::Start);
            const auto it = std::find_if(m_inFlight.begin(), m_inFlight.end(),
                                         [operation](const Request& r) { return r.operation == operation; });
            if (it != m_inFlight.end()) { m_inFlight.erase(it); }
            emit operationFinished(operation, ok != event.end() && ok->is_boolean() && ok->get<bool>(),
                                   QString::fromStdString(event.value("message", std::string())));
        } else if (type == "error") {
            spdlog::warn("engine host: {}", event.value("message", std::string()));
        }
    }
}

void EngineClient::onDisconnected()
{
    // A host that never greeted this connection, or said it was closing, took none of what is
    // in flight: send it again, to the next host (launched when a request needs one).
    // (A host that keeps closing connections unanswered is broken, not exiting: three in a row end it.)
    if (!m_heardFromHost) { ++m_silentHosts; }
    if (m_hostClosing || (!m_heardFromHost && m_silentHosts < 3)) {
        m_pending.insert(m_pending.begin(), m_inFlight.begin(), m_inFlight.end());
        m_inFlight.clear();
    }
    // The host exits after a requested stop; QEMU cannot outlive it. Whatever was still awaited
    // is settled now: a stop has happened, anything else did not.
    EngineStatus stopped;
    stopped.state = EngineState::Stopped;
    stopped.detail = tr("The engine is not running.");
    setStatus(stopped);
    const std::vector<Request> settled = std::exchange(m_inFlight, {});
    for (const Request& request : settled) {
        if (request.operation == EngineOperation::Stop) {
            emit operationFinished(request.operation, true, tr("The engine is stopped."));
        } else {
            emit operationFinished(request.operation, false, tr("The engine host exited before the engine was ready."));
        }
    }
    if (!m_pending.empty()) { m_retry->start(kRetryInterval); }
}

void EngineClient::setStatus(EngineStatus status)
{
    m_status = std::move(status);
    emit statusChanged(m_status);
}

}  // namespace berth::engine
