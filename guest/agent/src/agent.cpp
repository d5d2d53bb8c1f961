// berth-guest-agent: PID 1 of Berth's guest. It sets the system up (filesystems, modules,
// network, the persistent data disk), writes the engine's configuration from the guest config
// on fw_cfg, starts containerd, ECI's services and dockerd, and speaks protocol v1 with the host
// over the virtio-serial port org.berth.agent.0 (vm/include/berth/vm/agent_protocol.h): phases,
// ready once the engine answers /_ping, errors with the failing step's log. On the host's
// "shutdown" or the ACPI power button it stops the engine (dockerd stops the containers with
// their stop timeouts), unmounts the data disk cleanly and powers off.
//
// Threads: the main thread owns the channel, the power button and SIGCHLD (it reaps every
// process, as PID 1 must); one worker thread runs the boot and then the shutdown, step by step.

#include "clock_step.h"
#include "daemon_json.h"
#include "guest_system.h"

#include "berth/contracts/guest_config.h"
#include "berth/contracts/names.h"
#include "berth/guest/eci.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/input.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <sstream>
#include <string_view>
#include <thread>

using namespace std::chrono_literals;
using nlohmann::json;
namespace guest = berth::guest;
namespace contracts = berth::contracts;

namespace {

constexpr const char* kPortName = "org.berth.agent.0";
constexpr const char* kDataMount = "/var/lib/docker";
constexpr const char* kLogDir = "/var/log/berth";
constexpr const char* kServicePath = "/usr/lib/berth/fixed-layout:/usr/sbin:/usr/bin:/sbin:/bin";
constexpr std::size_t kMaxLine = 64 * 1024;

// --- the channel to the host ---------------------------------------------------------------

class Channel {
public:
    void open();
    int fd() const { return m_fd; }
    bool connected() const
    {
        std::lock_guard lock(m_mutex);
        return m_connected;
    }
    void send(const json& message);
    // Remembered and replayed when the host (re)connects: hello, the last phase, ready or error.
    void setPhase(const std::string& name);
    void setOutcome(const json& message);
    void setState(const std::string& state);
    std::string state() const;
    // Polled: tracks the host connecting and disconnecting (POLLHUP while nobody listens).
    void onPoll(short revents);
    // Complete lines received; the rest is kept for the next read.
    std::vector<std::string> readLines();

private:
    void replay();

