// berth-eci-socket: the engine socket allowed containers get (socket_proxy.h), started by the guest
// agent before dockerd (eci::services). Unix socket only: no TCP listener, ever.

#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>

#include "berth/contracts/guest_config.h"
#include "berth/guest/eci/paths.h"
#include "berth/guest/eci/policy.h"
#include "berth/guest/eci/socket_proxy.h"

namespace {

namespace eci = berth::guest::eci;

// Connections served at once; more wait in the listen backlog (a client cannot exhaust the guest).
constexpr int kMaxConnections = 256;

int fail(const std::string& what)
{
    std::cerr << "berth-eci-socket: " << what << ": " << std::strerror(errno) << "\n";
    return 1;
}

}  // namespace

int main(int argc, char** argv)
{
    const std::string configFile = argc > 1 ? argv[1] : eci::paths::kFwCfgConfig;
    const std::string socketPath = argc > 2 ? argv[2] : eci::kGuardedSocket;
    const std::string upstream = argc > 3 ? argv[3] : eci::kEngineSocket;
    std::string error;
    const auto config = berth::contracts::readGuestConfig(configFile, &error);
    if (!config) {
        std::cerr << "berth-eci-socket: " << error << "\n";
        return 1;
    }
    const eci::Policy policy = eci::Policy::fromGuestConfig(*config);
    ::signal(SIGPIPE, SIG_IGN);

    // The directory keeps everyone but root out; the socket itself is open to any ID, because a
    // container's root is an unprivileged ID in the VM and reaches it only through its bind mount.
    const std::string dir = socketPath.substr(0, socketPath.rfind('/'));
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(dir).parent_path(), ec);
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) { return fail("cannot create " + dir); }
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid()) {
        std::cerr << "berth-eci-socket: " << dir << " is not a directory of ours\n";
        return 1;
    }
    ::chmod(dir.c_str(), 0700);

    // Bound and listening under a temporary name, then renamed: the socket's path appearing is
    // the agent's readiness signal, so it must accept connections from that moment on.
    const std::string temp = socketPath + ".new";
    ::unlink(temp.c_str());
    sockaddr_un address{};
    if (temp.size() >= sizeof address.sun_path) {
        std::cerr << "berth-eci-socket: socket path too long: " << temp << "\n";
        return 1;
    }
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, temp.c_str(), temp.size() + 1);
    const int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener < 0) { return fail("socket"); }
    if (::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        return fail("cannot bind " + temp);
    }
    if (::chmod(temp.c_str(), 0666) != 0 || ::listen(listener, 128) != 0) { return fail("cannot listen on " + temp); }
    if (::rename(temp.c_str(), socketPath.c_str()) != 0) { return fail("cannot move the socket to " + socketPath); }
    std::cerr << "berth-eci-socket: serving " << socketPath << " for " << upstream
              << " (command list: " << policy.commandListType << " " << policy.commands.size() << " entries)\n";

    static std::atomic<int> active{0};
    for (;;) {
        const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) { continue; }
            return fail("accept");
        }
        if (active.load() >= kMaxConnections) {
            const std::string busy
                = eci::errorResponse(503, "enhanced container isolation: too many connections to the engine socket");
            (void)::send(fd, busy.data(), busy.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
            ::close(fd);
            continue;
        }
        ++active;
        try {
            std::thread([fd, &policy, &upstream] {
                eci::serveConnection(fd, policy, upstream);
                --active;
            }).detach();
        } catch (const std::system_error& e) {
            --active;
            ::close(fd);
            std::cerr << "berth-eci-socket: cannot serve a connection: " << e.what() << "\n";
        }
    }
}
