#pragma once

// Host directories shared into the VM (virtiofs): each appears in the VM at its own absolute path,
// so a bind mount of a path inside it works unchanged. The host's order in GuestConfig names the
// device: the i-th directory is served on the virtiofs tag sharedDirectoryTag(i).

#include <cstddef>
#include <string>
#include <string_view>

namespace berth::contracts {

// Why `path` cannot be shared into the VM, or empty when it can. It must be absolute and plain
// (no empty, "." or ".." component, no trailing "/"), and must not be "/" nor lie in a folder
// the VM's own system lives in (/bin, /boot, /dev, /etc, /lib*, /proc, /run, /sbin, /sys, /usr,
// /var): mounted there, the user's files would replace the VM's.
std::string sharedDirectoryError(std::string_view path);

// The virtiofs tag of the `index`-th shared directory ("berth-share-0", ...): the guest mounts
// the tag, the host's virtiofsd serves it.
std::string sharedDirectoryTag(std::size_t index);

// Whether `path` is `directory` or lies inside it, compared by components ("/a/bc" is not
// inside "/a/b"). Both must be absolute and plain.
bool isWithinDirectory(std::string_view path, std::string_view directory);

}  // namespace berth::contracts
