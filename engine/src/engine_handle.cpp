#include "berth/engine/engine_handle.h"

#include <array>
#include <utility>

namespace berth::engine {

namespace {

struct StateNames {
    EngineState state;
    const char* id;
    const char* name;
};

constexpr std::array<StateNames, 7> kStates = {{
    {EngineState::Stopped, "stopped", "Stopped"},
    {EngineState::Starting, "starting", "Starting"},
    {EngineState::WaitingForEngine, "waiting-for-engine", "Waiting for engine"},
    {EngineState::Running, "running", "Running"},
    {EngineState::Stopping, "stopping", "Stopping"},
    {EngineState::Error, "error", "Error"},
    {EngineState::Unknown, "unknown", "Unknown"},
}};

}  // namespace

QString engineStateName(EngineState state)
{
    for (const auto& s : kStates) {
        if (s.state == state) { return QObject::tr(s.name); }
    }
    return QObject::tr("Unknown");
}

QString engineStateId(EngineState state)
{
    for (const auto& s : kStates) {
        if (s.state == state) { return QString::fromLatin1(s.id); }
    }
    return QStringLiteral("unknown");
}

EngineState engineStateFromId(const QString& id)
{
    for (const auto& s : kStates) {
        if (id == QLatin1String(s.id)) { return s.state; }
    }
    return EngineState::Unknown;
}

nlohmann::json EngineStatus::toJson() const
{
    return {{"state", engineStateId(state).toStdString()},
            {"detail", detail.toStdString()},
            {"accelerator", accelerator.toStdString()},
            {"acceleratorReason", acceleratorReason.toStdString()},
            {"qemuPid", qemuPid},
            {"vmManager", vmManager.toStdString()},
            {"enginePort", enginePort},
            {"serialLog", serialLog.toStdString()},
            {"busy", busy},
            {"resourceSaverPaused", resourceSaverPaused},
            {"guestConfig", guestConfig ? contracts::toJson(*guestConfig) : nlohmann::json()},
            {"guestReportedConfig", guestReportedConfig ? contracts::toJson(*guestReportedConfig) : nlohmann::json()}};
}

EngineStatus EngineStatus::fromJson(const nlohmann::json& json)
{
    EngineStatus s;
    if (!json.is_object()) { return s; }
    const auto text = [&](const char* key) {
        const auto it = json.find(key);
        return it != json.end() && it->is_string() ? QString::fromStdString(it->get<std::string>()) : QString();
    };
    const auto number = [&](const char* key) -> qint64 {
        const auto it = json.find(key);
        return it != json.end() && it->is_number_integer() ? it->get<qint64>() : 0;
    };
    const auto flag = [&](const char* key) {
        const auto it = json.find(key);
        return it != json.end() && it->is_boolean() && it->get<bool>();
    };
    s.state = engineStateFromId(text("state"));
    s.detail = text("detail");
    s.accelerator = text("accelerator");
    s.acceleratorReason = text("acceleratorReason");
    s.qemuPid = number("qemuPid");
    s.vmManager = text("vmManager");
    s.enginePort = static_cast<quint16>(number("enginePort"));
    s.serialLog = text("serialLog");
    s.busy = flag("busy");
    s.resourceSaverPaused = flag("resourceSaverPaused");
    const auto config = json.find("guestConfig");
    if (config != json.end()) { s.guestConfig = contracts::parseGuestConfig(*config, nullptr); }
    const auto reported = json.find("guestReportedConfig");
    if (reported != json.end()) { s.guestReportedConfig = contracts::parseGuestConfig(*reported, nullptr); }
    return s;
}

}  // namespace berth::engine
