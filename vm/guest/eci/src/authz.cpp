#include "berth/guest/eci/authz.h"

#include <array>
#include <string_view>

#include "berth/guest/eci/spec_rewrite.h"

namespace berth::guest::eci {

namespace {

using nlohmann::json;

struct Uri {
    std::string path;   // version prefix removed: "/containers/create"
    std::string query;  // without '?'
    double version = 0;  // 0 when the client sent none
};

Uri parseUri(std::string uri)
{
    Uri out;
    if (const auto q = uri.find('?'); q != std::string::npos) {
        out.query = uri.substr(q + 1);
        uri.resize(q);
    }
    // "//v1.41/containers//create/" reaches the same handler in dockerd's router as the clean form.
    std::string clean;
    for (const char c : uri) {
        if (c == '/' && !clean.empty() && clean.back() == '/') { continue; }
        clean += c;
    }
    while (clean.size() > 1 && clean.back() == '/') { clean.pop_back(); }
    uri = clean;
    if (uri.size() > 2 && uri.compare(0, 2, "/v") == 0 && uri[2] >= '0' && uri[2] <= '9') {
        const auto next = uri.find('/', 1);
        try {
            out.version = std::stod(uri.substr(2, next == std::string::npos ? std::string::npos : next - 2));
        } catch (const std::exception&) {
            out.version = 0;
        }
        uri = next == std::string::npos ? std::string("/") : uri.substr(next);
    }
    out.path = uri;
    return out;
}

bool startsWith(std::string_view text, std::string_view prefix)
{
    return text.substr(0, prefix.size()) == prefix;
}

bool endsWith(std::string_view text, std::string_view suffix)
{
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::string queryValue(const std::string& query, const std::string& key)
{
    std::size_t pos = 0;
    while (pos <= query.size()) {
        const auto end = std::min(query.find('&', pos), query.size());
        const std::string pair = query.substr(pos, end - pos);
        if (startsWith(pair, key + "=")) { return pair.substr(key.size() + 1); }
        pos = end + 1;
    }
    return {};
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

AuthzDecision authorizeRequest(const Policy& policy, const json& request)
{
    if (!policy.enabled) { return {true, {}}; }
    if (!request.is_object()) { return deny("enhanced container isolation: malformed authorization request"); }
    const std::string method = request.value("RequestMethod", std::string());
    const Uri uri = parseUri(request.value("RequestUri", std::string()));
    const std::string body = decodeBase64(request.value("RequestBody", std::string()));
    const std::string& path = uri.path;
    if (method != "POST" && method != "PUT" && method != "DELETE") { return {true, {}}; }

    // dockerd forwards a body only when it is small JSON with exactly "application/json"; a create
    // whose body the plugin cannot see is one that slipped around it.
    const bool needsBody = path == "/containers/create" || path == "/volumes/create"
                           || (startsWith(path, "/containers/") && endsWith(path, "/update"));
    if (needsBody && body.empty()) {
        return deny("enhanced container isolation: the request body must be sent as application/json (under 1 MiB)");
    }
    // API versions before 1.24 still take a HostConfig when a container starts.
    if (startsWith(path, "/containers/") && endsWith(path, "/start") && !body.empty() && body != "{}"
        && body != "null") {
        return deny("enhanced container isolation: a container's configuration cannot be changed when it starts");
    }
    if (startsWith(path, "/plugins/") && path != "/plugins/privileges") {
        return deny("enhanced container isolation: engine plugins cannot be installed or changed");
    }
    if (path == "/swarm/init" || path == "/swarm/join") {
        return deny("enhanced container isolation: swarm mode is not available");
    }
    if (path == "/build" && queryValue(uri.query, "networkmode") == "host") {
        return deny("enhanced container isolation: docker build --network=host is not allowed");
    }
    if (path == "/volumes/create") {
        const json spec = json::parse(body, nullptr, false);
        const json options = spec.is_object() ? spec.value("DriverOpts", json::object()) : json::object();
        if (options.is_object()) {
            const std::string o = options.value("o", std::string());
            const std::string device = options.value("device", std::string());
            const std::string type = options.value("type", std::string());
            const bool hostPath = o.find("bind") != std::string::npos
                                  || (!device.empty() && device[0] == '/' && type != "tmpfs");
            if (hostPath) { return deny(restrictedMountMessage(device.empty() ? o : device)); }
        }
    }
    return {true, {}};
}

std::optional<json> handlePluginCall(const Policy& policy, const std::string& path, const std::string& body)
{
    if (path == "/Plugin.Activate") { return json{{"Implements", {"authz"}}}; }
    if (path == "/AuthZPlugin.AuthZReq") {
        const AuthzDecision d = authorizeRequest(policy, json::parse(body, nullptr, false));
        json answer = {{"Allow", d.allow}};
        if (!d.allow) { answer["Msg"] = d.msg; }
        return answer;
    }
    if (path == "/AuthZPlugin.AuthZRes") { return json{{"Allow", true}}; }
    return std::nullopt;
}

}  // namespace berth::guest::eci
