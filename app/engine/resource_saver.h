#pragma once

// ResourceSaver: Docker Desktop's Resource Saver in berth-engine. While the setting is on and the
// engine runs, it looks for activity at every tick: a running container, or a client connected to
// the engine's port. After the idle time with neither, it pauses the engine (EngineHost::pause)
// and listens on the engine's port itself. The first client to connect there starts the engine,
// and every connection that came in meanwhile is handed to the engine once it answers, so
// `docker ps` after a pause just works, slower by the start.

#include <QElapsedTimer>
#include <QObject>
#include <QPointer>

#include <chrono>
#include <functional>
#include <vector>

class QTcpServer;
class QTcpSocket;
class QTimer;

namespace berth::vm {
class EngineController;
}

namespace berth::engine {

class EngineHost;

struct ResourceSaverPolicy {
    bool enabled = false;
    std::chrono::milliseconds idleTime{0};
};

class ResourceSaver : public QObject {
    Q_OBJECT
public:
    using PolicyReader = std::function<ResourceSaverPolicy()>;  // read at every tick
    // Answers whether anything uses the engine at `port`: a running container, a connected client.
    // When it cannot tell, the engine is in use.
    using ActivityProbe = std::function<void(quint16 port, QObject* context, std::function<void(bool inUse)> done)>;

    ResourceSaver(EngineHost& host, vm::EngineController& controller, PolicyReader policy, ActivityProbe activity,
                  std::chrono::milliseconds tick, QObject* parent = nullptr);
    ~ResourceSaver() override;

    bool isListening() const;

private:
    void check();
    void onProbed(bool inUse, const ResourceSaverPolicy& policy);
    void listenWhilePaused();
    void onClientWaiting();
    void handOverWaiting();
    void dropWaiting();

    EngineHost& m_host;
    vm::EngineController& m_controller;
    PolicyReader m_policy;
    ActivityProbe m_activity;
    QTimer* m_tick;
    QElapsedTimer m_idleSince;  // invalid while in use
    bool m_probing = false;
    quint16 m_port = 0;  // the engine's, kept across the pause
    QTcpServer* m_listener;
    std::vector<QPointer<QTcpSocket>> m_waiting;  // clients that came while paused or starting
};

}  // namespace berth::engine
