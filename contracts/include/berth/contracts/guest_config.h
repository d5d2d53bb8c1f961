#pragma once

// The guest config: what the engine's VM boots with. The host makes it from the effective settings
// (settings::guestConfig), hands it over as fw_cfg kGuestConfigFwCfg (toJson), and the guest agent
// reads it at boot (readGuestConfig) and echoes it in its `ready` message.

#include <nlohmann/json.hpp>

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::contracts {

// Raised whenever a field changes meaning or a required one is added: a guest built for another
// version refuses the config at boot, naming both versions, rather than guess.
inline constexpr int kGuestConfigVersion = 3;

// Docker Desktop's enhancedContainerIsolation settings, as the guest enforces them.
struct EciConfig {
    bool enabled = false;
    std::vector<std::string> socketMountImages;  // dockerSocketMount.imageList.images
    bool allowDerivedImages = false;  // dockerSocketMount.imageList.allowDerivedImages
    std::string commandListType = "deny";  // dockerSocketMount.commandList.type: "allow" or "deny"
    std::vector<std::string> commands;  // dockerSocketMount.commandList.commands

    bool operator==(const EciConfig&) const = default;
};

// The proxy dockerd pulls and pushes through, as the VM reaches it (empty: none).
struct EngineProxy {
    std::string http;  // HTTP_PROXY
    std::string https;  // HTTPS_PROXY
    std::string noProxy;  // NO_PROXY: comma-separated hosts, domains and networks

    bool operator==(const EngineProxy&) const = default;
};

struct GuestConfig {
    EciConfig eci;
    EngineProxy engineProxy;
    // Host directories shared at their own paths, in the order of their virtiofs tags
    // (shared_directories.h); each one passes sharedDirectoryError and none lies in another.
    std::vector<std::string> sharedDirectories;
    bool blockDockerLoad = false;  // the authorization plugin refuses POST /images/load
    bool exposeDockerApiOnTcp2375 = false;  // an unencrypted relay to the engine on :2375
    // The user's or admin's daemon.json options, without kControlledDaemonOptions.
    nlohmann::json dockerDaemonOptions = nlohmann::json::object();
    std::vector<std::string> overriddenDaemonOptions;  // which of those were removed, to say so

    bool operator==(const GuestConfig&) const = default;
};

// daemon.json keys the guest alone decides: the endpoint's listeners and TLS, where the engine
// keeps its data and sockets, and ECI's runtimes, user namespaces and API policy.
inline constexpr std::array<std::string_view, 15> kControlledDaemonOptions
    = {"hosts",
       "tls",
       "tlsverify",
       "tlscacert",
       "tlscert",
       "tlskey",  // the endpoint
       "data-root",
       "exec-root",
       "pidfile",
       "containerd",  // the data disk and sockets
       "runtimes",
       "default-runtime",
       "userns-remap",  // ECI's runtime
       "authorization-plugins",
       "no-new-privileges"};  // ECI's API policy

// {"configVersion": 3, "enhancedContainerIsolation": {"enabled": ..., "dockerSocketMount":
// {"imageList": {"images", "allowDerivedImages"}, "commandList": {"type", "commands"}}},
// "engineProxy": {"http", "https", "noProxy"}, "sharedDirectories": [path, ...], "blockDockerLoad",
// "exposeDockerAPIOnTCP2375", "dockerDaemonOptions", "overriddenDaemonOptions"}
nlohmann::json toJson(const GuestConfig& config);

// What toJson wrote, back. Every field is required and must have its type, no other field may be
// there (host and guest ship together: a field nobody reads is a bug or another version's), and
// configVersion must be kGuestConfigVersion: otherwise nullopt, and `error` names the field (the
// guest must not boot on defaults it was never given). dockerDaemonOptions is dockerd's, taken as
// it is.
std::optional<GuestConfig> parseGuestConfig(const nlohmann::json& json, std::string* error);

// The guest config in a file: fw_cfg's (kGuestConfigInGuest), where the guest agent and the guest
// programs that need it read it. nullopt when the file cannot be read, is not JSON or is not a
// config parseGuestConfig accepts, and `error` says why, naming the file in the first two cases.
// Callers stop there: nothing in the guest runs on defaults the host did not give.
std::optional<GuestConfig> readGuestConfig(const std::string& path, std::string* error);

}  // namespace berth::contracts
