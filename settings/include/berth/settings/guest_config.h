#pragma once

#include <nlohmann/json.hpp>

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
nlohmann::json guestConfig(const Settings& settings);

}  // namespace berth::settings
