#include "berth/contracts/agent_protocol.h"

#include <algorithm>

namespace berth::contracts::agent {

namespace {

using nlohmann::json;

template <typename... Ts> struct Overloaded : Ts... {
    using Ts::operator()...;
};
template <typename... Ts> Overloaded(Ts...) -> Overloaded<Ts...>;

std::string dumpLine(const json& message)
{
    return message.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

bool stringField(const json& object, const char* key, std::string* out)
{
    const auto found = object.find(key);
    if (found == object.end() || !found->is_string()) { return false; }
    *out = found->get<std::string>();
    return true;
}

bool intField(const json& object, const char* key, int* out)
{
    const auto found = object.find(key);
    if (found == object.end() || !found->is_number_integer()) { return false; }
    *out = found->get<int>();
    return true;
}

template <typename T> std::optional<T> fail(std::string* error, std::string why)
{
    if (error != nullptr) { *error = std::move(why); }
    return std::nullopt;
}

// The object and its "type", or nullopt with the reason.
std::optional<std::pair<json, std::string>> typedObject(std::string_view line, std::string* error)
{
    json object = json::parse(line, nullptr, false);
    if (object.is_discarded()) {
        return fail<std::pair<json, std::string>>(error, "not JSON: " + std::string(line.substr(0, 80)));
    }
    if (!object.is_object()) { return fail<std::pair<json, std::string>>(error, "not a JSON object"); }
    std::string type;
    if (!stringField(object, "type", &type)) { return fail<std::pair<json, std::string>>(error, "no \"type\" string"); }
    return std::pair{std::move(object), std::move(type)};
}

}  // namespace

std::string toLine(const GuestMessage& message)
{
    return dumpLine(std::visit(
        Overloaded{
            [](const Hello& m) -> json {
                return {{"type", "hello"}, {"version", m.version}, {"agent", m.agent}, {"features", m.features}};
            },
            [](const Phase& m) -> json {
                return {{"type", "phase"}, {"name", m.name}};
            },
            [](const Ready& m) -> json {
                return {{"type", "ready"}, {"version", m.version}, {"config", m.config}};
            },
            [](const Error& m) -> json {
                return {{"type", "error"}, {"step", m.step}, {"message", m.message}};
            },
            [](const Status& m) -> json {
                return {{"type", "status"}, {"state", m.state}};
            },
            [](const ShuttingDown&) -> json {
                return {{"type", "shutting-down"}};
            },
        },
        message));
}

std::string toLine(const HostRequest& request)
{
    return dumpLine(std::visit(Overloaded{
                                   [](const StatusRequest&) -> json {
                                       return {{"type", "status"}};
                                   },
                                   [](const ShutdownRequest& r) -> json {
                                       return {{"type", "shutdown"}, {"timeout", r.timeoutSeconds}};
                                   },
                                   [](const TimeRequest& r) -> json {
                                       return {{"type", "time"}, {"unixMillis", r.unixMillis}};
                                   },
                               },
                               request));
}

std::optional<GuestMessage> parseGuestMessage(std::string_view line, std::string* error)
{
    if (line.size() > kMaxLineBytes) {
        return fail<GuestMessage>(error,
                                  "line of " + std::to_string(line.size()) + " bytes exceeds the "
                                      + std::to_string(kMaxLineBytes) + "-byte limit");
    }
    auto typed = typedObject(line, error);
    if (!typed) { return std::nullopt; }
    const auto& [object, type] = *typed;
    if (type == "hello") {
        Hello hello;
        if (!intField(object, "version", &hello.version)) {
            return fail<GuestMessage>(error, "hello without an integer \"version\"");
        }
        stringField(object, "agent", &hello.agent);
        if (const auto features = object.find("features"); features != object.end() && features->is_array()) {
            for (const auto& feature : *features) {
                if (feature.is_string()) { hello.features.push_back(feature.get<std::string>()); }
            }
        }
        return hello;
    }
    if (type == "phase") {
        Phase phase;
        if (!stringField(object, "name", &phase.name)) {
            return fail<GuestMessage>(error, "phase without a \"name\" string");
        }
        return phase;
    }
    if (type == "ready") {
        Ready ready;
        if (!intField(object, "version", &ready.version)) {
            return fail<GuestMessage>(error, "ready without an integer \"version\"");
        }
        if (const auto config = object.find("config"); config != object.end()) { ready.config = *config; }
        return ready;
    }
    if (type == "error") {
        Error failure;
        stringField(object, "step", &failure.step);
        if (!stringField(object, "message", &failure.message)) {
            return fail<GuestMessage>(error, "error without a \"message\" string");
        }
        return failure;
    }
    if (type == "status") {
        Status status;
        if (!stringField(object, "state", &status.state)) {
            return fail<GuestMessage>(error, "status without a \"state\" string");
        }
        return status;
    }
    if (type == "shutting-down") { return ShuttingDown{}; }
    return fail<GuestMessage>(error, "unknown message type \"" + type.substr(0, 40) + "\"");
}

std::optional<HostRequest> parseHostRequest(std::string_view line, std::string* error)
{
    const std::string unknown = "unknown request: " + std::string(line.substr(0, 80));
    std::string why;
    auto typed = typedObject(line, &why);
    if (!typed) { return fail<HostRequest>(error, unknown); }
    const auto& [object, type] = *typed;
    if (type == "status") { return StatusRequest{}; }
    if (type == "shutdown") {
        ShutdownRequest shutdown;
        if (const auto timeout = object.find("timeout"); timeout != object.end() && timeout->is_number_integer()) {
            // Read as the widest integer first: a huge timeout must clamp, not wrap.
            const long long seconds = timeout->is_number_unsigned()
                ? static_cast<long long>(
                    std::min<unsigned long long>(timeout->get<unsigned long long>(), kMaxShutdownSeconds))
                : timeout->get<long long>();
            shutdown.timeoutSeconds = static_cast<int>(std::clamp<long long>(seconds, 1, kMaxShutdownSeconds));
        }
        return shutdown;
    }
    if (type == "time") {
        const auto millis = object.find("unixMillis");
        if (millis == object.end() || !millis->is_number_integer()) {
            return fail<HostRequest>(error, "time request without an integer \"unixMillis\"");
        }
        const bool inRange = millis->is_number_unsigned()
            ? millis->get<unsigned long long>() <= static_cast<unsigned long long>(kMaxUnixMillis)
            : millis->get<long long>() >= 0 && millis->get<long long>() <= kMaxUnixMillis;
        if (!inRange) {
            return fail<HostRequest>(error, "time request with \"unixMillis\" out of range: " + millis->dump());
        }
        return TimeRequest{millis->get<long long>()};
    }
    return fail<HostRequest>(error, unknown);
}

}  // namespace berth::contracts::agent
