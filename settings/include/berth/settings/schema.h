#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace berth::settings {

enum class ValueType {
    Bool,
    Integer,  // within [minimum, maximum]
    String,
    StringList,  // JSON array of strings
    Enum,  // one of `choices`
    JsonObjectString,  // a string holding a JSON object, as Docker's dockerDaemonOptions has it
    ProxyAddress,  // empty, or [scheme://][user:password@]host[:port] (settings/proxy.h)
    DirectoryList,  // JSON array of directories: absolute, or from $HOME, $TMP, $TEMP or ~ (settings/file_sharing.h)
};

// Where the Settings window shows a setting; Hidden ones are managed through files and the CLI.
enum class Page { General, Resources, Proxies, DockerEngine, Hidden };

// How a setting appears in admin-settings.json (Docker Desktop's configurationFileVersion 2).
enum class AdminForm {
    None,  // not admin-managed
    Wrapped,  // adminPath names {"locked": bool, "value": ...}
    GroupMember,  // adminPath names a plain value inside a group locked at lockPath
    // adminPath names Docker Desktop's filesharingAllowedDirectories, an array of {"path": ...,
    // "sharedByDefault": bool}: when present it locks the setting to the paths shared by default.
    AllowedDirectories,
};

// One declarative description of a setting. Everything else (validation, admin parsing, the CLI,
// the Settings window's bindings) is derived from this table, so adding a setting is one entry.
struct SettingSpec {
    std::string_view key;  // dotted key used by the user store, the CLI and the GUI
    ValueType type;
    nlohmann::json defaultValue;
    std::string_view label;
    std::string_view description;
    bool restartNeeded;  // a change only takes effect after a full VM quit and relaunch
    Page page;
    AdminForm adminForm = AdminForm::None;
    std::string_view adminPath = {};  // JSON pointer into admin-settings.json
    std::string_view lockPath = {};  // JSON pointer of the object whose "locked" governs this key
    std::vector<std::string> choices = {};
    std::int64_t minimum = 0;
    std::int64_t maximum = 0;
    bool mayOnlyGrow = false;  // lowering the value would lose data (disk size)
};

// Keys, in the order the CLI lists them.
namespace keys {
inline constexpr std::string_view kEnhancedContainerIsolation = "enhancedContainerIsolation";
inline constexpr std::string_view kSocketMountImages = "enhancedContainerIsolation.dockerSocketMount.imageList.images";
inline constexpr std::string_view kSocketMountAllowDerivedImages
    = "enhancedContainerIsolation.dockerSocketMount.imageList.allowDerivedImages";
inline constexpr std::string_view kSocketMountCommandListType
    = "enhancedContainerIsolation.dockerSocketMount.commandList.type";
inline constexpr std::string_view kSocketMountCommands
    = "enhancedContainerIsolation.dockerSocketMount.commandList.commands";
inline constexpr std::string_view kDockerDaemonOptions = "linuxVM.dockerDaemonOptions";
inline constexpr std::string_view kExposeDockerApiOnTcp2375 = "exposeDockerAPIOnTCP2375";
inline constexpr std::string_view kBlockDockerLoad = "blockDockerLoad";
inline constexpr std::string_view kAnalyticsEnabled = "analyticsEnabled";
inline constexpr std::string_view kDisableUpdate = "disableUpdate";
inline constexpr std::string_view kCpus = "vm.cpus";
inline constexpr std::string_view kMemoryMiB = "vm.memoryMiB";
inline constexpr std::string_view kDiskSizeMiB = "vm.diskSizeMiB";
inline constexpr std::string_view kVmManager = "vm.manager";
inline constexpr std::string_view kLibvirtUri = "vm.libvirtUri";
inline constexpr std::string_view kResourceSaver = "resourceSaver.enabled";
inline constexpr std::string_view kResourceSaverIdleMinutes = "resourceSaver.idleMinutes";
inline constexpr std::string_view kFileSharingDirectories = "fileSharing.directories";
inline constexpr std::string_view kProxyMode = "proxy.mode";
inline constexpr std::string_view kProxyHttp = "proxy.http";
inline constexpr std::string_view kProxyHttps = "proxy.https";
inline constexpr std::string_view kProxyExclude = "proxy.exclude";
inline constexpr std::string_view kContainersProxyMode = "containersProxy.mode";
inline constexpr std::string_view kContainersProxyHttp = "containersProxy.http";
inline constexpr std::string_view kContainersProxyHttps = "containersProxy.https";
inline constexpr std::string_view kContainersProxyExclude = "containersProxy.exclude";
inline constexpr std::string_view kStartAtLogin = "app.startAtLogin";
inline constexpr std::string_view kOpenDashboardAtStart = "app.openDashboardAtStart";
inline constexpr std::string_view kTheme = "app.theme";
}  // namespace keys

// The schema: every setting Berth supports.
std::span<const SettingSpec> schema();
const SettingSpec* findSpec(std::string_view key);

// Checks `value` against the spec's type, choices and range; returns what is wrong, if anything.
std::optional<std::string> typeError(const SettingSpec& spec, const nlohmann::json& value);

// Human name of a type, for messages ("a boolean", "one of allow, deny", ...).
std::string describeType(const SettingSpec& spec);

// Parses the text a user typed (`berthctl settings set KEY=VALUE`) into a typed value:
// booleans accept true/false/on/off/yes/no/1/0, lists (and directory lists) a JSON array or
// comma-separated words.
struct ParsedValue {
    nlohmann::json value;
    std::string error;  // empty on success
};
ParsedValue parseValueText(const SettingSpec& spec, std::string_view text);

// The value as a person reads it: booleans as true/false, lists comma-separated, strings bare.
std::string displayValue(const nlohmann::json& value);

}  // namespace berth::settings
