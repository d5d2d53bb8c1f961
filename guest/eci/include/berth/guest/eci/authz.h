#pragma once

// The engine-API side of ECI: a Docker authorization plugin ("berth-eci") that dockerd asks
// before every API request. It is the guarantee for what dockerd does as the VM's root without
// the runtime (the archive endpoints mount a container's volumes; volumes are created with
// options), gives early refusals at create for what the runtime wrapper would refuse at start,
// and closes the known ways around authorization plugins. It fails closed (dockerd refuses
// requests while it is down, and the plugin refuses what it cannot read as dockerd does).

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "berth/contracts/names.h"
#include "berth/guest/eci/mount_vetting.h"
#include "berth/guest/eci/policy.h"

namespace berth::guest::eci {

inline constexpr const char* kAuthzPluginName = contracts::kEciAuthzPlugin;
inline constexpr const char* kAuthzSocket = "/run/docker/plugins/berth-eci.sock";

struct AuthzDecision {
    bool allow = false;
    std::string msg;  // shown to the client as "authorization denied by plugin berth-eci: <msg>"
};

// request: the AuthZPlugin.AuthZReq body (RequestMethod, RequestUri, RequestBody base64, ...).
// The target and body are read as dockerd reads them (request_target.h, go_json.h); whatever
// cannot be read so is refused. mounts: what the request's containers and volumes would mount.
AuthzDecision authorizeRequest(const Policy& policy, const nlohmann::json& request, const MountVetting& mounts);

// The plugin protocol: the JSON answer for a POST to `path` with `body`, or nullopt for an
// unknown path (404). Plugin.Activate, AuthZPlugin.AuthZReq, AuthZPlugin.AuthZRes.
std::optional<nlohmann::json> handlePluginCall(const Policy& policy, const MountVetting& mounts,
                                               const std::string& path, const std::string& body);

std::string decodeBase64(const std::string& text);

}  // namespace berth::guest::eci
