#include "berth/endpoint/engine_events.h"

#include <QUrl>

#include "berth/endpoint/engine_stream.h"

namespace berth::endpoint {

namespace {

// An event line longer than this is not dockerd's: the stream is dropped rather than buffered.
constexpr qsizetype kMaxLineBytes = 1 << 20;

}  // namespace

EngineEvents::EngineEvents(quint16 port, QSslConfiguration tls, QObject* parent)
    : QObject(parent),
      m_stream(new EngineStream(port, std::move(tls), QStringLiteral("its event stream"), this))
{
    connect(m_stream, &EngineStream::opened, this, &EngineEvents::opened);
    connect(m_stream, &EngineStream::received, this, &EngineEvents::onReceived);
    connect(m_stream, &EngineStream::ended, this, [this](const QString& reason) {
        m_buffer.clear();
        emit ended(reason);
    });
}

EngineEvents::~EngineEvents()
{
    stop();
}

void EngineEvents::start(const QByteArray& filters)
{
    m_buffer.clear();
    m_stream->start("/events?filters=" + QUrl::toPercentEncoding(QString::fromUtf8(filters)));
}

void EngineEvents::stop()
{
    m_stream->stop();
    m_buffer.clear();
}

bool EngineEvents::isActive() const
{
    return m_stream->isActive();
}

void EngineEvents::onReceived(const QByteArray& bytes)
{
    m_buffer += bytes;
    qsizetype newline = 0;
    while ((newline = m_buffer.indexOf('\n')) >= 0) {
        const QByteArray line = m_buffer.left(newline).trimmed();
        m_buffer.remove(0, newline + 1);
        if (!line.isEmpty()) { emit eventReceived(line); }
        if (!m_stream->isActive()) { return; }  // stopped from a slot
    }
    if (m_buffer.size() > kMaxLineBytes) { m_stream->fail(QStringLiteral("an event of the engine exceeds 1 MiB")); }
}

}  // namespace berth::endpoint
