#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "berth/settings/diagnostic.h"

namespace berth::settings {

// What a policy file must satisfy before its contents are believed. A file that anyone but the
// trusted owner could have written cannot be an administrator's policy.
struct TrustRules {
    uid_t trustedOwner = 0;  // root in shipped binaries; tests inject their own uid
    std::uintmax_t maxBytes = 1U << 20;  // 1 MiB
    bool checkOwnership = true;  // off only for `check-admin --content-only`
};

struct TrustedFile {
    enum class Status { Absent, Read, Rejected };
    Status status = Status::Absent;
    std::string contents;
    Diagnostic problem;  // set when Rejected
};

// Reads `path` if it is a regular file owned by the trusted owner, not writable by group or
// others, no larger than the limit, and reachable only through directories nobody else can
// write (the same holds for the target of a symbolic link). Never throws.
TrustedFile readTrustedFile(const std::filesystem::path& path, const TrustRules& rules);

}  // namespace berth::settings
