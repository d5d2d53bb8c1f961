#include "qemu/qmp_client.h"

#include <QLocalSocket>
#include <QTimer>

#include <spdlog/spdlog.h>

namespace berth::vm {

namespace {
constexpr int kQmpConnectRetryMs = 10;
constexpr qsizetype kMaxLine = 1024 * 1024;  // QMP replies are small; this only guards memory
}  // namespace

QmpClient::QmpClient(QObject* parent) : QObject(parent), m_socket(new QLocalSocket(this)), m_retry(new QTimer(this))
{
    m_retry->setSingleShot(true);
    m_retry->setInterval(kQmpConnectRetryMs);
    connect(m_retry, &QTimer::timeout, this, &QmpClient::tryConnect);
    connect(m_socket, &QLocalSocket::readyRead, this, &QmpClient::onReadyRead);
    connect(m_socket, &QLocalSocket::errorOccurred, this, [this](QLocalSocket::LocalSocketError error) {
        if (m_connected) {
            return;  // a lost connection is reported through disconnected()
        }
        const bool notThereYet
            = error == QLocalSocket::ServerNotFoundError || error == QLocalSocket::ConnectionRefusedError;
        if (notThereYet && std::chrono::steady_clock::now() < m_deadline) {
            m_retry->start();
            return;
        }
        emit failed(QStringLiteral("cannot connect to QMP socket %1: %2").arg(m_path, m_socket->errorString()));
    });
    connect(m_socket, &QLocalSocket::connected, this, [this] { m_connected = true; });
    connect(m_socket, &QLocalSocket::disconnected, this, [this] {
        m_ready = false;
        m_greeted = false;
        emit disconnected();
    });
}

QmpClient::~QmpClient()
{
    m_socket->blockSignals(true);
}

void QmpClient::connectToSocket(const QString& path, std::chrono::milliseconds timeout)
{
    m_path = path;
    m_deadline = std::chrono::steady_clock::now() + timeout;
    tryConnect();
}

void QmpClient::tryConnect()
{
    m_socket->abort();
    m_buffer.clear();
    m_connected = false;
    m_socket->connectToServer(m_path);
}

void QmpClient::close()
{
    m_retry->stop();
    m_socket->blockSignals(true);
    m_socket->abort();
    m_socket->blockSignals(false);
    m_ready = false;
    m_greeted = false;
    m_awaiting.clear();
    m_queued.clear();
}

void QmpClient::execute(const QString& command, nlohmann::json arguments, ReplyHandler onReply)
{
    nlohmann::json message = {{"execute", command.toStdString()}, {"id", m_nextId}};
    if (!arguments.is_null()) { message["arguments"] = std::move(arguments); }
    ++m_nextId;
    Pending pending{QByteArray::fromStdString(message.dump()) + '\n', std::move(onReply)};
    if (m_ready) {
        send(std::move(pending));
    } else {
        m_queued.push_back(std::move(pending));
    }
}

void QmpClient::send(Pending pending)
{
    const auto id = nlohmann::json::parse(pending.line.constData(), nullptr, false).value("id", qint64{0});
    m_awaiting[id] = std::move(pending.onReply);
    spdlog::debug("qmp <- {}", pending.line.trimmed().toStdString());
    m_socket->write(pending.line);
    m_socket->flush();
}

void QmpClient::onReadyRead()
{
    m_buffer += m_socket->readAll();
    qsizetype newline;
    while ((newline = m_buffer.indexOf('\n')) >= 0) {
        const QByteArray line = m_buffer.left(newline);
        m_buffer.remove(0, newline + 1);
        handleLine(line);
    }
    if (m_buffer.size() > kMaxLine) {
        spdlog::warn("qmp: dropping {} bytes without a line end", m_buffer.size());
        m_buffer.clear();
    }
}

void QmpClient::handleLine(const QByteArray& rawLine)
{
    const QByteArray line = rawLine.trimmed();
    if (line.isEmpty()) { return; }
    const auto message = nlohmann::json::parse(line.constData(), line.constData() + line.size(), nullptr, false);
    if (message.is_discarded() || !message.is_object()) {
        spdlog::debug("qmp: ignoring non-JSON output: {}", line.left(200).toStdString());
        return;
    }
    spdlog::debug("qmp -> {}", line.left(500).toStdString());

    if (message.contains("QMP")) {
        m_greeted = true;
        // The handshake bypasses the queue: nothing else may be sent before it.
        Pending capabilities{
            QByteArray::fromStdString(nlohmann::json{{"execute", "qmp_capabilities"}, {"id", 0}}.dump()) + '\n',
            [this](bool ok, const nlohmann::json& result) {
                if (!ok) {
                    emit failed(QStringLiteral("QMP capabilities negotiation refused: %1")
                                    .arg(QString::fromStdString(result.dump())));
                    return;
                }
                m_ready = true;
                auto queued = std::move(m_queued);
                m_queued.clear();
                for (auto& pending : queued) { send(std::move(pending)); }
                emit ready();
            }};
        send(std::move(capabilities));
        return;
    }
    if (message.contains("event") && message["event"].is_string()) {
        const auto data = message.contains("data") ? message["data"].dump() : std::string("{}");
        emit qmpEvent(QString::fromStdString(message["event"].get<std::string>()), QByteArray::fromStdString(data));
        return;
    }
    const bool isReturn = message.contains("return");
    if (!isReturn && !message.contains("error")) { return; }
    if (!message.contains("id") || !message["id"].is_number_integer()) {
        spdlog::debug("qmp: reply without id ignored");
        return;
    }
    const auto found = m_awaiting.find(message["id"].get<qint64>());
    if (found == m_awaiting.end()) { return; }
    auto handler = std::move(found->second);
    m_awaiting.erase(found);
    if (isReturn) {
        if (handler) { handler(true, message["return"]); }
    } else {
        spdlog::warn("qmp: command failed: {}", message["error"].dump());
        if (handler) { handler(false, message["error"]); }
    }
}

}  // namespace berth::vm
