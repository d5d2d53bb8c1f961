#pragma once

// The guest's side of the agent protocol v1 (the host's is vm/include/berth/vm/agent_protocol.h):
// the messages the agent sends, and what it makes of the bytes the host sends. Plain functions, so
// the unit tests and the fuzzer cover exactly what runs in the guest.

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace berth::guest::agent {

inline constexpr int kProtocolVersion = 1;
inline constexpr std::size_t kMaxLineBytes = 64 * 1024;  // one line, without its '\n'
inline constexpr const char* kAgentName = "berth-guest-agent";
inline constexpr int kDefaultShutdownSeconds = 20;

// guest -> host
nlohmann::json helloMessage();
nlohmann::json phaseMessage(const std::string& name);
nlohmann::json readyMessage(const nlohmann::json& config);
nlohmann::json errorMessage(const std::string& step, const std::string& message);
nlohmann::json statusMessage(const std::string& state);
nlohmann::json shuttingDownMessage();
// One line on the channel, '\n' included. Bytes that are not UTF-8 (an echoed request) become
// U+FFFD: the line is always valid JSON, and building it never throws.
std::string toLine(const nlohmann::json& message);

// host -> guest
struct StatusRequest {};
struct ShutdownRequest {
    int timeoutSeconds = kDefaultShutdownSeconds;  // clamped to 1..3600
};
struct TimeRequest {
    long long unixMillis = 0;  // the host's wall clock, within kMaxUnixMillis
};
struct EmptyLine {};  // ignored
// Answered with errorMessage("channel", message).
struct BadRequest {
    std::string message;
};
using Request = std::variant<EmptyLine, StatusRequest, ShutdownRequest, TimeRequest, BadRequest>;

// The year 9999: a clock beyond it is no clock, and keeps the step computation far from overflow.
inline constexpr long long kMaxUnixMillis = 253'402'300'799'999;

Request parseRequest(std::string_view line);

// Splits the channel's byte stream into lines. A line over the limit is not buffered: it comes
// out once, at its '\n', as tooLong with no text, in its place among the others.
class LineReader {
public:
    struct Line {
        std::string text;
        bool tooLong = false;
    };

    explicit LineReader(std::size_t maxLine = kMaxLineBytes) : m_maxLine(maxLine) {}
    std::vector<Line> feed(std::string_view bytes);

private:
    std::size_t m_maxLine;
    std::string m_buffer;
    bool m_skipping = false;
};

}  // namespace berth::guest::agent
