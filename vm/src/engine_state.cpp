#include "berth/vm/engine_state.h"

#include <array>
#include <utility>

namespace berth::vm {

namespace {

constexpr std::array<std::pair<EngineOperation, const char*>, 3> kOperationNames
    = {{{EngineOperation::Start, "start"}, {EngineOperation::Stop, "stop"}, {EngineOperation::Restart, "restart"}}};

}  // namespace

QString engineOperationName(EngineOperation operation)
{
    for (const auto& [value, name] : kOperationNames) {
        if (value == operation) { return QString::fromLatin1(name); }
    }
    return {};
}

std::optional<EngineOperation> engineOperationFromName(const QString& name)
{
    for (const auto& [value, text] : kOperationNames) {
        if (name == QLatin1String(text)) { return value; }
    }
    return std::nullopt;
}

}  // namespace berth::vm
