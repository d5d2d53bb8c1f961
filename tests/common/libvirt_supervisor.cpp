// berth_test_libvirt_supervisor: starts virtlogd and libvirtd for a test when their sockets are
// silent, as their parent, and stops them when the test ends, however it ends.
//
// It is a child subreaper, so the daemons (which daemonize) and every process they orphan stay its
// children: it reaps them at once. A host whose PID 1 reaps orphans late (a container's or a
// microVM's init) otherwise keeps each QEMU that libvirt launched to examine its capabilities as a
// zombie, and libvirt, which waits for that QEMU to be gone, loses seconds per probe.
//
// A host without udev (a container) leaves /dev/kvm 0600 root:root. libvirt's QEMU user cannot open
// it while libvirt's capability probe can, so libvirt deems its cached capabilities stale at every
// lookup and examines QEMU again: 48 times for one start, measured, which on a loaded machine took
// longer than Berth waits. Users' machines have udev's 0660 root:kvm, and so, while the daemons we
// started run, does this one; the old owner and mode come back when they stop.
//
// libvirtd logs its QEMU driver to libvirtd.log in the supervisor's directory, for the test to
// print when a domain does not start.
//
// Protocol, one line each on stdout: "log <path>" and "started <program> <pid>" per daemon it
// started, "kvm <what changed>" when it gave /dev/kvm udev's access, then "ready" or "error <why>";
// when stopping, "stopped <program> <pid>" or "could not stop <program> <pid>", "kvm restored".
// It stops what it started when its stdin closes (the test closed it, exited, or was killed) or on
// SIGTERM, SIGINT or SIGHUP (SIGTERM also comes when the test dies: parent-death signal), then
// ends the processes the daemons left (the QEMU of a domain that outlived libvirtd) and exits.

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct Daemon {
    const char* program;
    const char* socket;
    pid_t pid = 0;  // started by us
};

int g_signals = -1;  // signalfd: SIGCHLD, SIGTERM, SIGINT, SIGHUP
sigset_t g_mask;
bool g_stopRequested = false;

void say(const std::string& line)
{
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
}

bool answers(const char* path)
{
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) { return false; }
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path, sizeof(address.sun_path) - 1);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    ::close(fd);
    return ok;
}

std::string findProgram(const char* name)
{
    for (const char* dir : {"/usr/sbin", "/sbin", "/usr/bin"}) {
        const std::string path = std::string(dir) + "/" + name;
        if (::access(path.c_str(), X_OK) == 0) { return path; }
    }
    return {};
}

// The daemon's foreground process, whose exit status tells whether it came up.
pid_t g_foreground = 0;
bool g_foregroundEnded = false;
int g_foregroundStatus = 0;

// Reaps every child that has ended.
void reapChildren()
{
    for (;;) {
        int status = 0;
        const pid_t pid = ::waitpid(-1, &status, WNOHANG);
        if (pid <= 0) { return; }
        if (pid == g_foreground) {
            g_foregroundEnded = true;
            g_foregroundStatus = status;
        }
    }
}

// Waits for signals until `deadline`, reaping children; returns early once `done()` holds.
template <typename Done> bool waitUntil(Clock::time_point deadline, Done done)
{
    while (!done()) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) { return false; }
        pollfd fd{g_signals, POLLIN, 0};
        // Sockets and pid files give no event to wait for: look again every 50 ms.
        if (::poll(&fd, 1, static_cast<int>(std::min<long long>(left, 50))) > 0) {
            signalfd_siginfo info{};
            while (::read(g_signals, &info, sizeof(info)) == sizeof(info)) {
                if (info.ssi_signo != SIGCHLD) { g_stopRequested = true; }
            }
        }
        reapChildren();
    }
    return true;
}

bool alive(pid_t pid)
{
    // Our children stay until reaped, so kill(0) alone would take a zombie for alive.
    reapChildren();
    return ::kill(pid, 0) == 0;
}

// /dev/kvm as udev's rule leaves it (GROUP="kvm", MODE="0660"), while our daemons run.
class UdevKvmAccess {
public:
    static constexpr const char* kDevice = "/dev/kvm";

