#pragma once

// The host end of the guest agent channel: QEMU exposes the virtio-serial port as a unix socket
// (server=on,wait=off); this connects to it, decodes agent messages into signals and sends
// requests. Malformed, oversized or wrong-version messages are reported and dropped.

#include "agent_protocol.h"

#include <QObject>

#include <chrono>

class QLocalSocket;
class QTimer;

namespace berth::vm {

class AgentChannel : public QObject {
    Q_OBJECT
public:
    explicit AgentChannel(QObject* parent = nullptr);
    ~AgentChannel() override;

    // Retries until the socket accepts a connection or `timeout` passes.
    void connectToSocket(const QString& path, std::chrono::milliseconds timeout);
    void close();
    bool isConnected() const;
    // True once the guest said hello with a protocol version this host speaks.
    bool isAgentKnown() const { return m_agentKnown; }

    bool requestStatus();
    bool requestShutdown(int timeoutSeconds);
    // Sets the guest's clock to the host's; false (nothing sent) when the agent lacks "time".
    bool sendTime(qint64 unixMillis);

    // Bytes as read from the socket. Public so the decoding can be tested without a socket.
    void feed(const QByteArray& bytes);

signals:
    void connected();
    void disconnected();
    void connectFailed(const QString& reason);
    void hello(int version, const QString& agent);
    void phase(const QString& name);
    void ready(const QByteArray& configJson);
    void guestError(const QString& step, const QString& message);
    void status(const QString& state);
    void shuttingDown();
    // A line was rejected; the channel keeps working.
    void protocolError(const QString& reason);
    // The guest speaks a protocol version this host does not; its messages are ignored.
    void incompatibleAgent(const QString& reason);

private:
    void tryConnect();
    void handleLine(const QByteArray& line);
    bool write(const QByteArray& line);

    QLocalSocket* m_socket = nullptr;
    QTimer* m_retry = nullptr;
    QString m_path;
    std::chrono::steady_clock::time_point m_deadline;
    agent::LineSplitter m_splitter;
    bool m_connected = false;
    bool m_agentKnown = false;
    QStringList m_features;  // from the agent's hello
};

}  // namespace berth::vm
