#include "engine.h"

#include "boot_steps.h"
#include "daemon_json.h"
#include "guest_system.h"

#include "berth/contracts/names.h"
#include "berth/contracts/shared_directories.h"
#include "berth/guest/eci.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <sstream>
#include <string_view>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using nlohmann::json;

namespace berth::guest::agent {

namespace {

constexpr const char* kDataMount = "/var/lib/docker";
constexpr const char* kLogDir = "/var/log/berth";
constexpr const char* kServicePath = "/usr/lib/berth/fixed-layout:/usr/sbin:/usr/bin:/sbin:/bin";

void mountOrFail(const char* source, const char* target, const char* type, unsigned long flags = 0,
                 const char* data = nullptr)
{
    guest::mkdirs(target);
    if (::mount(source, target, type, flags, data) != 0 && errno != EBUSY) {
        throw StepFailed{"mounting filesystems",
                         std::string("mount ") + type + " on " + target + ": " + std::strerror(errno)};
    }
}

}  // namespace

void setServicePath()
{
    ::setenv("PATH", kServicePath, 1);
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

namespace {

void loadModules()
{
    // The kernel's own module requests go through berth-modprobe (module_request_main.cpp).
    if (!guest::writeKernelSetting("/proc/sys/kernel/modprobe", "/usr/lib/berth/bin/berth-modprobe")) {
        guest::log(std::string("cannot make berth-modprobe the kernel's module helper (") + std::strerror(errno)
                   + "); modprobe stays");
    }
    // Everything else is loaded on demand by the kernel (request_module runs the root's modprobe).
    // iptables is the legacy backend (build-guest-image.sh): nothing here uses nf_tables.
    const std::vector<std::string> modules
        = {"virtio_console", "qemu_fw_cfg", "virtio_net", "virtio_rng", "button", "evdev", "overlay", "bridge",
           "br_netfilter", "veth", "nf_nat", "nf_conntrack", "xt_conntrack", "xt_MASQUERADE", "xt_addrtype",
           "ip_tables", "iptable_nat", "iptable_filter",
           // Reports freed memory to QEMU, which returns it to the host.
           "virtio_balloon",
           // The host's shared directories (built into trixie's kernel, a module in others).
           "virtiofs"};
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
            channel().setPhase("data disk repaired by fsck after an unclean stop");
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
        if (shutdownRequested()) { throw StepFailed{"starting " + name, "shutdown requested during boot"}; }
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

// The host's shared directories, each at its own path, before anything that runs containers
// starts. nosuid and nodev: a host file must not become a set-user-ID program or a device of the
// VM's. A share that cannot be mounted ends the boot: the engine must not run with bind mounts
// that would silently reach empty VM folders instead of the user's files.
void mountSharedDirectories(const contracts::GuestConfig& config)
{
    if (config.sharedDirectories.empty()) { return; }
    enterPhase("mounting shared directories");
    for (std::size_t index = 0; index < config.sharedDirectories.size(); ++index) {
        const std::string& path = config.sharedDirectories[index];
        const std::string tag = contracts::sharedDirectoryTag(index);
        if (const std::string problem = contracts::sharedDirectoryError(path); !problem.empty()) {
            throw StepFailed{"mounting shared directories", problem};  // parseGuestConfig refused it already
        }
        if (!guest::mkdirs(path, 0755)) {
            throw StepFailed{"mounting shared directories", "cannot create " + path + ": " + std::strerror(errno)};
        }
        if (::mount(tag.c_str(), path.c_str(), "virtiofs", MS_NOSUID | MS_NODEV, nullptr) != 0) {
            throw StepFailed{"mounting shared directories",
                             "mount virtiofs " + tag + " on " + path + ": " + std::strerror(errno)};
        }
        guest::log("shared from the host: " + path);
    }
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

}  // namespace

contracts::GuestConfig bootEngine()
{
    enterPhase("loading modules");
    loadModules();
    enterPhase("network");
    bringUpNetwork();
    enterPhase("reading guest config");
    const contracts::GuestConfig config = readGuestConfig();
    prepareDataDisk();
    mountSharedDirectories(config);
    enterPhase("preparing container isolation");
    if (const std::string problem = berth::guest::eci::prepareBoot(config); !problem.empty()) {
        // Fail closed: an engine that cannot isolate as configured does not start.
        throw StepFailed{"preparing container isolation", problem};
    }

    enterPhase("writing the engine configuration");
    const bool haveTls = installTls();
    const json eciOptions = berth::guest::eci::daemonOptions(config);
    const json daemon = guest::daemonJson(config, eciOptions, haveTls);
    if (!config.engineProxy.http.empty() || !config.engineProxy.https.empty()) {
        guest::log("the engine pulls and pushes through a proxy");
    }
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
    const pid_t dockerd = startService("dockerd", guest::dockerdCommand(config.engineProxy, "/etc/docker/daemon.json"));
    waitForService("dockerd", dockerd, std::string(kLogDir) + "/dockerd.log", 300s,
                   [] { return guest::unixHttp(guest::kEngineSocket, "GET", "/_ping", 2s).body == "OK"; });
    if (config.exposeDockerApiOnTcp2375) { startUnsafeTcpRelay(); }
    return config;
}

void loadChannelDrivers()
{
    runCommand({"/usr/sbin/modprobe", "-a", "virtio_console", "button", "evdev"}, 30s);
    log("channel drivers loaded");
}

void stopEngine(std::chrono::seconds dockerdGrace)
{
    std::vector<Service> services;
    {
        std::lock_guard lock(g_servicesMutex);
        services = g_services;
    }
    for (auto it = services.rbegin(); it != services.rend(); ++it) {
        stopService(*it, it->name == "dockerd" ? dockerdGrace : 5s);
    }
}

void releaseDataDisk()
{
    if (::umount2(kDataMount, 0) == 0 || errno == EINVAL) { return; }
    log(std::string("unmounting the data disk: ") + std::strerror(errno) + "; stopping every process and retrying");
    ::kill(-1, SIGKILL);
    std::this_thread::sleep_for(200ms);  // the kernel needs a moment to release their files
    Children::reap();
    if (::umount2(kDataMount, 0) != 0 && errno != EINVAL) {
        ::mount(nullptr, kDataMount, nullptr, MS_REMOUNT | MS_RDONLY, nullptr);
        log(std::string("data disk still busy (") + std::strerror(errno) + "): remounted read-only");
    }
}

}  // namespace berth::guest::agent
