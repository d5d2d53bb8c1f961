#include "berth/guest/eci/policy.h"

#include <algorithm>
#include <array>

#include "berth/contracts/shared_directories.h"

namespace berth::guest::eci {

namespace {

using nlohmann::json;

std::vector<std::string> stringList(const json& value)
{
    std::vector<std::string> out;
    if (!value.is_array()) { return out; }
    for (const auto& item : value) {
        if (item.is_string()) { out.push_back(item.get<std::string>()); }
    }
    return out;
}

// Only paths that could be shared: a policy made in code, or a mistyped file, widens nothing.
std::vector<std::string> shareablePaths(std::vector<std::string> paths)
{
    std::erase_if(paths, [](const std::string& path) { return !contracts::sharedDirectoryError(path).empty(); });
    return paths;
}

const json& member(const json& object, const char* key)
{
    static const json null;
    if (!object.is_object()) { return null; }
    const auto it = object.find(key);
    return it == object.end() ? null : *it;
}

// Glob with '*' only; within an image repository a '*' does not cross '/'.
bool glob(std::string_view pattern, std::string_view text, bool stopAtSlash)
{
    if (pattern.empty()) { return text.empty(); }
    if (pattern.front() == '*') {
        for (std::size_t i = 0; i <= text.size(); ++i) {
            if (glob(pattern.substr(1), text.substr(i), stopAtSlash)) { return true; }
            if (i < text.size() && stopAtSlash && text[i] == '/') { return false; }
        }
        return false;
    }
    return !text.empty() && pattern.front() == text.front() && glob(pattern.substr(1), text.substr(1), stopAtSlash);
}

struct Reference {
    std::string name;  // fully qualified repository
    std::string tag;  // empty with a digest
    std::string digest;  // "sha256:..." or empty
};

Reference parseReference(std::string_view text)
{
    Reference ref;
    if (const auto at = text.find('@'); at != std::string_view::npos) {
        ref.digest = std::string(text.substr(at + 1));
        text = text.substr(0, at);
    }
    const auto slash = text.rfind('/');
    const auto colon = text.rfind(':');
    if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
        ref.tag = std::string(text.substr(colon + 1));
        text = text.substr(0, colon);
    } else if (ref.digest.empty()) {
        ref.tag = "latest";
    }
    std::string name(text);
    const auto first = name.find('/');
    const std::string head = first == std::string::npos ? std::string() : name.substr(0, first);
    const bool hasRegistry = !head.empty()
        && (head.find('.') != std::string::npos || head.find(':') != std::string::npos || head == "localhost");
    if (!hasRegistry) { name = (first == std::string::npos ? "docker.io/library/" : "docker.io/") + name; }
    ref.name = std::move(name);
    return ref;
}

}  // namespace

Policy Policy::fromGuestConfig(const contracts::GuestConfig& config)
{
    const contracts::EciConfig& eci = config.eci;
    Policy policy;
    policy.enabled = eci.enabled;
    policy.socketImages = eci.socketMountImages;
    policy.allowDerivedImages = eci.allowDerivedImages;
    // As in fromJson: a config made in code need not have passed the contract's reader.
    policy.commandListType = eci.commandListType == "allow" ? "allow" : "deny";
    policy.commands = eci.commands;
    policy.blockDockerLoad = config.blockDockerLoad;
    policy.sharedDirectories = shareablePaths(config.sharedDirectories);
    return policy;
}

Policy Policy::fromJson(const json& eci)
{
    Policy policy;
    const json& enabled = member(eci, "enabled");
    policy.enabled = enabled.is_boolean() && enabled.get<bool>();
    const json& socket = member(eci, "dockerSocketMount");
    const json& imageList = member(socket, "imageList");
    policy.socketImages = stringList(member(imageList, "images"));
    const json& derived = member(imageList, "allowDerivedImages");
    policy.allowDerivedImages = derived.is_boolean() && derived.get<bool>();
    const json& commandList = member(socket, "commandList");
    const json& type = member(commandList, "type");
    // Anything but an explicit "allow" is a deny list: an unknown type must not open everything.
    policy.commandListType = type.is_string() && type.get<std::string>() == "allow" ? "allow" : "deny";
    policy.commands = stringList(member(commandList, "commands"));
    policy.sharedDirectories = shareablePaths(stringList(member(eci, "sharedDirectories")));
    return policy;
}

json Policy::toJson() const
{
    return json{{"enabled", enabled},
                {"dockerSocketMount",
                 {{"imageList", {{"images", socketImages}, {"allowDerivedImages", allowDerivedImages}}},
                  {"commandList", {{"type", commandListType}, {"commands", commands}}}}},
                {"sharedDirectories", sharedDirectories}};
}

std::string normalizeImageReference(std::string_view reference)
{
    const Reference ref = parseReference(reference);
    std::string out = ref.name;
    if (!ref.tag.empty()) { out += ":" + ref.tag; }
    if (!ref.digest.empty()) { out += "@" + ref.digest; }
    return out;
}

bool imageMatches(std::string_view pattern, std::string_view reference)
{
    if (pattern == "*") { return true; }
    if (pattern.empty() || reference.empty()) { return false; }
    const Reference want = parseReference(pattern);
    const Reference have = parseReference(reference);
    if (!glob(want.name, have.name, true)) { return false; }
    if (!want.digest.empty()) { return want.digest == have.digest; }
    if (want.tag == "*") { return true; }
    return have.digest.empty() && glob(want.tag, have.tag, false);
}

