#pragma once

// Kernel-locked mounts for containers that may change their mounts.
//
// runc makes Docker's masks (/proc/kcore, /proc/sys read-only, /sys/firmware, ...) inside the
// container's mount namespace, which the container's own user namespace owns: root there with
// CAP_SYS_ADMIN could unmount or move them, or mount a fresh, unmasked procfs or sysfs. The kernel
// locks every mount of a mount namespace copied into a less privileged user namespace: such a
// mount can be neither unmounted nor moved, its read-only flag stays, and a new procfs or sysfs is
// refused while the one there has locked masks over files.
//
// So a container whose seccomp profile lets it change mounts starts as berth-eci-init (bound
// read-only at kInitInContainer): a child of it creates a user namespace nested in the
// container's and a copy of the container's mount namespace, which the init joins. The init stays
// in the container's user namespace (it keeps its capabilities over the container's network,
// hostname and IPC), becomes the user the container asked for, with exactly the capabilities runc
// would have given, and executes the container's command. Everything later (docker exec too)
// shares the locked namespace.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace berth::guest::eci {

// Where the init is bound in a container (a dot file in the container's own /dev tmpfs).
inline constexpr const char* kInitInContainer = "/dev/.berth-eci-init";

// What runc would have handed the container's process, for the init to restore after locking.
struct CapabilitySets {
    std::uint64_t bounding = 0;
    std::uint64_t effective = 0;
    std::uint64_t permitted = 0;
    std::uint64_t inheritable = 0;
    std::uint64_t ambient = 0;
    bool operator==(const CapabilitySets&) const = default;
};

struct InitPlan {
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;
    std::vector<std::uint32_t> groups;
    std::optional<CapabilitySets> capabilities;  // nullopt: the spec names none, runc leaves them
    std::vector<std::string> command;
    bool operator==(const InitPlan&) const = default;
};

// The init's arguments (after its own path): options, "--", the command.
std::vector<std::string> initArguments(const InitPlan& plan);
// The reverse; nullopt with `error` set when the arguments are not ones initArguments made.
std::optional<InitPlan> parseInitArguments(const std::vector<std::string>& args, std::string& error);

// A capability's number by its OCI name ("CAP_SYS_ADMIN" -> 21); nullopt for a name this
// code does not know (runc ignores those too).
std::optional<int> capabilityNumber(const std::string& name);

// Whether a seccomp action keeps the call from happening (ERRNO returns, TRAP raises SIGSYS,
// KILL* ends the caller); anything else (ALLOW, LOG, TRACE, NOTIFY, newer ones) may let it through.
bool seccompActionRefuses(const std::string& action);

// Whether any process of the container may reach a call that unmounts, moves or makes a mount
// (mount, umount, umount2, move_mount, open_tree, fsopen, fsmount), judged from the spec's seccomp
// profile after the wrapper's own rules. Conditional rules count as letting the call through.
bool mayChangeMounts(const nlohmann::json& seccomp);

// What the spec's process is (user, groups, capabilities, command); nullopt with `error` set
// when the spec has no command or a malformed user.
std::optional<InitPlan> initPlanFor(const nlohmann::json& spec, std::string& error);

// Makes the spec start with the init when the container may change mounts; `initSource` is the
// init program's path in the VM. Returns an error message, or empty.
std::string lockMountsAtStart(nlohmann::json& spec, const std::string& initSource);

// Whether the mount namespace of process `pid` is owned by another user namespace than the
// process's own (the init has locked it); nullopt when the process is gone or unreadable.
std::optional<bool> mountsLocked(int pid);

}  // namespace berth::guest::eci
