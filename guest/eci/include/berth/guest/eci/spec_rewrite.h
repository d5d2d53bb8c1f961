#pragma once

// The heart of the runtime wrapper: checks an OCI bundle's config.json against the ECI policy and
// rewrites it so the container runs in its own user namespace. Pure logic over a HostView, so the
// unit tests feed it sample bundles and a fake host.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "berth/guest/eci/policy.h"

namespace berth::guest::eci {

inline constexpr std::uint32_t kIdBlockSize = 65536;

struct FileId {
    std::uint64_t device = 0;
    std::uint64_t inode = 0;
    bool operator==(const FileId&) const = default;
};

struct IdMapping {
    std::uint32_t containerId = 0;
    std::uint32_t hostId = 0;
    std::uint32_t size = 0;
    bool operator==(const IdMapping&) const = default;
};

// What the rewrite needs to know about the VM; production: the real filesystem and /proc.
class HostView {
public:
    virtual ~HostView() = default;
    // stat() following symlinks; nullopt when the path does not exist.
    virtual std::optional<FileId> fileId(const std::string& path) const = 0;
    // Symlinks resolved (realpath); a path that does not exist comes back lexically cleaned.
    virtual std::string resolve(const std::string& path) const = 0;
    // The VM's own namespace of a type ("pid", "net", "ipc", "uts", "mnt", "user", "cgroup").
    virtual std::optional<FileId> hostNamespace(const std::string& procType) const = 0;
    // /proc/<pid>/{uid,gid}_map of a process whose namespaces a container joins.
    virtual std::vector<IdMapping> idMap(int pid, bool gid) const = 0;
    // Whether a path is itself a mount point of something other than the data disk's own tree
    // (a local volume created with o=bind or a device): such a "volume" is a host mount in disguise.
    virtual bool isForeignMount(const std::string& path) const = 0;
    // The init process of a running Docker container, as dockerd recorded it
    // (<dockerRoot>/containers/<id>/config.v2.json); nullopt when not running or unknown. Its
    // namespaces tell whether another container joins that container's.
    virtual std::optional<int> containerPid(const std::string& dockerRoot, const std::string& containerId) const = 0;
    // The device (st_dev) of the host directory shared at `path` (contracts::GuestConfig::
    // sharedDirectories): that of the virtiofs file system mounted there, when it is the topmost
    // mount at `path` and is what stat(path) shows; nullopt when not mounted, or when a VM mount
    // covers it (over the share itself or over a folder above it).
    virtual std::optional<std::uint64_t> sharedDirectoryDevice(const std::string& path) const = 0;
};

// Where the engine keeps its things, and what must never reach a container.
struct EngineLayout {
    std::string dockerRoot = "/var/lib/docker";
    // The engine's sockets: bind-mounting any of them (or a directory holding one) hands out root.
    std::vector<std::string> engineSockets = {"/run/docker.sock", "/run/containerd/containerd.sock"};
    // Files Docker bind-mounts into containers itself (docker run --init; dockerd looks it up in
    // its PATH); a source that is one of them, or the same file, is allowed at /sbin/docker-init.
    std::vector<std::string> engineFiles
        = {"/usr/sbin/docker-init", "/usr/bin/docker-init", "/sbin/docker-init", "/bin/docker-init"};
    // Where an allowed container's socket mount is pointed instead (the command-list proxy);
    // empty: the engine socket itself.
    std::string guardedSocket;
    // berth-eci-init in the VM: a container that may change its mounts starts with it, so that
    // Docker's masks stay in place (mount_lock.h). Empty: containers start as the spec says.
    std::string mountLockInit;
    // Host directories shared into the VM at their own paths (virtiofs; the guest config's
    // sharedDirectories). A bind source inside one, on that share's own file system, is the
    // user's file, not the VM's: allowed, and staged ID-mapped (isOnSharedFilesystem).
    std::vector<std::string> sharedDirectories;
};

// What the wrapper found out about the container's image (from the engine's files on disk).
struct ContainerImage {
    std::string reference;  // as the user typed it, for messages; empty when not a Docker container
    bool socketAllowed = false;  // matches the imageList (or a derived image when that is allowed)
};

// A bind mount the wrapper stages in the VM's mount namespace for runc to bind from:
// - ID-mapped, so that the files on disk keep IDs 0..65535 whichever block the container runs
//   in: named volumes (and paths inside them), shared by containers of different blocks, and the
//   container's own hostname, hosts and resolv.conf, which its root may write as with plain Docker;
// - read-only, for every bind the spec asks to be read-only (":ro"): runc creates the container's
//   mount namespace from its user namespace, so the kernel locks the read-only flag of every
//   mount it copies, and runc's bind of the staged mount keeps that lock. A read-only bind runc
//   made inside the namespace itself would not have it.
// A path in a shared host directory is ID-mapped like a volume (container IDs 0..65535 are VM IDs
// 0..65535 on it: the container's root writes as the VM's root, the host user's files, VM ID
// 1000, are 1000 inside), and must be: when its file system refuses the mapping the container
// does not start, it never gets the share unmapped.
struct MappedBind {
    std::size_t mountIndex = 0;  // in spec["mounts"]
    std::string source;  // resolved: no symlinks, no ".."
    bool idMapped = true;
    bool readOnly = false;
    std::string sharedDirectory{};  // the shared directory the source lies in; empty for a VM path
    bool operator==(const MappedBind&) const = default;
};

struct RewriteResult {
    std::string error;  // empty when the spec was accepted and rewritten
    bool joined = false;  // shares another container's user namespace (no block of its own)
    std::uint32_t hostIdBase = 0;  // the block the container runs in
    std::vector<MappedBind> mappedBinds{};  // for the wrapper to mount and point the spec at
    explicit operator bool() const { return error.empty(); }
};

// Checks and rewrites `spec` (config.json) in place. allocateBlock() is called only once every
// check has passed and the container does not join another's user namespace; it returns the
// first host ID of a fresh block or throws std::runtime_error (exhausted). bundle: the runtime's
// --bundle, which tells a BuildKit executor run (<dockerRoot>/buildkit/executor/<id>) from a
// container of dockerd's (containerd's task directory).
RewriteResult rewriteSpec(nlohmann::json& spec, const std::string& containerId, const ContainerImage& image,
                          const EngineLayout& layout, const HostView& host,
                          const std::function<std::uint32_t()>& allocateBlock, const std::string& bundle = {});

// The shared directory (of `sharedDirectories`) that `path` lies in, or is; empty when none.
// `path` is compared by components, as it is written: resolve it first (HostView::resolve).
std::string sharedDirectoryOf(const std::string& path, const std::vector<std::string>& sharedDirectories);

// Whether `resolved` (a bind source with symlinks and ".." resolved in the VM) is a host user's
// file: inside `sharedDirectory`, and on that share's own file system (HostView::
// sharedDirectoryDevice), so neither a VM mount inside or over the share nor a way out of it. A
// path that does not exist yet (dockerd creates a missing -v source) is judged by the deepest
// part of it that does.
bool isOnSharedFilesystem(const std::string& resolved, const std::string& sharedDirectory, const HostView& host);

// The messages, in the wording of Sysbox and Docker Desktop so scripts and users recognise them.
std::string hostNamespacesMessage(const std::vector<std::string>& types);
std::string hostNetworkMessage();
std::string restrictedMountMessage(const std::string& source);
std::string socketMountDeniedMessage(const std::string& image);
// Docker Desktop's refusal of a bind source that is neither shared from the host nor in the VM,
// with where Berth's file sharing is configured.
std::string mountsDeniedMessage(const std::string& path);

}  // namespace berth::guest::eci
