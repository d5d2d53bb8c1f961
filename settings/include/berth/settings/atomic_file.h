#pragma once

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace berth::settings {

// Replaces `path` with `contents` so that a crash at any moment leaves either the old or the new
// file, never a mix: write a temporary file in the same directory, fsync it, rename it over the
// target, fsync the directory. `beforeRename` runs between the fsync and the rename; tests use
// it to die at the worst moment. Returns an error message, empty on success.
std::string writeFileAtomically(const std::filesystem::path& path, std::string_view contents, mode_t mode,
                                const std::function<void()>& beforeRename = {});

// Temporary files a crashed writer left next to `path`, older than a minute (a live writer's
// file is younger), are removed.
void removeStaleTemporaryFiles(const std::filesystem::path& path);

// "20261128T161000Z", for names of kept-aside files.
std::string fileTimestamp();

}  // namespace berth::settings
