#include "protocol.h"

#include <algorithm>

namespace berth::guest::agent {

protocol::Hello helloMessage()
{
    return {protocol::kProtocolVersion, kAgentName, {protocol::kTimeFeature}};
}

Request readRequest(std::string_view line)
{
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) { return EmptyLine{}; }
    std::string error;
    auto request = protocol::parseHostRequest(line, &error);
    if (!request) { return BadRequest{error}; }
    return std::visit([](auto&& r) -> Request { return r; }, *request);
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
