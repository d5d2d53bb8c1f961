#pragma once

// The engine's event stream (GET /events) over its TLS endpoint, for as long as the connection
// lasts: each event is one JSON object, handed on as dockerd wrote it. Asked as HTTP/1.0, so
// dockerd sends the body unframed (one object a line until it closes) and no chunk decoding is
// needed. `ended` comes once, when the engine closes the stream or it cannot be opened; a new
// start() opens a new one.

#include <QByteArray>
#include <QObject>
#include <QSslConfiguration>
#include <QString>

class QSslSocket;

namespace berth::endpoint {

class EngineEvents : public QObject {
    Q_OBJECT
public:
    EngineEvents(quint16 port, QSslConfiguration tls, QObject* parent = nullptr);
    ~EngineEvents() override;

    // `filters` is the Engine API's JSON, e.g. {"type":["container"]}.
    void start(const QByteArray& filters);
    void stop();  // closes the stream without `ended`
    bool isActive() const { return m_socket != nullptr; }

signals:
    void opened();  // the engine answered 200: every event from now on arrives
    void eventReceived(const QByteArray& json);
    void ended(const QString& reason);

private:
    void onReadyRead();
    void finish(const QString& reason);

    quint16 m_port;
    QSslConfiguration m_tls;
    QSslSocket* m_socket = nullptr;
    QByteArray m_buffer;
    bool m_headerDone = false;
};

}  // namespace berth::endpoint
