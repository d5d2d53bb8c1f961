#pragma once

// One long GET on the engine's TLS endpoint whose body never ends while the engine has more to
// say (GET /events, GET /containers/{id}/logs?follow=1). Asked as HTTP/1.0, so dockerd sends the
// body unframed until it closes, and no chunk decoding is needed. `ended` comes once, when the
// engine closes the stream or it cannot be opened; a new start() opens a new one.

#include <QByteArray>
#include <QObject>
#include <QSslConfiguration>
#include <QString>

class QSslSocket;

namespace berth::endpoint {

class EngineStream : public QObject {
    Q_OBJECT
public:
    // `what` names the stream in messages: "its event stream", "the container's logs".
    EngineStream(quint16 port, QSslConfiguration tls, QString what, QObject* parent = nullptr);
    ~EngineStream() override;

    // `path` with its query, already percent-encoded.
    void start(const QByteArray& path);
    void stop();  // closes the stream without `ended`
    [[nodiscard]] bool isActive() const { return m_socket != nullptr; }
    // The answer's Content-Type, once opened.
    [[nodiscard]] QByteArray contentType() const { return m_contentType; }

signals:
    void opened();  // the engine answered 200: the body follows
    void received(const QByteArray& bytes);
    void ended(const QString& reason);

public:
    // Ends the stream with `reason` (a user that finds the body malformed).
    void fail(const QString& reason);

private:
    void onReadyRead();

    quint16 m_port;
    QSslConfiguration m_tls;
    QString m_what;
    QSslSocket* m_socket = nullptr;
    QByteArray m_head;
    QByteArray m_contentType;
    bool m_headerDone = false;
};

}  // namespace berth::endpoint
