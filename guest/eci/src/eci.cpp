#include "berth/guest/eci.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "berth/contracts/names.h"
#include "berth/guest/eci/authz.h"
#include "berth/guest/eci/id_allocator.h"
#include "berth/guest/eci/paths.h"
#include "berth/guest/eci/policy.h"
#include "berth/guest/eci/rootfs.h"
#include "berth/guest/eci/runtime_wrapper.h"
#include "berth/guest/eci/socket_proxy.h"

namespace berth::guest::eci {

namespace {

namespace fs = std::filesystem;

bool sameFile(const char* a, const char* b)
{
    struct stat sa {};
    struct stat sb {};
    return ::stat(a, &sa) == 0 && ::stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

std::string errnoText(const std::string& what)
{
    return what + ": " + std::strerror(errno);
}

// Debian's runc stays reachable for the wrapper; every other caller of /usr/sbin/runc gets the wrapper.
std::string replaceRunc()
{
    if (sameFile(paths::kDebianRunc, paths::kWrapper)) { return {}; }  // done earlier this boot
    if (!fs::exists(paths::kPreservedRunc)) {
        const int fd = ::open(paths::kPreservedRunc, O_WRONLY | O_CREAT | O_CLOEXEC, 0755);
        if (fd < 0) { return errnoText(std::string("cannot create ") + paths::kPreservedRunc); }
        ::close(fd);
        if (::mount(paths::kDebianRunc, paths::kPreservedRunc, nullptr, MS_BIND, nullptr) != 0) {
            return errnoText(std::string("cannot keep ") + paths::kDebianRunc);
        }
    }
    if (::mount(paths::kWrapper, paths::kDebianRunc, nullptr, MS_BIND, nullptr) != 0) {
        return errnoText(std::string("cannot put the isolating runtime in place of ") + paths::kDebianRunc);
    }
    return {};
}

std::string freeAllBlocks()
{
    try {
        reclaimBlocksOfPastBoots(paths::kStateDir);
    } catch (const std::exception& e) {
        return std::string("cannot reset the ID-block allocator: ") + e.what();
    }
    return {};
}

}  // namespace

std::string prepareBoot(const contracts::GuestConfig& guestConfig)
{
    const Policy policy = Policy::fromGuestConfig(guestConfig);
    std::string error = freeAllBlocks();
    if (!policy.enabled) {
        std::error_code ec;
        fs::remove(paths::kPolicyFile, ec);
        return error;
    }
    if (!error.empty()) { return error; }
    std::error_code ec;
    fs::create_directories(paths::kRunDir, ec);
    if (ec) { return std::string("cannot create ") + paths::kRunDir + ": " + ec.message(); }
    ::chmod(paths::kRunDir, 0711);
    {
        const std::string temp = std::string(paths::kPolicyFile) + ".tmp";
        std::ofstream out(temp, std::ios::trunc);
        out << policy.toJson().dump(1) << "\n";
        out.close();
        if (!out || ::rename(temp.c_str(), paths::kPolicyFile) != 0) {
            return std::string("cannot write ") + paths::kPolicyFile;
        }
    }
    return replaceRunc();
}

nlohmann::json daemonOptions(const contracts::GuestConfig& guestConfig)
{
    nlohmann::json options = {{"runtimes", {{contracts::kEciRuntime, {{"path", paths::kWrapper}}}}}};
    const Policy policy = Policy::fromGuestConfig(guestConfig);
    if (policy.enabled) { options["default-runtime"] = contracts::kEciRuntime; }
    // Always: with ECI off the plugin still refuses binds of paths neither shared nor in the VM
    // ("Mounts denied"), and enforces blockDockerLoad.
    options["authorization-plugins"] = {kAuthzPluginName};
    return options;
}

std::vector<Service> services(const contracts::GuestConfig& guestConfig)
{
    const Policy policy = Policy::fromGuestConfig(guestConfig);
    // The plugin first: it prepares the boot, and dockerd refuses every request until it listens.
    const Service plugin{"berth-eci-authz", {paths::kAuthzProgram}, kAuthzSocket};
    if (!policy.enabled) { return {plugin}; }
    return {plugin, {"berth-eci-socket", {kSocketProxyProgram}, kGuardedSocket}};
}

}  // namespace berth::guest::eci
