#include "berth/endpoint/container_logs.h"

#include <QUrl>

#include "berth/endpoint/engine_stream.h"

namespace berth::endpoint {

namespace {

constexpr qsizetype kFrameHeaderBytes = 8;
// A frame larger than this is not dockerd's (it writes lines of at most 16 KiB, split further).
constexpr quint32 kMaxFrameBytes = 1 << 20;

// A multiplexed stream starts with a frame header: stdin, stdout or stderr, then three zeros.
bool looksMultiplexed(const QByteArray& bytes)
{
    return bytes.size() >= 4 && static_cast<unsigned char>(bytes[0]) <= 2 && bytes[1] == 0 && bytes[2] == 0
        && bytes[3] == 0;
}

}  // namespace

ContainerLogs::ContainerLogs(quint16 port, QSslConfiguration tls, QObject* parent)
    : QObject(parent),
      m_stream(new EngineStream(port, std::move(tls), QStringLiteral("the container's logs"), this))
{
    connect(m_stream, &EngineStream::opened, this, &ContainerLogs::opened);
    connect(m_stream, &EngineStream::received, this, &ContainerLogs::onReceived);
    connect(m_stream, &EngineStream::ended, this, &ContainerLogs::ended);
}

void ContainerLogs::start(const QString& containerId, int tail)
{
    m_buffer.clear();
    m_framing = Framing::Unknown;
    m_stream->start("/containers/" + QUrl::toPercentEncoding(containerId)
                    + "/logs?follow=1&stdout=1&stderr=1&tail=" + QByteArray::number(tail));
}

void ContainerLogs::stop()
{
    m_stream->stop();
    m_buffer.clear();
}

bool ContainerLogs::isActive() const
{
    return m_stream->isActive();
}

void ContainerLogs::onReceived(const QByteArray& bytes)
{
    m_buffer += bytes;
    if (m_framing == Framing::Unknown) {
        // API 1.42 names the framing in the Content-Type; older engines do not, so look.
        const QByteArray type = m_stream->contentType();
        if (type.contains("multiplexed")) {
            m_framing = Framing::Multiplexed;
        } else if (m_buffer.size() < 4) {
            return;
        } else {
            m_framing = looksMultiplexed(m_buffer) ? Framing::Multiplexed : Framing::Raw;
        }
    }
    if (m_framing == Framing::Raw) {
        emit output(m_buffer, false);
        m_buffer.clear();
        return;
    }
    while (m_buffer.size() >= kFrameHeaderBytes) {
        const auto* header = reinterpret_cast<const unsigned char*>(m_buffer.constData());
        const quint32 size
            = (quint32(header[4]) << 24) | (quint32(header[5]) << 16) | (quint32(header[6]) << 8) | quint32(header[7]);
        if (header[0] > 2 || size > kMaxFrameBytes) {
            m_stream->fail(QStringLiteral("the engine's log stream is malformed"));
            m_buffer.clear();
            return;
        }
        if (m_buffer.size() < kFrameHeaderBytes + size) { return; }
        const bool fromStderr = header[0] == 2;
        const QByteArray payload = m_buffer.mid(kFrameHeaderBytes, size);
        m_buffer.remove(0, kFrameHeaderBytes + size);
        emit output(payload, fromStderr);
        if (!m_stream->isActive()) { return; }
    }
}

}  // namespace berth::endpoint
