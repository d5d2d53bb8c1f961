#include "berth/settings/json_text.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <optional>

namespace berth::settings {

namespace {

bool isContinuationByte(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

// Offset of the first byte that is not part of well-formed UTF-8, if any.
std::optional<std::size_t> firstInvalidUtf8(std::string_view text)
{
    std::size_t i = 0;
    while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        std::size_t length = 0;
        std::uint32_t min = 0;
        std::uint32_t cp = 0;
        if (c < 0x80) {
            ++i;
            continue;
        }
        if ((c & 0xE0) == 0xC0) {
            length = 2;
            min = 0x80;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            length = 3;
            min = 0x800;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            length = 4;
            min = 0x10000;
            cp = c & 0x07;
        } else {
            return i;
        }
        if (i + length > text.size()) { return i; }
        for (std::size_t k = 1; k < length; ++k) {
            const auto cc = static_cast<unsigned char>(text[i + k]);
            if (!isContinuationByte(cc)) { return i; }
            cp = (cp << 6) | (cc & 0x3F);
        }
        // Overlong forms, UTF-16 surrogates and values past U+10FFFF are not UTF-8.
        if (cp < min || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) { return i; }
        i += length;
    }
    return std::nullopt;
}

std::string pointerEscape(std::string_view member)
{
    std::string out;
    for (char c : member) {
        if (c == '~') {
            out += "~0";
        } else if (c == '/') {
            out += "~1";
        } else {
            out += c;
        }
    }
    return out;
}

// nlohmann's messages read "[json.exception.parse_error.101] parse error at line 1, column 2:
// syntax error while parsing value - ..."; keep the part after the location, which we compute.
std::string parseErrorReason(const std::string& what)
{
    const auto column = what.find("column ");
    if (column != std::string::npos) {
        const auto colon = what.find(": ", column);
        if (colon != std::string::npos) { return what.substr(colon + 2); }
    }
    const auto colon = what.rfind(": ");
    return colon == std::string::npos ? what : what.substr(colon + 2);
}

bool isJsonSpace(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// positionAt() for offsets that only grow, in linear time over the whole walk.
class PositionTracker {
public:
    explicit PositionTracker(std::string_view text) : m_text(text) {}

    TextPosition at(std::size_t offset)
    {
        for (; m_offset < offset && m_offset < m_text.size(); ++m_offset) {
            const auto c = static_cast<unsigned char>(m_text[m_offset]);
            if (c == '\n') {
                ++m_position.line;
                m_position.column = 1;
            } else if (!isContinuationByte(c)) {
                ++m_position.column;
            }
        }
        return m_position;
    }

private:
    std::string_view m_text;
    std::size_t m_offset = 0;
    TextPosition m_position{1, 1};
};

// Walks text already known to be valid JSON and records where each value starts. It also finds
// what nlohmann accepts silently: duplicate member names (the last one would win) and nesting
// too deep for the rest of the code to handle safely.
class Locator {
public:
    explicit Locator(std::string_view text) : m_text(text), m_tracker(text) {}

    std::optional<JsonTextError> run(std::map<std::string, TextPosition>& positions)
    {
        m_positions = &positions;
        return value("", 0);
    }

private:
    void skipSpace()
    {
        while (m_pos < m_text.size() && isJsonSpace(m_text[m_pos])) { ++m_pos; }
    }

    // Returns the decoded member name of the string token at m_pos, advancing past it.
    std::string stringToken()
    {
        const std::size_t start = m_pos;
        ++m_pos;  // opening quote
        while (m_pos < m_text.size() && m_text[m_pos] != '"') { m_pos += m_text[m_pos] == '\\' ? 2 : 1; }
        ++m_pos;  // closing quote
        return nlohmann::json::parse(m_text.substr(start, m_pos - start)).get<std::string>();
    }

    std::optional<JsonTextError> value(const std::string& pointer, int depth)
    {
        skipSpace();
        (*m_positions)[pointer] = m_tracker.at(m_pos);
        if (depth > kMaxJsonDepth) {
            return JsonTextError{m_tracker.at(m_pos),
                                 "nesting is deeper than " + std::to_string(kMaxJsonDepth) + " levels",
                                 "flatten the document"};
        }
        const char c = m_text[m_pos];
        if (c == '{') { return object(pointer, depth); }
        if (c == '[') { return array(pointer, depth); }
        if (c == '"') {
            stringToken();
            return std::nullopt;
        }
        while (m_pos < m_text.size() && !isJsonSpace(m_text[m_pos]) && m_text[m_pos] != ',' && m_text[m_pos] != '}'
               && m_text[m_pos] != ']') {
            ++m_pos;
        }
        return std::nullopt;
    }

    std::optional<JsonTextError> object(const std::string& pointer, int depth)
    {
        ++m_pos;
        std::map<std::string, TextPosition> seen;
        skipSpace();
        if (m_text[m_pos] == '}') {
            ++m_pos;
            return std::nullopt;
        }
        while (true) {
            skipSpace();
            const TextPosition keyAt = m_tracker.at(m_pos);
            const std::string name = stringToken();
            if (auto [it, inserted] = seen.emplace(name, keyAt); !inserted) {
                return JsonTextError{keyAt,
                                     "duplicate member \"" + name + "\" (first defined at line "
                                         + std::to_string(it->second.line) + ", column "
                                         + std::to_string(it->second.column) + ")",
                                     "keep only one of them"};
            }
            skipSpace();
            ++m_pos;  // ':'
            if (auto error = value(pointerChild(pointer, name), depth + 1)) { return error; }
            skipSpace();
            if (m_text[m_pos++] == '}') { return std::nullopt; }
        }
    }

    std::optional<JsonTextError> array(const std::string& pointer, int depth)
    {
        ++m_pos;
        skipSpace();
        if (m_text[m_pos] == ']') {
            ++m_pos;
            return std::nullopt;
        }
        for (std::size_t index = 0;; ++index) {
            if (auto error = value(pointerIndex(pointer, index), depth + 1)) { return error; }
            skipSpace();
            if (m_text[m_pos++] == ']') { return std::nullopt; }
        }
    }

    std::string_view m_text;
    std::size_t m_pos = 0;
    PositionTracker m_tracker;
    std::map<std::string, TextPosition>* m_positions = nullptr;
};

JsonTextError syntaxError(std::string_view text, const nlohmann::json::parse_error& e)
{
    // e.byte counts the bytes read, so the offending character is the one before it.
    const std::size_t offending = e.byte > 0 ? std::min<std::size_t>(e.byte - 1, text.size()) : 0;
    std::size_t before = offending;
    while (before > 0 && isJsonSpace(text[before - 1])) { --before; }
    const bool closes = offending < text.size() && (text[offending] == '}' || text[offending] == ']');
    if (closes && before > 0 && text[before - 1] == ',') {
        return JsonTextError{positionAt(text, before - 1),
                             std::string("trailing comma before '") + text[offending] + "'",
                             "remove the comma after the last entry; JSON does not allow it"};
    }
    if (offending < text.size() && text[offending] == '/') {
        return JsonTextError{positionAt(text, offending), "comments are not allowed in JSON", "remove the comment"};
    }
    if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
        return JsonTextError{TextPosition{1, 1}, "the file is empty",
                             "write a JSON object, e.g. {\"configurationFileVersion\": 2}"};
    }
    // An unexpected string is only recognised at its closing quote; point at where it starts.
    std::size_t at = offending;
    if (at < text.size() && text[at] == '"') {
        while (at > 0) {
            --at;
            std::size_t backslashes = 0;
            while (at >= backslashes + 1 && text[at - backslashes - 1] == '\\') { ++backslashes; }
            if (text[at] == '"' && backslashes % 2 == 0) { break; }
            if (text[at] == '\n') {
                at = offending;
                break;
            }
        }
    }
    return JsonTextError{positionAt(text, at), "JSON syntax error: " + parseErrorReason(e.what()),
                         "correct the JSON at this position (a validator such as `jq . FILE` "
                         "shows the same spot)"};
}

}  // namespace

TextPosition positionAt(std::string_view text, std::size_t offset)
{
    return PositionTracker(text).at(offset);
}

std::string pointerChild(const std::string& parent, std::string_view member)
{
    return parent + '/' + pointerEscape(member);
}

std::string pointerIndex(const std::string& parent, std::size_t index)
{
    return parent + '/' + std::to_string(index);
}

TextPosition LocatedJson::positionOf(const std::string& pointer) const
{
    std::string p = pointer;
    while (true) {
        if (auto it = positions.find(p); it != positions.end()) { return it->second; }
        if (p.empty()) { return TextPosition{1, 1}; }
        p.erase(p.rfind('/'));
    }
}

std::variant<LocatedJson, JsonTextError> parseLocatedJson(std::string_view text)
{
    if (text.substr(0, 3) == "\xEF\xBB\xBF") {
        return JsonTextError{TextPosition{1, 1}, "the file starts with a UTF-8 byte order mark (BOM)",
                             "save it as UTF-8 without BOM"};
    }
    if (auto bad = firstInvalidUtf8(text)) {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned>(static_cast<unsigned char>(text[*bad])));
        return JsonTextError{positionAt(text, *bad), std::string("invalid UTF-8 (byte ") + hex + ")",
                             "save the file as UTF-8"};
    }
    LocatedJson result;
    try {
        result.value = nlohmann::json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/true,
                                             /*ignore_comments=*/false);
    } catch (const nlohmann::json::parse_error& e) {
        return syntaxError(text, e);
    } catch (const nlohmann::json::out_of_range& e) {
        // A number too large for a double, e.g. 1e999. nlohmann names the token but not where it is.
        const std::string what = e.what();
        const auto open = what.find('\'');
        const auto close = what.rfind('\'');
        const std::string token
            = open != std::string::npos && close > open ? what.substr(open + 1, close - open - 1) : std::string();
        const auto at = token.empty() ? std::string_view::npos : text.find(token);
        return JsonTextError{positionAt(text, at == std::string_view::npos ? 0 : at),
                             "number out of range" + (token.empty() ? std::string() : ": " + token),
                             "use a smaller number"};
    } catch (const nlohmann::json::exception& e) {
        return JsonTextError{TextPosition{1, 1}, std::string("cannot read the JSON: ") + e.what(), ""};
    }
    Locator locator(text);
    if (auto error = locator.run(result.positions)) { return *error; }
    return result;
}

}  // namespace berth::settings
