#include "berth/endpoint/docker_api.h"

#include <QEventLoop>
#include <QFile>
#include <QPointer>
#include <QSslCertificate>
#include <QSslKey>
#include <QSslSocket>
#include <QTimer>
#include <QUrl>

#include <algorithm>
#include <memory>

namespace berth::endpoint {

namespace {

constexpr qsizetype kMaxResponseBytes = 16 * 1024 * 1024;

// Decodes a chunked body; false if it is cut short or malformed.
bool dechunk(const QByteArray& data, QByteArray* body)
{
    qsizetype pos = 0;
    while (true) {
        const qsizetype lineEnd = data.indexOf("\r\n", pos);
        if (lineEnd < 0) { return false; }
        QByteArray sizeText = data.mid(pos, lineEnd - pos);
        if (const qsizetype semicolon = sizeText.indexOf(';'); semicolon >= 0) { sizeText.truncate(semicolon); }
        bool ok = false;
        const qsizetype size = sizeText.trimmed().toLongLong(&ok, 16);
        if (!ok || size < 0) { return false; }
        pos = lineEnd + 2;
        if (size == 0) {
            return true;  // trailers, if any, are of no interest
        }
        if (data.size() < pos + size + 2) { return false; }
        body->append(data.constData() + pos, size);
        pos += size + 2;
    }
}

QString engineMessage(const QByteArray& body)
{
    const auto json = nlohmann::json::parse(body.constData(), body.constData() + body.size(), nullptr, false);
    if (json.is_object() && json.contains("message") && json["message"].is_string()) {
        return QString::fromStdString(json["message"].get<std::string>());
    }
    return QString::fromUtf8(body.left(200)).trimmed();
}

std::string stringField(const nlohmann::json& object, const char* key)
{
    const auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

QString HttpResponse::describe() const
{
    if (!error.isEmpty()) { return error; }
    const QString message = engineMessage(body);
    return message.isEmpty() ? QStringLiteral("HTTP %1").arg(status)
                             : QStringLiteral("HTTP %1: %2").arg(status).arg(message);
}

bool parseHttpResponse(const QByteArray& raw, HttpResponse* response)
{
    const qsizetype headerEnd = raw.indexOf("\r\n\r\n");
    if (headerEnd < 0) {
        response->error = raw.isEmpty() ? QStringLiteral("the engine closed the connection without answering")
                                        : QStringLiteral("incomplete HTTP response");
        return false;
    }
    const QList<QByteArray> lines = raw.left(headerEnd).split('\n');
    const QList<QByteArray> statusLine = lines.first().trimmed().split(' ');
    bool ok = false;
    const int status = statusLine.size() >= 2 && statusLine[0].startsWith("HTTP/1.") ? statusLine[1].toInt(&ok) : 0;
    if (!ok || status < 100 || status > 999) {
        response->error = QStringLiteral("not an HTTP response");
        return false;
    }
    qsizetype contentLength = -1;
    bool chunked = false;
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines[i].trimmed();
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0) { continue; }
        const QByteArray name = line.left(colon).trimmed().toLower();
        const QByteArray value = line.mid(colon + 1).trimmed();
        if (name == "content-length") {
            contentLength = value.toLongLong(&ok);
        } else if (name == "transfer-encoding" && value.toLower().contains("chunked")) {
            chunked = true;
        }
    }
    const QByteArray rest = raw.mid(headerEnd + 4);
    response->status = status;
    if (chunked) {
        if (!dechunk(rest, &response->body)) {
            response->error = QStringLiteral("incomplete chunked HTTP body");
            return false;
        }
    } else if (contentLength >= 0) {
        if (rest.size() < contentLength) {
            response->error
                = QStringLiteral("HTTP body cut short (%1 of %2 bytes)").arg(rest.size()).arg(contentLength);
            return false;
        }
        response->body = rest.left(contentLength);
    } else {
        response->body = rest;
    }
    return true;
}

std::optional<QSslConfiguration> DockerApi::tlsConfiguration(const EngineCertPaths& certs, QString* error)
{
    const auto ca = QSslCertificate::fromPath(certs.caCert());
    const auto cert = QSslCertificate::fromPath(certs.clientCert());
    QFile keyFile(certs.clientKey());
    const QByteArray keyPem = keyFile.open(QIODevice::ReadOnly) ? keyFile.readAll() : QByteArray();
    QSslKey key(keyPem, QSsl::Ec);
    if (key.isNull()) { key = QSslKey(keyPem, QSsl::Rsa); }
    if (ca.isEmpty() || cert.isEmpty() || key.isNull()) {
        *error = QStringLiteral("cannot load the engine client certificate from %1").arg(certs.dir);
        return std::nullopt;
    }
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setCaCertificates(ca);  // our CA only: the system's CAs have no say here
    tls.setLocalCertificate(cert.first());
    tls.setPrivateKey(key);
    tls.setPeerVerifyMode(QSslSocket::VerifyPeer);
    tls.setProtocol(QSsl::TlsV1_2OrLater);
    return tls;
}

DockerApi::DockerApi(quint16 port, QSslConfiguration tls, std::chrono::milliseconds timeout)
    : m_port(port),
      m_tls(std::move(tls)),
      m_timeout(timeout)
{}

void DockerApi::request(const QByteArray& method, const QByteArray& path, QObject* context, Done done) const
{
    // The exchange is the context's child, and the socket and timer are its own. Every handler below
    // is connected to the exchange, so when the context goes, its handlers are dropped before the
    // socket is deleted: the socket's teardown (which signals disconnected() on an open connection)
    // never calls `done` on a context that is being destroyed.
    auto* exchange = new QObject(context);
    auto* socket = new QSslSocket(exchange);
    auto* timer = new QTimer(exchange);
    auto received = std::make_shared<QByteArray>();
    auto answered = std::make_shared<bool>(false);
    // Called once: with the parsed response, or with the transport error.
    auto finish = [exchange, socket, received, answered, done](const QString& transportError) {
        if (*answered) { return; }
        *answered = true;
        HttpResponse response;
        if (transportError.isEmpty() || !received->isEmpty()) { parseHttpResponse(*received, &response); }
        if (!transportError.isEmpty() && (response.status == 0 || !response.error.isEmpty())) {
            response.error = transportError;
        }
        socket->disconnect();
        socket->abort();
        exchange->deleteLater();
        done(response);
    };
    socket->setSslConfiguration(m_tls);
    // The server certificate names localhost and 127.0.0.1; verify against the name.
    socket->setPeerVerifyName(QStringLiteral("localhost"));
    timer->setSingleShot(true);
    QObject::connect(timer, &QTimer::timeout, exchange, [finish, timeout = m_timeout] {
        finish(QStringLiteral("no answer within %1 ms").arg(timeout.count()));
    });
    QObject::connect(socket, &QSslSocket::encrypted, exchange, [socket, method, path] {
        socket->write(method + ' ' + path
                      + " HTTP/1.1\r\nHost: localhost\r\nUser-Agent: Berth\r\nConnection: close\r\n\r\n");
    });
    QObject::connect(socket, &QSslSocket::readyRead, exchange, [socket, received, finish] {
        received->append(socket->readAll());
        if (received->size() > kMaxResponseBytes) {
            finish(QStringLiteral("the engine's answer exceeds %1 MiB").arg(kMaxResponseBytes >> 20));
        }
    });
    QObject::connect(socket, &QSslSocket::disconnected, exchange, [socket, received, finish] {
        received->append(socket->readAll());
        finish(QString());
    });
    QObject::connect(socket, &QSslSocket::sslErrors, exchange, [finish](const QList<QSslError>& errors) {
        QStringList texts;
        for (const auto& e : errors) { texts << e.errorString(); }
        finish(QStringLiteral("TLS: %1").arg(texts.join(QStringLiteral("; "))));
    });
    QObject::connect(socket, &QSslSocket::errorOccurred, exchange,
                     [socket, finish](QAbstractSocket::SocketError error) {
                         if (error == QAbstractSocket::RemoteHostClosedError) {
                             return;  // the end of a Connection: close answer; disconnected() follows
                         }
                         finish(socket->errorString());
                     });
    timer->start(m_timeout);
    socket->connectToHostEncrypted(m_host, m_port);
}

void DockerApi::requestJson(const QByteArray& method, const QByteArray& path, QObject* context, JsonDone done) const
{
    request(method, path, context, [done = std::move(done)](const HttpResponse& r) {
        if (!r.ok()) {
            done(nullptr, r.describe());
            return;
        }
        // Not JSON: a discarded value, which no caller takes for the object or array it expects.
        done(nlohmann::json::parse(r.body.constData(), r.body.constData() + r.body.size(), nullptr, false), {});
    });
}

void DockerApi::ping(QObject* context, std::function<void(bool, const QString&)> done) const
{
    request("GET", "/_ping", context, [done = std::move(done)](const HttpResponse& r) {
        if (r.ok() && r.body.trimmed() == "OK") {
            done(true, {});
        } else {
            done(false,
                 r.ok() ? QStringLiteral("unexpected answer to /_ping: %1").arg(QString::fromUtf8(r.body.left(100)))
                        : r.describe());
        }
    });
}

void DockerApi::version(QObject* context, std::function<void(const nlohmann::json&, const QString&)> done) const
{
    requestJson("GET", "/version", context, [done = std::move(done)](const nlohmann::json& json, const QString& error) {
        if (!error.isEmpty()) {
            done(nullptr, error);
            return;
        }
        if (!json.is_object()) {
            done(nullptr, QStringLiteral("the engine's /version answer is not a JSON object"));
        } else {
            done(json, {});
        }
    });
}

void DockerApi::listContainers(QObject* context,
                               std::function<void(const QList<ContainerSummary>&, const QString&)> done) const
{
    requestJson(
        "GET", "/containers/json?all=1", context,
        [done = std::move(done)](const nlohmann::json& json, const QString& error) {
            if (!error.isEmpty()) {
                done({}, error);
                return;
            }
            if (!json.is_array()) {
                done({}, QStringLiteral("the engine's container list is not a JSON array"));
                return;
            }
            QList<ContainerSummary> list;
            for (const auto& item : json) {
                if (!item.is_object()) { continue; }
                ContainerSummary c;
                c.id = QString::fromStdString(stringField(item, "Id"));
                c.image = QString::fromStdString(stringField(item, "Image"));
                c.state = QString::fromStdString(stringField(item, "State"));
                c.status = QString::fromStdString(stringField(item, "Status"));
                if (const auto created = item.find("Created"); created != item.end() && created->is_number_integer()) {
                    c.created = created->get<qint64>();
                }
                if (const auto names = item.find("Names");
                    names != item.end() && names->is_array() && !names->empty() && names->front().is_string()) {
                    c.name = QString::fromStdString(names->front().get<std::string>());
                }
                if (c.name.startsWith(QLatin1Char('/'))) { c.name.remove(0, 1); }
                if (const auto labels = item.find("Labels"); labels != item.end() && labels->is_object()) {
                    c.composeProject = QString::fromStdString(stringField(*labels, "com.docker.compose.project"));
                }
                if (const auto ports = item.find("Ports"); ports != item.end() && ports->is_array()) {
                    for (const auto& port : *ports) {
                        const auto field = port.is_object() ? port.find("PublicPort") : port.end();
                        if (field == port.end() || !field->is_number_integer()) { continue; }
                        const auto hostPort = field->get<long long>();
                        if (hostPort <= 0 || hostPort > 65535) { continue; }
                        const auto inside = port.find("PrivatePort");
                        const auto containerPort
                            = inside != port.end() && inside->is_number_integer() ? inside->get<long long>() : 0;
                        c.ports << PublishedPort{
                            QString::fromStdString(stringField(port, "Type")),
                            QString::fromStdString(stringField(port, "IP")), static_cast<quint16>(hostPort),
                            static_cast<quint16>(containerPort > 0 && containerPort <= 65535 ? containerPort : 0)};
                    }
                }
                if (!c.id.isEmpty()) { list << c; }
            }
            done(list, {});
        });
}

void DockerApi::containerRuntime(const QString& id, QObject* context,
                                 std::function<void(const QString&, const QString&)> done) const
{
    const QByteArray path = "/containers/" + QUrl::toPercentEncoding(id) + "/json";
    requestJson("GET", path, context, [done = std::move(done)](const nlohmann::json& json, const QString& error) {
        if (!error.isEmpty()) {
            done({}, error);
            return;
        }
        const auto hostConfig = json.is_object() ? json.find("HostConfig") : json.end();
        if (!json.is_object() || hostConfig == json.end() || !hostConfig->is_object()) {
            done({}, QStringLiteral("the engine's container details lack HostConfig"));
            return;
        }
        done(QString::fromStdString(stringField(*hostConfig, "Runtime")), {});
    });
}

namespace {

qint64 integerField(const nlohmann::json& object, const char* key, qint64 otherwise = 0)
{
    const auto it = object.find(key);
    return it != object.end() && it->is_number_integer() ? it->get<qint64>() : otherwise;
}

qint64 reclaimedBytes(const QByteArray& body)
{
    const auto json = nlohmann::json::parse(body.constData(), body.constData() + body.size(), nullptr, false);
    return json.is_object() ? integerField(json, "SpaceReclaimed") : 0;
}

}  // namespace

bool parseDiskUsage(const QByteArray& body, DiskUsage* usage, QString* error)
{
    const auto json = nlohmann::json::parse(body.constData(), body.constData() + body.size(), nullptr, false);
    if (!json.is_object()) {
        *error = QStringLiteral("the engine's disk usage is not a JSON object");
        return false;
    }
    *usage = {};
    usage->imagesSize = integerField(json, "LayersSize");
    const auto list = [&json](const char* key) {
        const auto it = json.find(key);
        return it != json.end() && it->is_array() ? *it : nlohmann::json::array();
    };
    for (const auto& image : list("Images")) {
        if (!image.is_object()) { continue; }
        ImageUsage i;
        i.id = QString::fromStdString(stringField(image, "Id"));
        if (const auto tags = image.find("RepoTags"); tags != image.end() && tags->is_array()) {
            for (const auto& tag : *tags) {
                if (tag.is_string() && tag.get<std::string>() != "<none>:<none>") {
                    i.tags << QString::fromStdString(tag.get<std::string>());
                }
            }
        }
        i.size = integerField(image, "Size");
        i.created = integerField(image, "Created");
        i.containers = static_cast<int>(std::max<qint64>(0, integerField(image, "Containers")));
        usage->images << i;
    }
    for (const auto& container : list("Containers")) {
        if (container.is_object()) { usage->containersSize += integerField(container, "SizeRw"); }
    }
    for (const auto& volume : list("Volumes")) {
        if (!volume.is_object()) { continue; }
        VolumeUsage v;
        v.name = QString::fromStdString(stringField(volume, "Name"));
        v.driver = QString::fromStdString(stringField(volume, "Driver"));
        if (const auto data = volume.find("UsageData"); data != volume.end() && data->is_object()) {
            v.size = integerField(*data, "Size", -1);
            v.containers = static_cast<int>(std::max<qint64>(0, integerField(*data, "RefCount")));
        }
        if (v.size > 0) { usage->volumesSize += v.size; }
        usage->volumes << v;
    }
    for (const auto& record : list("BuildCache")) {
        if (record.is_object()) { usage->buildCacheSize += integerField(record, "Size"); }
    }
    return true;
}

double cpuPercent(const ContainerStats& before, const ContainerStats& after)
{
    if (after.cpuNanoseconds < before.cpuNanoseconds || after.systemNanoseconds <= before.systemNanoseconds) {
        return -1;
    }
    const auto cpu = static_cast<double>(after.cpuNanoseconds - before.cpuNanoseconds);
    const auto system = static_cast<double>(after.systemNanoseconds - before.systemNanoseconds);
    return cpu / system * after.onlineCpus * 100.0;
}

void DockerApi::containerStats(const QString& id, QObject* context,
                               std::function<void(const ContainerStats&, const QString&)> done) const
{
    const QByteArray path = "/containers/" + QUrl::toPercentEncoding(id) + "/stats?stream=false&one-shot=true";
    requestJson("GET", path, context, [done = std::move(done)](const nlohmann::json& json, const QString& error) {
        if (!error.isEmpty()) {
            done({}, error);
            return;
        }
        if (!json.is_object()) {
            done({}, QStringLiteral("the engine's container stats are not a JSON object"));
            return;
        }
        const auto object = [](const nlohmann::json& parent, const char* key) {
            const auto it = parent.find(key);
            return it != parent.end() && it->is_object() ? *it : nlohmann::json::object();
        };
        ContainerStats stats;
        const auto cpu = object(json, "cpu_stats");
        stats.cpuNanoseconds
            = static_cast<quint64>(std::max<qint64>(0, integerField(object(cpu, "cpu_usage"), "total_usage")));
        stats.systemNanoseconds = static_cast<quint64>(std::max<qint64>(0, integerField(cpu, "system_cpu_usage")));
        stats.onlineCpus = static_cast<int>(std::max<qint64>(1, integerField(cpu, "online_cpus", 1)));
        const auto memory = object(json, "memory_stats");
        const auto details = object(memory, "stats");
        // cgroup v2 names the page cache inactive_file, v1 total_inactive_file; docker stats takes it off.
        const qint64 inactive = integerField(details, "inactive_file", integerField(details, "total_inactive_file"));
        stats.memoryBytes = std::max<qint64>(0, integerField(memory, "usage") - inactive);
        stats.memoryLimitBytes = integerField(memory, "limit");
        done(stats, {});
    });
}

void DockerApi::diskUsage(QObject* context, std::function<void(const DiskUsage&, const QString&)> done) const
{
    request("GET", "/system/df", context, [done = std::move(done)](const HttpResponse& r) {
        DiskUsage usage;
        QString error = r.ok() ? QString() : r.describe();
        if (error.isEmpty()) { parseDiskUsage(r.body, &usage, &error); }
        done(usage, error);
    });
}

void DockerApi::removeImage(const QString& id, QObject* context, std::function<void(const QString&)> done) const
{
    request("DELETE", "/images/" + QUrl::toPercentEncoding(id), context,
            [done = std::move(done)](const HttpResponse& r) { done(r.ok() ? QString() : r.describe()); });
}

void DockerApi::removeVolume(const QString& name, QObject* context, std::function<void(const QString&)> done) const
{
    request("DELETE", "/volumes/" + QUrl::toPercentEncoding(name), context,
            [done = std::move(done)](const HttpResponse& r) { done(r.ok() ? QString() : r.describe()); });
}

void DockerApi::prune(Prune what, QObject* context, std::function<void(qint64, const QString&)> done) const
{
    QByteArray path;
    switch (what) {
    case Prune::StoppedContainers: path = "/containers/prune"; break;
    case Prune::DanglingImages:
        path = "/images/prune?filters=" + QUrl::toPercentEncoding(QStringLiteral(R"({"dangling":["true"]})"));
        break;
    case Prune::UnusedVolumes:
        // Since API 1.42 a prune takes anonymous volumes only, unless asked for all.
        path = "/volumes/prune?filters=" + QUrl::toPercentEncoding(QStringLiteral(R"({"all":["true"]})"));
        break;
    case Prune::BuildCache: path = "/build/prune"; break;
    }
    request("POST", path, context, [api = *this, what, context, done = std::move(done)](const HttpResponse& r) {
        // Engines before API 1.42 know no "all" filter, and prune every unused volume without it.
        if (what == Prune::UnusedVolumes && r.status == 400 && r.body.contains("filter")) {
            api.request("POST", "/volumes/prune", context, [done](const HttpResponse& plain) {
                done(plain.ok() ? reclaimedBytes(plain.body) : 0, plain.ok() ? QString() : plain.describe());
            });
            return;
        }
        if (!r.ok()) {
            done(0, r.describe());
            return;
        }
        done(reclaimedBytes(r.body), {});
    });
}

QByteArray containerActionVerb(ContainerAction action)
{
    switch (action) {
    case ContainerAction::Start: return "start";
    case ContainerAction::Stop: return "stop";
    case ContainerAction::Restart: return "restart";
    case ContainerAction::Pause: return "pause";
    case ContainerAction::Unpause: return "unpause";
    }
    return {};
}

void DockerApi::containerAction(const QString& id, ContainerAction action, QObject* context,
                                std::function<void(const QString&)> done) const
{
    const QByteArray path = "/containers/" + QUrl::toPercentEncoding(id) + '/' + containerActionVerb(action);
    request("POST", path, context, [done = std::move(done)](const HttpResponse& r) {
        done(r.ok() || (r.error.isEmpty() && r.status == 304) ? QString() : r.describe());
    });
}

void DockerApi::removeContainer(const QString& id, QObject* context, std::function<void(const QString&)> done) const
{
    const QByteArray path = "/containers/" + QUrl::toPercentEncoding(id) + "?force=1";
    request("DELETE", path, context, [done = std::move(done)](const HttpResponse& r) {
        // 404: already gone, which is what was asked for.
        done(r.ok() || (r.error.isEmpty() && r.status == 404) ? QString() : r.describe());
    });
}

bool DockerApi::waitFor(const std::function<void(QObject*, std::function<void()>)>& start,
                        std::chrono::milliseconds timeout)
{
    QEventLoop loop;
    bool finished = false;
    QTimer::singleShot(timeout, &loop, &QEventLoop::quit);
    start(&loop, [&finished, &loop] {
        finished = true;
        loop.quit();
    });
    if (!finished) { loop.exec(QEventLoop::ExcludeUserInputEvents); }
    return finished;
}

}  // namespace berth::endpoint
