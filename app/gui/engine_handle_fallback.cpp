// Built only while libberth_vm does not compile engine_handle.h itself (see CMakeLists.txt):
// the state names and the status JSON, as `berthctl status --json` prints them.
#include "berth/vm/engine_handle.h"

#include <array>
#include <utility>

namespace berth::vm {

namespace {
const std::array<std::pair<EngineState, const char*>, 7> kNames{{
    {EngineState::Stopped, "Stopped"},
    {EngineState::Starting, "Starting"},
    {EngineState::WaitingForEngine, "Waiting for engine"},
    {EngineState::Running, "Running"},
    {EngineState::Stopping, "Stopping"},
    {EngineState::Error, "Error"},
    {EngineState::Unknown, "Unknown"},
}};
}  // namespace

QString engineStateName(EngineState state)
{
    for (const auto& [s, name] : kNames) {
        if (s == state) { return QString::fromLatin1(name); }
    }
    return QStringLiteral("Unknown");
}

EngineState engineStateFromName(const QString& name)
{
    for (const auto& [s, n] : kNames) {
        if (name == QLatin1String(n)) { return s; }
    }
    return EngineState::Unknown;
}

nlohmann::json EngineStatus::toJson() const
{
    return {{"state", engineStateName(state).toStdString()},
            {"detail", detail.toStdString()},
            {"accelerator", accelerator.toStdString()},
            {"acceleratorReason", acceleratorReason.toStdString()},
            {"qemuPid", qemuPid},
            {"enginePort", enginePort},
            {"serialLog", serialLog.toStdString()},
            {"busy", busy},
            {"guestConfig", guestConfig}};
}

EngineStatus EngineStatus::fromJson(const nlohmann::json& json)
{
    EngineStatus s;
    const auto text = [&](const char* key) { return QString::fromStdString(json.value(key, std::string())); };
    s.state = engineStateFromName(text("state"));
    s.detail = text("detail");
    s.accelerator = text("accelerator");
    s.acceleratorReason = text("acceleratorReason");
    s.qemuPid = json.value("qemuPid", qint64{0});
    s.enginePort = json.value("enginePort", quint16{0});
    s.serialLog = text("serialLog");
    s.busy = json.value("busy", false);
    s.guestConfig = json.value("guestConfig", nlohmann::json());
    return s;
}

}  // namespace berth::vm