DockerCommand dockerCommandFor(std::string_view method, std::string_view path)
{
    if (const auto query = path.find('?'); query != std::string_view::npos) { path = path.substr(0, query); }
    // Drop the version prefix "/v1.43".
    if (path.size() > 2 && path.substr(0, 2) == "/v" && path[2] >= '0' && path[2] <= '9') {
        const auto next = path.find('/', 1);
        path = next == std::string_view::npos ? std::string_view() : path.substr(next);
    }
    std::vector<std::string_view> parts;
    for (std::size_t pos = 0; pos < path.size();) {
        const auto start = path.find_first_not_of('/', pos);
        if (start == std::string_view::npos) { break; }
        const auto end = std::min(path.find('/', start), path.size());
        parts.push_back(path.substr(start, end - start));
        pos = end;
    }
    if (parts.empty()) { return {}; }
    const auto last = parts.back();
    const bool get = method == "GET" || method == "HEAD";
    const auto is = [&](std::size_t n, std::string_view first) { return parts.size() == n && parts[0] == first; };
    const std::string_view top = parts[0];

    if (top == "containers") {
        if (is(2, "containers") && last == "json") { return {"ps", {"container"}}; }
        if (is(2, "containers") && last == "create") { return {"create", {"container"}}; }
        if (is(2, "containers") && last == "prune") { return {"prune", {"container"}}; }
        if (parts.size() == 2) { return {get ? "inspect" : "rm", {"container"}}; }
        static const std::array<std::pair<std::string_view, std::string_view>, 17> kActions = {{{"json", "inspect"},
                                                                                                {"logs", "logs"},
                                                                                                {"top", "top"},
                                                                                                {"stats", "stats"},
                                                                                                {"changes", "diff"},
                                                                                                {"export", "export"},
                                                                                                {"archive", "cp"},
                                                                                                {"start", "start"},
                                                                                                {"stop", "stop"},
                                                                                                {"restart", "restart"},
                                                                                                {"kill", "kill"},
                                                                                                {"pause", "pause"},
                                                                                                {"unpause", "unpause"},
                                                                                                {"rename", "rename"},
                                                                                                {"update", "update"},
                                                                                                {"wait", "wait"},
                                                                                                {"exec", "exec"}}};
        for (const auto& [segment, name] : kActions) {
            if (last == segment) { return {std::string(name), {"container"}}; }
        }
        if (last == "attach" || last == "resize") { return {"attach", {"container"}}; }
        return {"container", {"container"}};
    }
    if (top == "exec") { return {"exec", {"container"}}; }
    if (top == "commit") { return {"commit", {"container"}}; }
    if (top == "images") {
        if (is(2, "images") && last == "json") { return {"images", {"image"}}; }
        if (is(2, "images") && last == "create") { return {"pull", {"image"}}; }
        if (is(2, "images") && last == "load") { return {"load", {"image"}}; }
        if (is(2, "images") && (last == "get")) { return {"save", {"image"}}; }
        if (is(2, "images") && last == "search") { return {"search", {"image"}}; }
        if (is(2, "images") && last == "prune") { return {"prune", {"image"}}; }
        if (last == "push") { return {"push", {"image"}}; }
        if (last == "tag") { return {"tag", {"image"}}; }
        if (last == "history") { return {"history", {"image"}}; }
        if (last == "get") { return {"save", {"image"}}; }
        if (method == "DELETE") { return {"rmi", {"image"}}; }
        return {"inspect", {"image"}};
    }
    if (top == "build") { return {last == "prune" ? "prune" : "build", {"build", "image"}}; }
    if (top == "session") { return {"build", {"build"}}; }
    if (top == "volumes") { return {"volume", {"volume"}}; }
    if (top == "networks") { return {"network", {"network"}}; }
    if (top == "info") { return {"info", {"system"}}; }
    if (top == "version") { return {"version", {"system"}}; }
    if (top == "events") { return {"events", {"system"}}; }
    if (top == "system") { return {"df", {"system"}}; }
    if (top == "auth") { return {"login", {}}; }
    if (top == "_ping") { return {"_ping", {}}; }
    return {std::string(top), {}};
}

namespace {

bool entryMatches(std::string_view entry, const DockerCommand& command)
{
    // "image*" covers every `docker image ...` command; "run" covers what `docker run` sends.
    if (entry.size() > 1 && entry.back() == '*') {
        const auto group = entry.substr(0, entry.size() - 1);
        if (std::find(command.groups.begin(), command.groups.end(), group) != command.groups.end()) { return true; }
        return command.name.substr(0, group.size()) == group;
    }
    if (entry == command.name) { return true; }
    static const std::array<std::string_view, 4> kRunParts = {"create", "start", "attach", "wait"};
    return entry == "run" && std::find(kRunParts.begin(), kRunParts.end(), command.name) != kRunParts.end();
}

}  // namespace

bool commandAllowed(const Policy& policy, std::string_view method, std::string_view path)
{
    const DockerCommand command = dockerCommandFor(method, path);
    // The CLI pings before anything else; a ping reveals nothing and changes nothing.
    if (command.name == "_ping") { return true; }
    const bool listed = std::any_of(policy.commands.begin(), policy.commands.end(),
                                    [&](const std::string& entry) { return entryMatches(entry, command); });
    return policy.commandListType == "allow" ? listed : !listed;
}

std::string blockedCommandMessage(std::string_view path)
{
    return "enhanced container isolation: docker command \"" + std::string(path)
        + "\" is blocked; if you wish to allow it, configure the docker socket command list in the "
          "Berth settings or admin-settings.";
}

}  // namespace berth::guest::eci
