#pragma once

// File sharing, as Docker Desktop's Settings > Resources > File sharing has it: the host
// directories the VM sees at their own paths (berth/contracts/shared_directories.h), so a bind
// mount of a path inside one works unchanged. The setting is fileSharing.directories; an
// administrator's filesharingAllowedDirectories locks it (admin_policy.cpp).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "berth/settings/proxy.h"

namespace berth::settings {

class Settings;

// What is wrong with one entry of fileSharing.directories, if anything. An entry is an absolute
// path that contracts::sharedDirectoryError accepts, or one of Docker Desktop's variables $HOME,
// $TMP, $TEMP, or ~ (the home directory), alone or followed by "/" and plain components
// ("$HOME/src"). What a variable stands for is checked only when it is expanded
// (sharedDirectories), since it depends on the environment the engine runs in.
std::optional<std::string> directoryEntryError(std::string_view entry);

// The directories one launch shares, and the entries it leaves out.
struct SharedDirectories {
    std::vector<std::string> directories;  // absolute and plain, none inside another, in the user's order
    std::vector<std::string> problems;  // one line per entry left out, saying why, for the engine's log

    bool operator==(const SharedDirectories&) const = default;
};

// Expands each entry ($HOME and ~: HOME; $TMP and $TEMP: TMPDIR, else /tmp; all read from
// `environment`, none without one), leaves out with a reason each entry that is malformed, names
// an unset HOME or expands to a path contracts::sharedDirectoryError refuses, then drops
// duplicates and entries inside another entry, keeping the order of the rest.
SharedDirectories resolveSharedDirectories(const std::vector<std::string>& entries,
                                           const EnvironmentLookup& environment);

// resolveSharedDirectories of the effective fileSharing.directories.
SharedDirectories sharedDirectories(const Settings& settings, const EnvironmentLookup& environment);

}  // namespace berth::settings
