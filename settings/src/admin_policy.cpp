#include "berth/settings/admin_policy.h"

#include <algorithm>
#include <optional>
#include <set>
#include <tuple>

#include "berth/settings/file_sharing.h"
#include "berth/settings/schema.h"

namespace berth::settings {

namespace {

// Docker Desktop settings that Berth recognises but does not implement: they are reported as
// ignored with that explanation instead of as unknown.
const std::set<std::string, std::less<>>& dockerOnlyKeys()
{
    static const std::set<std::string, std::less<>> names = {
        "displayedOnboarding", "desktopTerminalEnabled", "silentModulesUpdate", "extensionsEnabled",
        "onlyMarketplaceExtensions", "extensionsPrivateMarketplace", "extensionsPrivateMarketplaceAdminContactURL",
        "useVirtualizationFrameworkVirtioFS", "useGrpcfuse", "useVirtualizationFrameworkRosetta", "scout", "kubernetes",
        "windowsContainers", "defaultNetworkingMode", "dnsInhibition", "portBindingBehavior", "enableInference",
        "enableInferenceTCP", "enableInferenceTCPPort", "enableInferenceCORS", "enableInferenceGPUVariant",
        "allowBetaFeatures", "allowExperimentalFeatures", "enableDockerAI", "enableDockerMCPToolkit", "enableCloud",
        "KubernetesImagesRepository", "useWindowsContainers", "wslEngineEnabled", "vpnkitCIDR",
        // members of proxy and containersProxy
        "windowsDockerdPort", "enableKerberosNtlm", "pac", "embeddedPac", "transparentPorts"};
    return names;
}

// The shape of admin-settings.json that Berth understands, derived from the schema.
struct AdminShape {
    std::map<std::string, const SettingSpec*, std::less<>> wrapped;  // {"locked", "value"} objects
    std::map<std::string, const SettingSpec*, std::less<>> members;  // plain values inside a group
    std::map<std::string, const SettingSpec*, std::less<>> directoryLists;  // filesharingAllowedDirectories
    std::set<std::string, std::less<>> containers;  // objects that hold the above
    std::set<std::string, std::less<>> groupLocks;  // containers whose own "locked" locks their members

    static const AdminShape& get()
    {
        static const AdminShape shape = [] {
            AdminShape s;
            for (const auto& spec : schema()) {
                if (spec.adminForm == AdminForm::None) { continue; }
                const std::string path(spec.adminPath);
                switch (spec.adminForm) {
                case AdminForm::Wrapped: s.wrapped[path] = &spec; break;
                case AdminForm::GroupMember: s.members[path] = &spec; break;
                case AdminForm::AllowedDirectories: s.directoryLists[path] = &spec; break;
                case AdminForm::None: break;
                }
                if (spec.adminForm == AdminForm::GroupMember && spec.lockPath != spec.adminPath) {
                    s.groupLocks.insert(std::string(spec.lockPath));
                }
                for (auto slash = path.rfind('/'); slash != 0 && slash != std::string::npos;
                     slash = path.rfind('/', slash - 1)) {
                    s.containers.insert(path.substr(0, slash));
                }
            }
            return s;
        }();
        return shape;
    }
};

class Checker {
public:
    Checker(const LocatedJson& doc, AdminPolicy& policy) : m_doc(doc), m_policy(policy) {}

    void run()
    {
        const auto& root = m_doc.value;
        if (!root.is_object()) {
            error("", "the file must hold a JSON object, not " + std::string(root.type_name()),
                  "start from {\"configurationFileVersion\": 2}");
            return;
        }
        checkVersion(root);
        walkContainer("", root);
        collect();
    }

private:
    void report(Diagnostic::Severity severity, const std::string& pointer, std::string message, std::string fix)
    {
        const TextPosition at = m_doc.positionOf(pointer);
        m_policy.diagnostics.push_back(Diagnostic{severity, m_policy.file, at.line, at.column, displayKey(pointer),
                                                  std::move(message), std::move(fix)});
    }
    void error(const std::string& pointer, std::string message, std::string fix)
    {
        report(Diagnostic::Severity::Error, pointer, std::move(message), std::move(fix));
    }

