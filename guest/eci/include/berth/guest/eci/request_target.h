#pragma once

// An Engine API request target as dockerd routes it (Go's net/http and gorilla/mux): the path
// percent-decoded once, the version prefix split off, the query decoded. Shared by the
// authorization plugin and the command-list filter, so both decide on what dockerd acts on.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::guest::eci {

int hexValue(char c);

// The target's path (up to '?'), percent-decoded; nullopt (and *error) unless it is an
// absolute, clean path without control bytes, '?', '#' or '\' once decoded. dockerd's router
// would redirect an unclean path rather than serve it: refusing it is never a lost request.
std::optional<std::string> decodePath(std::string_view target, std::string* error);

struct ApiRoute {
    std::string path;  // "/containers/create": the version prefix removed
    std::string version;  // "1.41", empty when the client sent none
    std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
    // The first value of a query parameter, as Go's url.Values.Get; empty when absent.
    std::string queryValue(std::string_view key) const;
};

// The whole target; nullopt (and *error) for anything dockerd would not route as sent
// (absolute-form "http://...", malformed escapes, an unclean path, ';' in the query).
std::optional<ApiRoute> parseApiTarget(std::string_view target, std::string* error);

}  // namespace berth::guest::eci
