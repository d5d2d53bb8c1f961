#include "berth/guest/eci/spec_rewrite.h"

#include "berth/guest/eci/mount_lock.h"

#include "berth/contracts/shared_directories.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string_view>

namespace berth::guest::eci {

namespace {

using nlohmann::json;

// Sysbox's rule: these must be the container's own; user and cgroup are added when missing.
constexpr std::array<std::string_view, 5> kRequiredNamespaces = {"pid", "ipc", "uts", "mount", "network"};

std::string procType(std::string_view ociType)
{
    if (ociType == "network") { return "net"; }
    if (ociType == "mount") { return "mnt"; }
    return std::string(ociType);
}

bool isUnder(std::string_view path, std::string_view dir)
{
    if (dir.empty()) { return false; }
    if (dir == "/") { return true; }
    return path == dir || (path.size() > dir.size() && path.substr(0, dir.size()) == dir && path[dir.size()] == '/');
}

// "/proc/<pid>/ns/<type>" -> pid, the form Docker uses for --net/--ipc/--pid=container:X.
std::optional<int> procNamespacePid(std::string_view path)
{
    constexpr std::string_view kPrefix = "/proc/";
    if (path.substr(0, kPrefix.size()) != kPrefix) { return std::nullopt; }
    path.remove_prefix(kPrefix.size());
    const auto slash = path.find('/');
    if (slash == 0 || slash == std::string_view::npos || path.substr(slash, 4) != "/ns/") { return std::nullopt; }
    int pid = 0;
    for (const char c : path.substr(0, slash)) {
        if (c < '0' || c > '9' || pid > 10'000'000) { return std::nullopt; }
        pid = pid * 10 + (c - '0');
    }
    return pid;
}

// Lexically normal, without a trailing slash: "/a/b/../c/" -> "/a/c".
std::string clean(const std::string& path)
{
    std::string out = std::filesystem::path(path).lexically_normal().string();
    while (out.size() > 1 && out.back() == '/') { out.pop_back(); }
    return out;
}

bool hasOption(const json& mount, std::string_view option)
{
    const auto options = mount.find("options");
    return options != mount.end() && options->is_array()
        && std::any_of(options->begin(), options->end(), [&](const json& o) { return o == option; });
}

bool isBindMount(const json& mount)
{
    if (mount.value("type", std::string()) == "bind") { return true; }
    const auto options = mount.find("options");
    if (options == mount.end() || !options->is_array()) { return false; }
    return std::any_of(options->begin(), options->end(), [](const json& o) { return o == "bind" || o == "rbind"; });
}

json mappingJson(const std::vector<IdMapping>& mappings)
{
    json out = json::array();
    for (const auto& m : mappings) {
        out.push_back({{"containerID", m.containerId}, {"hostID", m.hostId}, {"size", m.size}});
    }
    return out;
}

class Rewriter {
public:
    Rewriter(json& spec, const std::string& id, const ContainerImage& image, const EngineLayout& layout,
             const HostView& host, const std::string& bundle)
        : m_spec(spec),
          m_id(id),
          m_image(image),
          m_layout(layout),
          m_host(host)
    {
        // BuildKit's runc executor runs `runc run --bundle <root>/buildkit/executor/<id> <id>`;
        // dockerd's containers come through containerd's shim, whose bundle is its task directory.
        // The bundle is chosen by the engine, never by an API client.
        m_buildKitRun = !bundle.empty() && !id.empty() && id.find('/') == std::string::npos && id != "." && id != ".."
            && clean(m_host.resolve(bundle)) == m_layout.dockerRoot + "/buildkit/executor/" + id;
    }

