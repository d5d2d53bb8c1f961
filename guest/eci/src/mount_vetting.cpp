#include "berth/guest/eci/mount_vetting.h"

#include "berth/guest/eci/text.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>
#include <vector>

#include "berth/guest/eci/files.h"
#include "berth/guest/eci/go_json.h"

namespace berth::guest::eci {

namespace {

using nlohmann::json;

constexpr std::string_view kPrefix = "enhanced container isolation: ";

// dockerd 26 (API 1.45) mounts a path inside a volume for VolumeOptions.Subpath: a path inside
// a volume is what the runtime refuses too, so say why at create.
std::string subpathRefusal(const json* volumeOptions)
{
    const json* subpath = volumeOptions == nullptr ? nullptr : goField(*volumeOptions, "Subpath");
    if (subpath == nullptr || subpath->is_null() || (subpath->is_string() && subpath->get<std::string>().empty())) {
        return {};
    }
    return std::string(kPrefix) + "a volume mounted by subpath ("
        + (subpath->is_string() ? subpath->get<std::string>() : subpath->dump())
        + ") is not allowed: only a volume's whole data directory may be mounted";
}

bool oneOf(std::string_view value, std::initializer_list<std::string_view> set)
{
    return std::find(set.begin(), set.end(), value) != set.end();
}

bool isHex(std::string_view text)
{
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// A name dockerd could have given a volume or container directory: nothing that walks the tree.
bool plainName(std::string_view name)
{
    return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos
        && name.find('\0') == std::string_view::npos;
}

// moby's Linux mount modes (volume/mounts/linux_parser.go): "dst:ro" names no source.
bool isMountMode(std::string_view mode)
{
    if (mode.empty()) { return false; }
    for (const auto& part : split(mode, ',')) {
        if (!oneOf(part,
                   {"rw", "ro", "z", "Z", "nocopy", "shared", "rshared", "slave", "rslave", "private", "rprivate",
                    "consistent", "cached", "delegated"})) {
            return false;
        }
    }
    return true;
}

// The `o` option's words the local driver turns into mount(2) flags (moby's mount flag table);
// of those only these leave the filesystem what its type says it is.
constexpr std::array kMountFlags = {
    "defaults",   "ro",     "rw",       "suid",       "nosuid",      "dev",          "nodev",    "exec",    "noexec",
    "sync",       "async",  "dirsync",  "remount",    "mand",        "nomand",       "atime",    "noatime", "diratime",
    "nodiratime", "bind",   "rbind",    "unbindable", "runbindable", "private",      "rprivate", "shared",  "rshared",
    "slave",      "rslave", "relatime", "norelatime", "strictatime", "nostrictatime"};
constexpr std::array kHarmlessFlags
    = {"defaults",      "ro",    "rw",      "nosuid",   "nodev",      "noexec",   "sync",       "async",
       "dirsync",       "atime", "noatime", "diratime", "nodiratime", "relatime", "norelatime", "strictatime",
       "nostrictatime", "suid",  "dev",     "exec"};

template <std::size_t N> bool contains(const std::array<const char*, N>& set, std::string_view word)
{
    return std::find(set.begin(), set.end(), word) != set.end();
}

// A bind's source as dockerd uses it: cleaned lexically (Go's path.Clean: "/a/b/../c/" is "/a/c",
// whatever "b" is); only then does the kernel resolve it.
std::string cleanAsDockerd(const std::string& source)
{
    std::string out = std::filesystem::path(source).lexically_normal().string();
    while (out.size() > 1 && out.back() == '/') { out.pop_back(); }
    return out;
}

}  // namespace

std::optional<VolumeOptions> volumeOptionsFromJson(const json& options)
{
    VolumeOptions out;
    if (options.is_null()) { return out; }
    if (!options.is_object()) { return std::nullopt; }
    for (const auto& [key, value] : options.items()) {
        if (!value.is_string()) { return std::nullopt; }
        out[key] = value.get<std::string>();
    }
    return out;
}

DiskEngineState::DiskEngineState(std::string dockerRoot) : m_root(std::move(dockerRoot))
{}

std::optional<json> DiskEngineState::container(const std::string& nameOrId) const
{
    if (nameOrId.empty()) { return std::nullopt; }
    const std::string dir = m_root + "/containers/";
    if (nameOrId.size() == 64 && isHex(nameOrId)) {
        json config = readJsonFile(dir + nameOrId + "/config.v2.json");
        if (config.is_object()) { return config; }
    }
    // dockerd tries the full ID, then the name, then a unique ID prefix.
    const std::string name = nameOrId.front() == '/' ? nameOrId : "/" + nameOrId;
    std::optional<json> byPrefix;
    int prefixMatches = 0;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        const std::string id = entry.path().filename().string();
        if (id.size() != 64 || !isHex(id)) { continue; }
        json config = readJsonFile(entry.path().string() + "/config.v2.json");
        if (!config.is_object()) { continue; }
        if (config.value("Name", std::string()) == name) { return config; }
        if (isHex(nameOrId) && id.compare(0, nameOrId.size(), nameOrId) == 0) {
            ++prefixMatches;
            byPrefix = std::move(config);
        }
    }
    if (prefixMatches == 1) { return byPrefix; }
    return std::nullopt;
}

std::optional<VolumeOptions> DiskEngineState::localVolume(const std::string& name) const
{
    if (!plainName(name)) { return std::nullopt; }
    const std::string dir = m_root + "/volumes/" + name;
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) { return std::nullopt; }
    VolumeOptions options;
    // The local driver keeps a volume's options in opts.json; a plain volume has none.
    const json saved = readJsonFile(dir + "/opts.json");
    if (saved.is_object()) {
        for (const auto& [field, key] :
             {std::pair{"MountType", "type"}, {"MountOpts", "o"}, {"MountDevice", "device"}}) {
            if (saved.contains(field) && saved[field].is_string() && !saved[field].get<std::string>().empty()) {
                options[key] = saved[field].get<std::string>();
            }
        }
    } else if (std::filesystem::exists(dir + "/opts.json", ec)) {
        options["o"] = "(unreadable opts.json)";  // refused: what dockerd would mount is unknown
    }
    return options;
}

