#pragma once

// PortPublisher: the ports the engine's running containers publish (`docker run -p 8080:80`)
// reach the host at 127.0.0.1:<same port>, as with Docker Desktop, for as long as they are
// published. It follows the engine's container events (start, die) through a ContainerWatch,
// lists the containers after each burst, and adds or removes QEMU's user-network forwards through `forward`. Only ports
// published on all the VM's addresses (0.0.0.0, ::) are forwarded: one bound to the VM's 127.0.0.1 is not reachable
// through QEMU's network. Host ports stay on loopback; a host port that is taken is logged and left to the VM.

#include "berth/endpoint/docker_api.h"
#include "berth/vm/virtual_machine.h"

#include <QList>
#include <QObject>
#include <QSet>
#include <QSslConfiguration>

#include <functional>

namespace berth::endpoint {
class ContainerWatch;
}

namespace berth::engine {

class PortPublisher : public QObject {
    Q_OBJECT
public:
    using Forward = std::function<void(const vm::HostPort& port, bool enabled, vm::VirtualMachine::ForwardDone done)>;

    explicit PortPublisher(Forward forward, QObject* parent = nullptr);
    ~PortPublisher() override;

    // The engine is up at 127.0.0.1:<enginePort>: follow it. `reserved`: host ports Berth
    // forwards itself (the engine's TLS port, 2375 when asked for), never a container's.
    void engineUp(quint16 enginePort, const QSslConfiguration& tls, const QSet<quint16>& reserved);
    // The engine is gone, and QEMU's forwards with it.
    void engineDown();

    QList<vm::HostPort> published() const { return m_published; }

    // What to forward for these containers: the running ones' ports published on every address
    // of the VM, each protocol and port once, none of `reserved`.
    static QList<vm::HostPort> wantedPorts(const QList<endpoint::ContainerSummary>& containers,
                                           const QSet<quint16>& reserved);

signals:
    void publishedChanged();

private:
    void sync();
    void apply(const QList<vm::HostPort>& wanted);

    Forward m_forward;
    // The context of the engine requests in flight: deleted while this object is still whole,
    // so an answer that arrives as they are torn down finds a PortPublisher, not half of one.
    QObject* m_requests = nullptr;
    std::unique_ptr<endpoint::DockerApi> m_api;
    endpoint::ContainerWatch* m_watch;
    QSet<quint16> m_reserved;
    QList<vm::HostPort> m_published;
    quint64 m_generation = 0;  // bumped per engineUp/engineDown: late answers of an older engine are dropped
};

}  // namespace berth::engine
