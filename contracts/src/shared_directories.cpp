#include "berth/contracts/shared_directories.h"

#include <algorithm>
#include <array>

namespace berth::contracts {

namespace {

// Top-level folders that hold the VM's own system; a share must not cover or replace them.
constexpr std::array<std::string_view, 15> kVmSystemFolders
    = {"/bin",  "/boot", "/dev",  "/etc", "/lib", "/lib32", "/lib64", "/libx32",
       "/proc", "/run",  "/sbin", "/sys", "/usr", "/var",   "/init"};

}  // namespace

bool isWithinDirectory(std::string_view path, std::string_view directory)
{
    if (directory == "/") { return !path.empty() && path.front() == '/'; }
    if (path.substr(0, directory.size()) != directory) { return false; }
    return path.size() == directory.size() || path[directory.size()] == '/';
}

std::string sharedDirectoryError(std::string_view path)
{
    const std::string quoted = "\"" + std::string(path) + "\"";
    if (path.empty() || path.front() != '/') { return quoted + " is not an absolute path"; }
    if (path == "/") { return "\"/\" cannot be shared: it would replace the VM's own file system"; }
    if (path.back() == '/') { return quoted + " ends in \"/\""; }
    std::size_t start = 1;
    while (start <= path.size()) {
        const std::size_t end = std::min(path.find('/', start), path.size());
        const std::string_view part = path.substr(start, end - start);
        if (part.empty() || part == "." || part == "..") {
            return quoted + " is not a plain path: it holds an empty, \".\" or \"..\" component";
        }
        start = end + 1;
    }
    if (path.find('\0') != std::string_view::npos) { return quoted + " holds a NUL character"; }
    for (const auto folder : kVmSystemFolders) {
        if (isWithinDirectory(path, folder)) {
            return quoted + " cannot be shared: " + std::string(folder)
                + " holds the VM's own system, which a share there would replace";
        }
    }
    return {};
}

std::string sharedDirectoryTag(std::size_t index)
{
    return "berth-share-" + std::to_string(index);
}

}  // namespace berth::contracts
