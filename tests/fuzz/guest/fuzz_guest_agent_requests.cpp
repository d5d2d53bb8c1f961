// libFuzzer target over the agent protocol's readers (berth/contracts/agent_protocol.h) and what
// the guest agent makes of the host's bytes (protocol.h): split into lines however they arrive,
// each line read as a request and answered, and read as a guest message as the host reads it.
// Any input must give lines within the limit, requests the agent can act on, and replies and
// messages that are one valid JSON line each, read back as what they were.

#include "clock_step.h"
#include "protocol.h"
#include "test_hooks.h"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

using namespace berth::guest::agent;

namespace {

constexpr std::size_t kSmallLimit = 64;

void checkLine(const std::string& line)
{
    if (line.empty() || line.back() != '\n' || line.find('\n') != line.size() - 1) { std::abort(); }
    if (!nlohmann::json::accept(line)) { std::abort(); }
}

// What the agent sends back for one line; the reply must always be a line the host can read.
void answer(const LineReader::Line& line, std::size_t limit)
{
    if (line.tooLong) {
        checkLine(protocol::toLine(protocol::Error{"channel", "request line over 64 KiB"}));
        return;
    }
    if (line.text.size() > limit || line.text.find('\n') != std::string::npos) { std::abort(); }
    const Request request = readRequest(line.text);
    if (const auto* shutdown = std::get_if<protocol::ShutdownRequest>(&request)) {
        if (shutdown->timeoutSeconds < 1 || shutdown->timeoutSeconds > protocol::kMaxShutdownSeconds) { std::abort(); }
    } else if (const auto* time = std::get_if<protocol::TimeRequest>(&request)) {
        if (time->unixMillis < 0 || time->unixMillis > protocol::kMaxUnixMillis) { std::abort(); }
        berth::guest::clockStepMillis(0, time->unixMillis);
        berth::guest::clockStepMillis(protocol::kMaxUnixMillis, time->unixMillis);
    } else if (const auto* bad = std::get_if<BadRequest>(&request)) {
        checkLine(protocol::toLine(protocol::Error{"channel", bad->message}));
    } else if (std::holds_alternative<protocol::StatusRequest>(request)) {
        checkLine(protocol::toLine(protocol::Status{line.text}));  // any text in a reply stays one JSON line
    }
}

// The host's reading: a message it accepts is written back as a line it reads as the same kind.
void readAsTheHost(std::string_view line)
{
    std::string error;
    const auto message = protocol::parseGuestMessage(line, &error);
    if (!message) {
        if (error.empty()) { std::abort(); }
        return;
    }
    const std::string again = protocol::toLine(*message);
    checkLine(again);
    const auto reread = protocol::parseGuestMessage(std::string_view(again).substr(0, again.size() - 1), &error);
    if (!reread || reread->index() != message->index()) { std::abort(); }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);

    // As the port delivers them: in chunks, here split at a point the input chooses.
    LineReader reader;
    const std::size_t cut = size == 0 ? 0 : data[0] % (size + 1);
    for (const auto& line : reader.feed(bytes.substr(0, cut))) { answer(line, protocol::kMaxLineBytes); }
    for (const auto& line : reader.feed(bytes.substr(cut))) { answer(line, protocol::kMaxLineBytes); }

    // A small limit, so the oversized-line path is reached with short inputs too.
    LineReader small(kSmallLimit);
    for (std::size_t i = 0; i < size; i += 7) {
        for (const auto& line : small.feed(bytes.substr(i, 7))) { answer(line, kSmallLimit); }
    }

    readAsTheHost(bytes);
    std::string error;
    parseTestHooks(bytes, &error);
    return 0;
}
