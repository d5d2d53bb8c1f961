#pragma once

// What the guest agent needs from the system as PID 1: a log on the serial console, files,
// child processes whose exit statuses it collects itself (PID 1 reaps every orphan too), and
// HTTP over the engine's unix socket.

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace berth::guest {

// "[  12.345] berth-agent: ..." on the console (the host's serial.log).
void log(const std::string& message);
double uptimeSeconds();

std::optional<std::string> readFile(const std::string& path);
bool writeFile(const std::string& path, const std::string& content, mode_t mode = 0644);
// Writes `value` to a kernel setting under /proc/sys, in place (writeFile's rename cannot be used
// there); false with errno set when the kernel refused.
bool writeKernelSetting(const std::string& path, const std::string& value);
std::string tailOfFile(const std::string& path, std::size_t maxBytes = 4096);
bool mkdirs(const std::string& path, mode_t mode = 0755);

// Sets CLOCK_REALTIME to `unixMillis`; false with errno set when the kernel refused.
bool setRealtimeClock(long long unixMillis);

// Children: started here, reaped by the main loop (onSigchld), waited for from any thread.
class Children {
public:
    // How the child's addresses are laid out. Fixed: the agent's own short-lived system tools,
    // which QEMU's TCG runs several times faster without randomization (the code it translated
    // for one run serves the next); services and everything they start stay Randomized.
    enum class Layout { Randomized, Fixed };
    // stdout and stderr go to logFile (appended); stdin is /dev/null. -1 when fork/exec failed.
    static pid_t spawn(const std::vector<std::string>& argv, const std::string& logFile,
                       Layout layout = Layout::Randomized);
    // Reaps every exited child; call when SIGCHLD arrives.
    static void reap();
    // The child's wait status once it exited, or nullopt at the deadline.
    static std::optional<int> waitFor(pid_t pid, std::chrono::milliseconds timeout);
    static bool running(pid_t pid);
};

struct CommandResult {
    int exitCode = -1;  // -1: could not run, or killed at the timeout
    std::string output;  // stdout and stderr, the last 16 KiB
};
// Runs a system tool to completion (killed after timeout), at a fixed layout (Children::Layout).
CommandResult runCommand(const std::vector<std::string>& argv,
                         std::chrono::milliseconds timeout = std::chrono::seconds(60));

// One HTTP/1.0 request over a unix socket. status 0 when the socket did not answer.
struct HttpResponse {
    int status = 0;
    std::string body;
};
HttpResponse unixHttp(const std::string& socketPath, const std::string& method, const std::string& target,
                      std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace berth::guest
