#pragma once

#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "berth/engine/engine_handle.h"
#include "berth/settings/settings.h"

namespace berth::cli {

// Exit codes scripts can rely on.
inline constexpr int kOk = 0;
inline constexpr int kFailed = 1;  // an error: invalid input, invalid admin policy, engine failure
inline constexpr int kUsage = 2;  // the command line itself is wrong
inline constexpr int kLocked = 3;  // a setting is locked by the administrator

// Everything a command touches from outside, so tests can run commands in-process.
struct Context {
    settings::SettingsPaths paths;
    std::ostream& out;
    std::ostream& err;
    // Reaches the engine host; production: engine::EngineClient.
    std::function<std::unique_ptr<engine::EngineHandle>()> connectEngine;
    // Answers to questions (reset --data asks for "yes"); null: nobody can answer.
    std::istream* in;
    // The VM instance directory (data disk); empty: vm::InstanceDir::defaultRoot().
    std::string instanceDir;
};

// berthctl's entry point without main(): `args` excludes the program name.
int run(const std::vector<std::string>& args, Context& context);

// Each diagnostic on its own line, as file:line:col: message.
void printDiagnostics(const settings::Diagnostics& diagnostics, std::ostream& err);

// When the admin policy is invalid, says so with every problem's file:line:col (on `err`): nothing
// else a command prints is complete while it stands.
void reportInvalidPolicy(const settings::Settings& settings, std::ostream& err);

// deploy --admin-settings='<json>' [--force] | show: the administrator's policy file (root only
// for deploy); the target is `paths.adminFile`, so tests deploy into their own directory.
int adminCommand(const std::vector<std::string>& args, Context& context);
int settingsCommand(const std::vector<std::string>& args, Context& context);
int statusCommand(const std::vector<std::string>& args, Context& context);
// start | stop [--force] | restart: waits for the engine, printing progress; non-zero on failure.
int engineCommand(const std::string& command, const std::vector<std::string>& args, Context& context);
// reset --data [--yes]: stops the engine and moves its data disk aside to a timestamped backup.
int resetCommand(const std::vector<std::string>& args, Context& context);
// Runs one engine operation and waits for its outcome, printing progress (engine_command.cpp).
int runEngineOperation(engine::EngineHandle& engine, engine::EngineOperation operation,
                       const std::function<void()>& send, Context& context);

}  // namespace berth::cli