    static std::string displayKey(const std::string& pointer)
    {
        std::string key = pointer.empty() ? "" : pointer.substr(1);
        std::replace(key.begin(), key.end(), '/', '.');
        return key;
    }

    void checkVersion(const nlohmann::json& root)
    {
        const auto it = root.find("configurationFileVersion");
        if (it == root.end()) {
            error("", "\"configurationFileVersion\" is missing",
                  "add \"configurationFileVersion\": 2 as the first member");
        } else if (!it->is_number_integer()) {
            error("/configurationFileVersion", "\"configurationFileVersion\" must be the number 2, got " + it->dump(),
                  "write \"configurationFileVersion\": 2");
        } else if (it->get<std::int64_t>() != 2) {
            error("/configurationFileVersion",
                  "configurationFileVersion " + it->dump() + " is not supported; Berth reads version 2",
                  "convert the file to Docker Desktop's version 2 format (settings as {\"locked\": ..., "
                  "\"value\": ...}) and set \"configurationFileVersion\": 2");
        }
    }

    void ignored(const std::string& pointer, const std::string& name)
    {
        const bool docker = dockerOnlyKeys().contains(name);
        report(Diagnostic::Severity::Warning, pointer,
               "\"" + displayKey(pointer) + "\" is ignored: "
                   + (docker ? "Berth does not implement this Docker Desktop setting" : "not a setting Berth knows"),
               docker ? "" : "check the spelling; keys are case-sensitive");
    }

    void walkContainer(const std::string& pointer, const nlohmann::json& node)
    {
        for (const auto& [name, child] : node.items()) {
            const std::string childPointer = pointerChild(pointer, name);
            if (pointer.empty() && name == "configurationFileVersion") { continue; }
            const auto& shape = AdminShape::get();
            if (name == "locked" && shape.groupLocks.contains(pointer) && !shape.wrapped.contains(pointer)) {
                readLock(pointer, child);
                continue;
            }
            if (auto w = shape.wrapped.find(childPointer); w != shape.wrapped.end()) {
                wrapped(childPointer, child, *w->second);
            } else if (auto m = shape.members.find(childPointer); m != shape.members.end()) {
                member(childPointer, child, *m->second);
            } else if (auto d = shape.directoryLists.find(childPointer); d != shape.directoryLists.end()) {
                allowedDirectories(childPointer, child, *d->second);
            } else if (shape.containers.contains(childPointer)) {
                if (!child.is_object()) {
                    error(childPointer,
                          "\"" + displayKey(childPointer) + "\" must be an object, got "
                              + std::string(child.type_name()),
                          "");
                } else {
                    walkContainer(childPointer, child);
                }
            } else {
                ignored(childPointer, name);
            }
        }
    }

    bool valueMatches(const std::string& pointer, const nlohmann::json& value, const SettingSpec& spec)
    {
        if (auto problem = typeError(spec, value)) {
            error(pointer, "wrong value for \"" + displayKey(pointer) + "\": " + *problem, "use " + describeType(spec));
            return false;
        }
        return true;
    }

    void wrapped(const std::string& pointer, const nlohmann::json& node, const SettingSpec& spec)
    {
        const std::string key = displayKey(pointer);
        if (!node.is_object()) {
            error(pointer,
                  "\"" + key + "\" must be an object like {\"locked\": true, \"value\": ...}, got " + node.dump(),
                  "wrap the value: \"" + key + "\": {\"locked\": true, \"value\": " + node.dump() + "}");
            return;
        }
        const auto lockIt = node.find("locked");
        const bool locked = lockIt != node.end() && readLock(pointer, *lockIt);
        if (auto it = node.find("value"); it != node.end()) {
            if (valueMatches(pointer + "/value", *it, spec)) {
                m_found[std::string(spec.key)] = {*it, pointer + "/value"};
            }
        } else if (locked) {
            error(pointer, "\"" + key + "\" is locked but has no \"value\"",
                  "add \"value\": " + spec.defaultValue.dump() + " (or the value to enforce)");
        }
        for (const auto& [name, child] : node.items()) {
            if (name == "locked" || name == "value") { continue; }
            const std::string childPointer = pointerChild(pointer, name);
            if (AdminShape::get().containers.contains(childPointer)) {
                if (child.is_object()) {
                    walkContainer(childPointer, child);
                } else {
                    error(childPointer, "\"" + displayKey(childPointer) + "\" must be an object", "");
                }
            } else {
                ignored(childPointer, name);
            }
        }
    }

