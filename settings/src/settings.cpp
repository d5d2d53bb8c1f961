#include "berth/settings/settings.h"

#include <algorithm>
#include <cstdlib>

#include <spdlog/spdlog.h>

#include "berth/settings/guest_config.h"

namespace berth::settings {

const char* sourceName(Source source)
{
    switch (source) {
    case Source::BuiltIn: return "default";
    case Source::AdminDefault: return "admin default";
    case Source::User: return "user";
    case Source::AdminLocked: return "admin lock";
    }
    return "default";
}

SettingsPaths SettingsPaths::forCurrentUser()
{
    SettingsPaths paths;
    const char* config = std::getenv("XDG_CONFIG_HOME");
    std::filesystem::path base;
    if (config != nullptr && config[0] == '/') {
        base = config;
    } else {
        const char* home = std::getenv("HOME");
        base = std::filesystem::path(home != nullptr ? home : "/") / ".config";
    }
    paths.userFile = base / "berth" / "settings-store.json";
    return paths;
}

bool Proposal::needsRestart() const
{
    return std::any_of(changes.begin(), changes.end(), [](const Change& c) { return c.restartNeeded; });
}

Settings Settings::load(SettingsPaths paths)
{
    Settings s;
    s.m_paths = std::move(paths);
    s.m_admin = loadAdminPolicy(s.m_paths.adminFile, s.m_paths.adminRules);
    for (const auto& d : s.m_admin.diagnostics) {
        if (d.severity == Diagnostic::Severity::Error) {
            spdlog::error("admin settings: {}", d.format());
        } else {
            spdlog::warn("admin settings: {}", d.format());
        }
    }
    s.m_user = UserStore(s.m_paths.userFile);
    s.m_userDiagnostics = s.m_user.load();
    for (const auto& [key, value] : s.m_user.values()) {
        const AdminSetting* admin = s.m_admin.find(key);
        if (admin != nullptr && admin->locked && admin->value != value) {
            s.m_userDiagnostics.push_back(Diagnostic{Diagnostic::Severity::Notice, s.m_paths.userFile.string(), 0, 0,
                                                     key,
                                                     "\"" + key + "\" is set to " + value.dump() + " here, but "
                                                         + s.m_admin.file + " locks it to " + admin->value.dump(),
                                                     "the administrator's value applies"});
            spdlog::info("{}", s.m_userDiagnostics.back().format());
        }
    }
    return s;
}

EffectiveValue Settings::get(std::string_view key) const
{
    EffectiveValue out;
    out.spec = findSpec(key);
    if (out.spec == nullptr) { throw std::out_of_range("unknown setting " + std::string(key)); }
    const AdminSetting* admin = m_admin.find(key);
    if (admin != nullptr && admin->locked) {
        out.value = admin->value;
        out.source = Source::AdminLocked;
        out.lockedBy = m_admin.file;
    } else if (auto user = m_user.value(key)) {
        out.value = *user;
        out.source = Source::User;
    } else if (admin != nullptr) {
        out.value = admin->value;
        out.source = Source::AdminDefault;
    } else {
        out.value = out.spec->defaultValue;
        out.source = Source::BuiltIn;
    }
    return out;
}

std::vector<EffectiveValue> Settings::all() const
{
    std::vector<EffectiveValue> out;
    for (const auto& spec : schema()) { out.push_back(get(spec.key)); }
    return out;
}

Proposal Settings::propose(const Draft& draft) const
{
    Proposal proposal;
    if (!engineStartAllowed()) {
        const Diagnostic* error = m_admin.firstError();
        proposal.errors.push_back("settings cannot be changed while " + m_admin.file + " is invalid: "
                                  + (error != nullptr ? error->format() : std::string("unknown problem")));
        return proposal;
    }
    for (const auto& spec : schema()) {  // schema order keeps proposals stable
        const auto it = draft.find(spec.key);
        if (it == draft.end()) { continue; }
        const std::string key(spec.key);
        const nlohmann::json& desired = it->second;
        if (auto problem = typeError(spec, desired)) {
            proposal.errors.push_back("Invalid value for \"" + key + "\": " + *problem);
            continue;
        }
        const EffectiveValue current = get(key);
        if (current.value == desired) { continue; }  // Rancher's rule: only a change can hit a lock
        if (current.locked()) {
            proposal.errors.push_back("field \"" + key + "\" is locked by " + current.lockedBy);
            proposal.hasLockedFieldError = true;
            continue;
        }
        if (spec.mayOnlyGrow && desired.get<std::int64_t>() < current.value.get<std::int64_t>()) {
            proposal.errors.push_back("Cannot decrease \"" + key + "\" from " + current.value.dump() + " to "
                                      + desired.dump());
            continue;
        }
        proposal.changes.push_back(Change{key, current.value, desired, spec.restartNeeded});
    }
    for (const auto& [key, value] : draft) {
        if (findSpec(key) == nullptr) { proposal.errors.push_back("Unknown setting \"" + key + "\""); }
    }
    refuseAdminOnlyDaemonOptions(proposal);
    return proposal;
}

// With ECI on, some daemon options are an administrator's to set (guest_config.h). A change that
// would leave the user's options holding one, with ECI on, is refused and says which.
void Settings::refuseAdminOnlyDaemonOptions(Proposal& proposal) const
{
    const auto desired = [&](std::string_view key) {
        for (const auto& change : proposal.changes) {
            if (change.key == key) { return std::pair{change.desired, true}; }
        }
        return std::pair{get(key).value, false};
    };
    const auto [eci, eciChanged] = desired(keys::kEnhancedContainerIsolation);
    const auto [daemonText, daemonChanged] = desired(keys::kDockerDaemonOptions);
    const EffectiveValue daemonNow = get(keys::kDockerDaemonOptions);
    const bool fromAdmin
        = !daemonChanged && (daemonNow.source == Source::AdminLocked || daemonNow.source == Source::AdminDefault);
    if ((!eciChanged && !daemonChanged) || eci != true || fromAdmin || !daemonText.is_string()) { return; }
    const auto daemon = nlohmann::json::parse(daemonText.get<std::string>(), nullptr, false);
    for (const auto& key : adminOnlyDaemonOptionsUnderEci(daemon)) {
        proposal.errors.push_back("Docker Engine option \"" + key
                                  + "\" can only be set by an administrator while Enhanced Container Isolation is on");
    }
}

Proposal Settings::apply(const Draft& draft, const std::function<void()>& beforeRename)
{
    Proposal proposal = propose(draft);
    if (!proposal.ok() || proposal.changes.empty()) { return proposal; }
    UserStore updated = m_user;
    for (const auto& change : proposal.changes) { updated.set(change.key, change.desired); }
    if (auto error = updated.save(beforeRename)) {
        proposal.errors.push_back(error->format());
        return proposal;
    }
    m_user = std::move(updated);
    for (const auto& change : proposal.changes) {
        spdlog::info("setting {} changed from {} to {}", change.key, change.current.dump(), change.desired.dump());
    }
    return proposal;
}

std::optional<Diagnostic> Settings::resetUserSettings(std::string& backup)
{
    UserStore updated = m_user;
    if (auto error = updated.reset(backup)) { return error; }
    m_user = std::move(updated);
    return std::nullopt;
}

}  // namespace berth::settings
