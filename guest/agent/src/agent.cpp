// berth-guest-agent: PID 1 of Berth's guest. It speaks protocol v1 with the host over the
// virtio-serial port org.berth.agent.0 (berth/contracts/agent_protocol.h, shared with the host;
// protocol.h, channel.h): hello, boot phases, ready echoing the guest config it read from fw_cfg,
// or an error naming the failing step; it answers status, follows the host's clock, and on the
// host's "shutdown" or the ACPI power button powers off.
//
// Two modes, one program:
//   - the full guest (guest/image, no argument): it also sets the system up, prepares the data
//     disk and runs the engine (engine.h), which it stops before the power goes off;
//   - the test guest (guest/testguest, `--test-guest`, which only that guest's /init passes): the
//     protocol alone, with no engine, and the test hooks of the integration tests (test_hooks.h),
//     from the kernel command line. Every line sent and received is logged on the console.
//
// Threads: the main thread owns the channel, the power button and SIGCHLD (it reaps every
// process, as PID 1 must); one worker thread runs the boot and then the shutdown, step by step.

#include "boot_steps.h"
#include "clock_step.h"
#include "engine.h"
#include "guest_system.h"
#include "protocol.h"
#include "test_hooks.h"

#include "berth/contracts/guest_config.h"
#include "berth/contracts/names.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/input.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string_view>
#include <thread>
#include <variant>

using namespace std::chrono_literals;

