#pragma once

// EngineHost: serves one EngineController to the front ends over a local socket
// (<instanceDir>/engine.sock, 0600 in the 0700 instance directory), so the VM belongs to one
// long-lived process (berth-engine) rather than to whichever window or terminal started it.
//
// Wire format: JSON lines, at most 1 MiB each.
//   client -> host  {"op": "start" | "stop" | "restart" | "status", "force": bool}
//   host -> client  {"type": "status", "status": {EngineStatus}}     on connect and every change
//                   {"type": "progress", "text": "..."}
//                   {"type": "finished", "op": "start" | "stop" | "restart", "ok": bool, "message": "..."}
// Every event goes to every client: a restart the CLI asked for shows up in the window too.
// A start or restart that succeeds while another launch waits (a request made during it) is
// announced only once that one has run too, so every caller hears the outcome of the last.

#include <QObject>
#include <QString>
#include <QStringList>

#include <functional>
#include <vector>

#include <nlohmann/json.hpp>

#include "berth/engine/engine_handle.h"
#include "berth/vm/launch_plan.h"

class QLocalServer;
class QLocalSocket;

namespace berth::vm {
class EngineController;
}

namespace berth::engine {

// The longest line either end of the engine socket (berth-engine and its clients) reads.
inline constexpr qint64 kEngineSocketMaxLineBytes = 1 << 20;

// What the engine boots with, decided at every start and restart (berth-engine: planLaunch).
struct PlannedLaunch {
    bool allowed = false;
    vm::LaunchPlan plan;  // when allowed
    QString refusal;  // when not: what is wrong and how to fix it
    QStringList warnings;  // logged at the launch
};
using LaunchPlanner = std::function<PlannedLaunch()>;

class EngineHost : public QObject {
    Q_OBJECT
public:
    EngineHost(vm::EngineController* controller, LaunchPlanner planner, QObject* parent = nullptr);
    ~EngineHost() override;

    // Listens on <instanceDir>/engine.sock. Fails when another host already answers there.
    bool listen(const QString& instanceDir, QString* error);

    static QString socketPath(const QString& instanceDir);
    EngineStatus status() const;

    // The Resource Saver's stop: like a stop, but the host stays to start the engine again
    // (paused(), then resume() or any client's start). A client's stop ends the pause, and the host.
    void pause();
    // Starts the engine as a client's "start" would; false when the settings refuse the launch.
    bool resume();
    bool isPaused() const { return m_paused; }

signals:
    // The engine stopped on request and nothing is pending: the host process may exit.
    void idle();
    // pause() stopped the engine.
    void paused();
    // Emitted just before the VM launches (start or restart), while it can still take its ports.
    void aboutToLaunch();

private:
    void onClient();
    void onRequest(QLocalSocket* client, const nlohmann::json& request);
    void closeForExit();
    void broadcast(const nlohmann::json& event);
    void send(QLocalSocket* client, const nlohmann::json& event);
    bool launch(EngineOperation operation);

    vm::EngineController* m_controller;
    LaunchPlanner m_planner;
    QLocalServer* m_server = nullptr;
    bool m_closing = false;  // stopped and exiting: no new clients or requests
    bool m_pausing = false;  // the stop under way is pause()'s
    bool m_paused = false;  // stopped by pause(), and nothing launched since
    std::vector<nlohmann::json> m_heldSuccesses;  // launches that succeeded while another waited
};

}  // namespace berth::engine
