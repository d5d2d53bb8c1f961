#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

namespace berth::settings {

struct TextPosition {
    int line = 0;  // 1-based
    int column = 0;  // 1-based, counted in characters (UTF-8 code points)
};

// A JSON document together with where each of its values starts in the source text, so that
// a wrong type or an unknown key deep inside can be reported as file:line:col.
struct LocatedJson {
    nlohmann::json value;
    std::map<std::string, TextPosition> positions;  // JSON pointer -> start of the value

    // The position of `pointer`, or of its nearest ancestor that has one (the document start).
    [[nodiscard]] TextPosition positionOf(const std::string& pointer) const;
};

struct JsonTextError {
    TextPosition at;
    std::string message;
    std::string fix;
};

// Parses strict JSON as RFC 8259 has it, which is what Docker Desktop accepts: no byte order
// mark, valid UTF-8, no comments, no trailing commas, no duplicate member names, and at most
// kMaxJsonDepth levels of nesting. Never throws.
std::variant<LocatedJson, JsonTextError> parseLocatedJson(std::string_view text);

inline constexpr int kMaxJsonDepth = 64;

// Line and column of a byte offset into `text`.
TextPosition positionAt(std::string_view text, std::size_t offset);

// JSON pointer helpers (RFC 6901 escaping of '~' and '/').
std::string pointerChild(const std::string& parent, std::string_view member);
std::string pointerIndex(const std::string& parent, std::size_t index);

}  // namespace berth::settings
