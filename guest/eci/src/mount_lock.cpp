#include "berth/guest/eci/mount_lock.h"

#include "berth/guest/eci/text.h"

#include <fcntl.h>
#include <linux/nsfs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <stdexcept>
#include <string_view>

namespace berth::guest::eci {

namespace {

using nlohmann::json;

// Linux's capability numbers, in order (include/uapi/linux/capability.h).
constexpr std::array<std::string_view, 41> kCapabilities = {"CAP_CHOWN",
                                                            "CAP_DAC_OVERRIDE",
                                                            "CAP_DAC_READ_SEARCH",
                                                            "CAP_FOWNER",
                                                            "CAP_FSETID",
                                                            "CAP_KILL",
                                                            "CAP_SETGID",
                                                            "CAP_SETUID",
                                                            "CAP_SETPCAP",
                                                            "CAP_LINUX_IMMUTABLE",
                                                            "CAP_NET_BIND_SERVICE",
                                                            "CAP_NET_BROADCAST",
                                                            "CAP_NET_ADMIN",
                                                            "CAP_NET_RAW",
                                                            "CAP_IPC_LOCK",
                                                            "CAP_IPC_OWNER",
                                                            "CAP_SYS_MODULE",
                                                            "CAP_SYS_RAWIO",
                                                            "CAP_SYS_CHROOT",
                                                            "CAP_SYS_PTRACE",
                                                            "CAP_SYS_PACCT",
                                                            "CAP_SYS_ADMIN",
                                                            "CAP_SYS_BOOT",
                                                            "CAP_SYS_NICE",
                                                            "CAP_SYS_RESOURCE",
                                                            "CAP_SYS_TIME",
                                                            "CAP_SYS_TTY_CONFIG",
                                                            "CAP_MKNOD",
                                                            "CAP_LEASE",
                                                            "CAP_AUDIT_WRITE",
                                                            "CAP_AUDIT_CONTROL",
                                                            "CAP_SETFCAP",
                                                            "CAP_MAC_OVERRIDE",
                                                            "CAP_MAC_ADMIN",
                                                            "CAP_SYSLOG",
                                                            "CAP_WAKE_ALARM",
                                                            "CAP_BLOCK_SUSPEND",
                                                            "CAP_AUDIT_READ",
                                                            "CAP_PERFMON",
                                                            "CAP_BPF",
                                                            "CAP_CHECKPOINT_RESTORE"};

// What the init itself needs before it becomes the container's user: setns into the locked
// namespace (CAP_SYS_ADMIN and CAP_SYS_CHROOT in the container's user namespace), then dropping
// the bounding set, groups and IDs.
constexpr std::array<std::string_view, 5> kInitCapabilities
    = {"CAP_SYS_ADMIN", "CAP_SYS_CHROOT", "CAP_SETPCAP", "CAP_SETUID", "CAP_SETGID"};

// The calls that unmount, move or make mounts: the ways to uncover what Docker masked.
constexpr std::array<std::string_view, 7> kMountCalls
    = {"mount", "umount", "umount2", "move_mount", "open_tree", "fsopen", "fsmount"};

bool names(const json& rule, std::string_view call)
{
    const auto list = rule.find("names");
    return list != rule.end() && list->is_array()
        && std::any_of(list->begin(), list->end(), [&](const json& n) { return n.is_string() && n == call; });
}

bool conditional(const json& rule)
{
    const auto args = rule.find("args");
    return args != rule.end() && args->is_array() && !args->empty();
}

std::uint64_t capabilityMask(const json& list)
{
    std::uint64_t mask = 0;
    if (!list.is_array()) { return mask; }
    for (const json& name : list) {
        if (!name.is_string()) { continue; }
        if (const auto bit = capabilityNumber(name.get<std::string>())) { mask |= std::uint64_t{1} << *bit; }
    }
    return mask;
}

// A user or group ID as the spec gives it; throws for anything but a number that fits.
std::uint32_t id(const json& value)
{
    if (!value.is_number_unsigned() || value.get<std::uint64_t>() > 0xffffffffULL) {
        throw std::invalid_argument("not an ID");
    }
    return value.get<std::uint32_t>();
}

std::string hex(std::uint64_t value)
{
    std::array<char, 17> buffer{};
    const auto end = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value, 16).ptr;
    return std::string(buffer.data(), end);
}

template <typename T> bool parseNumber(std::string_view text, T& out, int base = 10)
{
    if (text.empty()) { return false; }
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out, base);
    return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

bool seccompActionRefuses(const std::string& action)
{
    return action == "SCMP_ACT_ERRNO" || action == "SCMP_ACT_TRAP" || action == "SCMP_ACT_KILL"
        || action == "SCMP_ACT_KILL_THREAD" || action == "SCMP_ACT_KILL_PROCESS";
}

std::optional<int> capabilityNumber(const std::string& name)
{
    const auto it = std::find(kCapabilities.begin(), kCapabilities.end(), name);
    if (it == kCapabilities.end()) { return std::nullopt; }
    return static_cast<int>(it - kCapabilities.begin());
}

std::vector<std::string> initArguments(const InitPlan& plan)
{
    std::vector<std::string> args = {"--user", std::to_string(plan.uid) + ":" + std::to_string(plan.gid)};
    std::string groups;
    for (const auto g : plan.groups) { groups += (groups.empty() ? "" : ",") + std::to_string(g); }
    args.insert(args.end(), {"--groups", groups});
    if (const auto& c = plan.capabilities) {
        args.insert(args.end(),
                    {"--caps",
                     hex(c->bounding) + ":" + hex(c->effective) + ":" + hex(c->permitted) + ":" + hex(c->inheritable)
                         + ":" + hex(c->ambient)});
    }
    args.emplace_back("--");
    args.insert(args.end(), plan.command.begin(), plan.command.end());
    return args;
}

std::optional<InitPlan> parseInitArguments(const std::vector<std::string>& args, std::string& error)
{
    InitPlan plan;
    bool haveUser = false;
    std::size_t i = 0;
    for (; i < args.size() && args[i] != "--"; i += 2) {
        const std::string& option = args[i];
        if (i + 1 >= args.size()) {
            error = option + " has no value";
            return std::nullopt;
        }
        const std::string_view value = args[i + 1];
        if (option == "--user") {
            const auto parts = split(value, ':');
            if (parts.size() != 2 || !parseNumber(parts[0], plan.uid) || !parseNumber(parts[1], plan.gid)) {
                error = "--user wants uid:gid, not " + args[i + 1];
                return std::nullopt;
            }
            haveUser = true;
        } else if (option == "--groups") {
            for (const auto& part : value.empty() ? std::vector<std::string>{} : split(value, ',')) {
                std::uint32_t g = 0;
                if (!parseNumber(part, g)) {
                    error = "--groups wants numbers separated by commas, not " + args[i + 1];
                    return std::nullopt;
                }
                plan.groups.push_back(g);
            }
        } else if (option == "--caps") {
            const auto parts = split(value, ':');
            CapabilitySets c;
            if (parts.size() != 5 || !parseNumber(parts[0], c.bounding, 16) || !parseNumber(parts[1], c.effective, 16)
                || !parseNumber(parts[2], c.permitted, 16) || !parseNumber(parts[3], c.inheritable, 16)
                || !parseNumber(parts[4], c.ambient, 16)) {
                error = "--caps wants five hexadecimal masks separated by colons, not " + args[i + 1];
                return std::nullopt;
            }
            plan.capabilities = c;
        } else {
            error = "unknown option " + option;
            return std::nullopt;
        }
    }
    if (!haveUser) {
        error = "--user is missing";
        return std::nullopt;
    }
    if (i >= args.size() || i + 1 >= args.size()) {
        error = "no command after --";
        return std::nullopt;
    }
    plan.command.assign(args.begin() + static_cast<std::ptrdiff_t>(i + 1), args.end());
    return plan;
}

bool mayChangeMounts(const json& seccomp)
{
    if (!seccomp.is_object()) { return true; }
    const bool defaultRefuses = seccompActionRefuses(seccomp.value("defaultAction", std::string()));
    const json empty = json::array();
    const auto found = seccomp.find("syscalls");
    const json& rules = found != seccomp.end() && found->is_array() ? *found : empty;
    for (const auto call : kMountCalls) {
        // Under a permitting default, only an unconditional refusal closes the call; a permitting
        // rule beside it still counts (which of them libseccomp applies is not ours to rely on).
        bool permittedByRule = false;
        bool refusedOutright = false;
        for (const json& rule : rules) {
            if (!rule.is_object() || !names(rule, call)) { continue; }
            if (!seccompActionRefuses(rule.value("action", std::string()))) {
                permittedByRule = true;
            } else if (!conditional(rule)) {
                refusedOutright = true;
            }
        }
        if (permittedByRule || (!defaultRefuses && !refusedOutright)) { return true; }
    }
    return false;
}

std::optional<InitPlan> initPlanFor(const json& spec, std::string& error)
{
    const auto process = spec.find("process");
    if (process == spec.end() || !process->is_object() || !process->contains("args") || !(*process)["args"].is_array()
        || (*process)["args"].empty()) {
        error = "error in the container spec: the process has no command";
        return std::nullopt;
    }
    InitPlan plan;
    try {
        const json user = process->value("user", json::object());
        plan.uid = id(user.value("uid", json(0)));
        plan.gid = id(user.value("gid", json(0)));
        for (const json& g : user.value("additionalGids", json::array())) { plan.groups.push_back(id(g)); }
        for (const json& arg : (*process)["args"]) { plan.command.push_back(arg.get<std::string>()); }
    } catch (const std::exception&) {
        error = "error in the container spec: the process's user or command is malformed";
        return std::nullopt;
    }
    if (auto caps = process->find("capabilities"); caps != process->end() && caps->is_object()) {
        plan.capabilities = CapabilitySets{
            capabilityMask(caps->value("bounding", json())), capabilityMask(caps->value("effective", json())),
            capabilityMask(caps->value("permitted", json())), capabilityMask(caps->value("inheritable", json())),
            capabilityMask(caps->value("ambient", json()))};
    }
    return plan;
}

std::string lockMountsAtStart(json& spec, const std::string& initSource)
{
    json& linux = spec["linux"];
    if (!mayChangeMounts(linux.is_object() ? linux.value("seccomp", json()) : json())) { return {}; }
    std::string error;
    const auto plan = initPlanFor(spec, error);
    if (!plan) { return error; }
    json& process = spec["process"];
    if (auto caps = process.find("capabilities"); caps != process.end() && caps->is_object()) {
        for (const char* set : {"bounding", "effective", "permitted"}) {
            json& list = (*caps)[set];
            if (!list.is_array()) { list = json::array(); }
            for (const auto needed : kInitCapabilities) {
                if (std::find(list.begin(), list.end(), std::string(needed)) == list.end()) {
                    list.push_back(std::string(needed));
                }
            }
        }
    }

    // The init's own two calls, exactly, under a profile that refuses by default (Docker's
    // default profile permits them whenever it permits mount calls). A profile that refuses
    // them outright still wins, and the container does not start.
    json& seccomp = linux["seccomp"];
    if (seccomp.is_object() && seccompActionRefuses(seccomp.value("defaultAction", std::string()))) {
        json& rules = seccomp["syscalls"];
        if (!rules.is_array()) { rules = json::array(); }
        constexpr unsigned kNewUserAndMount = 0x10000000U | 0x00020000U;  // CLONE_NEWUSER | CLONE_NEWNS
        constexpr unsigned kMountNamespace = 0x00020000U;  // CLONE_NEWNS
        rules.push_back({{"names", {"unshare"}},
                         {"action", "SCMP_ACT_ALLOW"},
                         {"args", {{{"index", 0}, {"value", kNewUserAndMount}, {"op", "SCMP_CMP_EQ"}}}}});
        rules.push_back({{"names", {"setns"}},
                         {"action", "SCMP_ACT_ALLOW"},
                         {"args", {{{"index", 1}, {"value", kMountNamespace}, {"op", "SCMP_CMP_EQ"}}}}});
    }

    json args = json::array({kInitInContainer});
    for (const auto& a : initArguments(*plan)) { args.push_back(a); }
    process["args"] = std::move(args);
    json& specUser = process["user"];
    if (!specUser.is_object()) { specUser = json::object(); }
    specUser["uid"] = 0;
    specUser["gid"] = 0;
    specUser.erase("additionalGids");

    json& mounts = spec["mounts"];
    if (!mounts.is_array()) { mounts = json::array(); }
    mounts.push_back({{"destination", kInitInContainer},
                      {"type", "bind"},
                      {"source", initSource},
                      {"options", {"bind", "ro", "nosuid", "nodev"}}});
    return {};
}

std::optional<bool> mountsLocked(int pid)
{
    const std::string dir = "/proc/" + std::to_string(pid) + "/ns/";
    const int mnt = ::open((dir + "mnt").c_str(), O_RDONLY | O_CLOEXEC);
    if (mnt < 0) { return std::nullopt; }
    const int owner = ::ioctl(mnt, NS_GET_USERNS);
    ::close(mnt);
    if (owner < 0) { return std::nullopt; }
    struct stat ownerStat {};
    struct stat own {};
    const bool statted = ::fstat(owner, &ownerStat) == 0 && ::stat((dir + "user").c_str(), &own) == 0;
    ::close(owner);
    if (!statted) { return std::nullopt; }
    return ownerStat.st_dev != own.st_dev || ownerStat.st_ino != own.st_ino;
}

}  // namespace berth::guest::eci
