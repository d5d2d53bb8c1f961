#include "fake_docker_api.h"

#include <QFile>
#include <QSslCertificate>
#include <QSslKey>
#include <QSslServer>
#include <QSslSocket>

namespace berth::endpoint::testing {

namespace {

QByteArray readAll(const QString& path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

QByteArray reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 404: return "Not Found";
    case 409: return "Conflict";
    default: return "Status";
    }
}

// "GET /_ping" from a request's head.
QByteArray requestKey(const QByteArray& head)
{
    const QList<QByteArray> requestLine = head.left(head.indexOf("\r\n")).split(' ');
    return requestLine.value(0) + ' ' + requestLine.value(1);
}

}  // namespace

FakeDockerApi::FakeDockerApi(const EngineCertPaths& certs, QObject* parent)
    : QObject(parent),
      m_server(new QSslServer(this))
{
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setCaCertificates(QSslCertificate::fromPath(certs.caCert()));
    tls.setLocalCertificate(QSslCertificate::fromPath(certs.serverCert()).value(0));
    tls.setPrivateKey(QSslKey(readAll(certs.serverKey()), QSsl::Ec));
    tls.setPeerVerifyMode(QSslSocket::VerifyPeer);  // --tlsverify: a client certificate is required
    m_server->setSslConfiguration(tls);
    connect(m_server, &QSslServer::pendingConnectionAvailable, this, [this] {
        while (auto* socket = qobject_cast<QSslSocket*>(m_server->nextPendingConnection())) { onConnection(socket); }
    });
    connect(m_server, &QSslServer::handshakeInterruptedOnError, this, [this] { ++refusedHandshakes; });
    connect(m_server, &QSslServer::sslErrors, this, [this] { ++refusedHandshakes; });
    m_server->listen(QHostAddress::LocalHost, 0);
}

FakeDockerApi::~FakeDockerApi() = default;

quint16 FakeDockerApi::port() const
{
    return m_server->serverPort();
}

void FakeDockerApi::onConnection(QSslSocket* socket)
{
    connect(socket, &QSslSocket::disconnected, socket, &QObject::deleteLater);
    connect(socket, &QObject::destroyed, this, [this, socket] { m_buffers.remove(socket); });
    auto onData = [this, socket] {
        QByteArray& buffer = m_buffers[socket];
        buffer += socket->readAll();
        const qsizetype end = buffer.indexOf("\r\n\r\n");
        if (end < 0) { return; }
        const QByteArray head = buffer.left(end);
        buffer.clear();
        requests << QString::fromUtf8(requestKey(head));
        if (!silent) { answer(socket, head); }
    };
    connect(socket, &QSslSocket::readyRead, socket, onData);
    if (socket->bytesAvailable() > 0) { onData(); }
}

void FakeDockerApi::answer(QSslSocket* socket, const QByteArray& head)
{
    const QByteArray key = requestKey(head);
    CannedResponse response{404, R"({"message":"page not found"})"};
    if (auto it = m_routes.constFind(key); it != m_routes.constEnd()) { response = *it; }
    QByteArray out = "HTTP/1.1 " + QByteArray::number(response.status) + ' ' + reason(response.status)
        + "\r\nContent-Type: application/json\r\nApi-Version: 1.41\r\n";
    if (response.stream) {
        socket->write(out + "\r\n" + response.body);
        m_streams << socket;
        connect(socket, &QObject::destroyed, this, [this, socket] { m_streams.removeAll(socket); });
        connect(socket, &QSslSocket::disconnected, this, [this, socket] { m_streams.removeAll(socket); });
        return;
    }
    if (response.chunked) {
        out += "Transfer-Encoding: chunked\r\n\r\n";
        // Two chunks of arbitrary split, as a streaming server would send them.
        const qsizetype half = response.body.size() / 2;
        for (const QByteArray& part : {response.body.left(half), response.body.mid(half)}) {
            if (!part.isEmpty()) { out += QByteArray::number(part.size(), 16) + "\r\n" + part + "\r\n"; }
        }
        out += "0\r\n\r\n";
    } else {
        out += "Content-Length: " + QByteArray::number(response.body.size()) + "\r\n\r\n" + response.body;
    }
    socket->write(out);
    socket->disconnectFromHost();
}

void FakeDockerApi::pushEvent(const QByteArray& line)
{
    for (QSslSocket* socket : std::as_const(m_streams)) { socket->write(line + '\n'); }
}

void FakeDockerApi::closeStreams()
{
    const auto streams = m_streams;
    m_streams.clear();
    for (QSslSocket* socket : streams) { socket->disconnectFromHost(); }
}

}  // namespace berth::endpoint::testing
