#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "berth/settings/diagnostic.h"

namespace berth::settings {

// The user's own settings: $XDG_CONFIG_HOME/berth/settings-store.json, a flat JSON object keyed by
// setting key ({"settingsVersion": 1, "enhancedContainerIsolation": true, ...}). It holds only the
// values the user chose. Members this version does not know (a newer Berth wrote them) are kept
// as they are on every rewrite.
class UserStore {
public:
    static constexpr int kVersion = 1;

    explicit UserStore(std::filesystem::path file);

    // Reads the file. A file that is not a JSON object is moved aside to
    // settings-store.json.corrupt-<timestamp> and reported; defaults are used. A known key with
    // a wrong value is reported and left untouched in the file. Never throws.
    Diagnostics load();

    [[nodiscard]] const std::filesystem::path& file() const { return m_file; }
    [[nodiscard]] std::optional<nlohmann::json> value(std::string_view key) const;
    [[nodiscard]] const std::map<std::string, nlohmann::json, std::less<>>& values() const { return m_values; }

    void set(const std::string& key, const nlohmann::json& value);

    // Writes atomically (0600, directory 0700). Returns the problem, if any.
    std::optional<Diagnostic> save(const std::function<void()>& beforeRename = {});

    // Copies the file to settings-store.json.bak-<timestamp> (reported in `backup`), then
    // forgets every value. Returns the problem, if any.
    std::optional<Diagnostic> reset(std::string& backup);

private:
    std::filesystem::path m_file;
    nlohmann::json m_document = nlohmann::json::object();
    std::map<std::string, nlohmann::json, std::less<>> m_values;
    bool m_unsafeToWrite = false;  // the file exists but could not be read or moved aside
};

// The contents of a user settings file, checked against the schema. Never throws.
struct ParsedUserSettings {
    nlohmann::json document = nlohmann::json::object();  // everything, unknown keys too
    std::map<std::string, nlohmann::json, std::less<>> values;  // known keys with valid values
    Diagnostics problems;  // known keys with wrong values
    std::optional<Diagnostic> corruption;  // set when the text is unusable
};
ParsedUserSettings parseUserSettings(std::string_view text, const std::filesystem::path& file);

// A free name next to `file` with `suffix` and a timestamp, e.g. settings-store.json.corrupt-2026...Z.
std::filesystem::path asideName(const std::filesystem::path& file, std::string_view suffix);

}  // namespace berth::settings
