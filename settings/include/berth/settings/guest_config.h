#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "berth/settings/settings.h"

namespace berth::settings {

inline constexpr int kGuestConfigVersion = 1;

// The guest runtime config handed to the VM over fw_cfg (opt/berth/config): a pure function of
// the effective settings. Shape:
//   {"configVersion": 1,
//    "enhancedContainerIsolation": {"enabled": bool,
//        "dockerSocketMount": {"imageList": {"images": [...], "allowDerivedImages": bool},
//                              "commandList": {"type": "allow"|"deny", "commands": [...]}}},
//    "blockDockerLoad": bool, "exposeDockerAPIOnTCP2375": bool,
//    "dockerDaemonOptions": {...},           // the user's/admin's options minus the keys below
//    "overriddenDaemonOptions": ["hosts", ...]}
// Keys Berth must control (listeners and TLS, storage locations, runtimes, authorization, user
// namespaces) are removed from the daemon options and listed, so they cannot weaken the endpoint
// or ECI; with ECI on, the default runtime is Berth's isolating runtime.
// With ECI on, daemon options that make dockerd run VM-root programs on a container's behalf
// (userland-proxy-path, init-path), enable checkpoint/restore (experimental) or change every
// container's seccomp profile count only when an administrator set them: from the user they are
// removed and listed with the overridden ones.
nlohmann::json guestConfig(const Settings& settings);

// The keys of `daemonOptions` that only an administrator may set while ECI is on.
std::vector<std::string> adminOnlyDaemonOptionsUnderEci(const nlohmann::json& daemonOptions);

// Whether the engine may boot now, and with what. While a present admin policy is invalid the
// ECI state it demands is unknown, so the answer is no, with the file, line and column to fix.
struct LaunchDecision {
    bool allowed = false;
    nlohmann::json guestConfig;  // when allowed
    std::string refusal;  // when not
};
LaunchDecision decideLaunch(const Settings& settings);

}  // namespace berth::settings
