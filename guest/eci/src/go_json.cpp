#include "berth/guest/eci/go_json.h"

#include <set>
#include <vector>

namespace berth::guest::eci {

using nlohmann::json;

std::string goFoldKey(std::string_view key)
{
    std::string out;
    for (std::size_t i = 0; i < key.size(); ++i) {
        const char c = key[i];
        if (key.compare(i, 3, "\xE2\x84\xAA") == 0) {  // KELVIN SIGN
            out.push_back('k');
            i += 2;
        } else if (key.compare(i, 2, "\xC5\xBF") == 0) {  // LATIN SMALL LETTER LONG S
            out.push_back('s');
            i += 1;
        } else {
            out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
        }
    }
    return out;
}

std::optional<json> parseGoJson(std::string_view body, std::string* error)
{
    std::vector<std::set<std::string>> objects;  // the folded keys of each object being parsed
    bool ambiguous = false;
    const json::parser_callback_t watch = [&](int, json::parse_event_t event, json& value) {
        if (event == json::parse_event_t::object_start) {
            objects.emplace_back();
        } else if (event == json::parse_event_t::object_end && !objects.empty()) {
            objects.pop_back();
        } else if (event == json::parse_event_t::key && !objects.empty()) {
            if (!objects.back().insert(goFoldKey(value.get<std::string>())).second) { ambiguous = true; }
        }
        return true;
    };
    json parsed = json::parse(body.begin(), body.end(), watch, false);
    if (parsed.is_discarded()) {
        *error = "the request body is not valid JSON (UTF-8)";
        return std::nullopt;
    }
    if (ambiguous) {
        *error = "the request body names a field twice";
        return std::nullopt;
    }
    return parsed;
}

const json* goField(const json& object, std::string_view name)
{
    if (!object.is_object()) { return nullptr; }
    const std::string want = goFoldKey(name);
    for (const auto& [key, value] : object.items()) {
        if (goFoldKey(key) == want) { return value.is_null() ? nullptr : &value; }
    }
    return nullptr;
}

}  // namespace berth::guest::eci
