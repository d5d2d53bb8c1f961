#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "berth/settings/diagnostic.h"
#include "berth/settings/json_text.h"
#include "berth/settings/trusted_file.h"

namespace berth::settings {

// The fixed location shipped binaries read. Tests pass their own path through the API; there is
// deliberately no environment variable, so a user cannot point Berth at a policy of their own.
inline constexpr std::string_view kAdminSettingsPath = "/etc/berth/admin-settings.json";

// One admin-managed value, by schema key.
struct AdminSetting {
    nlohmann::json value;
    bool locked = false;
    TextPosition at;
};

// Docker Desktop's admin-settings.json (configurationFileVersion 2), read for Berth.
struct AdminPolicy {
    enum class State {
        Absent,  // no file: nothing is managed
        Valid,  // the file applies (it may still carry warnings, e.g. ignored keys)
        Invalid,  // present but unusable: fail closed, the engine must not start
    };

    State state = State::Absent;
    std::string file;
    std::map<std::string, AdminSetting, std::less<>> settings;
    Diagnostics diagnostics;  // every error (when Invalid) and warning, in file order

    [[nodiscard]] const AdminSetting* find(std::string_view key) const;
    [[nodiscard]] bool isLocked(std::string_view key) const;
    // The first error, for a one-line summary.
    [[nodiscard]] const Diagnostic* firstError() const;
};

// "none", "valid" or "invalid", as berthctl status reports it.
const char* stateName(AdminPolicy::State state);

// Reads and checks the file at `path` (trust rules first, then the contents). Never throws.
AdminPolicy loadAdminPolicy(const std::filesystem::path& path, const TrustRules& rules = {});

// Checks the contents only; `file` names them in diagnostics. Never throws.
AdminPolicy parseAdminPolicy(std::string_view text, const std::string& file);

}  // namespace berth::settings
