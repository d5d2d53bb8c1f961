#include "resource_saver.h"

#include "berth/engine/engine_host.h"
#include "berth/vm/engine_controller.h"

#include <QHostAddress>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

#include <spdlog/spdlog.h>

namespace berth::engine {

namespace {

// What either side may have queued and not yet delivered: a slow reader slows the writer.
constexpr qint64 kMaxBuffered = 1 << 20;

// Joins a client that came while the engine was paused to the engine, byte for byte (TLS goes end
// to end), and deletes itself when both sides are closed.
class ClientHandOver : public QObject {
public:
    ClientHandOver(QTcpSocket* client, quint16 port, QObject* parent) : QObject(parent), m_client(client)
    {
        m_client->setParent(this);
        m_engine = new QTcpSocket(this);
        for (QTcpSocket* socket : {m_client, m_engine}) {
            socket->setReadBufferSize(kMaxBuffered);
            connect(socket, &QTcpSocket::stateChanged, this, &ClientHandOver::onClosed);
        }
        connect(m_engine, &QTcpSocket::connected, this, [this] {
            join(m_client, m_engine);
            join(m_engine, m_client);
        });
        m_engine->connectToHost(QHostAddress::LocalHost, port);
    }

private:
    void join(QTcpSocket* from, QTcpSocket* to)
    {
        const auto pump = [from, to] {
            while (from->bytesAvailable() > 0 && to->bytesToWrite() < kMaxBuffered) {
                to->write(from->read(kMaxBuffered - to->bytesToWrite()));
            }
        };
        connect(from, &QTcpSocket::readyRead, this, pump);
        connect(to, &QTcpSocket::bytesWritten, this, pump);
        pump();
    }

    // One side closing closes the other once what it sent is delivered; an engine that cannot be
    // reached turns the client away.
    void onClosed()
    {
        for (QTcpSocket* closed : {m_client, m_engine}) {
            if (closed->state() != QAbstractSocket::UnconnectedState) { continue; }
            QTcpSocket* other = closed == m_client ? m_engine : m_client;
            if (other->state() == QAbstractSocket::ConnectedState) {
                if (closed->bytesAvailable() > 0) { other->write(closed->readAll()); }
                other->disconnectFromHost();
            } else if (other->state() != QAbstractSocket::UnconnectedState) {
                other->abort();
            }
        }
        if (m_client->state() == QAbstractSocket::UnconnectedState
            && m_engine->state() == QAbstractSocket::UnconnectedState) {
            deleteLater();
        }
    }

    QTcpSocket* m_client;
    QTcpSocket* m_engine;
};

}  // namespace

ResourceSaver::ResourceSaver(EngineHost& host, vm::EngineController& controller, PolicyReader policy,
                             ActivityProbe activity, std::chrono::milliseconds tick, QObject* parent)
    : QObject(parent),
      m_host(host),
      m_controller(controller),
      m_policy(std::move(policy)),
      m_activity(std::move(activity)),
      m_tick(new QTimer(this)),
      m_listener(new QTcpServer(this))
{
    m_tick->setInterval(tick);
    connect(m_tick, &QTimer::timeout, this, &ResourceSaver::check);
    connect(m_listener, &QTcpServer::newConnection, this, &ResourceSaver::onClientWaiting);
    connect(&m_controller, &vm::EngineController::stateChanged, this, [this](vm::EngineState state) {
        m_idleSince.invalidate();
        if (state == vm::EngineState::Running) {
            m_port = m_controller.enginePort();
            m_tick->start();
            handOverWaiting();
        } else {
            m_tick->stop();
        }
    });
    connect(&m_controller, &vm::EngineController::operationFinished, this,
            [this](vm::EngineOperation operation, bool ok, const QString&) {
                if (operation != vm::EngineOperation::Stop && !ok) {
                    m_listener->close();
                    dropWaiting();
                }
            });
    connect(&m_host, &EngineHost::paused, this, &ResourceSaver::listenWhilePaused);
    // Whoever starts the engine out of a pause, clients keep coming in until it answers (the
    // docker CLI gives up on its first connection after two seconds and opens another).
    connect(&m_host, &EngineHost::aboutToLaunch, this, [this] {
        if (m_listener->isListening()) {
            m_controller.holdEnginePort(m_port, [this] { m_listener->close(); });
        }
    });
    connect(&m_host, &EngineHost::idle, this, [this] {
        m_listener->close();
        dropWaiting();
    });
}

ResourceSaver::~ResourceSaver() = default;

bool ResourceSaver::isListening() const
{
    return m_listener->isListening();
}

void ResourceSaver::check()
{
    if (m_probing) { return; }
    const auto policy = m_policy();
    if (!policy.enabled || m_controller.isBusy() || m_controller.state() != vm::EngineState::Running) {
        m_idleSince.invalidate();
        return;
    }
    m_probing = true;
    m_activity(m_port, this, [this, policy](bool inUse) {
        m_probing = false;
        onProbed(inUse, policy);
    });
}

// The policy is the tick's: the settings are read once per tick.
void ResourceSaver::onProbed(bool inUse, const ResourceSaverPolicy& policy)
{
    if (inUse || m_controller.isBusy() || m_controller.state() != vm::EngineState::Running) {
        m_idleSince.invalidate();
        return;
    }
    if (!m_idleSince.isValid()) {
        m_idleSince.start();
        return;
    }
    if (std::chrono::milliseconds(m_idleSince.elapsed()) >= policy.idleTime) { m_host.pause(); }
}

void ResourceSaver::listenWhilePaused()
{
    if (m_listener->listen(QHostAddress::LocalHost, m_port)) {
        spdlog::info("Resource Saver: engine stopped; 127.0.0.1:{} starts it again", m_port);
        return;
    }
    spdlog::warn("Resource Saver: engine stopped, but 127.0.0.1:{} cannot be watched ({}); Berth or berthctl "
                 "start it again",
                 m_port, m_listener->errorString().toStdString());
}

void ResourceSaver::onClientWaiting()
{
    while (QTcpSocket* client = m_listener->nextPendingConnection()) {
        client->setParent(this);
        m_waiting.emplace_back(client);
    }
    if (!m_host.isPaused()) { return; }  // already starting: handed over once it runs
    spdlog::info("Resource Saver: a client connected; starting the engine");
    if (!m_host.resume()) {
        spdlog::warn("Resource Saver: the engine may not start; the client is turned away");
        dropWaiting();
    }
}

void ResourceSaver::handOverWaiting()
{
    for (const auto& client : std::exchange(m_waiting, {})) {
        if (client && client->state() == QAbstractSocket::ConnectedState) { new ClientHandOver(client, m_port, this); }
    }
}

void ResourceSaver::dropWaiting()
{
    for (const auto& client : std::exchange(m_waiting, {})) {
        if (client) {
            client->abort();
            client->deleteLater();
        }
    }
}

}  // namespace berth::engine
