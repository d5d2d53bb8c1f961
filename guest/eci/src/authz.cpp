#include "berth/guest/eci/authz.h"

#include <cstdio>
#include <string_view>

#include "berth/guest/eci/go_json.h"
#include "berth/guest/eci/request_target.h"

namespace berth::guest::eci {

namespace {

using nlohmann::json;

bool startsWith(std::string_view text, std::string_view prefix)
{
    return text.substr(0, prefix.size()) == prefix;
}

bool endsWith(std::string_view text, std::string_view suffix)
{
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// "/containers/{name:.*}/<action>" (the name may hold '/'): the name, or nullopt.
std::optional<std::string> containerRoute(const std::string& path, std::string_view action)
{
    const std::string prefix = "/containers/";
    const std::string suffix = "/" + std::string(action);
    if (!startsWith(path, prefix) || !endsWith(path, suffix) || path.size() <= prefix.size() + suffix.size()) {
        return std::nullopt;
    }
    return path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
}

// "1.23" < "1.24", as dockerd's versions.LessThan compares them.
bool versionBefore(const std::string& version, int major, int minor)
{
    int haveMajor = 0;
    int haveMinor = 0;
    if (std::sscanf(version.c_str(), "%d.%d", &haveMajor, &haveMinor) < 1) { return false; }
    return haveMajor < major || (haveMajor == major && haveMinor < minor);
}

AuthzDecision deny(std::string msg)
{
    return {false, std::move(msg)};
}

}  // namespace

std::string decodeBase64(const std::string& text)
{
    static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    unsigned value = 0;
    int bits = 0;
    for (const char c : text) {
        const auto index = kAlphabet.find(c);
        if (index == std::string_view::npos) { continue; }  // padding, newlines
        value = (value << 6U) | static_cast<unsigned>(index);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((value >> static_cast<unsigned>(bits)) & 0xFFU);
        }
    }
    return out;
}

namespace {

// With ECI off, Docker Desktop's file sharing alone: a create or start of a container whose bind
// source is neither shared from the host nor in the VM. A request the plugin cannot read is
// dockerd's to answer: with ECI off there is nothing to protect, only a mistake to point out.
AuthzDecision fileSharingOnly(const std::string& method, const ApiRoute& route, const json& request,
                              const MountVetting& mounts)
{
    if (method != "POST") { return {true, {}}; }
    std::string refusal;
    if (route.path == "/containers/create") {
        std::string error;
        if (const auto body = parseGoJson(decodeBase64(request.value("RequestBody", std::string())), &error)) {
            refusal = mounts.containerCreate(*body, MountRules::FileSharing);
        }
    }
    for (const char* action : {"start", "restart"}) {
        if (const auto name = containerRoute(route.path, action)) {
            refusal = mounts.containerStart(*name, MountRules::FileSharing);
        }
    }
    return refusal.empty() ? AuthzDecision{true, {}} : deny(refusal);
}

}  // namespace

AuthzDecision authorizeRequest(const Policy& policy, const json& request, const MountVetting& mounts)
{
    if (!request.is_object()) {
        if (!policy.enabled && !policy.blockDockerLoad) { return {true, {}}; }
        return deny("enhanced container isolation: malformed authorization request");
    }
    const std::string method = request.value("RequestMethod", std::string());
    std::string error;
    const auto route = parseApiTarget(request.value("RequestUri", std::string()), &error);
    if (!route) {
        if (!policy.enabled && !policy.blockDockerLoad) { return {true, {}}; }  // dockerd routes it or not
        return deny("enhanced container isolation: the request target is refused: " + error);
    }
    const std::string& path = route->path;

    if (policy.blockDockerLoad && path == "/images/load") {
        return deny("docker load is blocked by your administrator (blockDockerLoad)");
    }
    if (!policy.enabled) { return fileSharingOnly(method, *route, request, mounts); }

    // The archive endpoints (docker cp) make dockerd mount the container's volumes as the VM's
    // root, whether or not the container ever ran: they are vetted like a start.
    if (const auto name = containerRoute(path, "archive")) {
        if (std::string refusal = mounts.existingContainer(*name); !refusal.empty()) { return deny(refusal); }
        return {true, {}};
    }
    if (method != "POST" && method != "PUT" && method != "DELETE") { return {true, {}}; }
    if (containerRoute(path, "copy")) {  // removed in API 1.24; older versions still copy
        return deny("enhanced container isolation: the copy endpoint is not available; use docker cp");
    }

    // dockerd forwards a body only when it is small JSON with exactly "application/json"; a body
    // the plugin cannot see, or cannot read as dockerd does, is one that slipped around it.
    const bool needsBody = path == "/containers/create" || path == "/volumes/create" || containerRoute(path, "update");
    std::optional<json> body;
    const std::string rawBody = decodeBase64(request.value("RequestBody", std::string()));
    if (needsBody) {
        if (rawBody.empty()) {
            return deny(
                "enhanced container isolation: the request body must be sent as application/json (under 1 MiB)");
        }
        body = parseGoJson(rawBody, &error);
        if (!body) { return deny("enhanced container isolation: " + error); }
    }
    // API versions before 1.24 still take a HostConfig when a container starts, and a chunked one
    // is never shown to the plugin.
    if (containerRoute(path, "start")
        && ((!route->version.empty() && versionBefore(route->version, 1, 24))
            || (!rawBody.empty() && rawBody != "{}" && rawBody != "null"))) {
        return deny("enhanced container isolation: a container's configuration cannot be changed when it starts");
    }
    // dockerd sets a container's mounts up before the runtime is asked (creating a missing bind
    // source as the VM's root), so one made before ECI is vetted at start as at create.
    for (const char* action : {"start", "restart"}) {
        if (const auto name = containerRoute(path, action)) {
            if (std::string refusal = mounts.containerStart(*name); !refusal.empty()) { return deny(refusal); }
        }
    }
    if (startsWith(path, "/plugins/") && path != "/plugins/privileges") {
        return deny("enhanced container isolation: engine plugins cannot be installed or changed");
    }
    if (path == "/swarm/init" || path == "/swarm/join") {
        return deny("enhanced container isolation: swarm mode is not available");
    }
    if (path == "/build" && route->queryValue("networkmode") == "host") {
        return deny("enhanced container isolation: docker build --network=host is not allowed");
    }
    if (path == "/containers/create") {
        if (std::string refusal = mounts.containerCreate(*body); !refusal.empty()) { return deny(refusal); }
    }
    if (path == "/volumes/create") {
        const json* name = goField(*body, "Name");
        const json* driver = goField(*body, "Driver");
        const json* options = goField(*body, "DriverOpts");
        const auto requested = volumeOptionsFromJson(options == nullptr ? json() : *options);
        if ((name != nullptr && !name->is_string()) || (driver != nullptr && !driver->is_string()) || !requested) {
            return deny("enhanced container isolation: the volume's options are malformed");
        }
        const std::string refusal
            = mounts.volume(name == nullptr ? std::string() : name->get<std::string>(),
                            driver == nullptr ? std::string() : driver->get<std::string>(), *requested);
        if (!refusal.empty()) { return deny(refusal); }
    }
    return {true, {}};
}

std::optional<json> handlePluginCall(const Policy& policy, const MountVetting& mounts, const std::string& path,
                                     const std::string& body)
{
    if (path == "/Plugin.Activate") { return json{{"Implements", {"authz"}}}; }
    if (path == "/AuthZPlugin.AuthZReq") {
        const AuthzDecision d = authorizeRequest(policy, json::parse(body, nullptr, false), mounts);
        json answer = {{"Allow", d.allow}};
        if (!d.allow) { answer["Msg"] = d.msg; }
        return answer;
    }
    if (path == "/AuthZPlugin.AuthZRes") { return json{{"Allow", true}}; }
    return std::nullopt;
}

}  // namespace berth::guest::eci
