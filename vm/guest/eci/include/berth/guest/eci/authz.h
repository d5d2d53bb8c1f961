#pragma once

// The engine-API side of ECI: a Docker authorization plugin ("berth-eci") that dockerd asks
// before every API request. It gives early, clear refusals for what the runtime wrapper cannot
// see or would only refuse late, and closes the known ways around authorization plugins. It is
// not the guarantee (the wrapper is); it fails closed (dockerd refuses requests while it is down).

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "berth/guest/eci/policy.h"

namespace berth::guest::eci {

inline constexpr const char* kAuthzPluginName = "berth-eci";
inline constexpr const char* kAuthzSocket = "/run/docker/plugins/berth-eci.sock";

struct AuthzDecision {
    bool allow = false;
    std::string msg;  // shown to the client as "authorization denied by plugin berth-eci: <msg>"
};

// request: the AuthZPlugin.AuthZReq body (RequestMethod, RequestUri, RequestBody base64, ...).
AuthzDecision authorizeRequest(const Policy& policy, const nlohmann::json& request);

// The plugin protocol: the JSON answer for a POST to `path` with `body`, or nullopt for an
// unknown path (404). Plugin.Activate, AuthZPlugin.AuthZReq, AuthZPlugin.AuthZRes.
std::optional<nlohmann::json> handlePluginCall(const Policy& policy, const std::string& path, const std::string& body);

std::string decodeBase64(const std::string& text);

}  // namespace berth::guest::eci
