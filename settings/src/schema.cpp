#include "berth/settings/schema.h"

#include "berth/settings/file_sharing.h"
#include "berth/settings/proxy.h"

#include <algorithm>
#include <charconv>

namespace berth::settings {

namespace {

constexpr std::string_view kEciLock = "/enhancedContainerIsolation";

// Docker Desktop's proxy groups, {"locked", "mode", "http", "https", "exclude"}: the same four
// settings under each group's name, locked together.
struct ProxyGroup {
    std::string_view modeKey, httpKey, httpsKey, excludeKey;
    std::string_view lockPath, modePath, httpPath, httpsPath, excludePath;  // JSON pointers
    std::string_view modeLabel, modeDescription, httpLabel, httpsLabel, excludeLabel, excludeDescription;
};

void addProxyGroup(std::vector<SettingSpec>& specs, const ProxyGroup& group)
{
    const auto spec = [&group](std::string_view key, ValueType type, nlohmann::json value, std::string_view label,
                               std::string_view description, std::string_view adminPath) {
        return SettingSpec{.key = key,
                           .type = type,
                           .defaultValue = std::move(value),
                           .label = label,
                           .description = description,
                           .restartNeeded = true,
                           .page = Page::Proxies,
                           .adminForm = AdminForm::GroupMember,
                           .adminPath = adminPath,
                           .lockPath = group.lockPath};
    };
    specs.push_back(
        spec(group.modeKey, ValueType::Enum, "system", group.modeLabel, group.modeDescription, group.modePath));
    specs.back().choices = {"system", "manual"};
    specs.push_back(spec(group.httpKey, ValueType::ProxyAddress, "", group.httpLabel, "", group.httpPath));
    specs.push_back(spec(group.httpsKey, ValueType::ProxyAddress, "", group.httpsLabel, "", group.httpsPath));
    specs.push_back(spec(group.excludeKey, ValueType::StringList, nlohmann::json::array(), group.excludeLabel,
                         group.excludeDescription, group.excludePath));
}

std::vector<SettingSpec> buildSchema()
{
    using nlohmann::json;
    std::vector<SettingSpec> specs = {
        {.key = keys::kEnhancedContainerIsolation,
         .type = ValueType::Bool,
         .defaultValue = false,
         .label = "Use Enhanced Container Isolation",
         .description = "Run every new container in its own user namespace, refuse host namespaces, and "
                        "guard the Docker socket, so malicious containers cannot compromise the VM or the host.",
         .restartNeeded = true,
         .page = Page::General,
         .adminForm = AdminForm::Wrapped,
         .adminPath = "/enhancedContainerIsolation",
         .lockPath = kEciLock},
        {.key = keys::kSocketMountImages,
         .type = ValueType::StringList,
         .defaultValue = json::array(),
         .label = "Images allowed to mount the Docker socket",
         .description = "name[:tag], name:*, name@sha256:..., or \"*\" for every image.",
         .restartNeeded = true,
         .page = Page::Hidden,
         .adminForm = AdminForm::GroupMember,
         .adminPath = "/enhancedContainerIsolation/dockerSocketMount/imageList/images",
         .lockPath = kEciLock},
        {.key = keys::kSocketMountAllowDerivedImages,
         .type = ValueType::Bool,
         .defaultValue = false,
         .label = "Allow images derived from allowed images",
         .description = "Local images built FROM an allowed image may mount the Docker socket too.",
         .restartNeeded = true,
         .page = Page::Hidden,
         .adminForm = AdminForm::GroupMember,
         .adminPath = "/enhancedContainerIsolation/dockerSocketMount/imageList/allowDerivedImages",
         .lockPath = kEciLock},
        {.key = keys::kSocketMountCommandListType,
         .type = ValueType::Enum,
         .defaultValue = "deny",
         .label = "Docker socket command list type",
         .description = "deny: block the listed commands; allow: allow only the listed commands.",
         .restartNeeded = true,
         .page = Page::Hidden,
         .adminForm = AdminForm::GroupMember,
         .adminPath = "/enhancedContainerIsolation/dockerSocketMount/commandList/type",
         .lockPath = kEciLock,
         .choices = {"allow", "deny"}},
        {.key = keys::kSocketMountCommands,
         .type = ValueType::StringList,
         .defaultValue = json::array(),
         .label = "Docker socket commands",
         .description = "Docker commands (e.g. push, build, image*) the command list applies to.",
         .restartNeeded = true,
         .page = Page::Hidden,
         .adminForm = AdminForm::GroupMember,
         .adminPath = "/enhancedContainerIsolation/dockerSocketMount/commandList/commands",
         .lockPath = kEciLock},
        {.key = keys::kDockerDaemonOptions,
         .type = ValueType::JsonObjectString,
         .defaultValue = "{}",
         .label = "Docker Engine configuration",
         .description = "daemon.json options for the engine in the VM, as a JSON object.",
         .restartNeeded = true,
         .page = Page::DockerEngine,
         .adminForm = AdminForm::Wrapped,
         .adminPath = "/linuxVM/dockerDaemonOptions",
         .lockPath = "/linuxVM/dockerDaemonOptions"},
        {.key = keys::kExposeDockerApiOnTcp2375,
         .type = ValueType::Bool,
         .defaultValue = false,
         .label = "Expose daemon on tcp://localhost:2375 without TLS (unsafe)",
         .description = "Anyone on this machine could control the engine. Loopback only.",
         .restartNeeded = true,
         .page = Page::General,
         .adminForm = AdminForm::Wrapped,
         .adminPath = "/exposeDockerAPIOnTCP2375",
         .lockPath = "/exposeDockerAPIOnTCP2375"},
        {.key = keys::kBlockDockerLoad,
         .type = ValueType::Bool,
         .defaultValue = false,
         .label = "Block docker load",
         .description = "Make `docker load` fail.",
         .restartNeeded = true,
         .page = Page::Hidden,
         .adminForm = AdminForm::Wrapped,
         .adminPath = "/blockDockerLoad",
         .lockPath = "/blockDockerLoad"},
        {.key = keys::kAnalyticsEnabled,
         .type = ValueType::Bool,
         .defaultValue = false,
         .label = "Send usage statistics",
         .description = "Berth collects nothing unless this is on.",
         .restartNeeded = false,
         .page = Page::General,
         .adminForm = AdminForm::Wrapped,
         .adminPath = "/analyticsEnabled",
         .lockPath = "/analyticsEnabled"},
        {.key = keys::kDisableUpdate,
         .type = ValueType::Bool,
         .defaultValue = false,
         .label = "Disable update checks",
         .description = "No update checks or notifications.",
         .restartNeeded = false,
         .page = Page::General,
         .adminForm = AdminForm::Wrapped,
         .adminPath = "/disableUpdate",
         .lockPath = "/disableUpdate"},
        // Docker Desktop Enterprise kept VM resources under linuxVM; admins can reuse those names.
        {.key = keys::kCpus,
         .type = ValueType::Integer,
         .defaultValue = 2,
         .label = "CPUs",
         .description = "Virtual CPUs for the VM.",
         .restartNeeded = true,
         .page = Page::Resources,
         .adminForm = AdminForm::Wrapped,
         .adminPath = "/linuxVM/cpus",
         .lockPath = "/linuxVM/cpus",
         .minimum = 1,
         .maximum = 64},
        {.key = keys::kMemoryMiB,
         .type = ValueType::Integer,
         .defaultValue = 4096,
         .label = "Memory (MiB)",
         .description = "Memory for the VM.",
         .restartNeeded = true,
         .page = Page::Resources,
         .adminForm = AdminForm::Wrapped,
         .adminPath = "/linuxVM/memoryMiB",
         .lockPath = "/linuxVM/memoryMiB",
         .minimum = 1024,
         .maximum = 262144},
        {.key = keys::kDiskSizeMiB,
         .type = ValueType::Integer,
         .defaultValue = 65536,
         .label = "Disk size (MiB)",
         .description = "Size of the data disk holding images, containers and volumes. It can only grow.",
         .restartNeeded = true,
         .page = Page::Resources,
         .adminForm = AdminForm::Wrapped,
         .adminPath = "/linuxVM/diskSizeMiB",
         .lockPath = "/linuxVM/diskSizeMiB",
         .minimum = 8192,
         .maximum = 4194304,
         .mayOnlyGrow = true},
        // Berth's own keys (Docker Desktop has no such choice), admin-lockable like the resources.
        {.key = keys::kVmManager,
         .type = ValueType::Enum,
         .defaultValue = "qemu",
         .label = "Virtual machine manager",
         .description = "QEMU runs the VM directly; libvirt runs it as a domain you see in virsh and virt-manager. "
                        "Switching keeps your images and volumes.",
         .restartNeeded = true,
         .page = Page::Resources,
         .adminForm = AdminForm::Wrapped,
         .adminPath = "/linuxVM/vmManager",
         .lockPath = "/linuxVM/vmManager",
         .choices = {"qemu", "libvirt"}},
        {.key = keys::kLibvirtUri,
         .type = ValueType::Enum,
         .defaultValue = "qemu:///session",
         .label = "libvirt connection",
         .description = "qemu:///session: your own VMs; qemu:///system: the system's (needs the libvirt group).",
         .restartNeeded = true,
         .page = Page::Resources,
         .adminForm = AdminForm::Wrapped,
         .adminPath = "/linuxVM/libvirtUri",
         .lockPath = "/linuxVM/libvirtUri",
         .choices = {"qemu:///session", "qemu:///system"}},
        // Docker Desktop's Resource Saver: berth-engine stops the VM once no container has run and
        // no client has been connected for the idle time, and starts it when a client connects.
        {.key = keys::kResourceSaver,
         .type = ValueType::Bool,
         .defaultValue = false,
         .label = "Resource Saver",
         .description = "Stop the VM when no container has run and no docker client has been connected for "
                        "the time below; the next docker command starts it again.",
         .restartNeeded = false,
         .page = Page::Resources,
         .adminForm = AdminForm::Wrapped,
         .adminPath = "/useResourceSaver",
         .lockPath = "/useResourceSaver"},
        {.key = keys::kResourceSaverIdleMinutes,
         .type = ValueType::Integer,
         .defaultValue = 5,
         .label = "Resource Saver idle time (minutes)",
         .description = "",
         .restartNeeded = false,
         .page = Page::Resources,
         .adminForm = AdminForm::Wrapped,
         .adminPath = "/resourceSaverIdleMinutes",
         .lockPath = "/resourceSaverIdleMinutes",
         .minimum = 1,
         .maximum = 1440},
        // Docker Desktop's Resources > File sharing. Its admin key lists allowed directories; Berth
        // shares those marked sharedByDefault and locks the list (admin_policy.cpp).
        {.key = keys::kFileSharingDirectories,
         .type = ValueType::DirectoryList,
         .defaultValue = json::array({"$HOME"}),
         .label = "File sharing",
         .description = "These directories and their subdirectories can be bind mounted into containers: the VM "
                        "sees each one at the same path. $HOME, $TMP, $TEMP and ~ are expanded when the VM starts.",
         .restartNeeded = true,
         .page = Page::Resources,
         .adminForm = AdminForm::AllowedDirectories,
         .adminPath = "/filesharingAllowedDirectories",
         .lockPath = "/filesharingAllowedDirectories"},
    };
    addProxyGroup(
        specs,
        {.modeKey = keys::kProxyMode,
         .httpKey = keys::kProxyHttp,
         .httpsKey = keys::kProxyHttps,
         .excludeKey = keys::kProxyExclude,
         .lockPath = "/proxy",
         .modePath = "/proxy/mode",
         .httpPath = "/proxy/http",
         .httpsPath = "/proxy/https",
         .excludePath = "/proxy/exclude",
         .modeLabel = "Engine proxy",
         .modeDescription = "system: the proxy of your environment (HTTP_PROXY, HTTPS_PROXY, NO_PROXY); "
                            "manual: the addresses below. The engine pulls and pushes images through it.",
         .httpLabel = "Web server (HTTP)",
         .httpsLabel = "Secure web server (HTTPS)",
         .excludeLabel = "Bypass the proxy for",
         .excludeDescription = "Hosts, domains and networks, e.g. registry.local, .corp.example, 10.0.0.0/8."});
    addProxyGroup(specs,
                  {.modeKey = keys::kContainersProxyMode,
                   .httpKey = keys::kContainersProxyHttp,
                   .httpsKey = keys::kContainersProxyHttps,
                   .excludeKey = keys::kContainersProxyExclude,
                   .lockPath = "/containersProxy",
                   .modePath = "/containersProxy/mode",
                   .httpPath = "/containersProxy/http",
                   .httpsPath = "/containersProxy/https",
                   .excludePath = "/containersProxy/exclude",
                   .modeLabel = "Containers' proxy",
                   .modeDescription = "What containers and builds started through Berth's docker context get as "
                                      "HTTP_PROXY, HTTPS_PROXY and NO_PROXY: the proxy of your environment (system) "
                                      "or the addresses below (manual).",
                   .httpLabel = "Containers' HTTP proxy",
                   .httpsLabel = "Containers' HTTPS proxy",
                   .excludeLabel = "Containers bypass the proxy for",
                   .excludeDescription = "Hosts, domains and networks, e.g. localhost, .corp.example."});
    specs.insert(specs.end(),
                 {
                     {.key = keys::kStartAtLogin,
                      .type = ValueType::Bool,
                      .defaultValue = false,
                      .label = "Start Berth when you sign in to your computer",
                      .description = "",
                      .restartNeeded = false,
                      .page = Page::General},
                     {.key = keys::kOpenDashboardAtStart,
                      .type = ValueType::Bool,
                      .defaultValue = true,
                      .label = "Open the Berth dashboard when Berth starts",
                      .description = "",
                      .restartNeeded = false,
                      .page = Page::General},
                     {.key = keys::kTheme,
                      .type = ValueType::Enum,
                      .defaultValue = "system",
                      .label = "Theme",
                      .description = "Light, dark, or follow the system.",
                      .restartNeeded = false,
                      .page = Page::General,
                      .choices = {"system", "light", "dark"}},
                 });
    return specs;
}

std::string joined(const std::vector<std::string>& words, std::string_view separator)
{
    std::string out;
    for (const auto& w : words) {
        if (!out.empty()) { out += separator; }
        out += w;
    }
    return out;
}

std::string lowercase(std::string_view text)
{
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

std::string_view trimmed(std::string_view text)
{
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) { return {}; }
    const auto last = text.find_last_not_of(" \t\r\n");
    return text.substr(first, last - first + 1);
}

}  // namespace

std::span<const SettingSpec> schema()
{
    static const std::vector<SettingSpec> table = buildSchema();
    return table;
}

const SettingSpec* findSpec(std::string_view key)
{
    for (const auto& spec : schema()) {
        if (spec.key == key) { return &spec; }
    }
    return nullptr;
}

std::string describeType(const SettingSpec& spec)
{
    switch (spec.type) {
    case ValueType::Bool: return "a boolean (true or false)";
    case ValueType::Integer:
        return "a whole number from " + std::to_string(spec.minimum) + " to " + std::to_string(spec.maximum);
    case ValueType::String: return "a string";
    case ValueType::StringList: return "an array of strings";
    case ValueType::Enum: return "one of " + joined(spec.choices, ", ");
    case ValueType::JsonObjectString: return "a string holding a JSON object, e.g. \"{\\\"debug\\\": true}\"";
    case ValueType::ProxyAddress: return "a proxy address such as http://proxy.example.com:3128, or \"\" for none";
    case ValueType::DirectoryList:
        return "an array of directories, each an absolute path or one starting with $HOME, $TMP, $TEMP or ~, "
               "e.g. [\"$HOME\", \"/srv/src\"]";
    }
    return "a value";
}

std::optional<std::string> typeError(const SettingSpec& spec, const nlohmann::json& value)
{
    const auto expected = [&] { return "expected " + describeType(spec) + ", got " + value.dump(); };
    switch (spec.type) {
    case ValueType::Bool:
        if (!value.is_boolean()) { return expected(); }
        break;
    case ValueType::Integer:
        if (!value.is_number_integer()) { return expected(); }
        if (value.is_number_unsigned() && value.get<std::uint64_t>() > static_cast<std::uint64_t>(spec.maximum)) {
            return expected();
        }
        if (value.get<std::int64_t>() < spec.minimum || value.get<std::int64_t>() > spec.maximum) { return expected(); }
        break;
    case ValueType::String:
        if (!value.is_string()) { return expected(); }
        break;
    case ValueType::ProxyAddress:
        if (!value.is_string()) { return expected(); }
        if (auto problem = proxyAddressError(value.get<std::string>())) { return *problem; }
        break;
    case ValueType::StringList:
        if (!value.is_array()) { return expected(); }
        for (const auto& item : value) {
            if (!item.is_string()) { return "expected an array of strings, but it holds " + item.dump(); }
        }
        break;
    case ValueType::DirectoryList: {
        if (!value.is_array()) { return expected(); }
        std::string problems;
        for (const auto& item : value) {
            if (!item.is_string()) { return "expected an array of directories (strings), but it holds " + item.dump(); }
            if (auto problem = directoryEntryError(item.get<std::string>())) {
                problems += (problems.empty() ? "" : "; ") + *problem;
            }
        }
        if (!problems.empty()) { return problems; }
        break;
    }
    case ValueType::Enum:
        if (!value.is_string()
            || std::find(spec.choices.begin(), spec.choices.end(), value.get<std::string>()) == spec.choices.end()) {
            return expected();
        }
        break;
    case ValueType::JsonObjectString: {
        if (!value.is_string()) { return expected(); }
        const auto inner = nlohmann::json::parse(value.get<std::string>(), nullptr, /*allow_exceptions=*/false);
        if (inner.is_discarded()) { return "the string is not valid JSON"; }
        if (!inner.is_object()) { return "the string must hold a JSON object, got " + inner.dump(); }
        break;
    }
    }
    return std::nullopt;
}

ParsedValue parseValueText(const SettingSpec& spec, std::string_view raw)
{
    const std::string_view text = trimmed(raw);
    ParsedValue out;
    switch (spec.type) {
    case ValueType::Bool: {
        const std::string word = lowercase(text);
        if (word == "true" || word == "on" || word == "yes" || word == "1") {
            out.value = true;
        } else if (word == "false" || word == "off" || word == "no" || word == "0") {
            out.value = false;
        } else {
            out.error = "expected true or false, got \"" + std::string(text) + "\"";
            return out;
        }
        break;
    }
    case ValueType::Integer: {
        std::int64_t number = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
        if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
            out.error = "expected a whole number, got \"" + std::string(text) + "\"";
            return out;
        }
        out.value = number;
        break;
    }
    case ValueType::String:
    case ValueType::Enum:
    case ValueType::ProxyAddress:
    case ValueType::JsonObjectString: out.value = std::string(text); break;
    case ValueType::StringList:
    case ValueType::DirectoryList: {
        if (!text.empty() && text.front() == '[') {
            out.value = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
            if (out.value.is_discarded()) {
                out.error = "not a valid JSON array";
                return out;
            }
            break;
        }
        out.value = nlohmann::json::array();
        std::size_t start = 0;
        while (start <= text.size() && !text.empty()) {
            const auto comma = text.find(',', start);
            const auto item
                = trimmed(text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
            if (!item.empty()) { out.value.push_back(std::string(item)); }
            if (comma == std::string_view::npos) { break; }
            start = comma + 1;
        }
        break;
    }
    }
    if (auto error = typeError(spec, out.value)) { out.error = *error; }
    return out;
}

std::string displayValue(const nlohmann::json& value)
{
    if (value.is_string()) { return value.get<std::string>(); }
    if (value.is_array()) {
        std::string out;
        for (const auto& item : value) {
            if (!out.empty()) { out += ", "; }
            out += displayValue(item);
        }
        return out;
    }
    return value.dump();
}

}  // namespace berth::settings
