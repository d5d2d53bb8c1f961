// berth-eci-authz: the "berth-eci" authorization plugin (authz.h), started by the guest agent
// before dockerd (eci::services). It first does prepareBoot() itself, so the wrapper is in place
// of runc before the first API request can be authorized, then serves the plugin socket.

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "berth/contracts/guest_config.h"
#include "berth/guest/eci.h"
#include "berth/guest/eci/authz.h"
#include "berth/guest/eci/paths.h"
#include "berth/guest/eci/policy.h"
#include "berth/guest/eci/system_host.h"

namespace {

using berth::guest::eci::Policy;

constexpr std::size_t kMaxRequest = 8 * 1024 * 1024;  // dockerd forwards bodies up to 1 MiB, base64

void reply(int fd, int status, const std::string& body)
{
    const std::string head = "HTTP/1.1 " + std::to_string(status) + (status == 200 ? " OK" : " Error")
        + "\r\nContent-Type: application/vnd.docker.plugins.v1+json\r\nContent-Length: " + std::to_string(body.size())
        + "\r\nConnection: close\r\n\r\n";
    const std::string all = head + body;
    std::size_t done = 0;
    while (done < all.size()) {
        const ssize_t n = ::send(fd, all.data() + done, all.size() - done, MSG_NOSIGNAL);
        if (n <= 0) { return; }
        done += static_cast<std::size_t>(n);
    }
}

// One request per connection: "POST /AuthZPlugin.AuthZReq HTTP/1.1", Content-Length, the body.
void serve(int fd, const Policy& policy, const berth::guest::eci::MountVetting& mounts)
{
    std::string data;
    char buffer[65536];
    std::size_t headerEnd = std::string::npos;
    std::size_t length = 0;
    for (;;) {
        if (headerEnd == std::string::npos) {
            headerEnd = data.find("\r\n\r\n");
            if (headerEnd != std::string::npos) {
                std::istringstream headers(data.substr(0, headerEnd));
                std::string line;
                while (std::getline(headers, line)) {
                    for (auto& c : line) { c = static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }
                    if (line.rfind("content-length:", 0) == 0) {
                        try {
                            length = std::stoul(line.substr(15));
                        } catch (const std::exception&) {
                            length = kMaxRequest + 1;
                        }
                    }
                }
                if (length > kMaxRequest) { return reply(fd, 413, R"({"Err":"request too large"})"); }
            }
        }
        if (headerEnd != std::string::npos && data.size() >= headerEnd + 4 + length) { break; }
        if (data.size() > kMaxRequest) { return; }
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0) { return; }
        data.append(buffer, static_cast<std::size_t>(n));
    }
    std::istringstream requestLine(data.substr(0, data.find("\r\n")));
    std::string method;
    std::string path;
    requestLine >> method >> path;
    const auto answer = berth::guest::eci::handlePluginCall(policy, mounts, path, data.substr(headerEnd + 4, length));
    if (!answer) { return reply(fd, 404, R"({"Err":"unknown plugin call"})"); }
    reply(fd, 200, answer->dump());
}

}  // namespace

int main(int argc, char** argv)
{
    const std::string configFile = argc > 1 ? argv[1] : berth::guest::eci::paths::kFwCfgConfig;
    // Without the plugin dockerd refuses every request: ECI fails closed on each error below.
    std::string error;
    const auto config = berth::contracts::readGuestConfig(configFile, &error);
    if (!config) {
        std::cerr << "berth-eci-authz: " << error << "\n";
        return 1;
    }
    if (const std::string problem = berth::guest::eci::prepareBoot(*config); !problem.empty()) {
        std::cerr << "berth-eci-authz: " << problem << "\n";
        return 1;
    }
    const Policy policy = Policy::fromGuestConfig(*config);
    const berth::guest::eci::SystemHostView host;
    const berth::guest::eci::DiskEngineState engine(berth::guest::eci::paths::kDockerRoot);
    const berth::guest::eci::MountVetting mounts(engine, host, berth::guest::eci::paths::kDockerRoot,
                                                 policy.sharedDirectories);
    ::signal(SIGPIPE, SIG_IGN);

    const std::string socketPath = berth::guest::eci::kAuthzSocket;
    std::filesystem::create_directories(std::filesystem::path(socketPath).parent_path());
    ::unlink(socketPath.c_str());
    const int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, socketPath.c_str(), sizeof address.sun_path - 1);
    const mode_t old = ::umask(0077);
    const bool bound = ::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::umask(old);
    if (listener < 0 || !bound || ::listen(listener, 64) != 0) {
        std::cerr << "berth-eci-authz: cannot listen on " << socketPath << ": " << std::strerror(errno) << "\n";
        return 1;
    }
    std::cerr << "berth-eci-authz: serving " << socketPath << "\n";
    for (;;) {
        const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) { continue; }
            std::cerr << "berth-eci-authz: accept: " << std::strerror(errno) << "\n";
            return 1;
        }
        timeval timeout{5, 0};  // a stuck client must not hold up every other request
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
        serve(fd, policy, mounts);
        ::close(fd);
    }
}
