#pragma once

// A small Docker Engine API client over the engine's TLS endpoint (127.0.0.1:<enginePort>, client
// certificate from EngineCertPaths). One connection per request (HTTP/1.1, Connection: close),
// each with its own timeout; the answer arrives on the event loop.
//
//   auto tls = DockerApi::tlsConfiguration(certs, &error);
//   DockerApi api(port, *tls);
//   api.ping(this, [](bool ok, const QString& why) { ... });
//   api.listContainers(this, [](const QList<ContainerSummary>& list, const QString& error) { ... });
//
// `context` owns the request: when it is destroyed first, the request is dropped unanswered.

#include "berth/endpoint/endpoint_certs.h"

#include <QByteArray>
#include <QList>
#include <QSslConfiguration>
#include <QString>
#include <QStringList>

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <optional>

class QObject;

namespace berth::endpoint {

struct HttpResponse {
    int status = 0;  // 0 when no response arrived
    QByteArray body;  // de-chunked
    QString error;  // transport error (TLS refused, timeout, malformed response)

    bool ok() const { return error.isEmpty() && status >= 200 && status < 300; }
    QString describe() const;  // for messages: the error, or "HTTP 404: <engine's message>"
};

// Parses a complete HTTP/1.1 response (status line, headers, body with Content-Length, chunked
// transfer encoding, or up to the end). Returns false with `response->error` set when malformed.
bool parseHttpResponse(const QByteArray& raw, HttpResponse* response);

// A container port published on the VM's addresses (`docker run -p [IP:]hostPort:port[/udp]`).
struct PublishedPort {
    QString protocol;  // "tcp" or "udp"
    QString hostIp;  // the address in the VM: "0.0.0.0", "::", "127.0.0.1", ...
    quint16 hostPort = 0;
    quint16 containerPort = 0;  // the port inside the container ("PrivatePort")
    bool operator==(const PublishedPort&) const = default;
};

// What the dashboard can do to one container: POST /containers/{id}/<verb>.
enum class ContainerAction { Start, Stop, Restart, Pause, Unpause };
QByteArray containerActionVerb(ContainerAction action);  // "start", "stop", ...

struct ContainerSummary {
    QString id;
    QString name;  // without the leading '/'
    QString image;
    QString state;  // "running", "exited", ...
    QString status = {};  // the engine's words: "Up 5 minutes", "Exited (0) 2 hours ago", ...
    qint64 created = 0;  // seconds since the epoch
    QList<PublishedPort> ports;  // with a host port only
    QString composeProject = {};  // the com.docker.compose.project label, when compose made it
};

// What the engine's data takes (GET /system/df).
struct ImageUsage {
    QString id;  // "sha256:..."
    QStringList tags;  // "repository:tag"; empty for a dangling image
    qint64 size = 0;
    qint64 created = 0;  // seconds since the epoch
    int containers = 0;  // containers made from it, running or not
};
struct VolumeUsage {
    QString name;
    QString driver;
    qint64 size = -1;  // -1: the engine could not tell
    int containers = 0;  // containers that mount it
};
struct DiskUsage {
    qint64 imagesSize = 0;  // the layers, shared ones counted once
    qint64 containersSize = 0;  // what containers wrote over their images
    qint64 volumesSize = 0;
    qint64 buildCacheSize = 0;
    QList<ImageUsage> images;
    QList<VolumeUsage> volumes;
};
// Parses the answer of GET /system/df; false with `error` set when it is not one.
bool parseDiskUsage(const QByteArray& json, DiskUsage* usage, QString* error);

// One sample of a container's resource use (GET /containers/{id}/stats?stream=false&one-shot=true).
// CPU use is the change between two samples: cpuNanoseconds over systemNanoseconds, times onlineCpus.
struct ContainerStats {
    quint64 cpuNanoseconds = 0;  // the container's CPU time so far
    quint64 systemNanoseconds = 0;  // the whole machine's CPU time so far
    int onlineCpus = 1;
    qint64 memoryBytes = 0;  // in use, less the inactive page cache, as `docker stats` shows it
    qint64 memoryLimitBytes = 0;
};
// The CPU use between two samples, in percent of one CPU (200 % is two CPUs busy); -1 when the
// samples cannot say (the first one, a restarted container).
double cpuPercent(const ContainerStats& before, const ContainerStats& after);

// What a prune removes (POST /<kind>/prune).
enum class Prune { StoppedContainers, DanglingImages, UnusedVolumes, BuildCache };

class DockerApi {
public:
    // The client side of the engine's TLS: our CA only, the client certificate and key.
    static std::optional<QSslConfiguration> tlsConfiguration(const EngineCertPaths& certs, QString* error);

