#pragma once

// The engine's event stream (GET /events) over its TLS endpoint (an EngineStream), for as long as
// the connection lasts: each event is one JSON object a line, handed on as dockerd wrote it.
// `ended` comes once, when the engine closes the stream or it cannot be opened; a new start()
// opens a new one.

#include <QByteArray>
#include <QObject>
#include <QSslConfiguration>
#include <QString>

namespace berth::endpoint {

class EngineStream;

class EngineEvents : public QObject {
    Q_OBJECT
public:
    EngineEvents(quint16 port, QSslConfiguration tls, QObject* parent = nullptr);
    ~EngineEvents() override;

    // `filters` is the Engine API's JSON, e.g. {"type":["container"]}.
    void start(const QByteArray& filters);
    void stop();  // closes the stream without `ended`
    bool isActive() const;

signals:
    void opened();  // the engine answered 200: every event from now on arrives
    void eventReceived(const QByteArray& json);
    void ended(const QString& reason);

private:
    void onReceived(const QByteArray& bytes);

    EngineStream* m_stream;
    QByteArray m_buffer;
};

}  // namespace berth::endpoint
