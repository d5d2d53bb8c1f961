#include "agent_channel.h"

#include <QLocalSocket>
#include <QTimer>

#include <spdlog/spdlog.h>

namespace berth::vm {

namespace {
constexpr int kAgentConnectRetryMs = 10;
}

AgentChannel::AgentChannel(QObject* parent)
    : QObject(parent),
      m_socket(new QLocalSocket(this)),
      m_retry(new QTimer(this)),
      m_splitter([this](const QByteArray& line) { handleLine(line); },
                 [this](qsizetype dropped) {
                     emit protocolError(QStringLiteral("rejected a line of %1 bytes (limit %2)")
                                            .arg(dropped)
                                            .arg(contracts::agent::kMaxLineBytes));
                 })
{
    m_retry->setSingleShot(true);
    m_retry->setInterval(kAgentConnectRetryMs);
    connect(m_retry, &QTimer::timeout, this, &AgentChannel::tryConnect);
    connect(m_socket, &QLocalSocket::readyRead, this, [this] { feed(m_socket->readAll()); });
    connect(m_socket, &QLocalSocket::connected, this, [this] {
        m_connected = true;
        emit connected();
    });
    connect(m_socket, &QLocalSocket::disconnected, this, [this] {
        m_connected = false;
        emit disconnected();
    });
    connect(m_socket, &QLocalSocket::errorOccurred, this, [this](QLocalSocket::LocalSocketError error) {
        if (m_connected) { return; }
        const bool notThereYet
            = error == QLocalSocket::ServerNotFoundError || error == QLocalSocket::ConnectionRefusedError;
        if (notThereYet && std::chrono::steady_clock::now() < m_deadline) {
            m_retry->start();
            return;
        }
        emit connectFailed(
            QStringLiteral("cannot connect to agent socket %1: %2").arg(m_path, m_socket->errorString()));
    });
}

AgentChannel::~AgentChannel()
{
    m_socket->blockSignals(true);
}

void AgentChannel::connectToSocket(const QString& path, std::chrono::milliseconds timeout)
{
    m_path = path;
    m_deadline = std::chrono::steady_clock::now() + timeout;
    tryConnect();
}

void AgentChannel::tryConnect()
{
    m_socket->abort();
    m_connected = false;
    m_socket->connectToServer(m_path);
}

void AgentChannel::close()
{
    m_retry->stop();
    m_socket->blockSignals(true);
    m_socket->abort();
    m_socket->blockSignals(false);
    m_connected = false;
}

bool AgentChannel::isConnected() const
{
    return m_connected;
}

bool AgentChannel::write(const QByteArray& line)
{
    if (!m_connected) { return false; }
    spdlog::debug("agent <- {}", line.trimmed().toStdString());
    m_socket->write(line);
    m_socket->flush();
    return true;
}

bool AgentChannel::requestStatus()
{
    return write(agent::statusRequest());
}

bool AgentChannel::requestShutdown(int timeoutSeconds)
{
    return write(agent::shutdownRequest(timeoutSeconds));
}

bool AgentChannel::sendTime(qint64 unixMillis)
{
    return m_agentKnown && m_features.contains(QLatin1String(contracts::agent::kTimeFeature))
        && write(agent::timeRequest(unixMillis));
}

void AgentChannel::feed(const QByteArray& bytes)
{
    m_splitter.feed(bytes);
}

void AgentChannel::handleLine(const QByteArray& rawLine)
{
    QByteArray line = rawLine;
    if (line.endsWith('\r')) { line.chop(1); }
    if (line.trimmed().isEmpty()) { return; }
    auto parsed = agent::parseLine(line);
    if (!parsed.message) {
        spdlog::warn("agent: rejected line: {}", parsed.error.toStdString());
        emit protocolError(parsed.error);
        return;
    }
    spdlog::debug("agent -> {}", line.left(300).toStdString());
    std::visit(
        [this](auto&& message) {
            using T = std::decay_t<decltype(message)>;
            if constexpr (std::is_same_v<T, contracts::agent::Hello>) {
                if (message.version != contracts::agent::kProtocolVersion) {
                    const auto reason = QStringLiteral("guest agent speaks protocol version %1, this host speaks %2")
                                            .arg(message.version)
                                            .arg(contracts::agent::kProtocolVersion);
                    emit protocolError(reason);
                    emit incompatibleAgent(reason);
                    return;
                }
                m_agentKnown = true;
                m_features.clear();
                for (const auto& feature : message.features) { m_features << QString::fromStdString(feature); }
                emit hello(message.version, QString::fromStdString(message.agent));
            } else if constexpr (std::is_same_v<T, contracts::agent::Ready>) {
                if (message.version != contracts::agent::kProtocolVersion) {
                    emit protocolError(QStringLiteral("ready message with protocol version %1, expected %2")
                                           .arg(message.version)
                                           .arg(contracts::agent::kProtocolVersion));
                    return;
                }
                emit ready(QByteArray::fromStdString(message.config.dump()));
            } else if constexpr (std::is_same_v<T, contracts::agent::Phase>) {
                emit phase(QString::fromStdString(message.name));
            } else if constexpr (std::is_same_v<T, contracts::agent::Error>) {
                emit guestError(QString::fromStdString(message.step), QString::fromStdString(message.message));
            } else if constexpr (std::is_same_v<T, contracts::agent::Status>) {
                emit status(QString::fromStdString(message.state));
            } else if constexpr (std::is_same_v<T, contracts::agent::ShuttingDown>) {
                emit shuttingDown();
            }
        },
        *parsed.message);
}

}  // namespace berth::vm
