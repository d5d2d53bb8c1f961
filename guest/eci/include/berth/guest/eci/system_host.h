#pragma once

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
};

std::vector<IdMapping> parseIdMap(const std::string& text);

}  // namespace berth::guest::eci
