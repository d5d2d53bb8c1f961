#include "guest_system.h"

#include "fixed_layout.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

namespace berth::guest {

namespace {

std::mutex g_logMutex;

std::mutex g_childMutex;
std::condition_variable g_childExited;
std::map<pid_t, std::optional<int>> g_children;  // ours: pid -> wait status once reaped

}  // namespace

double uptimeSeconds()
{
    timespec ts{};
    clock_gettime(CLOCK_BOOTTIME, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

void log(const std::string& message)
{
    char prefix[48];
    std::snprintf(prefix, sizeof prefix, "[%9.3f] berth-agent: ", uptimeSeconds());
    const std::string line = prefix + message + "\n";
    std::lock_guard lock(g_logMutex);
    // stderr is the console: the kernel started PID 1 with /dev/console as its standard streams.
    [[maybe_unused]] auto n = ::write(STDERR_FILENO, line.data(), line.size());
}

std::optional<std::string> readFile(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) { return std::nullopt; }
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
}

bool writeFile(const std::string& path, const std::string& content, mode_t mode)
{
    const std::string tmp = path + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) { return false; }
    bool ok = ::fchmod(fd, mode) == 0;
    std::size_t done = 0;
    while (ok && done < content.size()) {
        const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
        if (n < 0 && errno == EINTR) { continue; }
        ok = n > 0;
        if (ok) { done += static_cast<std::size_t>(n); }
    }
    ok = (::close(fd) == 0) && ok;
    return ok && ::rename(tmp.c_str(), path.c_str()) == 0;
}

bool writeKernelSetting(const std::string& path, const std::string& value)
{
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) { return false; }
    const ssize_t n = ::write(fd, value.data(), value.size());
    const int writeErrno = errno;
    ::close(fd);
    errno = writeErrno;
    return n == static_cast<ssize_t>(value.size());
}

std::string tailOfFile(const std::string& path, std::size_t maxBytes)
{
    const auto content = readFile(path);
    if (!content) { return {}; }
    return content->size() <= maxBytes ? *content : content->substr(content->size() - maxBytes);
}

bool mkdirs(const std::string& path, mode_t mode)
{
    std::string partial;
    std::istringstream parts(path);
    std::string part;
    while (std::getline(parts, part, '/')) {
        if (part.empty()) { continue; }
        partial += "/" + part;
        if (::mkdir(partial.c_str(), mode) != 0 && errno != EEXIST) { return false; }
    }
    return true;
}

pid_t Children::spawn(const std::vector<std::string>& argv, const std::string& logFile, Layout layout)
{
    std::vector<char*> args;
    for (const auto& arg : argv) { args.push_back(const_cast<char*>(arg.c_str())); }
    args.push_back(nullptr);
    // Registered under the lock before the child can exit, so reap() knows it is ours.
    std::lock_guard lock(g_childMutex);
    const pid_t pid = ::fork();
    if (pid < 0) { return -1; }
    if (pid == 0) {
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);  // the agent blocks signals for its signalfd
        ::setsid();
        const int in = ::open("/dev/null", O_RDONLY);
        const int out = logFile.empty() ? ::open("/dev/null", O_WRONLY)
                                        : ::open(logFile.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0640);
        if (in >= 0) { ::dup2(in, STDIN_FILENO); }
        if (out >= 0) {
            ::dup2(out, STDOUT_FILENO);
            ::dup2(out, STDERR_FILENO);
        }
        if (layout == Layout::Fixed) { fixAddressLayout(); }
        ::execv(args[0], args.data());
        std::fprintf(stderr, "cannot run %s: %s\n", args[0], std::strerror(errno));
        ::_exit(127);
    }
    g_children[pid] = std::nullopt;
    return pid;
}

void Children::reap()
{
    for (;;) {
        int status = 0;
        const pid_t pid = ::waitpid(-1, &status, WNOHANG);
        if (pid <= 0) { return; }
        std::lock_guard lock(g_childMutex);
        const auto it = g_children.find(pid);
        if (it != g_children.end()) {
            it->second = status;
            g_childExited.notify_all();
        }
    }
}

std::optional<int> Children::waitFor(pid_t pid, std::chrono::milliseconds timeout)
{
    // Reaps on its own too, so it works before the main loop runs and whichever thread waits.
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        reap();
        std::unique_lock lock(g_childMutex);
        const auto it = g_children.find(pid);
        if (it == g_children.end()) { return std::nullopt; }
        g_childExited.wait_for(lock, std::chrono::milliseconds(50), [&] { return it->second.has_value(); });
        if (it->second) {
            const int status = *it->second;
            g_children.erase(it);
            return status;
        }
        if (std::chrono::steady_clock::now() >= deadline) { return std::nullopt; }
    }
}

bool Children::running(pid_t pid)
{
    std::lock_guard lock(g_childMutex);
    const auto it = g_children.find(pid);
    return it != g_children.end() && !it->second.has_value();
}

CommandResult runCommand(const std::vector<std::string>& argv, std::chrono::milliseconds timeout)
{
    char path[] = "/run/berth/cmd.XXXXXX";
    const int fd = ::mkstemp(path);
    if (fd >= 0) { ::close(fd); }
    const std::string outputFile = fd >= 0 ? path : "";
    CommandResult result;
    const pid_t pid = Children::spawn(argv, outputFile, Children::Layout::Fixed);
    if (pid < 0) {
        result.output = "cannot start " + argv.front();
        return result;
    }
    auto status = Children::waitFor(pid, timeout);
    if (!status) {
        ::kill(pid, SIGKILL);
        status = Children::waitFor(pid, std::chrono::seconds(5));
        result.output
            = tailOfFile(outputFile, 16 * 1024) + "\n(killed after " + std::to_string(timeout.count() / 1000) + " s)";
    } else {
        result.exitCode = WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
        result.output = tailOfFile(outputFile, 16 * 1024);
    }
    if (!outputFile.empty()) { ::unlink(outputFile.c_str()); }
    return result;
}

HttpResponse unixHttp(const std::string& socketPath, const std::string& method, const std::string& target,
                      std::chrono::milliseconds timeout)
{
    HttpResponse response;
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) { return response; }
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socketPath.c_str());
    timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return response;
    }
    const std::string request = method + " " + target + " HTTP/1.0\r\nHost: docker\r\nContent-Length: 0\r\n\r\n";
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
        ::close(fd);
        return response;
    }
    std::string raw;
    char buffer[4096];
    for (;;) {
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0) { break; }
        raw.append(buffer, static_cast<std::size_t>(n));
        if (raw.size() > (1u << 20)) { break; }
    }
    ::close(fd);
    int status = 0;
    if (std::sscanf(raw.c_str(), "HTTP/%*s %d", &status) == 1) { response.status = status; }
    const auto bodyAt = raw.find("\r\n\r\n");
    if (bodyAt != std::string::npos) { response.body = raw.substr(bodyAt + 4); }
    return response;
}

bool setRealtimeClock(long long unixMillis)
{
    const timespec now{static_cast<time_t>(unixMillis / 1000), static_cast<long>((unixMillis % 1000) * 1000000)};
    return ::clock_settime(CLOCK_REALTIME, &now) == 0;
}

}  // namespace berth::guest
