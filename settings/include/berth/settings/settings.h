#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "berth/settings/admin_policy.h"
#include "berth/settings/schema.h"
#include "berth/settings/user_store.h"

namespace berth::settings {

struct SettingsPaths {
    std::filesystem::path adminFile{kAdminSettingsPath};
    std::filesystem::path userFile;
    TrustRules adminRules;

    // The shipped locations: the fixed admin path and $XDG_CONFIG_HOME/berth/settings-store.json.
    static SettingsPaths forCurrentUser();
};

enum class Source {
    BuiltIn,  // nobody set it
    AdminDefault,  // an unlocked value from admin-settings.json
    User,  // the user's own choice
    AdminLocked,  // enforced by admin-settings.json
};
const char* sourceName(Source source);

struct EffectiveValue {
    const SettingSpec* spec = nullptr;
    nlohmann::json value;
    Source source = Source::BuiltIn;
    std::string lockedBy;  // the admin file, when locked

    [[nodiscard]] bool locked() const { return source == Source::AdminLocked; }
};

// Desired values by key; keys left out keep their current value.
using Draft = std::map<std::string, nlohmann::json, std::less<>>;

struct Change {
    std::string key;
    nlohmann::json current;
    nlohmann::json desired;
    bool restartNeeded = false;
};

// What a draft would change (Rancher Desktop's propose_settings): nothing is written.
struct Proposal {
    std::vector<Change> changes;
    std::vector<std::string> errors;
    bool hasLockedFieldError = false;  // callers branch on this, never on message text

    [[nodiscard]] bool ok() const { return errors.empty(); }
    [[nodiscard]] bool needsRestart() const;
};

// Effective settings: locked admin value > the user's own value > unlocked admin value >
// built-in default. Locks are re-applied at every load and checked at every write, so editing
// settings-store.json by hand cannot defeat them.
class Settings {
public:
    // Reads both files. Never throws: problems end up in adminPolicy() and userDiagnostics().
    static Settings load(SettingsPaths paths);

    [[nodiscard]] const SettingsPaths& paths() const { return m_paths; }
    [[nodiscard]] const AdminPolicy& adminPolicy() const { return m_admin; }
    [[nodiscard]] const Diagnostics& userDiagnostics() const { return m_userDiagnostics; }

    // False while a present admin file is invalid: the ECI state it wants is unknown, so the
    // engine must not start (fail closed).
    [[nodiscard]] bool engineStartAllowed() const { return m_admin.state != AdminPolicy::State::Invalid; }

    // `key` must be in the schema.
    [[nodiscard]] EffectiveValue get(std::string_view key) const;
    [[nodiscard]] std::vector<EffectiveValue> all() const;

    [[nodiscard]] Proposal propose(const Draft& draft) const;
    // Validates, writes the user file atomically and returns what changed.
    Proposal apply(const Draft& draft, const std::function<void()>& beforeRename = {});
    // Forgets the user's values after a backup; admin values stay in force.
    std::optional<Diagnostic> resetUserSettings(std::string& backup);

private:
    void refuseAdminOnlyDaemonOptions(Proposal& proposal) const;
    SettingsPaths m_paths;
    AdminPolicy m_admin;
    UserStore m_user{""};
    Diagnostics m_userDiagnostics;
};

}  // namespace berth::settings
