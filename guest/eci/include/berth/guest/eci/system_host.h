#pragma once

#include "berth/guest/eci/rootfs.h"
#include "berth/guest/eci/spec_rewrite.h"

namespace berth::guest::eci {

// HostView over the real filesystem and /proc (the VM, as the runtime wrapper sees it).
class SystemHostView : public HostView {
public:
    std::optional<FileId> fileId(const std::string& path) const override;
    std::string resolve(const std::string& path) const override;
    std::optional<FileId> hostNamespace(const std::string& procType) const override;
    std::vector<IdMapping> idMap(int pid, bool gid) const override;
    bool isForeignMount(const std::string& path) const override;
    std::optional<int> containerPid(const std::string& dockerRoot, const std::string& containerId) const override;
    // From /proc/self/mountinfo: the topmost mount at `path`, when it is a whole virtiofs export.
    std::optional<std::uint64_t> sharedDirectoryDevice(const std::string& path) const override;
};

std::vector<IdMapping> parseIdMap(const std::string& text);

// Of `mounts` (/proc/self/mountinfo), the one mounted at `path` that no other covers (mounted on
// it at the same place); the last such when a mount over a folder above left several; nullptr
// when none is mounted there.
const MountInfo* topmostMountAt(const std::vector<MountInfo>& mounts, const std::string& path);

}  // namespace berth::guest::eci
