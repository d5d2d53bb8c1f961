#include "port_publisher.h"

#include "berth/endpoint/container_watch.h"

#include <spdlog/spdlog.h>

namespace berth::engine {

namespace {

// What the engine says when a container starts or stops: each changes the published ports.
constexpr const char* kContainerEvents = R"({"type":["container"],"event":["start","die"]})";

bool onEveryAddress(const QString& hostIp)
{
    return hostIp.isEmpty() || hostIp == QLatin1String("0.0.0.0") || hostIp == QLatin1String("::");
}

QString describe(const vm::HostPort& port)
{
    return QStringLiteral("127.0.0.1:%1/%2").arg(port.port).arg(port.protocol);
}

}  // namespace

PortPublisher::PortPublisher(Forward forward, QObject* parent)
    : QObject(parent),
      m_forward(std::move(forward)),
      m_requests(new QObject(this)),
      m_watch(new endpoint::ContainerWatch(QStringLiteral("published ports"), kContainerEvents, this))
{
    connect(m_watch, &endpoint::ContainerWatch::changed, this, &PortPublisher::sync);
}

PortPublisher::~PortPublisher()
{
    engineDown();  // a newer generation: answers of the requests below are dropped
    delete m_requests;
}

QList<vm::HostPort> PortPublisher::wantedPorts(const QList<endpoint::ContainerSummary>& containers,
                                               const QSet<quint16>& reserved)
{
    QList<vm::HostPort> wanted;
    for (const auto& container : containers) {
        if (container.state != QLatin1String("running")) { continue; }
        for (const auto& port : container.ports) {
            const vm::HostPort host{port.protocol, port.hostPort};
            if (!onEveryAddress(port.hostIp) || reserved.contains(port.hostPort) || wanted.contains(host)
                || (port.protocol != QLatin1String("tcp") && port.protocol != QLatin1String("udp"))) {
                continue;
            }
            wanted << host;
        }
    }
    return wanted;
}

void PortPublisher::engineUp(quint16 enginePort, const QSslConfiguration& tls, const QSet<quint16>& reserved)
{
    engineDown();
    m_reserved = reserved;
    m_api = std::make_unique<endpoint::DockerApi>(enginePort, tls);
    m_watch->engineUp(enginePort, tls);
}

void PortPublisher::engineDown()
{
    ++m_generation;
    m_watch->engineDown();
    m_api.reset();
    if (!m_published.isEmpty()) {
        m_published.clear();
        emit publishedChanged();
    }
}

void PortPublisher::sync()
{
    if (!m_api) { return; }
    m_api->listContainers(
        m_requests,
        [this, generation = m_generation](const QList<endpoint::ContainerSummary>& list, const QString& error) {
            if (generation != m_generation) { return; }
            if (!error.isEmpty()) {
                spdlog::warn("published ports: cannot list the containers: {}", error.toStdString());
                return;
            }
            apply(wantedPorts(list, m_reserved));
        });
}

void PortPublisher::apply(const QList<vm::HostPort>& wanted)
{
    // What is published now is what QEMU was asked for; a failed add takes its port out again.
    const QList<vm::HostPort> before = m_published;
    m_published = wanted;
    for (const auto& port : before) {
        if (wanted.contains(port)) { continue; }
        m_forward(port, false, [port](const QString& error) {
            if (!error.isEmpty()) { spdlog::warn("published ports: {}", error.toStdString()); }
        });
        spdlog::info("published ports: {} no longer forwarded", describe(port).toStdString());
    }
    for (const auto& port : wanted) {
        if (before.contains(port)) { continue; }
        m_forward(port, true, [this, port, generation = m_generation](const QString& error) {
            if (generation != m_generation) { return; }
            if (error.isEmpty()) {
                spdlog::info("published ports: {} forwarded to the engine", describe(port).toStdString());
                return;
            }
            spdlog::warn("published ports: {} stays in the VM: {}", describe(port).toStdString(), error.toStdString());
            m_published.removeAll(port);
            emit publishedChanged();
        });
    }
    if (before != m_published) { emit publishedChanged(); }
}

}  // namespace berth::engine