    std::string checkNamespaces()
    {
        json& linux = m_spec["linux"];
        if (!linux.is_object()) { linux = json::object(); }
        json& namespaces = linux["namespaces"];
        if (!namespaces.is_array()) { namespaces = json::array(); }

        std::vector<std::string> shared;
        for (const auto type : kRequiredNamespaces) {
            const auto entry = std::find_if(namespaces.begin(), namespaces.end(),
                                            [&](const json& ns) { return ns.value("type", std::string()) == type; });
            if (entry == namespaces.end()) {
                shared.emplace_back(type);
                continue;
            }
            const std::string path = entry->value("path", std::string());
            if (path.empty()) { continue; }
            const auto target = m_host.fileId(path);
            const auto own = m_host.hostNamespace(procType(type));
            if (!target || (own && *target == *own)) {
                // A path that names nothing is refused too: runc would fail later and less clearly.
                if (type == "network") { return hostNetworkMessage(); }
                shared.emplace_back(type);
                continue;
            }
            const auto pid = procNamespacePid(path);
            if (!pid) {
                // Bind-mounted namespace files (libnetwork's sandboxes) belong to the engine's
                // user namespace; joining one would hand the container a host-owned namespace.
                if (type == "network") { return hostNetworkMessage(); }
                shared.emplace_back(type);
                continue;
            }
            if (m_joinPid && *m_joinPid != *pid) {
                const auto a = m_host.fileId("/proc/" + std::to_string(*m_joinPid) + "/ns/user");
                const auto b = m_host.fileId("/proc/" + std::to_string(*pid) + "/ns/user");
                if (!a || !b || !(*a == *b)) {
                    return "error in the container spec: invalid or unsupported container spec: the container "
                           "joins namespaces of containers that have different user namespaces";
                }
            }
            m_joinPid = *pid;
            m_joined[std::string(type)] = path;
        }
        // dockerd 26 leaves the network entry out for --network=host (20.10 names its bind of PID 1's).
        if (shared == std::vector<std::string>{"network"}) { return hostNetworkMessage(); }
        if (!shared.empty()) { return hostNamespacesMessage(shared); }
        return {};
    }

    std::string checkMounts()
    {
        json& mounts = m_spec["mounts"];
        if (mounts.is_null()) { mounts = json::array(); }
        if (!mounts.is_array()) { return "error in the container spec: mounts is not a list"; }
        for (std::size_t index = 0; index < mounts.size(); ++index) {
            json& mount = mounts[index];
            if (!isBindMount(mount)) { continue; }
            const std::string source = mount.value("source", std::string());
            const std::string resolved = clean(m_host.resolve(source));
            const auto sourceId = m_host.fileId(resolved);
            bool exactSocket = false;
            bool holdsSocket = false;
            for (const auto& socket : m_layout.engineSockets) {
                const std::string socketPath = clean(m_host.resolve(socket));
                const auto socketId = m_host.fileId(socketPath);
                if (resolved == socketPath || (sourceId && socketId && *sourceId == *socketId)) {
                    exactSocket = true;
                } else if (isUnder(socketPath, resolved)) {
                    holdsSocket = true;
                }
            }
            if (exactSocket || holdsSocket) {
                if (!m_image.socketAllowed) { return socketMountDeniedMessage(m_image.reference); }
                if (exactSocket) {
                    if (!m_layout.guardedSocket.empty()) {
                        // Fail closed: without the filter there is no socket, not the engine's.
                        if (!m_host.fileId(m_layout.guardedSocket)) {
                            return "enhanced container isolation: the docker socket for allowed images ("
                                + m_layout.guardedSocket + ") is not available";
                        }
                        mount["source"] = m_layout.guardedSocket;
                    }
                    continue;
                }
                // An allowed image still gets the socket only, never the directory around it.
            }
            // A path in a shared host directory is the user's file when it is on the share's own
            // file system; anything else there (a VM mount inside or over it) is a VM path.
            const std::string share = sharedDirectoryOf(resolved, m_layout.sharedDirectories);
            const Source kind = share.empty() ? classify(resolved, mount.value("destination", std::string()))
                : isOnSharedFilesystem(resolved, share, m_host) ? Source::IdMapped
                                                                : Source::Restricted;
            if (kind == Source::Restricted) { return restrictedMountMessage(source); }
            if (kind == Source::PlainReadOnly) {
                // Shared by every build step: no step may change what the next one reads.
                json& options = mount["options"];
                if (!options.is_array()) { options = json::array(); }
                if (!hasOption(mount, "ro")) { options.push_back("ro"); }
            }
            // "rro" (recursive read-only, dockerd 26 for API >= 1.44 read-only binds) is read-only too.
            const bool readOnly = hasOption(mount, "ro") || hasOption(mount, "rro");
            if (kind == Source::IdMapped || readOnly) {
                m_mappedBinds.push_back({index, resolved, kind == Source::IdMapped, readOnly, share});
            }
        }
        return {};
    }