    // A group's "locked" (a wrapped setting's, or one among a proxy group's plain members).
    bool readLock(const std::string& group, const nlohmann::json& value)
    {
        bool locked = true;  // an admin meant to lock something; never treat a typo as unlocked
        if (value.is_boolean()) {
            locked = value.get<bool>();
        } else {
            error(pointerChild(group, "locked"), "\"locked\" must be true or false, got " + value.dump(), "");
        }
        m_locks[group] = locked;
        return locked;
    }

    void member(const std::string& pointer, const nlohmann::json& value, const SettingSpec& spec)
    {
        if (valueMatches(pointer, value, spec)) { m_found[std::string(spec.key)] = {value, pointer}; }
    }

    // Docker Desktop's filesharingAllowedDirectories, [{"path": "$HOME", "sharedByDefault": true}, ...]:
    // its presence locks the setting to the paths shared by default. The others are allowed but not
    // shared; Berth offers no way to add a share within them (admin-guide.md).
    void allowedDirectories(const std::string& pointer, const nlohmann::json& node, const SettingSpec& spec)
    {
        const std::string key = displayKey(pointer);
        const std::string example = "{\"path\": \"$HOME\", \"sharedByDefault\": true}";
        m_locks[std::string(spec.lockPath)] = true;
        if (!node.is_array()) {
            error(pointer, "\"" + key + "\" must be an array of objects like " + example + ", got " + node.dump(),
                  "write \"" + key + "\": [" + example + "]");
            return;
        }
        bool valid = true;
        nlohmann::json shared = nlohmann::json::array();
        for (std::size_t i = 0; i < node.size(); ++i) {
            const std::string entryPointer = pointerIndex(pointer, i);
            const nlohmann::json& entry = node[i];
            if (!entry.is_object()) {
                error(entryPointer,
                      "each entry of \"" + key + "\" must be an object like " + example + ", got " + entry.dump(),
                      "write the entry as " + example);
                valid = false;
                continue;
            }
            std::optional<std::string> path;
            bool sharedByDefault = false;  // Docker Desktop's default: allowed, not shared
            for (const auto& [name, child] : entry.items()) {
                const std::string childPointer = pointerChild(entryPointer, name);
                if (name == "path") {
                    std::optional<std::string> problem = "expected a string, got " + child.dump();
                    if (child.is_string()) { problem = directoryEntryError(child.get<std::string>()); }
                    if (problem) {
                        error(childPointer, "wrong \"path\" in \"" + key + "\": " + *problem,
                              "use an absolute path, or one starting with $HOME, $TMP, $TEMP or ~, outside the "
                              "folders the VM's own system lives in (/etc, /usr, /var, ...)");
                        valid = false;
                    } else {
                        path = child.get<std::string>();
                    }
                } else if (name == "sharedByDefault") {
                    if (child.is_boolean()) {
                        sharedByDefault = child.get<bool>();
                    } else {
                        error(childPointer, "\"sharedByDefault\" must be true or false, got " + child.dump(),
                              "write \"sharedByDefault\": true to share the directory, false to only allow it");
                        valid = false;
                    }
                } else {
                    error(childPointer,
                          "\"" + name + "\" is not a member of a \"" + key
                              + "\" entry, which holds \"path\" and \"sharedByDefault\"",
                          "check the spelling (names are case-sensitive) or remove it");
                    valid = false;
                }
            }
            if (!entry.contains("path")) {
                error(entryPointer, "an entry of \"" + key + "\" has no \"path\"",
                      "add \"path\": \"/the/directory\" (or \"$HOME\", ...) to the entry, or remove it");
                valid = false;
            }
            if (path && sharedByDefault) { shared.push_back(*path); }
        }
        if (valid) { m_found[std::string(spec.key)] = {shared, pointer}; }
    }

