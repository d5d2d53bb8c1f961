#pragma once

// Reading the small files ECI decides on (dockerd's records, /proc, the guest config).

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "berth/contracts/guest_config.h"

namespace berth::guest::eci {

// The whole file; empty when it cannot be read.
std::string readFile(const std::string& path);

// The file parsed as JSON; a discarded value when it cannot be read or parsed (callers check
// is_object() or the like, so a missing file and a broken one are both "nothing known").
nlohmann::json readJsonFile(const std::string& path);

// The guest config the host wrote (paths::kFwCfgConfig), read as the agent reads it: nullopt when
// the file is missing or is not a config contracts::parseGuestConfig accepts, and `error` says
// why. Callers stop there: ECI never runs on defaults the host did not give.
std::optional<contracts::GuestConfig> readGuestConfig(const std::string& path, std::string* error);

}  // namespace berth::guest::eci
