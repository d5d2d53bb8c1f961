#include "berth/guest/eci/system_host.h"

#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "berth/guest/eci/files.h"
#include "berth/guest/eci/rootfs.h"

namespace berth::guest::eci {

std::optional<FileId> SystemHostView::fileId(const std::string& path) const
{
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) { return std::nullopt; }
    return FileId{static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino)};
}

std::string SystemHostView::resolve(const std::string& path) const
{
    std::error_code ec;
    // weakly_canonical resolves the part that exists and cleans the rest lexically.
    auto resolved = std::filesystem::weakly_canonical(path, ec);
    if (ec) { return std::filesystem::path(path).lexically_normal().string(); }
    std::string out = resolved.string();
    while (out.size() > 1 && out.back() == '/') { out.pop_back(); }
    return out;
}

std::optional<FileId> SystemHostView::hostNamespace(const std::string& procType) const
{
    return fileId("/proc/1/ns/" + procType);
}

std::vector<IdMapping> SystemHostView::idMap(int pid, bool gid) const
{
    return parseIdMap(readFile("/proc/" + std::to_string(pid) + (gid ? "/gid_map" : "/uid_map")));
}

bool SystemHostView::isForeignMount(const std::string& path) const
{
    for (const auto& m : parseMountInfo(readFile("/proc/self/mountinfo"))) {
        if (m.mountPoint != path) { continue; }
        // A volume driver's own filesystem (tmpfs, NFS, CIFS) is fine; anything showing a part of
        // a VM filesystem (o=bind, or a block device) is a host mount in disguise.
        const bool ownFilesystem = m.root == "/"
            && (m.fsType == "tmpfs" || m.fsType == "nfs" || m.fsType == "nfs4" || m.fsType == "cifs"
                || m.fsType == "smb3");
        if (!ownFilesystem) { return true; }
    }
    return false;
}

std::optional<std::uint64_t> SystemHostView::sharedDirectoryDevice(const std::string& path) const
{
    const auto mounts = parseMountInfo(readFile("/proc/self/mountinfo"));
    const MountInfo* top = topmostMountAt(mounts, path);
    // The whole export of a virtiofs tag (the agent mounts it there), not a VM bind of a part of it.
    if (top == nullptr || top->fsType != "virtiofs" || top->root != "/") { return std::nullopt; }
    // And what the path shows: a mount over a folder above the share hides it.
    const auto shown = fileId(path);
    if (!shown || shown->device != top->device) { return std::nullopt; }
    return top->device;
}

std::optional<int> SystemHostView::containerPid(const std::string& dockerRoot, const std::string& containerId) const
{
    if (containerId.empty() || containerId.find('/') != std::string::npos || containerId == "."
        || containerId == "..") {
        return std::nullopt;
    }
    // Written by dockerd alone, after it started the container (and again when it stops).
    const auto config = readJsonFile(dockerRoot + "/containers/" + containerId + "/config.v2.json");
    if (!config.is_object() || !config.contains("State") || !config["State"].is_object()) { return std::nullopt; }
    const auto& state = config["State"];
    const auto running = state.find("Running");
    const auto pid = state.find("Pid");
    if (running == state.end() || *running != true || pid == state.end() || !pid->is_number_integer()
        || pid->get<long long>() <= 0 || pid->get<long long>() > 10'000'000) {
        return std::nullopt;
    }
    return static_cast<int>(pid->get<long long>());
}

const MountInfo* topmostMountAt(const std::vector<MountInfo>& mounts, const std::string& path)
{
    const MountInfo* top = nullptr;
    for (const auto& m : mounts) {
        if (m.mountPoint != path) { continue; }
        const bool covered = std::any_of(mounts.begin(), mounts.end(), [&](const MountInfo& other) {
            return other.parentId == m.id && other.mountPoint == path && other.id != m.id;
        });
        if (!covered) { top = &m; }
    }
    return top;
}

std::vector<IdMapping> parseIdMap(const std::string& text)
{
    std::vector<IdMapping> out;
    std::istringstream in(text);
    std::uint64_t inside = 0;
    std::uint64_t outside = 0;
    std::uint64_t size = 0;
    while (in >> inside >> outside >> size) {
        if (inside > UINT32_MAX || outside > UINT32_MAX || size > UINT32_MAX) { continue; }
        out.push_back({static_cast<std::uint32_t>(inside), static_cast<std::uint32_t>(outside),
                       static_cast<std::uint32_t>(size)});
    }
    return out;
}

}  // namespace berth::guest::eci