    DockerApi(quint16 port, QSslConfiguration tls, std::chrono::milliseconds timeout = std::chrono::seconds(5));

    void setHost(const QString& host) { m_host = host; }  // default 127.0.0.1
    quint16 port() const { return m_port; }

    using Done = std::function<void(const HttpResponse&)>;
    void request(const QByteArray& method, const QByteArray& path, QObject* context, Done done) const;

    // A request whose answer is JSON: `json` is what the body parses to (a discarded value when it
    // is not JSON), or `error` says why there is none (transport, or an HTTP error status).
    using JsonDone = std::function<void(const nlohmann::json& json, const QString& error)>;
    void requestJson(const QByteArray& method, const QByteArray& path, QObject* context, JsonDone done) const;

    // GET /_ping answers "OK".
    void ping(QObject* context, std::function<void(bool ok, const QString& why)> done) const;
    // GET /version
    void version(QObject* context, std::function<void(const nlohmann::json& version, const QString& error)> done) const;
    // GET /containers/json?all=1
    void listContainers(QObject* context,
                        std::function<void(const QList<ContainerSummary>&, const QString& error)> done) const;
    // GET /containers/{id}/json: HostConfig.Runtime (the OCI runtime, "sysbox-runc" under ECI).
    void containerRuntime(const QString& id, QObject* context,
                          std::function<void(const QString& runtime, const QString& error)> done) const;
    // POST /containers/{id}/<verb>. A container already in the state asked for (HTTP 304) is
    // success. Stop and restart wait for the container's own stop timeout (10 s by default) on
    // the engine's side, so give this client a timeout longer than that.
    void containerAction(const QString& id, ContainerAction action, QObject* context,
                         std::function<void(const QString& error)> done) const;
    // GET /containers/{id}/stats?stream=false&one-shot=true
    void containerStats(const QString& id, QObject* context,
                        std::function<void(const ContainerStats&, const QString& error)> done) const;
    // GET /system/df
    void diskUsage(QObject* context, std::function<void(const DiskUsage&, const QString& error)> done) const;
    // DELETE /images/{id} (refused while a container uses it), DELETE /volumes/{name} (the same).
    void removeImage(const QString& id, QObject* context, std::function<void(const QString& error)> done) const;
    void removeVolume(const QString& name, QObject* context, std::function<void(const QString& error)> done) const;
    // POST /containers/prune, /images/prune (dangling only), /volumes/prune (anonymous and named
    // ones no container uses), /build/prune; `reclaimed` in bytes.
    void prune(Prune what, QObject* context, std::function<void(qint64 reclaimed, const QString& error)> done) const;
    // DELETE /containers/{id}?force=1 (stops it first).
    void removeContainer(const QString& id, QObject* context, std::function<void(const QString& error)> done) const;

    // Runs `start` (which issues one request calling `finish`) in a nested event loop until it
    // finishes or `timeout` passes; for callers with a synchronous interface.
    static bool waitFor(const std::function<void(QObject* context, std::function<void()> finish)>& start,
                        std::chrono::milliseconds timeout);

private:
    QString m_host = QStringLiteral("127.0.0.1");
    quint16 m_port;
    QSslConfiguration m_tls;
    std::chrono::milliseconds m_timeout;
};

}  // namespace berth::endpoint
