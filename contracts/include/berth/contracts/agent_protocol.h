#pragma once

// The agent protocol, version 1: what the host (vm/, AgentChannel) and the guest agent
// (guest/agent) say to each other over the virtio-serial port kPortName. One JSON object per
// '\n'-terminated line, at most kMaxLineBytes per line (without the '\n').
//
//   guest -> host  {"type":"hello","version":1,"agent":"...","features":["time"]}
//                  {"type":"phase","name":"..."}
//                  {"type":"ready","version":1,"config":<the GuestConfig it read>}
//                  {"type":"error","step":"...","message":"..."}
//                  {"type":"status","state":"..."}           (reply to status)
//                  {"type":"shutting-down"}
//   host -> guest  {"type":"status"}
//                  {"type":"shutdown","timeout":<seconds>}
//                  {"type":"time","unixMillis":<ms>}          (to an agent whose hello lists "time")

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace berth::contracts::agent {

inline constexpr int kProtocolVersion = 1;
inline constexpr std::size_t kMaxLineBytes = 64 * 1024;  // without the '\n'
inline constexpr const char* kPortName = "org.berth.agent.0";
inline constexpr const char* kTimeFeature = "time";  // the agent follows the host's clock
inline constexpr int kDefaultShutdownSeconds = 20;
inline constexpr int kMaxShutdownSeconds = 3600;
// The year 9999: a clock beyond it is no clock, and the step to it cannot overflow.
inline constexpr long long kMaxUnixMillis = 253'402'300'799'999;

// guest -> host
struct Hello {
    int version = kProtocolVersion;
    std::string agent;
    std::vector<std::string> features;  // optional requests it understands beyond status and shutdown
};
struct Phase {
    std::string name;
};
struct Ready {
    int version = kProtocolVersion;
    nlohmann::json config;
};
struct Error {
    std::string step;
    std::string message;
};
struct Status {
    std::string state;
};
struct ShuttingDown {};
using GuestMessage = std::variant<Hello, Phase, Ready, Error, Status, ShuttingDown>;

// host -> guest
struct StatusRequest {};
struct ShutdownRequest {
    int timeoutSeconds = kDefaultShutdownSeconds;  // read clamped to 1..kMaxShutdownSeconds
};
struct TimeRequest {
    long long unixMillis = 0;  // the host's wall clock, 0..kMaxUnixMillis
};
using HostRequest = std::variant<StatusRequest, ShutdownRequest, TimeRequest>;

// One line, '\n' included. Bytes that are not UTF-8 (an echoed request) become U+FFFD: the line is
// always valid JSON, and making it never throws.
std::string toLine(const GuestMessage& message);
std::string toLine(const HostRequest& request);

// One line, without its '\n'. nullopt, with `error` saying why, for anything else.
std::optional<GuestMessage> parseGuestMessage(std::string_view line, std::string* error);
std::optional<HostRequest> parseHostRequest(std::string_view line, std::string* error);

}  // namespace berth::contracts::agent