MountVetting::MountVetting(const EngineState& engine, const HostView& host, std::string dockerRoot,
                           std::vector<std::string> sharedDirectories)
    : m_engine(engine),
      m_host(host),
      m_root(std::move(dockerRoot)),
      m_sharedDirectories(std::move(sharedDirectories))
{}

std::string MountVetting::volumeOptions(const std::string& volume, const VolumeOptions& options) const
{
    const auto refuse = [&](const std::string& what) {
        return std::string(kPrefix) + "volume " + (volume.empty() ? std::string("(anonymous)") : "\"" + volume + "\"")
            + ": " + what + " is not allowed (allowed: plain named volumes, tmpfs, and nfs or cifs network mounts)";
    };
    for (const auto& [key, value] : options) {
        if (!oneOf(key, {"type", "o", "device", "size"})) { return refuse("the option \"" + key + "\""); }
    }
    const auto get = [&](const char* key) {
        const auto it = options.find(key);
        return it == options.end() ? std::string() : it->second;
    };
    const std::string type = get("type");
    const std::string device = get("device");
    const std::string o = get("o");
    if (type.empty() && device.empty() && o.empty()) { return {}; }
    // A device that is a path names a VM file or block device, whatever the type says.
    if (!device.empty() && device.front() == '/' && device.compare(0, 2, "//") != 0) {
        return restrictedMountMessage(device);
    }
    const bool tmpfs = type == "tmpfs";
    const bool nfs = type == "nfs" || type == "nfs4";
    const bool cifs = type == "cifs" || type == "smb3";
    if (!tmpfs && !nfs && !cifs) { return refuse("the type \"" + type + "\""); }
    if (tmpfs && !(device.empty() || device == "tmpfs")) { return refuse("the tmpfs device \"" + device + "\""); }
    if (nfs && (device.empty() || device.find(':') == std::string::npos || device.find(':') > device.find('/'))) {
        return refuse("the nfs device \"" + device + "\"");
    }
    if (cifs && device.compare(0, 2, "//") != 0) { return refuse("the cifs device \"" + device + "\""); }
    if (o.empty()) { return {}; }
    for (const auto& word : split(o, ',')) {
        const std::string key = word.substr(0, word.find('='));
        if (contains(kMountFlags, word) && !contains(kHarmlessFlags, word)) {
            return word == "bind" || word == "rbind" ? restrictedMountMessage(device.empty() ? o : device)
                                                     : refuse("the mount option \"" + word + "\"");
        }
        if (tmpfs && !contains(kHarmlessFlags, word)
            && !oneOf(key, {"size", "mode", "uid", "gid", "nr_inodes", "nr_blocks"})) {
            return refuse("the tmpfs option \"" + word + "\"");
        }
    }
    return {};
}

std::string MountVetting::volume(const std::string& name, const std::string& driver,
                                 const VolumeOptions& requested) const
{
    if (!driver.empty() && driver != "local") {
        return std::string(kPrefix) + "the volume driver \"" + driver + "\" is not allowed";
    }
    if (std::string refusal = volumeOptions(name, requested); !refusal.empty()) { return refusal; }
    if (name.empty()) { return {}; }
    // A volume that does not exist yet is created by this request, with the options just vetted.
    return existingVolume(name).value_or(std::string());
}

