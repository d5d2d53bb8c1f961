#include "fake_libvirt.h"

#include <QFile>
#include <QLocalServer>
#include <QLocalSocket>
#include <QRegularExpression>
#include <QTimer>

#include <nlohmann/json.hpp>

#include <utility>

namespace berth::vm::testing {

std::optional<DomainInfo> FakeLibvirtConnection::lookup(const QString& name, QString*)
{
    const auto it = m_daemon->domains.constFind(name);
    if (it == m_daemon->domains.constEnd()) { return std::nullopt; }
    return DomainInfo{it->uuid, it->active};
}

bool FakeLibvirtConnection::define(const QString& xml, QString* error)
{
    const QString name = QRegularExpression(QStringLiteral("<name>([^<]+)</name>")).match(xml).captured(1);
    const QString uuid = QRegularExpression(QStringLiteral("<uuid>([^<]+)</uuid>")).match(xml).captured(1);
    m_daemon->calls << QStringLiteral("define %1").arg(name);
    auto& domain = m_daemon->domains[name];
    if (!domain.uuid.isEmpty() && domain.uuid != uuid) {
        *error = QStringLiteral("operation failed: domain '%1' already exists with uuid %2").arg(name, domain.uuid);
        return false;
    }
    domain.uuid = uuid;
    domain.xml = xml;
    return true;
}

bool FakeLibvirtConnection::start(const QString& name, bool autoDestroy, QString* error)
{
    m_daemon->calls << QStringLiteral("start %1%2").arg(name, autoDestroy ? QStringLiteral(" autodestroy") : QString());
    if (!m_daemon->startError.isEmpty()) {
        *error = m_daemon->startError;
        return false;
    }
    auto it = m_daemon->domains.find(name);
    if (it == m_daemon->domains.end() || it->active) {
        *error = QStringLiteral("Requested operation is not valid: domain is already running");
        return false;
    }
    it->active = true;
    ++m_daemon->startedDomains;
    m_daemon->bootGuest(name);
    m_daemon->emitEvent(name, DomainEvent::Started, QStringLiteral("booted"));
    return true;
}

void FakeLibvirtConnection::defineAndStart(const QString& xml, const QString& name, bool autoDestroy, QObject* context,
                                           StartDone done)
{
    if (!m_daemon->holdStarts) {
        LibvirtConnection::defineAndStart(xml, name, autoDestroy, context, std::move(done));
        return;
    }
    m_daemon->m_heldStarts.push_back({this, xml, name, autoDestroy, context, std::move(done)});
}

void FakeLibvirt::releaseStarts()
{
    for (auto& held : std::exchange(m_heldStarts, {})) {
        if (!held.connection) { continue; }
        DomainStartResult result;
        result.defined = held.connection->define(held.xml, &result.error);
        result.started = result.defined && held.connection->start(held.name, held.autoDestroy, &result.error);
        if (held.context) { held.done(result); }
    }
}

bool FakeLibvirtConnection::shutdown(const QString& name, QString* error)
{
    m_daemon->calls << QStringLiteral("shutdown %1").arg(name);
    const auto it = m_daemon->domains.constFind(name);
    if (it == m_daemon->domains.constEnd() || !it->active) {
        *error = QStringLiteral("Requested operation is not valid: domain is not running");
        return false;
    }
    if (!m_daemon->ignoreAcpi) {
        QTimer::singleShot(5, m_daemon, [daemon = m_daemon, name] {
            daemon->powerOff(name, QStringLiteral("shutdown"), QStringLiteral("guest-shutdown"));
        });
    }
    return true;
}

bool FakeLibvirtConnection::destroy(const QString& name, QString* error)
{
    m_daemon->calls << QStringLiteral("destroy %1").arg(name);
    const auto it = m_daemon->domains.constFind(name);
    if (it == m_daemon->domains.constEnd() || !it->active) {
        *error = QStringLiteral("Requested operation is not valid: domain is not running");
        return false;
    }
    m_daemon->powerOff(name, QStringLiteral("destroyed"));
    return true;
}

qint64 FakeLibvirtConnection::qemuPid(const QString& name) const
{
    const auto it = m_daemon->domains.constFind(name);
    return it != m_daemon->domains.constEnd() && it->active ? 4'200'000 : 0;
}

std::shared_ptr<LibvirtConnection> FakeLibvirt::open(const QString& uri, QString* error)
{
    calls << QStringLiteral("open %1").arg(uri);
    if (!openError.isEmpty()) {
        *error = openError;
        return nullptr;
    }
    auto connection = std::make_shared<FakeLibvirtConnection>(this, uri);
    lastConnection = connection.get();
    return connection;
}

QString FakeLibvirt::xmlAttribute(const QString& xml, const QString& marker, const QString& attribute)
{
    for (const auto& line : xml.split(QLatin1Char('\n'))) {
        if (!line.contains(marker)) { continue; }
        const auto match = QRegularExpression(QStringLiteral("%1=\"([^\"]*)\"").arg(attribute)).match(line);
        if (match.hasMatch()) { return match.captured(1); }
    }
    return {};
}

void FakeLibvirt::emitEvent(const QString& name, DomainEvent event, const QString& reason)
{
    // Queued, as libvirt's event thread posts them.
    QTimer::singleShot(0, this, [this, name, event, reason] {
        if (lastConnection) { emit lastConnection->lifecycleEvent(name, event, reason); }
    });
}

void FakeLibvirt::powerOff(const QString& name, const QString& stopReason, const QString& shutdownReason)
{
    auto it = domains.find(name);
    if (it == domains.end() || !it->active) { return; }
    it->active = false;
    stopGuest(name);
    if (!shutdownReason.isEmpty()) { emitEvent(name, DomainEvent::Shutdown, shutdownReason); }
    emitEvent(name, DomainEvent::Stopped, stopReason);
}

void FakeLibvirt::bootGuest(const QString& name)
{
    const QString xml = domains.value(name).xml;
    const QString socketPath = xmlAttribute(xml, QStringLiteral("mode=\"bind\""), QStringLiteral("path"));
    const QString configFile = xmlAttribute(xml, QStringLiteral("name=\"opt/berth/config\""), QStringLiteral("file"));
    auto* server = new QLocalServer(this);
    server->listen(socketPath);
    m_agents.insert(name, server);
    connect(server, &QLocalServer::newConnection, this, [this, server, name, configFile] {
        QLocalSocket* client = server->nextPendingConnection();
        const auto send = [client](const QByteArray& json) { client->write(json + '\n'); };
        connect(client, &QLocalSocket::readyRead, this, [this, client, send, name] {
            while (client->canReadLine()) {
                const auto request = nlohmann::json::parse(client->readLine().toStdString(), nullptr, false);
                if (request.is_object() && request.value("type", std::string()) == "shutdown" && !ignoreAgentShutdown) {
                    send(R"({"type":"shutting-down"})");
                    QTimer::singleShot(5, this, [this, name] {
                        powerOff(name, QStringLiteral("shutdown"), QStringLiteral("guest-shutdown"));
                    });
                }
            }
        });
        if (!agent) { return; }
        QTimer::singleShot(5, client, [send, configFile] {
            send(R"({"type":"hello","version":1,"agent":"fake-libvirt-agent"})");
            QFile config(configFile);
            config.open(QIODevice::ReadOnly);
            const auto json = nlohmann::json::parse(config.readAll().toStdString(), nullptr, false);
            send(QByteArray::fromStdString(nlohmann::json{{"type", "ready"}, {"version", 1}, {"config", json}}.dump()));
        });
    });
}

void FakeLibvirt::stopGuest(const QString& name)
{
    if (QLocalServer* server = m_agents.take(name)) {
        server->close();
        server->deleteLater();
    }
}

}  // namespace berth::vm::testing
