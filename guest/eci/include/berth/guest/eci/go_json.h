#pragma once

// Request bodies read the way dockerd's Go decoder reads them, so the authorization plugin checks
// the fields dockerd will act on. encoding/json matches struct fields case-insensitively (with
// Unicode's folds of 'k' and 's', U+212A and U+017F), lets the last of several matching keys
// win, and replaces invalid UTF-8. Rather than copy those rules, anything they would make
// ambiguous is refused: invalid UTF-8, and two keys of one object that fold to the same name.

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace berth::guest::eci {

// A body parsed strictly (RFC 8259, valid UTF-8, nothing after the value); nullopt (and *error)
// otherwise or when an object has keys equal under Go's field folding.
std::optional<nlohmann::json> parseGoJson(std::string_view body, std::string* error);

// The member a Go struct field named `name` is decoded from; nullptr when absent or JSON null.
// For objects from parseGoJson at most one member can match.
const nlohmann::json* goField(const nlohmann::json& object, std::string_view name);

// The key folded as Go's field matching folds it: ASCII lower case, U+212A -> 'k', U+017F -> 's'.
std::string goFoldKey(std::string_view key);

}  // namespace berth::guest::eci
