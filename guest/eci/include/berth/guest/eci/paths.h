#pragma once

// Where ECI's pieces live in the guest. /run is a tmpfs (gone at every boot); the state dir is on
// the persistent data disk.

#include "berth/contracts/names.h"

namespace berth::guest::eci::paths {

inline constexpr const char* kWrapper = "/usr/lib/berth/bin/sysbox-runc";
inline constexpr const char* kAuthzProgram = "/usr/lib/berth/bin/berth-eci-authz";
// The first program of a container that may change its mounts (mount_lock.h).
inline constexpr const char* kEciInit = "/usr/lib/berth/bin/berth-eci-init";
inline constexpr const char* kDebianRunc = "/usr/sbin/runc";
// Debian's runc, kept reachable here before the wrapper is bind-mounted over /usr/sbin/runc.
inline constexpr const char* kPreservedRunc = "/run/berth/eci/runc";
inline constexpr const char* kRunDir = "/run/berth/eci";
inline constexpr const char* kPolicyFile = "/run/berth/eci/policy.json";
inline constexpr const char* kStagingRoot = "/run/berth/eci/containers";
inline constexpr const char* kDockerRoot = "/var/lib/docker";
inline constexpr const char* kStateDir = "/var/lib/docker/berth-eci";
// The guest config as QEMU hands it over; the wrapper's fallback when the policy file is missing.
inline constexpr const char* kFwCfgConfig = contracts::kGuestConfigInGuest;

}  // namespace berth::guest::eci::paths
