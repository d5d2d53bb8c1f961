#include "berth/settings/trusted_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>

namespace berth::settings {

namespace {

std::string octalMode(mode_t mode)
{
    char buffer[8];
    std::snprintf(buffer, sizeof buffer, "%04o", static_cast<unsigned>(mode & 07777));
    return buffer;
}

TrustedFile rejected(const std::filesystem::path& path, std::string message, std::string fix)
{
    TrustedFile out;
    out.status = TrustedFile::Status::Rejected;
    out.problem.file = path.string();
    out.problem.message = std::move(message);
    out.problem.fix = std::move(fix);
    return out;
}

// Every directory from `dir` up to "/" must be owned by root or the trusted owner and be
// writable by nobody else, unless it is sticky (like /tmp), where others cannot replace entries.
std::optional<TrustedFile> checkDirectories(const std::filesystem::path& file, std::filesystem::path dir,
                                            const TrustRules& rules, const std::string& via)
{
    while (true) {
        struct stat st {};
        if (::stat(dir.c_str(), &st) != 0) {
            return rejected(file, "cannot inspect directory " + dir.string() + via + ": " + std::strerror(errno),
                            "check that the directory exists and is readable");
        }
        if (st.st_uid != 0 && st.st_uid != rules.trustedOwner) {
            return rejected(file,
                            "directory " + dir.string() + via + " is owned by uid " + std::to_string(st.st_uid)
                                + ", so that user could replace the file",
                            "keep the file in a root-owned directory such as /etc/berth");
        }
        if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 && (st.st_mode & S_ISVTX) == 0) {
            return rejected(file,
                            "directory " + dir.string() + via + " is writable by group or others (mode "
                                + octalMode(st.st_mode) + "), so they could replace the file",
                            "run `sudo chmod go-w " + dir.string() + "`");
        }
        if (!dir.has_parent_path() || dir.parent_path() == dir) { return std::nullopt; }
        dir = dir.parent_path();
    }
}

}  // namespace

TrustedFile readTrustedFile(const std::filesystem::path& path, const TrustRules& rules)
{
    struct stat link {};
    if (::lstat(path.c_str(), &link) != 0) {
        if (errno == ENOENT) { return TrustedFile{}; }
        return rejected(path, std::string("cannot inspect the file: ") + std::strerror(errno),
                        "check the permissions of its directories");
    }

    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        if (errno == ENOENT) {
            return rejected(path, "is a symbolic link to a file that does not exist",
                            "remove the link or point it at the policy file");
        }
        return rejected(path, std::string("cannot be opened: ") + std::strerror(errno),
                        "make it readable by everyone: `sudo chmod 644 " + path.string() + "`");
    }
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};

    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        return rejected(path, std::string("cannot inspect the file: ") + std::strerror(errno), "");
    }
    if (!S_ISREG(st.st_mode)) {
        return rejected(path, "is not a regular file", "deploy a plain JSON file at this path");
    }

    std::error_code ec;
    const std::filesystem::path resolved = std::filesystem::canonical(path, ec);
    const std::string via = S_ISLNK(link.st_mode) ? " (the symbolic link leads to " + resolved.string() + ")" : "";
    if (rules.checkOwnership) {
        if (st.st_uid != rules.trustedOwner) {
            return rejected(
                path,
                "is owned by uid " + std::to_string(st.st_uid) + via + ", not "
                    + (rules.trustedOwner == 0 ? std::string("root") : "uid " + std::to_string(rules.trustedOwner)),
                "an administrator must own it: `sudo chown root:root " + path.string() + "`");
        }
        if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
            return rejected(path, "is writable by group or others (mode " + octalMode(st.st_mode) + ")" + via,
                            "run `sudo chmod 644 " + path.string() + "`");
        }
        if (ec) { return rejected(path, "cannot resolve its location: " + ec.message(), ""); }
        const std::filesystem::path absolute = std::filesystem::absolute(path, ec);
        if (auto problem = checkDirectories(path, absolute.parent_path(), rules, "")) { return *problem; }
        if (S_ISLNK(link.st_mode)) {
            if (auto problem = checkDirectories(path, resolved.parent_path(), rules, via)) { return *problem; }
        }
    }
    if (static_cast<std::uintmax_t>(st.st_size) > rules.maxBytes) {
        return rejected(path,
                        "is larger than " + std::to_string(rules.maxBytes / 1024) + " KiB ("
                            + std::to_string(st.st_size) + " bytes)",
                        "a policy file is a few KiB; check that the right file was deployed");
    }

    TrustedFile out;
    out.status = TrustedFile::Status::Read;
    out.contents.resize(static_cast<std::size_t>(st.st_size));
    std::size_t done = 0;
    while (true) {
        if (done == out.contents.size()) { out.contents.resize(done + 4096); }
        const ssize_t n = ::read(fd, out.contents.data() + done, out.contents.size() - done);
        if (n < 0 && errno == EINTR) { continue; }
        if (n < 0) { return rejected(path, std::string("cannot be read: ") + std::strerror(errno), ""); }
        if (n == 0) { break; }
        done += static_cast<std::size_t>(n);
        if (done > rules.maxBytes) {
            return rejected(path, "is larger than " + std::to_string(rules.maxBytes / 1024) + " KiB",
                            "a policy file is a few KiB; check that the right file was deployed");
        }
    }
    out.contents.resize(done);
    return out;
}

}  // namespace berth::settings