    int m_fd = -1;
    bool m_connected = false;
    std::string m_buffer;
    bool m_skipping = false;
    mutable std::mutex m_mutex;
    std::string m_phase;
    json m_outcome;
    std::string m_state = "booting";
};

void Channel::open()
{
    // virtio_console makes /sys/class/virtio-ports/vportNpM; there is no udev for the symlink.
    for (int attempt = 0; attempt < 500 && m_fd < 0; ++attempt) {
        if (DIR* dir = ::opendir("/sys/class/virtio-ports")) {
            while (const dirent* entry = ::readdir(dir)) {
                if (entry->d_name[0] == '.') { continue; }
                const auto name = guest::readFile(std::string("/sys/class/virtio-ports/") + entry->d_name + "/name");
                if (name && name->substr(0, name->find('\n')) == kPortName) {
                    m_fd = ::open((std::string("/dev/") + entry->d_name).c_str(),
                                  O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
                    break;
                }
            }
            ::closedir(dir);
        }
        if (m_fd < 0) { std::this_thread::sleep_for(10ms); }  // the port shows up asynchronously
    }
    guest::log(m_fd >= 0 ? "channel open"
                         : "no virtio-serial port org.berth.agent.0: the host cannot be told anything");
}

void Channel::send(const json& message)
{
    const std::string line = message.dump() + "\n";
    std::lock_guard lock(m_mutex);
    if (m_fd < 0 || !m_connected) { return; }
    std::size_t done = 0;
    for (int stalls = 0; done < line.size() && stalls < 200;) {
        const ssize_t n = ::write(m_fd, line.data() + done, line.size() - done);
        if (n > 0) {
            done += static_cast<std::size_t>(n);
        } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            ++stalls;
            pollfd pfd{m_fd, POLLOUT, 0};
            ::poll(&pfd, 1, 10);
        } else {
            return;
        }
    }
}

void Channel::setPhase(const std::string& name)
{
    guest::log("phase: " + name);
    {
        std::lock_guard lock(m_mutex);
        m_phase = name;
        m_state = "booting: " + name;
    }
    send({{"type", "phase"}, {"name", name}});
}

void Channel::setOutcome(const json& message)
{
    {
        std::lock_guard lock(m_mutex);
        m_outcome = message;
        m_state = message.value("type", "");
    }
    send(message);
}

void Channel::setState(const std::string& state)
{
    std::lock_guard lock(m_mutex);
    m_state = state;
}

std::string Channel::state() const
{
    std::lock_guard lock(m_mutex);
    return m_state;
}

void Channel::onPoll(short revents)
{
    const bool connected = (revents & POLLHUP) == 0;
    bool changed = false;
    {
        std::lock_guard lock(m_mutex);
        changed = connected != m_connected;
        m_connected = connected;
    }
    if (changed && connected) {
        guest::log("host connected");
        replay();
    }
}

void Channel::replay()
{
    send({{"type", "hello"}, {"version", 1}, {"agent", "berth-guest-agent"}, {"features", {"time"}}});
    std::string phase;
    json outcome;
    {
        std::lock_guard lock(m_mutex);
        phase = m_phase;
        outcome = m_outcome;
    }
    if (!phase.empty()) { send({{"type", "phase"}, {"name", phase}}); }
    if (!outcome.is_null()) { send(outcome); }
}

std::vector<std::string> Channel::readLines()
{
    std::vector<std::string> lines;
    char chunk[4096];
    for (;;) {
        const ssize_t n = ::read(m_fd, chunk, sizeof chunk);
        if (n <= 0) { break; }
        for (ssize_t i = 0; i < n; ++i) {
            if (chunk[i] == '\n') {
                if (!m_skipping) { lines.push_back(m_buffer); }
                m_buffer.clear();
                m_skipping = false;
            } else if (!m_skipping) {
                m_buffer.push_back(chunk[i]);
                if (m_buffer.size() > kMaxLine) {  // refuse, without buffering the rest of the line
                    m_buffer.clear();
                    m_skipping = true;
                    send({{"type", "error"}, {"step", "channel"}, {"message", "request line over 64 KiB"}});
                }
            }
        }
    }
    return lines;
}

Channel g_channel;

// --- steps ---------------------------------------------------------------------------------

struct StepFailed {
    std::string step;
    std::string message;
};

std::atomic<bool> g_shutdownRequested{false};
std::atomic<int> g_shutdownTimeoutSeconds{20};

// Each boot step starts here: a shutdown asked for during boot ends it before the next step, so
// nothing more is started, and the disk is unmounted before the power goes off.
void enterPhase(const std::string& name)
{
    if (g_shutdownRequested) { throw StepFailed{name, "shutdown requested during boot"}; }
    g_channel.setPhase(name);
}

void mountOrFail(const char* source, const char* target, const char* type, unsigned long flags = 0,
                 const char* data = nullptr)
{
    guest::mkdirs(target);
    if (::mount(source, target, type, flags, data) != 0 && errno != EBUSY) {
        throw StepFailed{"mounting filesystems",
                         std::string("mount ") + type + " on " + target + ": " + std::strerror(errno)};
    }
}

void mountSystem()
{
    mountOrFail("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC);
    mountOrFail("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC);
    mountOrFail("cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC);
    mountOrFail("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
    mountOrFail("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
    mountOrFail("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620");
    mountOrFail("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
    // devtmpfs lacks these two links; a failure only costs the programs that use them.
    if (::symlink("/proc/self/fd", "/dev/fd") != 0 && errno != EEXIST) { guest::log("cannot link /dev/fd"); }
    if (::symlink("pts/ptmx", "/dev/ptmx") != 0 && errno != EEXIST) { guest::log("cannot link /dev/ptmx"); }
    // Traversable: container roots prepared below it are reached by runc inside user namespaces.
    guest::mkdirs("/run/berth", 0711);
    guest::mkdirs(kLogDir, 0750);
    if (::sethostname("berth", 5) != 0) { guest::log("cannot set the hostname"); }
}

void loadModules()
{
    // Everything else is loaded on demand by the kernel (request_module runs the root's modprobe).
    const std::vector<std::string> modules
        = {"virtio_console", "qemu_fw_cfg",   "virtio_net",    "virtio_rng", "button",     "evdev",
           "overlay",        "bridge",        "br_netfilter",  "veth",       "nf_nat",     "nf_conntrack",
           "xt_conntrack",   "xt_MASQUERADE", "xt_addrtype",   "nf_tables",  "nft_compat", "nft_chain_nat",
           "ip_tables",      "iptable_nat",   "iptable_filter"};
    std::vector<std::string> argv = {"/usr/sbin/modprobe", "-a", "-b"};
    argv.insert(argv.end(), modules.begin(), modules.end());
    const auto result = guest::runCommand(argv, 60s);
    if (result.exitCode != 0) { guest::log("modprobe reported: " + result.output); }
}

void bringUpNetwork()
{
    // QEMU's user network: fixed addresses, no DHCP round trip needed.
    const std::vector<std::vector<std::string>> commands = {
        {"/usr/sbin/ip", "link", "set", "lo", "up"},
        {"/usr/sbin/ip", "link", "set", "eth0", "up"},
        {"/usr/sbin/ip", "addr", "add", "10.0.2.15/24", "dev", "eth0"},
        {"/usr/sbin/ip", "route", "add", "default", "via", "10.0.2.2"},
    };
    for (const auto& command : commands) {
        const auto result = guest::runCommand(command, 10s);
        if (result.exitCode != 0) {
            throw StepFailed{"network", "'ip " + command[1] + " " + command[2] + "' failed: " + result.output};
        }
    }
    guest::writeFile("/etc/resolv.conf", "nameserver 10.0.2.3\n");
}

std::string diskWithSerial(const std::string& serial)
{
    std::string found;
    if (DIR* dir = ::opendir("/sys/block")) {
        while (const dirent* entry = ::readdir(dir)) {
            const auto value = guest::readFile(std::string("/sys/block/") + entry->d_name + "/serial");
            if (value && value->substr(0, value->find('\n')) == serial) {
                found = std::string("/dev/") + entry->d_name;
            }
        }
        ::closedir(dir);
    }
    return found;
}

// The serial of the data disk the host attached (berth.data_disk=<serial> on the kernel command
// line); empty when it attached none, or is older and does not say.
std::string attachedDataDisk()
{
    constexpr std::string_view kEy = "berth.data_disk=";
    std::istringstream words(guest::readFile("/proc/cmdline").value_or(""));
    for (std::string word; words >> word;) {
        if (word.rfind(kEy, 0) == 0) { return word.substr(kEy.size()); }
    }
    return {};
}

// The data disk's device. One the host attached is waited for: a disk seen late must never leave
// Docker's data in memory, where it is lost at power off while the user's disk sits unused.
std::string findDataDisk()
{
    const std::string attached = attachedDataDisk();
    std::string device = diskWithSerial(attached.empty() ? "berth-data" : attached);
    if (!device.empty() || attached.empty()) { return device; }
    const auto began = std::chrono::steady_clock::now();
    while (device.empty() && std::chrono::steady_clock::now() - began < 60s) {
        std::this_thread::sleep_for(100ms);
        device = diskWithSerial(attached);
    }
    const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began);
    if (device.empty()) {
        throw StepFailed{"data disk",
                         "the data disk the host attached (serial " + attached
                             + ") did not appear in the VM within 60 s; nothing was written to it"};
    }
    guest::log("the data disk " + device + " appeared " + std::to_string(waited.count()) + " ms after the first look");
    return device;
}

// Formats the data disk on first boot; otherwise checks it (replaying the ext4 journal after an
// unclean stop). Then mounts it at /var/lib/docker and grows the filesystem to the disk.
void prepareDataDisk()
{
    const std::string device = findDataDisk();
    if (device.empty()) {
        guest::log("no data disk attached: /var/lib/docker lives in memory and is lost at power off");
        return;
    }
    const auto probe = guest::runCommand({"/usr/sbin/blkid", "-p", "-o", "value", "-s", "TYPE", device}, 30s);
    const bool blank = probe.exitCode == 2;  // blkid: nothing found
    if (blank) {
        enterPhase("formatting the data disk (first start)");
        const auto mkfs = guest::runCommand({"/usr/sbin/mkfs.ext4", "-q", "-L", "berth-data", "-m", "0", "-E",
                                             "lazy_itable_init=1,lazy_journal_init=1", device},
                                            5min);
        if (mkfs.exitCode != 0) { throw StepFailed{"data disk", "mkfs.ext4 " + device + " failed: " + mkfs.output}; }
    } else {
        if (probe.output.find("ext4") == std::string::npos) {
            throw StepFailed{"data disk",
                             device + " holds '" + probe.output
                                 + "', not ext4; it was not touched. "
                                   "'berthctl reset --data' sets a new disk up (the old one is kept aside)."};
        }
        enterPhase("checking the data disk");
        // -p repairs what is safe to repair unattended; 1 means it did, 4 and up means it could not.
        const auto fsck = guest::runCommand({"/usr/sbin/e2fsck", "-p", device}, 10min);
        guest::log("e2fsck -p " + device + " exited " + std::to_string(fsck.exitCode) + ": " + fsck.output);
        if (fsck.exitCode < 0 || fsck.exitCode >= 4) {
            throw StepFailed{"data disk",
                             "e2fsck could not repair " + device + " (exit " + std::to_string(fsck.exitCode)
                                 + "): " + fsck.output
                                 + "\nThe disk was left as it is; 'berthctl reset --data' sets a new one up."};
        }
        if (fsck.exitCode != 0 || fsck.output.find("recovering journal") != std::string::npos) {
            g_channel.setPhase("data disk repaired by fsck after an unclean stop");
        }
    }
    guest::mkdirs(kDataMount, 0710);
    if (::mount(device.c_str(), kDataMount, "ext4", MS_NOATIME, "errors=remount-ro") != 0) {
        throw StepFailed{"data disk", "mount " + device + " on " + kDataMount + ": " + std::strerror(errno)};
    }
    // Grown mounted (ext4's online resize): unmounted, resize2fs refuses any filesystem mounted
    // since its last full check, which is every one here. A disk already filled is left alone.
    const auto grow = guest::runCommand({"/usr/sbin/resize2fs", device}, 10min);
    if (grow.exitCode != 0 || grow.output.find("is now") != std::string::npos) {
        guest::log("resize2fs " + device + " (exit " + std::to_string(grow.exitCode) + "): " + grow.output);
    }
}

// The config the host wrote (contracts::GuestConfig), or the boot ends naming what is wrong with it.
contracts::GuestConfig readGuestConfig()
{
    const auto raw = guest::readFile(contracts::kGuestConfigInGuest);
    if (!raw) {
        throw StepFailed{"reading guest config",
                         std::string(contracts::kGuestConfigInGuest) + " is missing (no fw_cfg "
                             + contracts::kGuestConfigFwCfg + ")"};
    }
    std::string error;
    auto config = contracts::parseGuestConfig(json::parse(*raw, nullptr, false), &error);
    if (!config) { throw StepFailed{"reading guest config", error}; }
    return *config;
}

bool installTls()
{
    const auto raw = guest::readFile(contracts::kGuestTlsInGuest);
    if (!raw) {
        guest::log("no TLS material on fw_cfg: the engine listens on its unix socket only");
        return false;
    }
    const json bundle = json::parse(*raw, nullptr, false);
    if (const auto problem = guest::checkTlsBundle(bundle); !problem.empty()) {
        throw StepFailed{"engine TLS", problem};
    }
    const guest::EngineTls tls;
    guest::mkdirs("/etc/docker/tls", 0700);
    if (!guest::writeFile(tls.caFile, bundle["ca"].get<std::string>(), 0644)
        || !guest::writeFile(tls.certFile, bundle["cert"].get<std::string>(), 0644)
        || !guest::writeFile(tls.keyFile, bundle["key"].get<std::string>(), 0600)) {
        throw StepFailed{"engine TLS", "cannot write /etc/docker/tls"};
    }
    return true;
}

struct Service {
    std::string name;
    pid_t pid = -1;
    std::string logFile;
};
std::vector<Service> g_services;  // in start order; stopped in reverse
std::mutex g_servicesMutex;

pid_t startService(const std::string& name, const std::vector<std::string>& argv)
{
    const std::string logFile = std::string(kLogDir) + "/" + name + ".log";
    const pid_t pid = guest::Children::spawn(argv, logFile);
    if (pid < 0) { throw StepFailed{"starting " + name, "cannot start " + argv.front()}; }
    std::lock_guard lock(g_servicesMutex);
    g_services.push_back({name, pid, logFile});
    return pid;
}

// Waits until `ready` holds, failing early when the service exits or shutdown is requested.
template <typename Ready>
void waitForService(const std::string& name, pid_t pid, const std::string& logFile, std::chrono::seconds limit,
                    Ready ready)
{
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!ready()) {
        if (!guest::Children::running(pid)) {
            throw StepFailed{"starting " + name,
                             name + " exited during start. Its log ends with:\n" + guest::tailOfFile(logFile)};
        }
        if (g_shutdownRequested) { throw StepFailed{"starting " + name, "shutdown requested during boot"}; }
        if (std::chrono::steady_clock::now() > deadline) {
            throw StepFailed{"starting " + name,
                             name + " did not become ready in " + std::to_string(limit.count())
                                 + " s. Its log ends with:\n" + guest::tailOfFile(logFile)};
        }
        std::this_thread::sleep_for(50ms);  // polling a local socket: there is no event to wait on
    }
}

// exposeDockerAPIOnTCP2375: dockerd's TLS settings cover all of its TCP listeners, so the
// unauthenticated one is this relay from :2375 to the engine's unix socket. The host forwards it
// from 127.0.0.1:2375 only, through QEMU's user network on eth0; the listener takes connections
// that arrive on eth0 alone (SO_BINDTODEVICE), so containers, whose traffic comes in on docker0
// or another bridge, cannot reach it even at the VM's own address. Nor by way of the host: QEMU's
// user network makes its gateway the host's loopback, where that forward listens, so container
// traffic to the gateway's port 2375 is dropped as it enters the VM (the raw table's PREROUTING
// sees forwarded packets only, before Docker's own chains; the VM's processes are not affected).
void relay(int a, int b)
{
    pollfd fds[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
    char buffer[16384];
    for (;;) {
        if (::poll(fds, 2, -1) < 0 && errno != EINTR) { break; }
        bool done = false;
        for (int i = 0; i < 2 && !done; ++i) {
            if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) { continue; }
            const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
            done = n <= 0;
            for (ssize_t sent = 0; !done && sent < n;) {
                const ssize_t w
                    = ::send(fds[1 - i].fd, buffer + sent, static_cast<std::size_t>(n - sent), MSG_NOSIGNAL);
                done = w <= 0;
                sent += w > 0 ? w : 0;
            }
        }
        if (done) { break; }
    }
    ::close(a);
    ::close(b);
}

void startUnsafeTcpRelay()
{
    const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int on = 1;
    ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(2375);
    addr.sin_addr.s_addr = inet_addr("10.0.2.15");
    static constexpr char kUplink[] = "eth0";
    const auto firewall = guest::runCommand({"/usr/sbin/iptables", "-t", "raw", "-I", "PREROUTING", "-d", "10.0.2.2/32",
                                             "-p", "tcp", "--dport", "2375", "-j", "DROP"},
                                            30s);
    if (firewall.exitCode != 0) {
        throw StepFailed{"exposing the engine on TCP 2375", "cannot keep containers from it: " + firewall.output};
    }
    if (listener < 0 || ::setsockopt(listener, SOL_SOCKET, SO_BINDTODEVICE, kUplink, sizeof kUplink) != 0
        || ::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listener, 16) != 0) {
        throw StepFailed{"exposing the engine on TCP 2375",
                         std::string("cannot listen on :2375: ") + std::strerror(errno)};
    }
    guest::log("UNSAFE: exposeDockerAPIOnTCP2375 is on; :2375 relays to the engine without TLS");
    std::thread([listener] {
        for (;;) {
            const int client = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
            if (client < 0) { continue; }
            const int engine = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
            sockaddr_un target{};
            target.sun_family = AF_UNIX;
            std::snprintf(target.sun_path, sizeof target.sun_path, "%s", guest::kEngineSocket);
            if (engine < 0 || ::connect(engine, reinterpret_cast<sockaddr*>(&target), sizeof target) != 0) {
                ::close(client);
                if (engine >= 0) { ::close(engine); }
                continue;
            }
            std::thread(relay, client, engine).detach();
        }
    }).detach();
}

contracts::GuestConfig boot()
{
    enterPhase("loading modules");
    loadModules();
    enterPhase("network");
    bringUpNetwork();
    enterPhase("reading guest config");
    const contracts::GuestConfig config = readGuestConfig();
    prepareDataDisk();
    enterPhase("preparing container isolation");
    if (const std::string problem = berth::guest::eci::prepareBoot(config); !problem.empty()) {
        // Fail closed: an engine that cannot isolate as configured does not start.
        throw StepFailed{"preparing container isolation", problem};
    }

    enterPhase("writing the engine configuration");
    const bool haveTls = installTls();
    const json eciOptions = berth::guest::eci::daemonOptions(config);
    const json daemon = guest::daemonJson(config, eciOptions, haveTls);
    if (!guest::writeFile("/etc/docker/daemon.json", daemon.dump(2) + "\n", 0644)) {
        throw StepFailed{"writing the engine configuration", "cannot write /etc/docker/daemon.json"};
    }

    enterPhase("starting containerd");
    const pid_t containerd = startService("containerd", {"/usr/bin/containerd"});
    waitForService("containerd", containerd, std::string(kLogDir) + "/containerd.log", 120s,
                   [] { return ::access(guest::kContainerdSocket, F_OK) == 0; });

    for (const auto& service : berth::guest::eci::services(config)) {
        enterPhase("starting " + service.name);
        const pid_t pid = startService(service.name, service.argv);
        if (!service.readyPath.empty()) {
            const std::string path = service.readyPath;
            waitForService(service.name, pid, std::string(kLogDir) + "/" + service.name + ".log", 60s,
                           [path] { return ::access(path.c_str(), F_OK) == 0; });
        }
    }

    enterPhase("starting dockerd");
    const pid_t dockerd = startService("dockerd", {"/usr/sbin/dockerd", "--config-file", "/etc/docker/daemon.json"});
    waitForService("dockerd", dockerd, std::string(kLogDir) + "/dockerd.log", 300s,
                   [] { return guest::unixHttp(guest::kEngineSocket, "GET", "/_ping", 2s).body == "OK"; });
    if (config.exposeDockerApiOnTcp2375) { startUnsafeTcpRelay(); }
    return config;
}

void stopService(const Service& service, std::chrono::seconds grace)
{
    if (!guest::Children::running(service.pid)) { return; }
    guest::log("stopping " + service.name);
    ::kill(service.pid, SIGTERM);
    if (!guest::Children::waitFor(service.pid, grace)) {
        guest::log(service.name + " did not stop in " + std::to_string(grace.count()) + " s: killing it");
        ::kill(-service.pid, SIGKILL);
        ::kill(service.pid, SIGKILL);
        guest::Children::waitFor(service.pid, 5s);
    }
}

[[noreturn]] void powerOff()
{
    ::sync();
    if (::umount2(kDataMount, 0) != 0 && errno != EINVAL) {
        guest::log(std::string("unmounting the data disk: ") + std::strerror(errno)
                   + "; stopping every process and retrying");
        ::kill(-1, SIGKILL);
        std::this_thread::sleep_for(200ms);  // the kernel needs a moment to release their files
        guest::Children::reap();
        if (::umount2(kDataMount, 0) != 0 && errno != EINVAL) {
            ::mount(nullptr, kDataMount, nullptr, MS_REMOUNT | MS_RDONLY, nullptr);
            guest::log(std::string("data disk still busy (") + std::strerror(errno) + "): remounted read-only");
        }
    }
    ::sync();
    guest::log("powering off");
    ::reboot(RB_POWER_OFF);
    for (;;) { ::pause(); }
}

// dockerd stops the containers itself on SIGTERM, each with its stop timeout (shutdown-timeout).
void shutdownAll()
{
    const auto budget = std::chrono::seconds(std::max(5, g_shutdownTimeoutSeconds.load() - 2));
    std::vector<Service> services;
    {
        std::lock_guard lock(g_servicesMutex);
        services = g_services;
    }
    for (auto it = services.rbegin(); it != services.rend(); ++it) {
        stopService(*it, it->name == "dockerd" ? budget : 5s);
    }
    powerOff();
}

void worker()
{
    try {
        const contracts::GuestConfig config = boot();
        g_channel.setOutcome({{"type", "ready"}, {"version", 1}, {"config", contracts::toJson(config)}});
        guest::log("engine ready");
    } catch (const StepFailed& failure) {
        guest::log("step '" + failure.step + "' failed: " + failure.message);
        if (!g_shutdownRequested) {
            g_channel.setOutcome({{"type", "error"}, {"step", failure.step}, {"message", failure.message}});
        }
    } catch (const std::exception& e) {
        g_channel.setOutcome({{"type", "error"}, {"step", "boot"}, {"message", e.what()}});
    }
    while (!g_shutdownRequested) { std::this_thread::sleep_for(100ms); }  // woken by shutdown()
    shutdownAll();
}

void requestShutdown(const std::string& why, int timeoutSeconds)
{
    if (g_shutdownRequested.exchange(true)) { return; }
    guest::log("shutdown: " + why);
    g_shutdownTimeoutSeconds = timeoutSeconds;
    g_channel.setState("shutting-down");
    g_channel.send({{"type", "shutting-down"}});
}

// The host sends its wall clock while the engine runs: the guest's own clock does not see the
// host's jump, nor the hours the host slept, and containers would then stamp files and check
// certificates with the wrong time.
void followHostClock(const json& request)
{
    if (!request.contains("unixMillis") || !request["unixMillis"].is_number_integer()) {
        g_channel.send(
            {{"type", "error"}, {"step", "channel"}, {"message", "time request without an integer \"unixMillis\""}});
        return;
    }
    const long long host = request["unixMillis"].get<long long>();
    const long long guest
        = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
              .count();
    const auto step = guest::clockStepMillis(guest, host);
    if (!step) { return; }
    if (guest::setRealtimeClock(host)) {
        guest::log("clock: set to the host's, a step of " + std::to_string(*step / 1000.0) + " s");
    } else {
        guest::log(std::string("clock: cannot set it to the host's: ") + std::strerror(errno));
    }
}

void handleRequest(const std::string& line)
{
    const json request = json::parse(line, nullptr, false);
    const std::string type = request.is_object() && request.contains("type") && request["type"].is_string()
        ? request["type"].get<std::string>()
        : "";
    if (type == "status") {
        g_channel.send({{"type", "status"}, {"state", g_channel.state()}});
    } else if (type == "shutdown") {
        int timeout = 20;
        if (request.contains("timeout") && request["timeout"].is_number_integer()) {
            timeout = std::clamp(request["timeout"].get<int>(), 1, 3600);
        }
        requestShutdown("requested by the host", timeout);
    } else if (type == "time") {
        followHostClock(request);
    } else {
        g_channel.send({{"type", "error"}, {"step", "channel"}, {"message", "unknown request: " + line.substr(0, 80)}});
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
    if (fds.empty()) { guest::log("no power button found: the ACPI power button will not stop the engine"); }
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

}  // namespace

int main()
{
    if (::getpid() != 1) {
        std::fprintf(stderr, "berth-guest-agent runs as PID 1 of Berth's VM, not on a host\n");
        return 2;
    }
    sigset_t signals;
    sigemptyset(&signals);
    for (int sig : {SIGCHLD, SIGTERM, SIGINT, SIGPWR}) { sigaddset(&signals, sig); }
    ::sigprocmask(SIG_BLOCK, &signals, nullptr);
    const int signalFd = ::signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);

    guest::log("starting (kernel up " + std::to_string(guest::uptimeSeconds()) + " s)");
    // Inherited by every service; dockerd finds iptables by name (fixed_layout_exec_main.cpp).
    ::setenv("PATH", kServicePath, 1);
    try {
        mountSystem();
    } catch (const StepFailed& failure) {
        guest::log(failure.message);
    }
    // The channel needs virtio_console; everything else loads in the worker.
    guest::runCommand({"/usr/sbin/modprobe", "-a", "virtio_console", "button", "evdev"}, 30s);
    guest::log("channel drivers loaded");
    g_channel.open();
    std::vector<int> buttons = openPowerButtons();

    std::thread(worker).detach();

    for (;;) {
        // While nobody listens the port reports POLLHUP at once: it is left out of the wait then
        // and checked without waiting after each round (at least every 200 ms).
        const bool listen = g_channel.fd() >= 0 && g_channel.connected();
        std::vector<pollfd> fds;
        fds.push_back({signalFd, POLLIN, 0});
        for (int fd : buttons) { fds.push_back({fd, POLLIN, 0}); }
        if (listen) { fds.push_back({g_channel.fd(), POLLIN, 0}); }
        if (::poll(fds.data(), fds.size(), 200) < 0 && errno != EINTR) { continue; }
        if (fds[0].revents & POLLIN) {
            signalfd_siginfo info{};
            bool terminate = false;
            while (::read(signalFd, &info, sizeof info) == sizeof info) {
                terminate = terminate || info.ssi_signo != SIGCHLD;
            }
            guest::Children::reap();
            if (terminate) { requestShutdown("signal", 20); }
        }
        for (std::size_t i = 1; i <= buttons.size(); ++i) {
            if ((fds[i].revents & POLLIN) && powerButtonPressed(fds[i].fd)) {
                requestShutdown("ACPI power button", 20);
            }
        }
        if (g_channel.fd() < 0) { continue; }
        pollfd channel{g_channel.fd(), POLLIN, 0};
        if (listen) {
            channel = fds.back();
        } else {
            ::poll(&channel, 1, 0);
        }
        g_channel.onPoll(channel.revents);
        if (channel.revents & POLLIN) {
            for (const auto& line : g_channel.readLines()) { handleRequest(line); }
        }
    }
}
