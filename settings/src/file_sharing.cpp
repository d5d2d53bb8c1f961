#include "berth/settings/file_sharing.h"

#include <algorithm>
#include <array>

#include "berth/contracts/shared_directories.h"
#include "berth/settings/schema.h"
#include "berth/settings/settings.h"

namespace berth::settings {

namespace {

// Docker Desktop's path variables, and ~ for the home directory.
constexpr std::array<std::string_view, 4> kDirectoryVariables = {"$HOME", "$TMP", "$TEMP", "~"};

constexpr std::string_view kEntryForms = "an absolute path, or one starting with $HOME, $TMP, $TEMP or ~";

std::string quotedEntry(std::string_view entry)
{
    return "\"" + std::string(entry) + "\"";
}

// An entry split into its variable (empty for an absolute path) and what follows it.
struct EntryParts {
    std::string_view variable;
    std::string_view tail;
};

std::optional<EntryParts> splitDirectoryEntry(std::string_view entry)
{
    if (entry.starts_with('/')) { return EntryParts{{}, entry}; }
    for (const auto variable : kDirectoryVariables) {
        if (entry.starts_with(variable) && (entry.size() == variable.size() || entry[variable.size()] == '/')) {
            return EntryParts{variable, entry.substr(variable.size())};
        }
    }
    return std::nullopt;
}

// What follows a variable: nothing, or "/" and plain components.
std::optional<std::string> variableTailError(std::string_view entry, std::string_view tail)
{
    if (tail.empty()) { return std::nullopt; }
    if (tail.back() == '/') { return quotedEntry(entry) + " ends in \"/\""; }
    if (tail.find('\0') != std::string_view::npos) { return quotedEntry(entry) + " holds a NUL character"; }
    std::size_t start = 1;
    while (start <= tail.size()) {
        const std::size_t end = std::min(tail.find('/', start), tail.size());
        const std::string_view part = tail.substr(start, end - start);
        if (part.empty() || part == "." || part == "..") {
            return quotedEntry(entry) + " is not a plain path: it holds an empty, \".\" or \"..\" component";
        }
        start = end + 1;
    }
    return std::nullopt;
}

// The variable's value without trailing slashes, or why there is none.
std::optional<std::string> variableValue(std::string_view variable, const EnvironmentLookup& environment,
                                         std::string& why)
{
    std::optional<std::string> value;
    if (variable == "$HOME" || variable == "~") {
        if (environment) { value = environment("HOME"); }
        if (!value || value->empty()) {
            why = "HOME is not set in the environment the engine runs in";
            return std::nullopt;
        }
    } else {
        if (environment) { value = environment("TMPDIR"); }
        if (!value || value->empty()) { value = "/tmp"; }
    }
    while (value->size() > 1 && value->back() == '/') { value->pop_back(); }
    return value;
}

}  // namespace

std::optional<std::string> directoryEntryError(std::string_view entry)
{
    if (entry.empty()) { return "an entry is empty: give " + std::string(kEntryForms); }
    const auto parts = splitDirectoryEntry(entry);
    if (!parts) { return quotedEntry(entry) + " is not " + std::string(kEntryForms); }
    if (parts->variable.empty()) {
        std::string problem = contracts::sharedDirectoryError(entry);
        if (!problem.empty()) { return problem; }
        return std::nullopt;
    }
    return variableTailError(entry, parts->tail);
}

SharedDirectories resolveSharedDirectories(const std::vector<std::string>& entries,
                                           const EnvironmentLookup& environment)
{
    SharedDirectories out;
    std::vector<std::string> expanded;
    for (const auto& entry : entries) {
        const std::string leftOut = quotedEntry(entry) + " is left out";
        if (auto problem = directoryEntryError(entry)) {
            out.problems.push_back(leftOut + ": " + *problem);
            continue;
        }
        const EntryParts parts = *splitDirectoryEntry(entry);
        std::string path(entry);
        if (!parts.variable.empty()) {
            std::string why;
            const auto value = variableValue(parts.variable, environment, why);
            if (!value) {
                out.problems.push_back(leftOut + ": " + why);
                continue;
            }
            path = (*value == "/" && !parts.tail.empty() ? std::string() : *value) + std::string(parts.tail);
        }
        if (std::string problem = contracts::sharedDirectoryError(path); !problem.empty()) {
            out.problems.push_back(leftOut + (path != entry ? " (it stands for \"" + path + "\")" : "") + ": "
                                   + problem);
            continue;
        }
        expanded.push_back(std::move(path));
    }
    // A directory inside another is shared through it already; only the outer one is kept.
    for (std::size_t i = 0; i < expanded.size(); ++i) {
        bool covered = false;
        for (std::size_t j = 0; j < expanded.size() && !covered; ++j) {
            const bool same = expanded[j] == expanded[i];
            covered = (same && j < i) || (!same && contracts::isWithinDirectory(expanded[i], expanded[j]));
        }
        if (!covered) { out.directories.push_back(expanded[i]); }
    }
    return out;
}

SharedDirectories sharedDirectories(const Settings& settings, const EnvironmentLookup& environment)
{
    const nlohmann::json value = settings.get(keys::kFileSharingDirectories).value;
    std::vector<std::string> entries;
    if (value.is_array()) {  // checked on the way in (typeError); never trusted blindly
        for (const auto& item : value) {
            if (item.is_string()) { entries.push_back(item.get<std::string>()); }
        }
    }
    return resolveSharedDirectories(entries, environment);
}

}  // namespace berth::settings
