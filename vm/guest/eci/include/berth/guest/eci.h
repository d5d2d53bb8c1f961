#pragma once

// Enhanced Container Isolation inside the guest, as the guest agent sees it: what ECI adds to
// dockerd's configuration and which helper services must run before dockerd starts. The agent
// merges daemonOptions() over the daemon.json it builds (these keys win) and starts services()
// before dockerd, stopping them after dockerd at shutdown.

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace berth::guest::eci {

// guestConfig: the guest config from fw_cfg (settings/guest_config.h describes its shape).
nlohmann::json daemonOptions(const nlohmann::json& guestConfig);

struct Service {
    std::string name;               // for logs and phases
    std::vector<std::string> argv;  // argv[0] is an absolute path in the guest
};
std::vector<Service> services(const nlohmann::json& guestConfig);

}  // namespace berth::guest::eci
