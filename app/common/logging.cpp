#include "logging.h"

#include <sys/stat.h>

#include <cstdlib>
#include <vector>

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace berth::app {

std::filesystem::path logDirectory()
{
    const char* state = std::getenv("XDG_STATE_HOME");
    if (state != nullptr && state[0] == '/') { return std::filesystem::path(state) / "berth" / "logs"; }
    const char* home = std::getenv("HOME");
    return std::filesystem::path(home != nullptr ? home : "/") / ".local" / "state" / "berth" / "logs";
}

void initLogging(const std::string& name, bool console, bool verbose)
{
    std::vector<spdlog::sink_ptr> sinks;
    std::string fileProblem;
    const auto dir = logDirectory();
    try {
        std::filesystem::create_directories(dir);
        ::chmod(dir.c_str(), 0700);
        sinks.push_back(std::make_shared<spdlog::sinks::rotating_file_sink_mt>((dir / (name + ".log")).string(),
                                                                               5 * 1024 * 1024, 3));
    } catch (const std::exception& e) {
        fileProblem = e.what();
    }
    if ((console && verbose) || sinks.empty()) {
        auto terminal = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
        terminal->set_level(verbose ? spdlog::level::debug : spdlog::level::warn);
        sinks.push_back(terminal);
    }
    auto logger = std::make_shared<spdlog::logger>(name, sinks.begin(), sinks.end());
    logger->set_level(verbose ? spdlog::level::debug : spdlog::level::info);
    logger->flush_on(spdlog::level::warn);
    spdlog::set_default_logger(logger);
    if (!fileProblem.empty()) { spdlog::warn("cannot write logs under {}: {}", dir.string(), fileProblem); }
}

}  // namespace berth::app
