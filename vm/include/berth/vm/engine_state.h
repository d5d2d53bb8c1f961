#pragma once

// The engine's lifecycle in one vocabulary, from the VM controller (EngineController) through the
// engine host to the front ends (berth::engine re-exports these names): reported as they are,
// never translated.

#include <QString>

#include <optional>

namespace berth::vm {

enum class EngineState {
    Stopped,
    Starting,
    WaitingForEngine,
    Running,
    Stopping,
    Error,
    Unknown,  // only a front end's: it has not heard from the engine host yet
};

enum class EngineOperation { Start, Stop, Restart };

// "start", "stop", "restart": in logs and in the engine host's messages.
QString engineOperationName(EngineOperation operation);
std::optional<EngineOperation> engineOperationFromName(const QString& name);

}  // namespace berth::vm
