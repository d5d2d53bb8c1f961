#include "protocol.h"

#include <algorithm>

namespace berth::guest::agent {

using nlohmann::json;

json helloMessage()
{
    return {{"type", "hello"}, {"version", kProtocolVersion}, {"agent", kAgentName}, {"features", {"time"}}};
}

json phaseMessage(const std::string& name)
{
    return {{"type", "phase"}, {"name", name}};
}

json readyMessage(const json& config)
{
    return {{"type", "ready"}, {"version", kProtocolVersion}, {"config", config}};
}

json errorMessage(const std::string& step, const std::string& message)
{
    return {{"type", "error"}, {"step", step}, {"message", message}};
}

json statusMessage(const std::string& state)
{
    return {{"type", "status"}, {"state", state}};
}

json shuttingDownMessage()
{
    return {{"type", "shutting-down"}};
}

std::string toLine(const json& message)
{
    return message.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

Request parseRequest(std::string_view line)
{
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) { return EmptyLine{}; }
    const json request = json::parse(line, nullptr, false);
    const auto type = request.is_object() ? request.find("type") : request.end();
    if (!request.is_object() || type == request.end() || !type->is_string()) {
        return BadRequest{"unknown request: " + std::string(line.substr(0, 80))};
    }
    const std::string& name = type->get_ref<const std::string&>();
    if (name == "status") { return StatusRequest{}; }
    if (name == "shutdown") {
        ShutdownRequest shutdown;
        if (const auto timeout = request.find("timeout"); timeout != request.end() && timeout->is_number_integer()) {
            // Read as the widest integer first: a huge timeout must clamp, not wrap.
            const long long seconds = timeout->is_number_unsigned()
                ? static_cast<long long>(std::min<unsigned long long>(timeout->get<unsigned long long>(), 3600))
                : timeout->get<long long>();
            shutdown.timeoutSeconds = static_cast<int>(std::clamp<long long>(seconds, 1, 3600));
        }
        return shutdown;
    }
    if (name == "time") {
        const auto millis = request.find("unixMillis");
        if (millis == request.end() || !millis->is_number_integer()) {
            return BadRequest{"time request without an integer \"unixMillis\""};
        }
        const bool inRange = millis->is_number_unsigned()
            ? millis->get<unsigned long long>() <= static_cast<unsigned long long>(kMaxUnixMillis)
            : millis->get<long long>() >= 0 && millis->get<long long>() <= kMaxUnixMillis;
        if (!inRange) { return BadRequest{"time request with \"unixMillis\" out of range: " + millis->dump()}; }
        return TimeRequest{millis->get<long long>()};
    }
    return BadRequest{"unknown request: " + std::string(line.substr(0, 80))};
}

std::vector<LineReader::Line> LineReader::feed(std::string_view bytes)
{
    std::vector<Line> lines;
    while (!bytes.empty()) {
        const std::size_t newline = bytes.find('\n');
        const std::string_view part = bytes.substr(0, newline);
        if (!m_skipping) {
            m_buffer.append(part.substr(0, m_maxLine + 1 - std::min(m_buffer.size(), m_maxLine + 1)));
            if (m_buffer.size() > m_maxLine) {
                m_buffer.clear();
                m_skipping = true;
            }
        }
        if (newline == std::string_view::npos) { break; }
        lines.push_back(m_skipping ? Line{{}, true} : Line{std::move(m_buffer), false});
        m_buffer.clear();
        m_skipping = false;
        bytes.remove_prefix(newline + 1);
    }
    return lines;
}

}  // namespace berth::guest::agent
