#pragma once

// One container's output, followed: GET /containers/{id}/logs?follow=1 (an EngineStream) with its
// last `tail` lines first. A container without a TTY has its stdout and stderr multiplexed in
// frames (an 8-byte header: stream, three zeros, the size big-endian); they are taken apart here.
// A TTY's output comes as it is.

#include <QByteArray>
#include <QObject>
#include <QSslConfiguration>
#include <QString>

namespace berth::endpoint {

class EngineStream;

class ContainerLogs : public QObject {
    Q_OBJECT
public:
    ContainerLogs(quint16 port, QSslConfiguration tls, QObject* parent = nullptr);

    void start(const QString& containerId, int tail = 1000);
    void stop();
    [[nodiscard]] bool isActive() const;

signals:
    void opened();
    void output(const QByteArray& bytes, bool fromStderr);
    // The container stopped (the engine ends a followed log then), or the stream failed.
    void ended(const QString& reason);

private:
    void onReceived(const QByteArray& bytes);

    EngineStream* m_stream;
    QByteArray m_buffer;
    enum class Framing { Unknown, Multiplexed, Raw } m_framing = Framing::Unknown;
};

}  // namespace berth::endpoint
