#include "berth/endpoint/engine_stream.h"

#include <QSslSocket>

namespace berth::endpoint {

namespace {

// A response head longer than this is not dockerd's.
constexpr qsizetype kMaxHeadBytes = 1 << 20;

}  // namespace

EngineStream::EngineStream(quint16 port, QSslConfiguration tls, QString what, QObject* parent)
    : QObject(parent),
      m_port(port),
      m_tls(std::move(tls)),
      m_what(std::move(what))
{}

EngineStream::~EngineStream()
{
    stop();
}

void EngineStream::start(const QByteArray& path)
{
    stop();
    m_socket = new QSslSocket(this);
    m_socket->setSslConfiguration(m_tls);
    // The server certificate names localhost and 127.0.0.1; verify against the name.
    m_socket->setPeerVerifyName(QStringLiteral("localhost"));
    connect(m_socket, &QSslSocket::encrypted, this, [this, path] {
        m_socket->write("GET " + path + " HTTP/1.0\r\nHost: localhost\r\nUser-Agent: Berth\r\n\r\n");
    });
    connect(m_socket, &QSslSocket::readyRead, this, &EngineStream::onReadyRead);
    connect(m_socket, &QSslSocket::disconnected, this, [this] {
        fail(m_headerDone ? QStringLiteral("the engine closed %1").arg(m_what)
                          : QStringLiteral("the engine closed the connection before answering"));
    });
    connect(m_socket, &QSslSocket::errorOccurred, this, [this](QAbstractSocket::SocketError error) {
        if (error == QAbstractSocket::RemoteHostClosedError) { return; }  // disconnected() follows
        fail(m_socket->errorString());
    });
    connect(m_socket, &QSslSocket::sslErrors, this, [this](const QList<QSslError>& errors) {
        fail(QStringLiteral("TLS: %1").arg(errors.value(0).errorString()));
    });
    m_socket->connectToHostEncrypted(QStringLiteral("127.0.0.1"), m_port);
}

void EngineStream::stop()
{
    if (!m_socket) { return; }
    QSslSocket* socket = m_socket;
    m_socket = nullptr;
    socket->disconnect(this);
    socket->abort();
    socket->deleteLater();
    m_head.clear();
    m_contentType.clear();
    m_headerDone = false;
}

void EngineStream::onReadyRead()
{
    QByteArray bytes = m_socket->readAll();
    if (!m_headerDone) {
        m_head += bytes;
        const qsizetype end = m_head.indexOf("\r\n\r\n");
        if (end < 0) {
            if (m_head.size() > kMaxHeadBytes) { fail(QStringLiteral("the engine's answer has no end of header")); }
            return;
        }
        const QList<QByteArray> lines = m_head.left(end).split('\n');
        const QList<QByteArray> parts = lines.first().trimmed().split(' ');
        if (parts.size() < 2 || parts[1] != "200") {
            fail(QStringLiteral("the engine refused %1: %2").arg(m_what, QString::fromUtf8(lines.first().trimmed())));
            return;
        }
        for (const QByteArray& line : lines) {
            if (line.toLower().startsWith("content-type:")) { m_contentType = line.mid(13).trimmed(); }
        }
        bytes = m_head.mid(end + 4);
        m_head.clear();
        m_headerDone = true;
        emit opened();
        if (!m_socket) { return; }  // stopped from a slot
    }
    if (!bytes.isEmpty()) { emit received(bytes); }
}

void EngineStream::fail(const QString& reason)
{
    if (!m_socket) { return; }
    stop();
    emit ended(reason);
}

}  // namespace berth::endpoint
