#pragma once

// The guest's side of the agent protocol (contracts/include/berth/contracts/agent_protocol.h,
// which the host reads with the same types): what the agent makes of the bytes the host sends.
// Plain functions, so the unit tests and the fuzzer cover exactly what runs in the guest.

#include "berth/contracts/agent_protocol.h"

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace berth::guest::agent {

namespace protocol = berth::contracts::agent;

inline constexpr const char* kAgentName = "berth-guest-agent";

// What the agent says when a host connects.
protocol::Hello helloMessage();

// One line from the host: a request, nothing (an empty line), or what to answer with an error of
// step "channel".
struct EmptyLine {};
struct BadRequest {
    std::string message;
};
using Request
    = std::variant<EmptyLine, protocol::StatusRequest, protocol::ShutdownRequest, protocol::TimeRequest, BadRequest>;
Request readRequest(std::string_view line);

// Splits the channel's byte stream into lines. A line over the limit is not buffered: it comes
// out once, at its '\n', as tooLong with no text, in its place among the others.
class LineReader {
public:
    struct Line {
        std::string text;
        bool tooLong = false;
    };

    explicit LineReader(std::size_t maxLine = protocol::kMaxLineBytes) : m_maxLine(maxLine) {}
    std::vector<Line> feed(std::string_view bytes);

private:
    std::size_t m_maxLine;
    std::string m_buffer;
    bool m_skipping = false;
};

}  // namespace berth::guest::agent
