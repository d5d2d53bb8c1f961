#pragma once

// A fake Docker Engine API for unit tests: a TLS server on 127.0.0.1 that, like dockerd with
// --tlsverify, requires a client certificate signed by the CA it is given, and answers HTTP/1.1
// requests from a table of canned responses (optionally chunked, like Go's net/http).

#include "berth/endpoint/endpoint_certs.h"

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QObject>
#include <QStringList>

class QSslServer;
class QSslSocket;

namespace berth::endpoint::testing {

struct CannedResponse {
    int status = 200;
    QByteArray body;
    bool chunked = false;
    // A stream (GET /events to an HTTP/1.0 client): the head and body, then the connection stays
    // open for pushEvent() until closeStreams().
    bool stream = false;
};

class FakeDockerApi : public QObject {
    Q_OBJECT
public:
    // Serves with the server certificate and CA from `certs`; clients must present a certificate
    // signed by that CA.
    explicit FakeDockerApi(const EngineCertPaths& certs, QObject* parent = nullptr);
    ~FakeDockerApi() override;

    quint16 port() const;
    // "GET /_ping" -> response. Unknown routes answer 404 {"message": "page not found"}.
    void route(const QByteArray& methodAndPath, CannedResponse response)
    {
        m_routes[methodAndPath] = std::move(response);
    }
    // Accept connections and read the requests (listed in `requests`), but never answer.
    bool silent = false;

    // Writes one line to every open stream; closes them all (the engine stopping).
    void pushEvent(const QByteArray& line);
    void closeStreams();
    int openStreams() const { return static_cast<int>(m_streams.size()); }

    QStringList requests;  // "GET /_ping", in arrival order
    int refusedHandshakes = 0;  // TLS handshakes that failed on the server side

private:
    void onConnection(QSslSocket* socket);
    void answer(QSslSocket* socket, const QByteArray& head);

    QSslServer* m_server;
    QHash<QByteArray, CannedResponse> m_routes;
    QHash<QObject*, QByteArray> m_buffers;
    QList<QSslSocket*> m_streams;
};

}  // namespace berth::endpoint::testing
