#include "berth/endpoint/engine_events.h"

#include <QSslSocket>
#include <QUrl>

namespace berth::endpoint {

namespace {

// An event line longer than this is not dockerd's: the stream is dropped rather than buffered.
constexpr qsizetype kMaxLineBytes = 1 << 20;

}  // namespace

EngineEvents::EngineEvents(quint16 port, QSslConfiguration tls, QObject* parent)
    : QObject(parent),
      m_port(port),
      m_tls(std::move(tls))
{}

EngineEvents::~EngineEvents()
{
    stop();
}

void EngineEvents::start(const QByteArray& filters)
{
    stop();
    m_socket = new QSslSocket(this);
    m_socket->setSslConfiguration(m_tls);
    // The server certificate names localhost and 127.0.0.1; verify against the name.
    m_socket->setPeerVerifyName(QStringLiteral("localhost"));
    const QByteArray path = "/events?filters=" + QUrl::toPercentEncoding(QString::fromUtf8(filters));
    connect(m_socket, &QSslSocket::encrypted, this, [this, path] {
        m_socket->write("GET " + path + " HTTP/1.0\r\nHost: localhost\r\nUser-Agent: Berth\r\n\r\n");
    });
    connect(m_socket, &QSslSocket::readyRead, this, &EngineEvents::onReadyRead);
    connect(m_socket, &QSslSocket::disconnected, this, [this] {
        finish(m_headerDone ? QStringLiteral("the engine closed its event stream")
                            : QStringLiteral("the engine closed the connection before answering"));
    });
    connect(m_socket, &QSslSocket::errorOccurred, this, [this](QAbstractSocket::SocketError error) {
        if (error == QAbstractSocket::RemoteHostClosedError) { return; }  // disconnected() follows
        finish(m_socket->errorString());
    });
    connect(m_socket, &QSslSocket::sslErrors, this, [this](const QList<QSslError>& errors) {
        finish(QStringLiteral("TLS: %1").arg(errors.value(0).errorString()));
    });
    m_socket->connectToHostEncrypted(QStringLiteral("127.0.0.1"), m_port);
}

void EngineEvents::stop()
{
    if (!m_socket) { return; }
    QSslSocket* socket = m_socket;
    m_socket = nullptr;
    socket->disconnect(this);
    socket->abort();
    socket->deleteLater();
    m_buffer.clear();
    m_headerDone = false;
}

void EngineEvents::onReadyRead()
{
    m_buffer += m_socket->readAll();
    if (!m_headerDone) {
        const qsizetype end = m_buffer.indexOf("\r\n\r\n");
        if (end < 0) {
            if (m_buffer.size() > kMaxLineBytes) { finish(QStringLiteral("the engine's answer has no end of header")); }
            return;
        }
        const QByteArray statusLine = m_buffer.left(m_buffer.indexOf("\r\n"));
        const QList<QByteArray> parts = statusLine.split(' ');
        if (parts.size() < 2 || parts[1] != "200") {
            finish(QStringLiteral("the engine refused its event stream: %1").arg(QString::fromUtf8(statusLine)));
            return;
        }
        m_buffer.remove(0, end + 4);
        m_headerDone = true;
        emit opened();
        if (!m_socket) { return; }  // stopped from a slot
    }
    qsizetype newline = 0;
    while ((newline = m_buffer.indexOf('\n')) >= 0) {
        const QByteArray line = m_buffer.left(newline).trimmed();
        m_buffer.remove(0, newline + 1);
        if (!line.isEmpty()) { emit eventReceived(line); }
        if (!m_socket) { return; }
    }
    if (m_buffer.size() > kMaxLineBytes) { finish(QStringLiteral("an event of the engine exceeds 1 MiB")); }
}

void EngineEvents::finish(const QString& reason)
{
    if (!m_socket) { return; }
    stop();
    emit ended(reason);
}

}  // namespace berth::endpoint
