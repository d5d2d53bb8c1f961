#pragma once

// Reading the small files ECI decides on (dockerd's records, /proc); the guest config has its
// own strict reader, contracts::readGuestConfig.

#include <nlohmann/json.hpp>

#include <string>

namespace berth::guest::eci {

// The whole file; empty when it cannot be read.
std::string readFile(const std::string& path);

// The file parsed as JSON; a discarded value when it cannot be read or parsed (callers check
// is_object() or the like, so a missing file and a broken one are both "nothing known").
nlohmann::json readJsonFile(const std::string& path);

}  // namespace berth::guest::eci