    const std::vector<MappedBind>& mappedBinds() const { return m_mappedBinds; }

    void isolate(const std::vector<IdMapping>& uids, const std::vector<IdMapping>& gids)
    {
        json& linux = m_spec["linux"];
        json& namespaces = linux["namespaces"];
        json kept = json::array();
        for (auto& ns : namespaces) {
            const std::string type = ns.value("type", std::string());
            // The user namespace is ours to decide (--userns=host is overridden, as with Sysbox).
            if (type == "user") { continue; }
            kept.push_back(ns);
        }
        json user = {{"type", "user"}};
        if (m_joinPid) { user["path"] = "/proc/" + std::to_string(*m_joinPid) + "/ns/user"; }
        kept.push_back(user);
        const bool hasCgroup = std::any_of(kept.begin(), kept.end(),
                                           [](const json& ns) { return ns.value("type", std::string()) == "cgroup"; });
        if (!hasCgroup) { kept.push_back({{"type", "cgroup"}}); }
        namespaces = std::move(kept);
        linux["uidMappings"] = mappingJson(uids);
        linux["gidMappings"] = mappingJson(gids);

        // dockerd asks for ping_group_range "0 2147483647"; inside a user namespace the kernel
        // accepts only group IDs the namespace maps, so the range ends at the container's last ID.
        if (auto sysctl = linux.find("sysctl"); sysctl != linux.end() && sysctl->is_object()
            && sysctl->contains("net.ipv4.ping_group_range") && !gids.empty()) {
            std::uint64_t mapped = 0;
            for (const auto& m : gids) { mapped += m.size; }
            (*sysctl)["net.ipv4.ping_group_range"] = "0 " + std::to_string(mapped - 1);
        }

        guardMounts();

        // Privileged containment: no block devices, whatever --privileged or --device asked for.
        if (auto devices = linux.find("devices"); devices != linux.end() && devices->is_array()) {
            json keptDevices = json::array();
            for (auto& device : *devices) {
                if (device.value("type", std::string()) != "b") { keptDevices.push_back(device); }
            }
            *devices = std::move(keptDevices);
        }
    }

    std::optional<int> joinPid() const { return m_joinPid; }

    // Every container (whatever its profile and capabilities: docker exec --privileged adds
    // CAP_SYS_ADMIN to a process later, and the exec'd process gets the container's filter) has a
    // seccomp profile in which only our rules decide mount and mount_setattr. Root in the
    // container's user namespace could otherwise make a read-only bind writable: runc makes the
    // binds inside the container's mount namespace, which that user namespace owns, so the
    // kernel does not lock their read-only flag. Refused: a bind remount without MS_RDONLY, and
    // mount_setattr (ENOSYS, so tools fall back to mount(2)). The rest of the new mount API
    // cannot clear a mount's read-only flag: open_tree clones keep it, move_mount only moves,
    // fsmount mounts a fresh superblock, and fspick + fsconfig reconfigure a superblock, which
    // needs CAP_SYS_ADMIN in the user namespace that owns it (the VM's, for volumes and the
    // rootfs), as a superblock remount through mount(2) does.
    //
    // What this relies on (runc 1.1 over libseccomp 2.5): runc skips a rule whose action is the
    // default action; within one filter libseccomp does NOT pick the most restrictive of several
    // matching rules (an unconditional rule replaces every conditional one of the syscall,
    // overlapping conditional ones are decided by the shape of its tree), so nothing here
    // depends on which of two matching rules wins: afterwards the only permitting rules naming
    // mount are ours, the refused call matches none of them, and every other rule it can match,
    // or the default it falls to, denies. mount_setattr has our unconditional rule alone (two
    // unconditional rules with different actions would conflict). Across filters the kernel
    // does take the most restrictive action, so a filter the container installs itself can only
    // refuse more.
    void guardMounts()
    {
        json& linux = m_spec["linux"];
        if (!linux.contains("seccomp") || !linux["seccomp"].is_object()) {
            // seccomp=unconfined and --privileged: everything else stays allowed.
            linux["seccomp"] = {{"defaultAction", "SCMP_ACT_ALLOW"},
                                {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}}};
        }
        json& seccomp = linux["seccomp"];
        if (!seccomp.contains("syscalls") || !seccomp["syscalls"].is_array()) { seccomp["syscalls"] = json::array(); }
        json& syscalls = seccomp["syscalls"];

