#include "berth/guest/eci/request_target.h"

#include <algorithm>

namespace berth::guest::eci {

namespace {

// url.QueryUnescape: '+' is a space, every '%' starts two hex digits.
std::optional<std::string> decodeQueryPart(std::string_view text)
{
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '+') {
            out.push_back(' ');
        } else if (c == '%') {
            if (i + 2 >= text.size()) { return std::nullopt; }
            const int high = hexValue(text[i + 1]);
            const int low = hexValue(text[i + 2]);
            if (high < 0 || low < 0) { return std::nullopt; }
            out.push_back(static_cast<char>(high * 16 + low));
            i += 2;
        } else {
            out.push_back(c);
        }
    }
    return out;
}

}  // namespace

int hexValue(char c)
{
    if (c >= '0' && c <= '9') { return c - '0'; }
    if (c >= 'a' && c <= 'f') { return c - 'a' + 10; }
    if (c >= 'A' && c <= 'F') { return c - 'A' + 10; }
    return -1;
}

std::optional<std::string> decodePath(std::string_view target, std::string* error)
{
    std::string_view raw = target.substr(0, target.find('?'));
    std::string path;
    for (std::size_t i = 0; i < raw.size(); ++i) {
        char c = raw[i];
        if (c == '%') {
            if (i + 2 >= raw.size() || hexValue(raw[i + 1]) < 0 || hexValue(raw[i + 2]) < 0) {
                *error = "malformed percent-encoding in the path";
                return std::nullopt;
            }
            c = static_cast<char>(hexValue(raw[i + 1]) * 16 + hexValue(raw[i + 2]));
            i += 2;
        }
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7f || c == '?' || c == '#' || c == '\\') {
            *error = "a character the path may not carry";
            return std::nullopt;
        }
        path.push_back(c);
    }
    if (path.empty() || path.front() != '/') {
        *error = "the target is not an absolute path";
        return std::nullopt;
    }
    for (std::size_t pos = 1; pos <= path.size();) {
        const auto next = std::min(path.find('/', pos), path.size());
        const std::string_view segment = std::string_view(path).substr(pos, next - pos);
        const bool last = next == path.size();
        if ((segment.empty() && !last) || segment == "." || segment == "..") {
            *error = "the path is not clean";
            return std::nullopt;
        }
        pos = next + 1;
    }
    return path;
}

std::string ApiRoute::queryValue(std::string_view key) const
{
    const auto it = std::find_if(query.begin(), query.end(), [&](const auto& pair) { return pair.first == key; });
    return it == query.end() ? std::string() : it->second;
}

std::optional<ApiRoute> parseApiTarget(std::string_view target, std::string* error)
{
    auto path = decodePath(target, error);
    if (!path) { return std::nullopt; }
    ApiRoute route;
    // mux's "/v{version:[0-9.]+}" prefix; anything else is an unversioned route.
    if (path->size() > 2 && path->compare(0, 2, "/v") == 0) {
        const auto next = std::min(path->find('/', 1), path->size());
        const std::string version = path->substr(2, next - 2);
        if (!version.empty() && version.find_first_not_of("0123456789.") == std::string::npos) {
            route.version = version;
            path->erase(0, next);
            if (path->empty()) { *path = "/"; }
        }
    }
    route.path = std::move(*path);
    if (const auto q = target.find('?'); q != std::string_view::npos) {
        std::string_view query = target.substr(q + 1);
        if (const auto hash = query.find('#'); hash != std::string_view::npos) { query = query.substr(0, hash); }
        for (std::size_t pos = 0; pos <= query.size();) {
            const auto end = std::min(query.find('&', pos), query.size());
            const std::string_view pair = query.substr(pos, end - pos);
            pos = end + 1;
            if (pair.empty()) { continue; }
            // Go (1.17 on) drops a pair with ';' and reports an error: refuse rather than guess.
            if (pair.find(';') != std::string_view::npos) {
                *error = "a ';' in the query";
                return std::nullopt;
            }
            const auto equals = pair.find('=');
            auto key = decodeQueryPart(pair.substr(0, equals));
            auto value
                = decodeQueryPart(equals == std::string_view::npos ? std::string_view() : pair.substr(equals + 1));
            if (!key || !value) {
                *error = "malformed percent-encoding in the query";
                return std::nullopt;
            }
            route.query.emplace_back(std::move(*key), std::move(*value));
        }
    }
    return route;
}

}  // namespace berth::guest::eci
