#include "berth/engine/engine_host.h"

#include <utility>

#include <QDir>
#include <QLocalServer>
#include <QLocalSocket>

#include <spdlog/spdlog.h>

#include "berth/vm/engine_controller.h"
#include "berth/vm/instance_dir.h"

namespace berth::engine {

EngineHost::EngineHost(vm::EngineController* controller, LaunchPlanner planner, QObject* parent)
    : QObject(parent),
      m_controller(controller),
      m_planner(std::move(planner))
{
    connect(m_controller, &vm::EngineController::stateChanged, this, [this] {
        broadcast({{"type", "status"}, {"status", status().toJson()}});
    });
    connect(m_controller, &vm::EngineController::progress, this, [this](const QString& text) {
        broadcast({{"type", "progress"}, {"text", text.toStdString()}});
    });
    // The guest's boot steps ("starting dockerd", "data disk repaired by fsck ...") are progress too.
    connect(m_controller, &vm::EngineController::guestPhase, this, [this](const QString& name) {
        broadcast({{"type", "progress"}, {"text", "Guest: " + name.toStdString()}});
    });
    connect(m_controller, &vm::EngineController::operationFinished, this,
            [this](vm::EngineOperation operation, bool ok, const QString& message) {
                const nlohmann::json finished{{"type", "finished"},
                                              {"op", vm::engineOperationName(operation).toStdString()},
                                              {"ok", ok},
                                              {"message", message.toStdString()}};
                const bool launch = operation != vm::EngineOperation::Stop;
                if (!launch && std::exchange(m_pausing, false)) {
                    m_paused = ok && !m_controller->isBusy() && m_controller->state() == vm::EngineState::Stopped;
                }
                if (launch && ok && m_controller->launchWaits()) {
                    // Another launch waits (asked for during this one): its callers, and this
                    // one's, hear about the engine once it has run.
                    m_heldSuccesses.push_back(finished);
                } else {
                    broadcast(finished);
                    // A launch that failed or was cancelled is the news; held successes are stale.
                    if (launch && !ok) { m_heldSuccesses.clear(); }
                    if (!m_controller->launchWaits()) {
                        for (const auto& held : std::exchange(m_heldSuccesses, {})) { broadcast(held); }
                    }
                }
                broadcast({{"type", "status"}, {"status", status().toJson()}});
                if (m_paused) {
                    if (!launch) { emit paused(); }
                } else if (operation == vm::EngineOperation::Stop && ok && !m_controller->isBusy()
                           && m_controller->state() == vm::EngineState::Stopped) {
                    closeForExit();
                }
            });
}

EngineHost::~EngineHost() = default;

QString EngineHost::socketPath(const QString& instanceDir)
{
    return QDir(instanceDir).filePath("engine.sock");
}

bool EngineHost::listen(const QString& instanceDir, QString* error)
{
    if (!vm::InstanceDir(instanceDir).ensure(error)) { return false; }
    const QString path = socketPath(instanceDir);
    {
        QLocalSocket probe;
        probe.connectToServer(path);
        if (probe.waitForConnected(1000)) {
            *error = QStringLiteral("another Berth engine host is already running (%1)").arg(path);
            return false;
        }
    }
    QLocalServer::removeServer(path);  // a socket file left by a host that died
    m_server = new QLocalServer(this);
    m_server->setSocketOptions(QLocalServer::UserAccessOption);
    if (!m_server->listen(path)) {
        *error = QStringLiteral("cannot listen on %1: %2").arg(path, m_server->errorString());
        return false;
    }
    connect(m_server, &QLocalServer::newConnection, this, &EngineHost::onClient);
    spdlog::info("engine host listening on {}", path.toStdString());
    return true;
}

EngineStatus EngineHost::status() const
{
    EngineStatus s;
    s.state = m_controller->state();
    s.detail = m_controller->stateDetail();
    if (const auto accelerator = m_controller->accelerator()) { s.accelerator = toString(*accelerator); }
    s.acceleratorReason = m_controller->acceleratorReason();
    s.qemuPid = m_controller->qemuPid();
    s.vmManager = m_controller->vmManager();
    s.enginePort = m_controller->enginePort();
    s.serialLog = m_controller->serialLogPath();
    s.busy = m_controller->isBusy();
    s.resourceSaverPaused = m_paused;
    const auto typed = [](const QByteArray& text) -> std::optional<contracts::GuestConfig> {
        if (text.isEmpty()) { return std::nullopt; }
        return contracts::parseGuestConfig(nlohmann::json::parse(text.toStdString(), nullptr, false), nullptr);
    };
    s.guestConfig = typed(m_controller->guestConfig());
    s.guestReportedConfig = typed(m_controller->guestReportedConfig());
    return s;
}

void EngineHost::onClient()
{
    while (QLocalSocket* client = m_server->nextPendingConnection()) {
        connect(client, &QLocalSocket::disconnected, client, &QObject::deleteLater);
        connect(client, &QLocalSocket::readyRead, this, [this, client] {
            while (client->canReadLine()) {
                const QByteArray line = client->readLine(kEngineSocketMaxLineBytes);
                const auto request = nlohmann::json::parse(line.toStdString(), nullptr, false);
                if (!request.is_object()) {
                    send(client, {{"type", "error"}, {"message", "not a JSON object"}});
                    continue;
                }
                onRequest(client, request);
            }
            if (client->bytesAvailable() > kEngineSocketMaxLineBytes) {
                spdlog::warn("engine host: dropping a client that sent an oversized line");
                client->abort();
            }
        });
        send(client, {{"type", "status"}, {"status", status().toJson()}});
    }
}

// A client may connect, or send a start, in the moment between the stop and this host's exit. So
// the host stops listening first (the next client launches a new host), lets the instance go for
// that host, takes no more requests, and says "closing": whatever a client had sent and not heard
// about, it sends to the next host.
void EngineHost::closeForExit()
{
    m_closing = true;
    m_server->close();
    m_controller->releaseInstance();
    broadcast({{"type", "closing"}});
    for (QLocalSocket* client : m_server->findChildren<QLocalSocket*>()) { client->flush(); }
    emit idle();
}

void EngineHost::onRequest(QLocalSocket* client, const nlohmann::json& request)
{
    if (m_closing) { return; }
    const std::string op = request.value("op", std::string());
    if (op == "status") {
        send(client, {{"type", "status"}, {"status", status().toJson()}});
    } else if (op == "start") {
        launch(EngineOperation::Start);
    } else if (op == "restart") {
        launch(EngineOperation::Restart);
    } else if (op == "stop") {
        const auto force = request.find("force");
        const bool forced = force != request.end() && force->is_boolean() && force->get<bool>();
        m_pausing = false;  // a stop asked for ends the host, pause or not
        m_paused = false;
        m_controller->stop(forced ? vm::EngineController::StopMode::Force : vm::EngineController::StopMode::Graceful);
    } else {
        send(client, {{"type", "error"}, {"message", "unknown op \"" + op + "\""}});
    }
}

void EngineHost::pause()
{
    if (m_closing || m_controller->isBusy() || m_controller->state() != vm::EngineState::Running) { return; }
    spdlog::info("Resource Saver: stopping the idle engine");
    m_pausing = true;
    m_controller->stop(vm::EngineController::StopMode::Graceful);
}

bool EngineHost::resume()
{
    return !m_closing && launch(EngineOperation::Start);
}

// The config is decided here, at the moment of launch, so a stale window cannot start the engine
// with yesterday's settings or past a policy that has since become invalid.
bool EngineHost::launch(EngineOperation operation)
{
    const PlannedLaunch config = m_planner();
    for (const auto& warning : config.warnings) { spdlog::warn("{}", warning.toStdString()); }
    if (!config.allowed) {
        spdlog::error("refusing to {} the engine: {}", vm::engineOperationName(operation).toStdString(),
                      config.refusal.toStdString());
        broadcast({{"type", "finished"},
                   {"op", vm::engineOperationName(operation).toStdString()},
                   {"ok", false},
                   {"message", config.refusal.toStdString()}});
        return false;
    }
    m_pausing = false;
    m_paused = false;
    emit aboutToLaunch();
    if (operation == EngineOperation::Start) {
        m_controller->start(config.plan);
    } else {
        m_controller->restart(config.plan);
    }
    return true;
}

void EngineHost::send(QLocalSocket* client, const nlohmann::json& event)
{
    client->write(QByteArray::fromStdString(event.dump() + "\n"));
}

void EngineHost::broadcast(const nlohmann::json& event)
{
    if (m_server == nullptr) { return; }
    for (QLocalSocket* client : m_server->findChildren<QLocalSocket*>()) {
        if (client->state() == QLocalSocket::ConnectedState) { send(client, event); }
    }
}

}  // namespace berth::engine