namespace berth::guest::agent {

namespace {

enum class Mode { Engine, TestGuest };

// Set in main before the worker starts, read-only after.
Mode g_mode = Mode::Engine;
TestHooks g_hooks;
std::string g_hooksError;

Channel g_channel;
std::atomic<bool> g_shutdownRequested{false};
std::atomic<int> g_shutdownTimeoutSeconds{protocol::kDefaultShutdownSeconds};
// The worker sleeps on this once the boot is done: an idle guest wakes for nothing.
std::mutex g_shutdownMutex;
std::condition_variable g_shutdownWoken;

}  // namespace

Channel& channel()
{
    return g_channel;
}

bool shutdownRequested()
{
    return g_shutdownRequested;
}

void enterPhase(const std::string& name)
{
    if (g_shutdownRequested) { throw StepFailed{name, "shutdown requested during boot"}; }
    g_channel.setPhase(name);
}

contracts::GuestConfig readGuestConfig()
{
    std::string error;
    auto config = contracts::readGuestConfig(contracts::kGuestConfigInGuest, &error);
    if (!config) { throw StepFailed{"reading guest config", error}; }
    return *config;
}

namespace {

// The test guest's boot: the config, read as strictly as the full guest reads it, and the hooks.
contracts::GuestConfig bootTestGuest()
{
    if (!g_hooksError.empty()) { throw StepFailed{"test hooks", g_hooksError}; }
    enterPhase("reading guest config");
    const contracts::GuestConfig config = readGuestConfig();
    if (g_hooks.failBoot) { throw StepFailed{"boot", "the failBoot test hook is set"}; }
    return config;
}

[[noreturn]] void powerOff()
{
    ::sync();
    if (g_mode == Mode::Engine) { releaseDataDisk(); }
    ::sync();
    log("powering off");
    ::reboot(RB_POWER_OFF);
    for (;;) { ::pause(); }
}

void worker()
{
    try {
        const contracts::GuestConfig config = g_mode == Mode::Engine ? bootEngine() : bootTestGuest();
        if (g_hooks.silentBoot) {
            log("ready, but not saying so (silentBoot test hook)");
        } else {
            g_channel.setOutcome(protocol::Ready{protocol::kProtocolVersion, contracts::toJson(config)});
            log(g_mode == Mode::Engine ? "engine ready" : "ready");
        }
    } catch (const StepFailed& failure) {
        log("step '" + failure.step + "' failed: " + failure.message);
        if (!g_shutdownRequested) { g_channel.setOutcome(protocol::Error{failure.step, failure.message}); }
    } catch (const std::exception& e) {
        g_channel.setOutcome(protocol::Error{"boot", e.what()});
    }
    {
        std::unique_lock lock(g_shutdownMutex);
        g_shutdownWoken.wait(lock, [] { return g_shutdownRequested.load(); });  // requestShutdown() wakes it
    }
    if (g_mode == Mode::Engine) { stopEngine(std::chrono::seconds(std::max(5, g_shutdownTimeoutSeconds.load() - 2))); }
    powerOff();
}

// Called on the main thread only.
void requestShutdown(const std::string& why, int timeoutSeconds)
{
    if (g_hooks.ignoreShutdown) {
        log("ignoring shutdown request: " + why + " (ignoreShutdown test hook)");
        return;
    }
    if (g_shutdownRequested) { return; }
    log("shutdown: " + why);
    g_shutdownTimeoutSeconds = timeoutSeconds;
    g_channel.setState("shutting-down");
    // Said before the worker may act on it: with nothing to stop, the power goes off at once.
    g_channel.send(protocol::ShuttingDown{});
    {
        std::lock_guard lock(g_shutdownMutex);
        g_shutdownRequested = true;
    }
    g_shutdownWoken.notify_all();
}

// The host sends its wall clock while the engine runs: the guest's own clock does not see the
// host's jump, nor the hours the host slept, and containers would then stamp files and check
// certificates with the wrong time.
void followHostClock(long long host)
{
    const long long guest
        = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
              .count();
    const auto step = clockStepMillis(guest, host);
    if (!step) { return; }
    if (setRealtimeClock(host)) {
        log("clock: set to the host's, a step of " + std::to_string(*step / 1000.0) + " s");
    } else {
        log(std::string("clock: cannot set it to the host's: ") + std::strerror(errno));
    }
}

void handleLine(const LineReader::Line& line)
{
    if (line.tooLong) {
        g_channel.send(protocol::Error{"channel", "request line over 64 KiB"});
        return;
    }
    const Request request = readRequest(line.text);
    if (std::holds_alternative<protocol::StatusRequest>(request)) {
        g_channel.send(protocol::Status{g_channel.state()});
    } else if (const auto* shutdown = std::get_if<protocol::ShutdownRequest>(&request)) {
        requestShutdown("requested by the host", shutdown->timeoutSeconds);
    } else if (const auto* time = std::get_if<protocol::TimeRequest>(&request)) {
        followHostClock(time->unixMillis);
    } else if (const auto* bad = std::get_if<BadRequest>(&request)) {
        g_channel.send(protocol::Error{"channel", bad->message});
    }
}

std::vector<int> openPowerButtons()
{
    std::vector<int> fds;
    if (DIR* dir = ::opendir("/dev/input")) {
        while (const dirent* entry = ::readdir(dir)) {
            if (std::strncmp(entry->d_name, "event", 5) != 0) { continue; }
            const int fd
                = ::open((std::string("/dev/input/") + entry->d_name).c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
            if (fd < 0) { continue; }
            unsigned char keys[KEY_MAX / 8 + 1] = {};
            if (::ioctl(fd, EVIOCGBIT(EV_KEY, sizeof keys), keys) >= 0
                && (keys[KEY_POWER / 8] & (1u << (KEY_POWER % 8))) != 0) {
                fds.push_back(fd);
            } else {
                ::close(fd);
            }
        }
        ::closedir(dir);
    }
    if (fds.empty()) { log("no power button found: the ACPI power button will not stop the guest"); }
    return fds;
}

bool powerButtonPressed(int fd)
{
    input_event events[16];
    bool pressed = false;
    ssize_t n = 0;
    while ((n = ::read(fd, events, sizeof events)) > 0) {
        for (std::size_t i = 0; i < static_cast<std::size_t>(n) / sizeof(input_event); ++i) {
            pressed = pressed || (events[i].type == EV_KEY && events[i].code == KEY_POWER && events[i].value == 1);
        }
    }
    return pressed;
}

// The test guest's /init has mounted the kernel filesystems and loaded the drivers already.
void setUpTestGuest()
{
    g_mode = Mode::TestGuest;
    g_channel.setTrace(true);
    const auto hooks = parseTestHooks(readFile("/proc/cmdline").value_or(""), &g_hooksError);
    g_hooks = hooks.value_or(TestHooks{});
    std::string names;
    for (const auto& [on, name] :
         {std::pair{g_hooks.ignoreShutdown, "ignoreShutdown"}, std::pair{g_hooks.failBoot, "failBoot"},
          std::pair{g_hooks.silentBoot, "silentBoot"}}) {
        if (on) { names += std::string(names.empty() ? "" : ", ") + name; }
    }
    log("test guest mode (no engine); test hooks: " + (names.empty() ? std::string("none") : names));
}

void setUpFullGuest()
{
    setServicePath();
    try {
        mountSystem();
    } catch (const StepFailed& failure) {
        log(failure.message);
    }
    loadChannelDrivers();  // everything else loads in the worker
}

[[noreturn]] void run(bool testGuest)
{
    sigset_t signals;
    sigemptyset(&signals);
    for (int sig : {SIGCHLD, SIGTERM, SIGINT, SIGPWR}) { sigaddset(&signals, sig); }
    ::sigprocmask(SIG_BLOCK, &signals, nullptr);
    const int signalFd = ::signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);

    log("starting (kernel up " + std::to_string(uptimeSeconds()) + " s)");
    if (testGuest) {
        setUpTestGuest();
    } else {
        setUpFullGuest();
    }
    g_channel.open();
    std::vector<int> buttons = openPowerButtons();

    std::thread(worker).detach();

    for (;;) {
        // While nobody listens the port reports POLLHUP at once: it is left out of the wait then
        // and checked without waiting after each round (at least every 200 ms). While the host
        // listens, its hang-up is an event like any other, and an idle guest sleeps until one.
        const bool listen = g_channel.fd() >= 0 && g_channel.connected();
        std::vector<pollfd> fds;
        fds.push_back({signalFd, POLLIN, 0});
        for (int fd : buttons) { fds.push_back({fd, POLLIN, 0}); }
        if (listen) { fds.push_back({g_channel.fd(), POLLIN, 0}); }
        if (::poll(fds.data(), fds.size(), listen ? -1 : 200) < 0 && errno != EINTR) { continue; }
        if (fds[0].revents & POLLIN) {
            signalfd_siginfo info{};
            bool terminate = false;
            while (::read(signalFd, &info, sizeof info) == sizeof info) {
                terminate = terminate || info.ssi_signo != SIGCHLD;
            }
            Children::reap();
            if (terminate) { requestShutdown("signal", protocol::kDefaultShutdownSeconds); }
        }
        for (std::size_t i = 1; i <= buttons.size(); ++i) {
            if ((fds[i].revents & POLLIN) && powerButtonPressed(fds[i].fd)) {
                requestShutdown("ACPI power button", protocol::kDefaultShutdownSeconds);
            }
        }
        if (g_channel.fd() < 0) { continue; }
        pollfd port{g_channel.fd(), POLLIN, 0};
        if (listen) {
            port = fds.back();
        } else {
            ::poll(&port, 1, 0);
        }
        g_channel.onPoll(port.revents);
        if (port.revents & POLLIN) {
            for (const auto& line : g_channel.readLines()) { handleLine(line); }
        }
    }
}

}  // namespace

}  // namespace berth::guest::agent

int main(int argc, char** argv)
{
    if (::getpid() != 1) {
        std::fprintf(stderr, "berth-guest-agent runs as PID 1 of Berth's VM, not on a host\n");
        return 2;
    }
    // Only the test guest's /init passes an argument; the full guest's starts the agent bare.
    const bool testGuest = argc == 2 && std::string_view(argv[1]) == "--test-guest";
    if (argc > 1 && !testGuest) { berth::guest::log("unknown arguments ignored: the full guest's mode"); }
    berth::guest::agent::run(testGuest);
}
