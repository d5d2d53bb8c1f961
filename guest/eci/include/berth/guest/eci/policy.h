#pragma once

// The ECI policy as the guest's enforcement points read it: taken from the guest config (fw_cfg,
// already read by contracts::parseGuestConfig), written at boot to kPolicyFile, read by the runtime
// wrapper on every create.

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "berth/contracts/guest_config.h"

namespace berth::guest::eci {

struct Policy {
    bool enabled = false;
    // dockerSocketMount.imageList: which images may bind-mount the engine socket.
    std::vector<std::string> socketImages;
    bool allowDerivedImages = false;
    // dockerSocketMount.commandList: what an allowed container may ask of the engine.
    std::string commandListType = "deny";  // "allow" | "deny"
    std::vector<std::string> commands;
    // The admin setting blockDockerLoad (not part of ECI): the authorization plugin refuses
    // POST /images/load whenever it is set, so the plugin runs for it even with ECI off.
    bool blockDockerLoad = false;
    // Host directories shared into the VM at their own paths (contracts::GuestConfig::
    // sharedDirectories, not part of ECI): with ECI on too, a bind source in one of them is the
    // user's file, not the VM's (EngineLayout::sharedDirectories). Paths the contract would refuse
    // are left out.
    std::vector<std::string> sharedDirectories;

    // config.eci, config.blockDockerLoad and config.sharedDirectories.
    static Policy fromGuestConfig(const contracts::GuestConfig& config);
    // The policy file (toJson's form, the guest's own): missing or mistyped fields keep the safe
    // defaults.
    static Policy fromJson(const nlohmann::json& policy);
    nlohmann::json toJson() const;
};

// A fully qualified reference: "docker:cli" -> "docker.io/library/docker:cli", "alpine" ->
// "docker.io/library/alpine:latest", digests kept ("name@sha256:..."). Lower-cases nothing.
std::string normalizeImageReference(std::string_view reference);

// Whether a reference (as stored by the engine, e.g. "docker:cli" or "docker@sha256:...") matches
// one imageList entry: "name[:tag]" (":latest" implied), "name:*", "name@sha256:...", or "*";
// a "*" inside the repository path matches within one path segment ("testcontainers/*:*").
bool imageMatches(std::string_view pattern, std::string_view reference);

// The docker command a request path names, for the commandList: "/v1.43/images/x/push?tag=1" ->
// "push"; "/containers/create" -> "create"; "/images/json" -> "images". Empty when unknown.
// groups: the `docker <group>` families the request belongs to ("image", "container", ...).
struct DockerCommand {
    std::string name;  // e.g. "push", "ps", "run"
    std::vector<std::string> groups;  // e.g. {"image"}
};
DockerCommand dockerCommandFor(std::string_view method, std::string_view path);

// Whether a request may pass through an allowed container's engine socket.
bool commandAllowed(const Policy& policy, std::string_view method, std::string_view path);

// Docker's wording for a blocked command.
std::string blockedCommandMessage(std::string_view path);

}  // namespace berth::guest::eci