std::optional<std::string> MountVetting::existingVolume(const std::string& name) const
{
    const auto options = m_engine.localVolume(name);
    if (!options) { return std::nullopt; }
    if (std::string refusal = volumeOptions(name, *options); !refusal.empty()) { return refusal; }
    const std::string data = m_root + "/volumes/" + name + "/_data";
    return m_host.isForeignMount(data) ? restrictedMountMessage(data) : std::string();
}

std::string MountVetting::bindSource(const std::string& source) const
{
    // dockerd resolves a bind's source itself, as the VM's root and following links: it creates
    // a missing one at start and mounts it for docker cp. So the source must be a volume's _data
    // spelled out, which only dockerd can change; a path inside it, or a link to it, passes
    // through what a container writing the volume can swap for a link to a VM path meanwhile.
    std::string literal = source;
    while (literal.size() > 1 && literal.back() == '/') { literal.pop_back(); }
    const std::string volumes = m_root + "/volumes/";
    if (literal.compare(0, volumes.size(), volumes) == 0 && m_host.resolve(source) == literal) {
        const std::string rest = literal.substr(volumes.size());
        const std::string name = rest.substr(0, rest.find('/'));
        if (plainName(name) && literal == volumes + name + "/_data" && existingVolume(name) == std::string()) {
            return {};
        }
    }
    return restrictedMountMessage(source);
}

bool MountVetting::isEngineSocketMount(const std::string& source) const
{
    const std::string resolved = m_host.resolve(source);
    const auto sourceId = m_host.fileId(resolved);
    for (const std::string& socket : EngineLayout{}.engineSockets) {
        const std::string real = m_host.resolve(socket);
        const std::string dir = resolved == "/" ? resolved : resolved + "/";
        if (resolved == real || real.compare(0, dir.size(), dir) == 0) { return true; }
        if (sourceId && sourceId == m_host.fileId(real)) { return true; }
    }
    return false;
}

std::string MountVetting::bind(const std::string& source, Sockets sockets, MountRules rules) const
{
    const bool eci = rules == MountRules::Eci;
    if (!source.empty() && source.front() == '/') {
        const std::string resolved = m_host.resolve(cleanAsDockerd(source));
        const std::string share = sharedDirectoryOf(resolved, m_sharedDirectories);
        // Docker Desktop's rule: dockerd would make a missing -v source an empty VM directory.
        if (share.empty() && !m_host.fileId(resolved)) { return mountsDeniedMessage(source); }
        if (!eci) { return {}; }
        if (!share.empty()) {
            if (!isOnSharedFilesystem(resolved, share, m_host)) { return restrictedMountMessage(source); }
            // The runtime stages a share's path race-free (rootfs.h); dockerd alone, for docker
            // cp, mounts it as the VM's root by path, through whatever the share's files are by
            // then: a container writing the share, or the host's user, can make a folder on the
            // way a link to a VM path between this check and that mount. The share itself is a
            // mount point in the VM, which nothing on the share can replace.
            if (sockets == Sockets::Refuse && cleanAsDockerd(source) != share) {
                return std::string(kPrefix) + "docker cp is not available for a container that binds a path inside a "
                    + "shared directory (" + source + "): dockerd would mount it as the VM's root, through links "
                    + "the shared files can become meanwhile; bind the shared directory " + share
                    + " itself, or copy with docker exec";
            }
            return {};
        }
    } else if (!eci) {
        return {};  // not a path: dockerd refuses it itself
    }
    if (sockets == Sockets::LeaveToRuntime && isEngineSocketMount(source)) { return {}; }
    return bindSource(source);
}

