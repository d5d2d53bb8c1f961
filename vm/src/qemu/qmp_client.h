#pragma once

// A QEMU Machine Protocol client over QEMU's unix socket: greeting and capabilities handshake,
// commands matched to replies by id, asynchronous events in between, non-JSON noise ignored.

#include <QByteArray>
#include <QObject>
#include <QString>

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <vector>

class QLocalSocket;
class QTimer;

namespace berth::vm {

class QmpClient : public QObject {
    Q_OBJECT
public:
    // ok: the reply was "return"; result holds "return" or "error" ({class, desc}).
    using ReplyHandler = std::function<void(bool ok, const nlohmann::json& result)>;

    explicit QmpClient(QObject* parent = nullptr);
    ~QmpClient() override;

    // QEMU creates the socket shortly after it starts, so connecting retries until `timeout`.
    void connectToSocket(const QString& path, std::chrono::milliseconds timeout);
    void close();
    bool isReady() const { return m_ready; }

    // Commands issued before the handshake completes are sent right after it.
    void execute(const QString& command, nlohmann::json arguments = nullptr, ReplyHandler onReply = {});

    // One line from QEMU. Public so the protocol can be exercised without a socket.
    void handleLine(const QByteArray& line);

signals:
    void ready();
    void qmpEvent(const QString& name, const QByteArray& dataJson);
    void failed(const QString& reason);  // could not connect, or the handshake was refused
    void disconnected();

private:
    struct Pending {
        QByteArray line;
        ReplyHandler onReply;
    };
    void tryConnect();
    void onReadyRead();
    void send(Pending pending);

    QLocalSocket* m_socket = nullptr;
    QTimer* m_retry = nullptr;
    QString m_path;
    std::chrono::steady_clock::time_point m_deadline;
    QByteArray m_buffer;
    bool m_connected = false;
    bool m_greeted = false;
    bool m_ready = false;
    qint64 m_nextId = 1;
    std::vector<Pending> m_queued;  // waiting for the handshake
    std::map<qint64, ReplyHandler> m_awaiting;  // sent, reply not yet seen
};

}  // namespace berth::vm
