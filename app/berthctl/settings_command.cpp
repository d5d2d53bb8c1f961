#include <algorithm>
#include <iomanip>
#include <ostream>

#include "berth/settings/admin_policy.h"
#include "berth/settings/settings.h"
#include "cli.h"

namespace berth::cli {

namespace {

using settings::Diagnostic;
using settings::Settings;

nlohmann::json toJson(const settings::EffectiveValue& v)
{
    nlohmann::json out = {{"key", v.spec->key},
                          {"value", v.value},
                          {"source", settings::sourceName(v.source)},
                          {"locked", v.locked()},
                          {"restartNeeded", v.spec->restartNeeded},
                          {"label", v.spec->label}};
    if (v.locked()) { out["lockedBy"] = v.lockedBy; }
    return out;
}

int list(const Settings& s, bool json, Context& c)
{
    reportInvalidPolicy(s, c.err);
    if (json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& v : s.all()) { out.push_back(toJson(v)); }
        c.out << out.dump(2) << "\n";
        return kOk;
    }
    std::size_t keyWidth = 3;
    for (const auto& v : s.all()) { keyWidth = std::max(keyWidth, v.spec->key.size()); }
    c.out << std::left << std::setw(static_cast<int>(keyWidth) + 2) << "KEY" << std::setw(28) << "VALUE"
          << std::setw(15) << "SOURCE"
          << "RESTART\n";
    for (const auto& v : s.all()) {
        std::string value = settings::displayValue(v.value);
        if (value.size() > 26) { value = value.substr(0, 23) + "..."; }
        c.out << std::setw(static_cast<int>(keyWidth) + 2) << std::string(v.spec->key) << std::setw(28)
              << (value.empty() ? "-" : value) << std::setw(15) << settings::sourceName(v.source)
              << (v.spec->restartNeeded ? "yes" : "no");
        if (v.locked()) { c.out << "   locked by " << v.lockedBy; }
        c.out << "\n";
    }
    return kOk;
}

int get(const Settings& s, const std::string& key, Context& c)
{
    if (settings::findSpec(key) == nullptr) {
        c.err << "berthctl: unknown setting \"" << key << "\" (see `berthctl settings list`)\n";
        return kFailed;
    }
    reportInvalidPolicy(s, c.err);
    c.out << settings::displayValue(s.get(key).value) << "\n";
    return kOk;
}

int set(Settings& s, std::vector<std::string> assignments, Context& c)
{
    // `settings set KEY VALUE` is the one-setting form of `settings set KEY=VALUE`.
    if (assignments.size() == 2 && assignments[0].find('=') == std::string::npos) {
        assignments = {assignments[0] + "=" + assignments[1]};
    }
    if (assignments.empty()) {
        c.err << "berthctl: settings set needs KEY=VALUE\n";
        return kUsage;
    }
    settings::Draft draft;
    for (const auto& assignment : assignments) {
        const auto equals = assignment.find('=');
        if (equals == std::string::npos || equals == 0) {
            c.err << "berthctl: expected KEY=VALUE, got \"" << assignment << "\"\n";
            return kUsage;
        }
        const std::string key = assignment.substr(0, equals);
        const auto* spec = settings::findSpec(key);
        if (spec == nullptr) {
            c.err << "berthctl: unknown setting \"" << key << "\" (see `berthctl settings list`)\n";
            return kFailed;
        }
        const auto parsed = settings::parseValueText(*spec, assignment.substr(equals + 1));
        if (!parsed.error.empty()) {
            c.err << "Invalid value for \"" << key << "\": " << parsed.error << "\n";
            return kFailed;
        }
        draft[key] = parsed.value;
    }
    const auto result = s.apply(draft);
    if (!result.ok()) {
        c.err << "Errors in proposed settings:\n";
        for (const auto& e : result.errors) { c.err << "  " << e << "\n"; }
        return result.hasLockedFieldError ? kLocked : kFailed;
    }
    if (result.changes.empty()) {
        c.out << "Status: no changes necessary.\n";
        return kOk;
    }
    for (const auto& change : result.changes) {
        c.out << change.key << ": " << settings::displayValue(change.current) << " -> "
              << settings::displayValue(change.desired) << "\n";
    }
    if (result.needsRestart()) {
        c.out << "Saved. The engine picks this up after a full restart: run `berthctl restart` "
                 "(or Apply & restart in Settings).\n";
    } else {
        c.out << "Saved.\n";
    }
    return kOk;
}

int checkAdmin(const std::vector<std::string>& args, Context& c)
{
    std::filesystem::path path = c.paths.adminFile;
    bool explicitPath = false;
    settings::TrustRules rules = c.paths.adminRules;
    for (const auto& arg : args) {
        if (arg == "--content-only") {
            rules.checkOwnership = false;
        } else if (!arg.empty() && arg[0] == '-') {
            c.err << "berthctl: unknown option " << arg << "\n";
            return kUsage;
        } else {
            path = arg;
            explicitPath = true;
        }
    }
    const auto policy = settings::loadAdminPolicy(path, rules);
    switch (policy.state) {
    case settings::AdminPolicy::State::Absent:
        if (explicitPath) {
            c.err << path.string() << ": error: no such file\n";
            return kFailed;
        }
        c.out << "No admin settings at " << path.string() << ": nothing is managed.\n";
        return kOk;
    case settings::AdminPolicy::State::Invalid:
        printDiagnostics(policy.diagnostics, c.err);
        c.err << path.string() << " is invalid. While it is, Berth will not start the engine.\n";
        return kFailed;
    case settings::AdminPolicy::State::Valid: break;
    }
    printDiagnostics(policy.diagnostics, c.err);
    const auto locked = std::count_if(policy.settings.begin(), policy.settings.end(),
                                      [](const auto& entry) { return entry.second.locked; });
    c.out << path.string() << " is valid: " << policy.settings.size() << " settings (" << locked << " locked), "
          << policy.diagnostics.size() << " ignored.\n";
    if (!rules.checkOwnership) {
        c.out << "Ownership and permissions were not checked (--content-only); deployed, the file must be "
                 "owned by root and not writable by group or others.\n";
    }
    return kOk;
}

int reset(Settings& s, Context& c)
{
    std::string backup;
    if (auto error = s.resetUserSettings(backup)) {
        c.err << error->format() << "\n";
        return kFailed;
    }
    c.out << "Your settings were reset to the defaults";
    if (!backup.empty()) { c.out << "; the previous file is kept as " << backup; }
    c.out << ".\n";
    return kOk;
}

}  // namespace

int settingsCommand(const std::vector<std::string>& args, Context& c)
{
    if (args.empty()) {
        c.err << "berthctl: settings needs a subcommand: list, get, set, check-admin, reset\n";
        return kUsage;
    }
    const std::string& sub = args[0];
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    if (sub == "check-admin") { return checkAdmin(rest, c); }

    Settings s = Settings::load(c.paths);
    printDiagnostics(s.userDiagnostics(), c.err);
    if (sub == "list") {
        const bool json = std::find(rest.begin(), rest.end(), "--json") != rest.end();
        return list(s, json, c);
    }
    if (sub == "get" && rest.size() == 1) { return get(s, rest[0], c); }
    if (sub == "set") { return set(s, rest, c); }
    if (sub == "reset" && rest.empty()) { return reset(s, c); }
    c.err << "berthctl: unknown or incomplete settings command (see `berthctl --help`)\n";
    return kUsage;
}

}  // namespace berth::cli