    // Empty when nothing changed; else what did, for the report.
    std::string grant()
    {
        const group* kvm = ::getgrnam("kvm");
        if (!kvm || ::stat(kDevice, &m_before) != 0 || !S_ISCHR(m_before.st_mode)) { return {}; }
        const mode_t mode = m_before.st_mode & 07777;
        if (m_before.st_gid == kvm->gr_gid && (mode & 0060) == 0060) { return {}; }
        m_changed = true;
        if (::chown(kDevice, m_before.st_uid, kvm->gr_gid) != 0 || ::chmod(kDevice, mode | 0060) != 0) {
            restore();
            return {};
        }
        char text[160];
        std::snprintf(text, sizeof(text),
                      "%s was 0%o uid %u gid %u; the kvm group may open it now, as udev's rule says", kDevice,
                      static_cast<unsigned>(mode), static_cast<unsigned>(m_before.st_uid),
                      static_cast<unsigned>(m_before.st_gid));
        return text;
    }

    // True when it put back what grant() changed.
    bool restore()
    {
        if (!m_changed) { return false; }
        m_changed = false;
        return ::chown(kDevice, m_before.st_uid, m_before.st_gid) == 0
            && ::chmod(kDevice, m_before.st_mode & 07777) == 0;
    }

private:
    struct stat m_before {};
    bool m_changed = false;
};

std::string start(Daemon& daemon, const std::string& pidDir)
{
    if (answers(daemon.socket)) { return {}; }
    const std::string path = findProgram(daemon.program);
    if (path.empty()) { return std::string(daemon.program) + " is not installed"; }
    const std::string pidFile = pidDir + "/" + daemon.program + ".pid";
    g_foregroundEnded = false;
    const pid_t child = g_foreground = ::fork();
    if (child < 0) { return std::string("fork: ") + std::strerror(errno); }
    if (child == 0) {
        ::sigprocmask(SIG_UNBLOCK, &g_mask, nullptr);
        const int null = ::open("/dev/null", O_RDWR);
        ::dup2(null, STDIN_FILENO);
        ::dup2(null, STDOUT_FILENO);  // the test reads our stdout; the daemon's output goes to its log
        const std::string log = "1:file:" + pidDir + "/" + daemon.program + ".log";
        ::setenv("LIBVIRT_LOG_OUTPUTS", log.c_str(), 1);
        ::setenv("LIBVIRT_LOG_FILTERS",
                 "1:qemu.qemu_process 1:qemu.qemu_capabilities 1:qemu.qemu_driver 1:util.command 3:*", 1);
        ::execl(path.c_str(), daemon.program, "-d", "--pid-file", pidFile.c_str(), static_cast<char*>(nullptr));
        std::_Exit(127);
    }
    // The foreground process exits once the daemon is up; the daemon stays our child.
    if (!waitUntil(Clock::now() + 30s, [] { return g_foregroundEnded; })) {
        return std::string(daemon.program) + " -d did not return within 30 s";
    }
    if (!WIFEXITED(g_foregroundStatus) || WEXITSTATUS(g_foregroundStatus) != 0) {
        return std::string(daemon.program) + " -d failed (see its messages above)";
    }
    if (!waitUntil(Clock::now() + 30s, [&] { return answers(daemon.socket); })) {
        return std::string(daemon.program) + " started but " + daemon.socket + " does not answer";
    }
    std::ifstream in(pidFile);
    in >> daemon.pid;
    say("started " + std::string(daemon.program) + " " + std::to_string(daemon.pid));
    return {};
}

void stop(Daemon& daemon)
{
    if (daemon.pid <= 0) { return; }
    const std::string what = std::string(daemon.program) + " " + std::to_string(daemon.pid);
    ::kill(daemon.pid, SIGTERM);
    bool gone = waitUntil(Clock::now() + 15s, [&] { return !alive(daemon.pid); });
    if (!gone) {
        ::kill(daemon.pid, SIGKILL);
        gone = waitUntil(Clock::now() + 5s, [&] { return !alive(daemon.pid); });
    }
    say((gone ? "stopped " : "could not stop ") + what);
    daemon.pid = 0;
}