        // A denying rule may keep mount (two denying rules matching still deny); any other action
        // (ALLOW, LOG, TRACE: a tracer may let the call through, NOTIFY: an agent decides,
        // or one runc does not know yet) loses it, conditions or not. Every rule loses
        // mount_setattr, which gets ours.
        bool mountPermitted = !seccompActionRefuses(seccomp.value("defaultAction", std::string()));
        json kept = json::array();
        for (json rule : syscalls) {
            if (!rule.is_object()) { continue; }
            if (!rule.contains("names") || !rule["names"].is_array()) {
                kept.push_back(rule);
                continue;
            }
            const bool permits = !seccompActionRefuses(rule.value("action", std::string()));
            json names = json::array();
            for (const json& name : rule["names"]) {
                if (name == "mount_setattr") { continue; }
                if (name == "mount" && permits) {
                    mountPermitted = true;
                    continue;
                }
                names.push_back(name);
            }
            if (names.empty()) { continue; }
            rule["names"] = names;
            kept.push_back(rule);
        }
        syscalls = kept;

        constexpr unsigned kRdonly = 1;  // MS_RDONLY
        constexpr unsigned kRemount = 32;  // MS_REMOUNT
        constexpr unsigned kBind = 4096;  // MS_BIND
        constexpr int kEperm = 1;
        constexpr int kEnosys = 38;
        // One condition per rule, on the flags (runc turns two conditions on one argument into
        // two rules, which would be alternatives, not both required).
        const auto flags = [](unsigned mask, unsigned value) {
            return json::array({{{"index", 3}, {"value", mask}, {"valueTwo", value}, {"op", "SCMP_CMP_MASKED_EQ"}}});
        };
        if (!seccompActionRefuses(seccomp.value("defaultAction", std::string()))) {
            // Everything the default lets through, except the bind remount without MS_RDONLY.
            syscalls.push_back({{"names", {"mount"}},
                                {"action", "SCMP_ACT_ERRNO"},
                                {"errnoRet", kEperm},
                                {"args", flags(kRdonly | kRemount | kBind, kRemount | kBind)}});
        } else if (mountPermitted) {
            // Rules with the same action are alternatives: not a remount, or not a bind, or
            // read-only. Together they are everything but the refused bind remount, which
            // falls to the denying default.
            for (const auto& [mask, value] :
                 {std::pair{kRemount, 0U}, std::pair{kBind, 0U}, std::pair{kRdonly, kRdonly}}) {
                syscalls.push_back({{"names", {"mount"}}, {"action", "SCMP_ACT_ALLOW"}, {"args", flags(mask, value)}});
            }
        }
        syscalls.push_back({{"names", {"mount_setattr"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", kEnosys}});
    }

private:
    enum class Source { Restricted, Plain, PlainReadOnly, IdMapped };

    // Whether the container joins the `type` namespace of the running container `other`: the
    // namespace it names is the one of that container's init, as dockerd recorded its PID.
    bool joinsNamespaceOf(const std::string& other, const std::string& type) const
    {
        const auto path = m_joined.find(type);
        if (path == m_joined.end()) { return false; }
        const auto pid = m_host.containerPid(m_layout.dockerRoot, other);
        if (!pid) { return false; }
        const auto theirs = m_host.fileId("/proc/" + std::to_string(*pid) + "/ns/" + procType(type));
        const auto joined = m_host.fileId(path->second);
        return theirs && joined && *theirs == *joined;
    }

    Source classify(const std::string& resolved, const std::string& destination) const
    {
        const std::string& root = m_layout.dockerRoot;
        // Docker's per-container files (hostname, hosts, resolv.conf, mounts/shm): this
        // container's, or those dockerd hands out from the container whose namespace it joins.
        const std::string containers = root + "/containers/";
        if (resolved.rfind(containers, 0) == 0) {
            const std::string rest = resolved.substr(containers.size());
            const auto slash = rest.find('/');
            if (slash != std::string::npos && slash > 0) {
                const std::string owner = rest.substr(0, slash);
                const std::string file = rest.substr(slash + 1);
                const bool own = owner == m_id;
                // Root inside writes /etc/hosts as with plain Docker. With --network=container:X,
                // Docker hands out X's files, and the container shares X's user namespace, so
                // the same mapping; any other container's stay off limits.
                if (file == "hostname" || file == "hosts" || file == "resolv.conf") {
                    return own || joinsNamespaceOf(owner, "network") ? Source::IdMapped : Source::Restricted;
                }
                // --ipc=container:X: X's shm (a 1777 tmpfs), for a container in X's IPC namespace.
                if (own && isUnder(file, "mounts")) { return Source::Plain; }
                if (file == "mounts/shm" && joinsNamespaceOf(owner, "ipc")) { return Source::Plain; }
            }
            return Source::Restricted;
        }
        // Named volumes, unless the volume is itself a bind of some VM path. ID-mapped, so that
        // containers in different blocks share the files, which stay 0..65535 on disk. A volume's
        // _data itself, never a path inside it: dockerd resolves a bind's source as the VM's root
        // (see mount_vetting.h), through what containers writing the volume may have made a link.
        const std::string volumes = root + "/volumes/";
        if (resolved.rfind(volumes, 0) == 0) {
            const std::string rest = resolved.substr(volumes.size());
            const auto slash = rest.find('/');
            if (slash == std::string::npos || slash == 0) { return Source::Restricted; }
            const std::string data = volumes + rest.substr(0, slash) + "/_data";
            return resolved == data && !m_host.isForeignMount(data) ? Source::IdMapped : Source::Restricted;
        }
        // BuildKit's state, only for a BuildKit executor run: its own bundle, and the resolv.conf
        // and hosts files the executor writes beside the bundles (read-only: shared by steps).
        if (isUnder(resolved, root + "/buildkit")) {
            if (!m_buildKitRun) { return Source::Restricted; }
            const std::string executor = root + "/buildkit/executor";
            if (isUnder(resolved, executor + "/" + m_id)) { return Source::Plain; }
            const std::filesystem::path path(resolved);
            const std::string name = path.filename().string();
            const bool stateFile = name == "resolv.conf" || name == "resolv-host.conf" || name == "hosts"
                || (name.rfind("hosts.", 0) == 0 && name.size() > 6);
            return path.parent_path() == executor && stateFile ? Source::PlainReadOnly : Source::Restricted;
        }
        // docker run --init: dockerd's docker-init, by whichever of its paths it found it.
        if (destination == "/sbin/docker-init") {
            const auto source = m_host.fileId(resolved);
            for (const auto& file : m_layout.engineFiles) {
                const auto engineFile = m_host.fileId(file);
                if (resolved == file || (source && engineFile && *source == *engineFile)) { return Source::Plain; }
            }
        }
        return Source::Restricted;
    }

    json& m_spec;
    const std::string& m_id;
    const ContainerImage& m_image;
    const EngineLayout& m_layout;
    const HostView& m_host;
    std::optional<int> m_joinPid;
    std::map<std::string, std::string> m_joined;  // namespace type -> the path it joins
    bool m_buildKitRun = false;
    std::vector<MappedBind> m_mappedBinds;
};

}  // namespace

RewriteResult rewriteSpec(json& spec, const std::string& containerId, const ContainerImage& image,
                          const EngineLayout& layout, const HostView& host,
                          const std::function<std::uint32_t()>& allocateBlock, const std::string& bundle)
{
    if (!spec.is_object()) { return {"error in the container spec: config.json is not an object"}; }
    Rewriter rewriter(spec, containerId, image, layout, host, bundle);
    if (auto error = rewriter.checkNamespaces(); !error.empty()) { return {std::move(error)}; }
    if (auto error = rewriter.checkMounts(); !error.empty()) { return {std::move(error)}; }
    if (!layout.mountLockInit.empty() && !host.fileId(layout.mountLockInit)) {
        return {"enhanced container isolation: " + layout.mountLockInit + " is missing"};
    }
    if (std::string error; !layout.mountLockInit.empty() && !initPlanFor(spec, error)) { return {std::move(error)}; }

    RewriteResult result;
    std::vector<IdMapping> uids;
    std::vector<IdMapping> gids;
    if (const auto pid = rewriter.joinPid()) {
        uids = host.idMap(*pid, false);
        gids = host.idMap(*pid, true);
        const bool mapped = !uids.empty() && !gids.empty() && uids.front().containerId == 0 && uids.front().hostId != 0
            && gids.front().hostId != 0;
        if (!mapped) {
            return {"error in the container spec: invalid or unsupported container spec: the container joins "
                    "namespaces of a container that is not isolated (it runs without Enhanced Container "
                    "Isolation); recreate that container"};
        }
        result.joined = true;
        result.hostIdBase = uids.front().hostId;
    } else {
        try {
            result.hostIdBase = allocateBlock();
        } catch (const std::exception& e) {
            return {std::string("enhanced container isolation: ") + e.what()};
        }
        uids = gids = {IdMapping{0, result.hostIdBase, kIdBlockSize}};
    }
    rewriter.isolate(uids, gids);
    if (!layout.mountLockInit.empty()) {
        // Cannot fail: initPlanFor accepted the process above.
        lockMountsAtStart(spec, layout.mountLockInit);
    }
    result.mappedBinds = rewriter.mappedBinds();
    return result;
}

std::string sharedDirectoryOf(const std::string& path, const std::vector<std::string>& sharedDirectories)
{
    for (const std::string& share : sharedDirectories) {
        if (!share.empty() && contracts::isWithinDirectory(path, share)) { return share; }
    }
    return {};
}

bool isOnSharedFilesystem(const std::string& resolved, const std::string& sharedDirectory, const HostView& host)
{
    if (sharedDirectory.empty() || !contracts::isWithinDirectory(resolved, sharedDirectory)) { return false; }
    const auto device = host.sharedDirectoryDevice(sharedDirectory);
    if (!device) { return false; }
    // The deepest existing part: resolve() resolved every link up to there, the rest is plain names.
    std::string path = resolved;
    auto file = host.fileId(path);
    while (!file && path.size() > sharedDirectory.size()) {
        path = path.substr(0, path.rfind('/'));
        file = host.fileId(path);
    }
    return file && file->device == *device;
}

std::string hostNamespacesMessage(const std::vector<std::string>& types)
{
    std::string list;
    for (const auto& type : types) { list += (list.empty() ? "" : " ") + type; }
    return "error in the container spec: invalid or unsupported container spec: sysbox containers can't share "
           "namespaces ["
        + list + "] with the host (because they use the linux user-namespace for isolation)";
}

std::string hostNetworkMessage()
{
    return "error in the container spec: invalid or unsupported container spec: sysbox containers can't share a "
           "network namespace with the host (because they use the linux user-namespace for isolation)";
}

std::string restrictedMountMessage(const std::string& source)
{
    return "error in the container spec: can't mount " + source + " because it's configured as a restricted host mount";
}

std::string mountsDeniedMessage(const std::string& path)
{
    return "Mounts denied: The path " + path
        + " is not shared from the host and is not known to Docker. You can configure shared paths from Berth's "
          "Settings > Resources > File sharing, or with berthctl settings set fileSharing.directories.";
}

std::string socketMountDeniedMessage(const std::string& image)
{
    return "enhanced container isolation: docker socket mount denied for container with image \"" + image
        + "\"; image is not in the allowed list; if you wish to allow it, configure the docker socket image "
          "list in the Berth settings or admin-settings.";
}

}  // namespace berth::guest::eci