    // A lock on a group locks all of its members, including those the file does not mention:
    // they are held at their built-in defaults.
    void collect()
    {
        for (const auto& spec : schema()) {
            if (spec.adminForm == AdminForm::None) { continue; }
            const auto lock = m_locks.find(spec.lockPath);
            const bool locked = lock != m_locks.end() && lock->second;
            const std::string key(spec.key);
            if (auto it = m_found.find(key); it != m_found.end()) {
                m_policy.settings[key] = AdminSetting{it->second.value, locked, m_doc.positionOf(it->second.pointer)};
            } else if (locked && spec.adminForm == AdminForm::GroupMember) {
                m_policy.settings[key]
                    = AdminSetting{spec.defaultValue, true, m_doc.positionOf(std::string(spec.lockPath))};
            }
        }
    }

    struct Found {
        nlohmann::json value;
        std::string pointer;
    };

    const LocatedJson& m_doc;
    AdminPolicy& m_policy;
    std::map<std::string, bool, std::less<>> m_locks;
    std::map<std::string, Found, std::less<>> m_found;
};

}  // namespace

const AdminSetting* AdminPolicy::find(std::string_view key) const
{
    if (state != State::Valid) { return nullptr; }
    const auto it = settings.find(key);
    return it == settings.end() ? nullptr : &it->second;
}

bool AdminPolicy::isLocked(std::string_view key) const
{
    const AdminSetting* setting = find(key);
    return setting != nullptr && setting->locked;
}

const Diagnostic* AdminPolicy::firstError() const
{
    for (const auto& d : diagnostics) {
        if (d.severity == Diagnostic::Severity::Error) { return &d; }
    }
    return nullptr;
}

const char* stateName(AdminPolicy::State state)
{
    switch (state) {
    case AdminPolicy::State::Absent: return "none";
    case AdminPolicy::State::Valid: return "valid";
    case AdminPolicy::State::Invalid: return "invalid";
    }
    return "invalid";
}

AdminPolicy parseAdminPolicy(std::string_view text, const std::string& file)
{
    AdminPolicy policy;
    policy.file = file;
    auto parsed = parseLocatedJson(text);
    if (auto* failure = std::get_if<JsonTextError>(&parsed)) {
        policy.state = AdminPolicy::State::Invalid;
        policy.diagnostics.push_back(Diagnostic{Diagnostic::Severity::Error, file, failure->at.line, failure->at.column,
                                                "", failure->message, failure->fix});
        return policy;
    }
    Checker(std::get<LocatedJson>(parsed), policy).run();
    // The checker walks members in name order; report them in file order.
    std::stable_sort(policy.diagnostics.begin(), policy.diagnostics.end(),
                     [](const Diagnostic& a, const Diagnostic& b) {
                         return std::tie(a.line, a.column) < std::tie(b.line, b.column);
                     });
    policy.state = hasErrors(policy.diagnostics) ? AdminPolicy::State::Invalid : AdminPolicy::State::Valid;
    if (policy.state == AdminPolicy::State::Invalid) { policy.settings.clear(); }
    return policy;
}

AdminPolicy loadAdminPolicy(const std::filesystem::path& path, const TrustRules& rules)
{
    TrustedFile file = readTrustedFile(path, rules);
    switch (file.status) {
    case TrustedFile::Status::Absent: {
        AdminPolicy policy;
        policy.file = path.string();
        return policy;
    }
    case TrustedFile::Status::Rejected: {
        AdminPolicy policy;
        policy.file = path.string();
        policy.state = AdminPolicy::State::Invalid;
        policy.diagnostics.push_back(std::move(file.problem));
        return policy;
    }
    case TrustedFile::Status::Read: break;
    }
    return parseAdminPolicy(file.contents, path.string());
}

}  // namespace berth::settings