std::vector<pid_t> children()
{
    std::vector<pid_t> found;
    const std::string self = std::to_string(::getpid());
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
        const std::string name = entry.path().filename();
        if (name.find_first_not_of("0123456789") != std::string::npos) { continue; }
        std::ifstream stat(entry.path() / "stat");
        std::string line;
        std::getline(stat, line);
        const auto close = line.rfind(')');
        if (close == std::string::npos) { continue; }
        char state = 0;
        long parent = 0;
        if (std::sscanf(line.c_str() + close + 1, " %c %ld", &state, &parent) == 2 && std::to_string(parent) == self
            && state != 'Z') {
            found.push_back(static_cast<pid_t>(std::stol(name)));
        }
    }
    return found;
}

// What the daemons left behind became our children: a domain's QEMU outliving libvirtd.
void stopOrphans()
{
    for (const int signal : {SIGTERM, SIGKILL}) {
        const auto left = children();
        if (left.empty()) { return; }
        for (const pid_t pid : left) {
            say("ending process " + std::to_string(pid) + " left by the daemons");
            ::kill(pid, signal);
        }
        waitUntil(Clock::now() + 10s, [] { return children().empty(); });
    }
}

// Pid-file directories of supervisors that were killed (with their daemons) before cleaning up.
void removeStaleDirectories()
{
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator("/tmp", error)) {
        if (entry.path().filename().string().rfind("berth-test-libvirt-", 0) != 0 || !entry.is_directory(error)) {
            continue;
        }
        // One being set up now has no pid file yet, or a live one.
        bool stale = false;
        bool live = false;
        for (const char* program : {"virtlogd", "libvirtd"}) {
            std::ifstream in(entry.path() / (std::string(program) + ".pid"));
            pid_t pid = 0;
            if (in >> pid && pid > 0) { (::kill(pid, 0) == 0 ? live : stale) = true; }
        }
        if (stale && !live) { std::filesystem::remove_all(entry.path(), error); }
    }
}

}  // namespace

int main()
{
    std::signal(SIGPIPE, SIG_IGN);  // the test may be gone when we report
    const pid_t parent = ::getppid();
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    sigemptyset(&g_mask);
    for (const int signal : {SIGCHLD, SIGTERM, SIGINT, SIGHUP}) { sigaddset(&g_mask, signal); }
    ::sigprocmask(SIG_BLOCK, &g_mask, nullptr);
    g_signals = ::signalfd(-1, &g_mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (::getppid() != parent) {
        return 1;  // the test died before the parent-death signal was armed
    }

    removeStaleDirectories();
    char pidDirTemplate[] = "/tmp/berth-test-libvirt-XXXXXX";
    const char* pidDir = ::mkdtemp(pidDirTemplate);
    if (!pidDir || g_signals < 0) {
        say(std::string("error cannot prepare: ") + std::strerror(errno));
        return 1;
    }
    Daemon virtlogd{"virtlogd", "/run/libvirt/virtlogd-sock"};
    Daemon libvirtd{"libvirtd", "/run/libvirt/libvirt-sock"};
    UdevKvmAccess kvm;
    if (!answers(libvirtd.socket)) {
        if (const std::string changed = kvm.grant(); !changed.empty()) { say("kvm " + changed); }
        say("log " + std::string(pidDir) + "/libvirtd.log");
    }
    std::string error;
    for (Daemon* daemon : {&virtlogd, &libvirtd}) {
        if (error.empty() && !g_stopRequested) { error = start(*daemon, pidDir); }
    }
    say(error.empty() ? "ready" : "error " + error);

    // Until the test closes our stdin or a signal says stop.
    while (error.empty() && !g_stopRequested) {
        pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {g_signals, POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0 && errno != EINTR) { break; }
        if (fds[0].revents) {
            char buffer[256];
            if (::read(STDIN_FILENO, buffer, sizeof(buffer)) <= 0) { break; }
        }
        if (fds[1].revents) {
            signalfd_siginfo info{};
            while (::read(g_signals, &info, sizeof(info)) == sizeof(info)) {
                if (info.ssi_signo != SIGCHLD) { g_stopRequested = true; }
            }
            reapChildren();
        }
    }
    stop(libvirtd);
    stop(virtlogd);
    stopOrphans();
    if (kvm.restore()) { say("kvm restored"); }
    std::error_code ignored;
    std::filesystem::remove_all(pidDir, ignored);
    return 0;
}
