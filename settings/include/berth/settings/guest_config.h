#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "berth/contracts/guest_config.h"
#include "berth/settings/proxy.h"
#include "berth/settings/settings.h"

namespace berth::settings {

// The guest config for these effective settings (a pure function of them; its type and JSON form
// are the host-guest contract, berth/contracts/guest_config.h). The daemon options lose the keys
// the guest controls (contracts::kControlledDaemonOptions), listed in overriddenDaemonOptions, so
// they cannot weaken the endpoint or ECI. With ECI on, daemon options that make dockerd run
// VM-root programs on a container's behalf (userland-proxy-path, init-path), enable
// checkpoint/restore (experimental) or change every container's seccomp profile count only when
// an administrator set them: from the user they are removed and listed too. Which runtime is the
// default is the guest's to decide. The engine's proxy is the one `proxy` names, read from
// `environment` in "system" mode, as the VM reaches it. The shared directories are
// fileSharing.directories expanded with `environment` (sharedDirectories in file_sharing.h, whose
// problems say what was left out).
contracts::GuestConfig guestConfig(const Settings& settings, const EnvironmentLookup& environment = {});

// The keys of `daemonOptions` that only an administrator may set while ECI is on.
std::vector<std::string> adminOnlyDaemonOptionsUnderEci(const nlohmann::json& daemonOptions);

// Whether the engine may boot now, and with what. While a present admin policy is invalid the
// ECI state it demands is unknown, so the answer is no, with the file, line and column to fix.
struct LaunchDecision {
    bool allowed = false;
    contracts::GuestConfig guestConfig;  // when allowed
    std::string refusal;  // when not
    // When allowed: what the guest config leaves out and why (fileSharing.directories entries that
    // cannot be shared, SharedDirectories::problems), for the engine's log.
    std::vector<std::string> warnings;
};
LaunchDecision decideLaunch(const Settings& settings, const EnvironmentLookup& environment = {});

}  // namespace berth::settings
