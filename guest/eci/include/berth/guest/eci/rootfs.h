#pragma once

// The container's root filesystem as its user namespace needs it. Docker's overlay2 "merged" dir
// sits under /var/lib/docker/overlay2 (0710, root) and its files belong to host root, so a container
// whose root is host ID 100000 could neither reach nor write it. Like Sysbox on kernels >= 5.19, the
// wrapper mounts a second overlay of the same layers under /run/berth/eci/<id>/rootfs:
//   - every lower layer is an ID-mapped mount (host 0..65535 appear as base..base+65535),
//   - the upper layer (the container's own changes) is chowned by +base, and back by -base when
//     the container stops or pauses, so docker commit/diff/cp see IDs 0..65535,
//   - a fresh workdir beside Docker's (each overlay mount needs its own).
// Named volumes and the container's hostname/hosts/resolv.conf are bind-mounted ID-mapped the
// same way (stageBinds), so their files keep IDs 0..65535 on disk and containers in different
// blocks share them; read-only binds are staged read-only, so the kernel locks the flag.
// Where ID-mapped mounts are not possible (not overlay2 on ext4/xfs), the merged dir is bind-mounted
// there instead: the container runs, but root inside cannot write files owned by the image.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace berth::guest::eci {

struct MountInfo {
    int id = 0;
    int parentId = 0;
    std::string root;  // the part of the filesystem mounted here
    std::string mountPoint;
    std::string fsType;
    std::string source;
    std::string superOptions;  // per-superblock options (overlay: lowerdir=..., upperdir=..., workdir=...)
    std::uint64_t device = 0;  // the file system's st_dev (the "major:minor" field)
};

// /proc/self/mountinfo, with its octal escapes (\040) decoded.
std::vector<MountInfo> parseMountInfo(const std::string& text);

struct OverlayLayers {
    std::vector<std::string> lowers;  // topmost first
    std::string upper;
    std::string work;
};
// Overlay options as the kernel shows them; relative paths (Docker mounts with "l/XYZ" lowers
// from inside its overlay2 dir) are made absolute against relativeBase.
std::optional<OverlayLayers> overlayLayers(const std::string& superOptions, const std::string& relativeBase);

// Shifts owners of everything under dir (dir included): IDs in [0, 65536) by +base when `up`,
// IDs in [base, base+65536) by -base otherwise. Set-ID mode bits, which chown() clears, are put
// back. The tree is the container's to shape, so the walk goes from each directory's fd to its
// entries, follows no symlink (a link is shifted itself), and neither shifts nor enters anything
// on another mount (a mount point or bind planted in the upper layer, or another device).
void shiftOwnership(const std::string& dir, std::uint32_t base, bool up);

struct StagedRootfs {
    std::string path;  // the new root.path
    std::string upper;  // chowned upper dir, empty when none was chowned
    bool idMapped = false;
};

// Mounts the staged root for a container whose root is host ID `base`; throws std::runtime_error.
// stagingRoot: /run/berth/eci. rootPath: the bundle's root.path, made absolute.
StagedRootfs stageRootfs(const std::string& stagingRoot, const std::string& containerId, const std::string& rootPath,
                         std::uint32_t base);
struct BindToStage {
    std::string source;  // resolved: a symlink met on the way is an error, not followed
    bool idMapped = true;
    bool readOnly = false;
    // Set when the source lies in this shared host directory (virtiofs): it is opened from the
    // share's root without following a symlink, climbing out or crossing into another mount, and
    // is always ID-mapped: a file system that refuses the mapping is an error, never a plain bind.
    std::string sharedDirectory{};
};
// Mounts a copy of each source at <stagingRoot>/<containerId>/binds/<n>, a directory or a file
// like its source, ID-mapped into the block `base` where asked and read-only where asked, and
// returns those paths in order. An empty path: nothing to stage, because the source's filesystem
// cannot be ID-mapped (tmpfs before Linux 6.3) and the bind is not read-only; that bind keeps its
// source, which the container can read but not write as its root. A read-only bind is always
// staged (unmapped when mapping is impossible). A shared directory's source is the exception:
// mapped or an error. Call after stageRootfs, which clears leftovers.
// Throws std::runtime_error when a source cannot be opened or made read-only, or a shared
// directory's source cannot be ID-mapped (the message names the path).
std::vector<std::string> stageBinds(const std::string& stagingRoot, const std::string& containerId,
                                    const std::vector<BindToStage>& binds, std::uint32_t base);
// stageBinds of writable, ID-mapped binds.
std::vector<std::string> stageMappedBinds(const std::string& stagingRoot, const std::string& containerId,
                                          const std::vector<std::string>& sources, std::uint32_t base);

// Unmounts and removes what stageRootfs and stageMappedBinds made; harmless when nothing is there.
void unstageRootfs(const std::string& stagingRoot, const std::string& containerId);

}  // namespace berth::guest::eci
