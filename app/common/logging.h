#pragma once

#include <filesystem>
#include <string>

namespace berth::app {

// $XDG_STATE_HOME/berth/logs (default ~/.local/state/berth/logs).
std::filesystem::path logDirectory();

// Installs the default spdlog logger: a rotating file <logDirectory>/<name>.log (5 MiB x 3),
// plus, for command-line tools, the terminal (stderr) when `verbose` is set. If the log
// directory cannot be created, logging goes to stderr only and says why.
void initLogging(const std::string& name, bool console, bool verbose);

}  // namespace berth::app