std::string MountVetting::containerCreate(const json& body, MountRules rules) const
{
    const bool eci = rules == MountRules::Eci;
    const json* hostConfig = goField(body, "HostConfig");
    if (hostConfig == nullptr) { return {}; }
    // With ECI off, a HostConfig dockerd cannot read is dockerd's to refuse.
    const auto malformed = [eci](const char* field) {
        return eci ? std::string(kPrefix) + "the container's HostConfig." + field + " is malformed" : std::string();
    };
    std::string driver;
    if (const json* value = goField(*hostConfig, "VolumeDriver")) {
        if (!value->is_string()) { return malformed("VolumeDriver"); }
        driver = value->get<std::string>();
    }
    if (const json* binds = goField(*hostConfig, "Binds")) {
        if (!binds->is_array()) { return malformed("Binds"); }
        for (const json& entry : *binds) {
            if (!entry.is_string()) { return malformed("Binds"); }
            const auto parts = split(entry.get<std::string>(), ':');
            if (parts.size() > 3) { return malformed("Binds"); }
            if (parts.size() == 1 || (parts.size() == 2 && isMountMode(parts[1]))) { continue; }  // anonymous
            const std::string& source = parts[0];
            std::string refusal;
            if (!source.empty() && source.front() == '/') {
                refusal = bind(source, Sockets::LeaveToRuntime, rules);
            } else if (eci) {
                refusal = volume(source, driver, {});
            }
            if (!refusal.empty()) { return refusal; }
        }
    }
    if (const json* mounts = goField(*hostConfig, "Mounts")) {
        if (!mounts->is_array()) { return malformed("Mounts"); }
        for (const json& mount : *mounts) {
            const json* type = goField(mount, "Type");
            const json* source = goField(mount, "Source");
            if (type == nullptr || !type->is_string() || (source != nullptr && !source->is_string())) {
                return malformed("Mounts");
            }
            const std::string from = source == nullptr ? std::string() : source->get<std::string>();
            std::string refusal;
            if (*type == "bind") {
                refusal = bind(from, Sockets::LeaveToRuntime, rules);
            } else if (!eci) {
                continue;
            } else if (*type == "volume") {
                const json* config = goField(mount, "VolumeOptions");
                const json* driverConfig = config == nullptr ? nullptr : goField(*config, "DriverConfig");
                const json* name = driverConfig == nullptr ? nullptr : goField(*driverConfig, "Name");
                const json* options = driverConfig == nullptr ? nullptr : goField(*driverConfig, "Options");
                const auto requested = volumeOptionsFromJson(options == nullptr ? json() : *options);
                if ((name != nullptr && !name->is_string()) || !requested) { return malformed("Mounts"); }
                refusal = subpathRefusal(config);
                if (refusal.empty()) {
                    refusal = volume(from, name == nullptr ? driver : name->get<std::string>(), *requested);
                }
            } else if (*type != "tmpfs") {
                refusal = std::string(kPrefix) + "mounts of type " + type->dump() + " are not allowed";
            }
            if (!refusal.empty()) { return refusal; }
        }
    }
    if (const json* from = goField(*hostConfig, "VolumesFrom"); from != nullptr && eci) {
        if (!from->is_array()) { return malformed("VolumesFrom"); }
        for (const json& spec : *from) {
            if (!spec.is_string()) { return malformed("VolumesFrom"); }
            const std::string text = spec.get<std::string>();
            const std::string name = text.substr(0, text.find(':'));
            const auto config = m_engine.container(name);
            if (!config) { return std::string(kPrefix) + "cannot check the mounts of container \"" + name + "\""; }
            if (std::string refusal = mountPoints(*config, Sockets::LeaveToRuntime, rules); !refusal.empty()) {
                return refusal;
            }
        }
    }
    return {};
}

std::string MountVetting::existingContainer(const std::string& nameOrId) const
{
    const auto config = m_engine.container(nameOrId);
    if (!config) { return std::string(kPrefix) + "cannot check the mounts of container \"" + nameOrId + "\""; }
    // The archive endpoints mount what the container has, socket or not, with no runtime to ask.
    return mountPoints(*config, Sockets::Refuse, MountRules::Eci);
}

std::string MountVetting::containerStart(const std::string& nameOrId, MountRules rules) const
{
    const auto config = m_engine.container(nameOrId);
    return config ? mountPoints(*config, Sockets::LeaveToRuntime, rules) : std::string();
}

std::string MountVetting::mountPoints(const json& config, Sockets sockets, MountRules rules) const
{
    const bool eci = rules == MountRules::Eci;
    const auto points = config.find("MountPoints");
    if (points == config.end() || points->is_null()) { return {}; }
    if (!points->is_object()) {
        return eci ? std::string(kPrefix) + "the container's mount points are unreadable" : std::string();
    }
    for (const auto& [destination, point] : points->items()) {
        const std::string type = point.value("Type", std::string());
        const std::string source = point.value("Source", std::string());
        std::string refusal;
        if (type == "bind") {
            refusal = bind(source, sockets, rules);
        } else if (!eci) {
            continue;
        } else if (type == "volume") {
            // A local volume's source is its _data, vetted with the volume's saved options.
            const std::string driver = point.value("Driver", std::string());
            const json* spec = goField(point, "Spec");
            refusal = subpathRefusal(spec == nullptr ? nullptr : goField(*spec, "VolumeOptions"));
            if (refusal.empty()) {
                refusal = driver.empty() || driver == "local" ? bindSource(source) : volume({}, driver, {});
            }
        } else if (type != "tmpfs") {
            refusal = std::string(kPrefix) + "a mount of type \"" + type + "\" at " + destination + " is not allowed";
        }
        if (!refusal.empty()) { return refusal; }
    }
    return {};
}

}  // namespace berth::guest::eci
