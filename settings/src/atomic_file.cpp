#include "berth/settings/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <vector>

namespace berth::settings {

namespace {

std::string temporaryPrefix(const std::filesystem::path& path)
{
    return "." + path.filename().string() + ".tmp-";
}

std::string lastError(const std::string& what)
{
    return what + ": " + std::strerror(errno);
}

}  // namespace

std::string writeFileAtomically(const std::filesystem::path& path, std::string_view contents, mode_t mode,
                                const std::function<void()>& beforeRename)
{
    const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
    std::string pattern = (dir / (temporaryPrefix(path) + "XXXXXX")).string();
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    const int fd = ::mkostemp(name.data(), O_CLOEXEC);
    if (fd < 0) { return lastError("cannot create a temporary file in " + dir.string()); }
    const std::string temporary(name.data());
    const auto fail = [&](const std::string& message) {
        ::close(fd);
        ::unlink(temporary.c_str());
        return message;
    };
    if (::fchmod(fd, mode) != 0) { return fail(lastError("cannot set permissions on " + temporary)); }
    std::size_t written = 0;
    while (written < contents.size()) {
        const ssize_t n = ::write(fd, contents.data() + written, contents.size() - written);
        if (n < 0 && errno == EINTR) { continue; }
        if (n < 0) { return fail(lastError("cannot write " + temporary)); }
        written += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) { return fail(lastError("cannot flush " + temporary)); }
    if (::close(fd) != 0) {
        ::unlink(temporary.c_str());
        return lastError("cannot close " + temporary);
    }
    if (beforeRename) { beforeRename(); }
    if (::rename(temporary.c_str(), path.c_str()) != 0) {
        const std::string message = lastError("cannot replace " + path.string());
        ::unlink(temporary.c_str());
        return message;
    }
    // The rename is durable only once the directory entry is on disk.
    const int dirFd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirFd >= 0) {
        ::fsync(dirFd);
        ::close(dirFd);
    }
    return {};
}

void removeStaleTemporaryFiles(const std::filesystem::path& path)
{
    std::error_code ec;
    const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
    const std::string prefix = temporaryPrefix(path);
    const auto now = std::filesystem::file_time_type::clock::now();
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind(prefix, 0) != 0) { continue; }
        const auto modified = entry.last_write_time(ec);
        if (!ec && now - modified > std::chrono::minutes(1)) { std::filesystem::remove(entry.path(), ec); }
    }
}

std::string fileTimestamp()
{
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    ::gmtime_r(&now, &utc);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y%m%dT%H%M%SZ", &utc);
    return buffer;
}

}  // namespace berth::settings
