#include "berth/guest/eci/rootfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "berth/contracts/shared_directories.h"
#include "berth/guest/eci/files.h"
#include "berth/guest/eci/spec_rewrite.h"

namespace berth::guest::eci {

namespace fs = std::filesystem;

namespace {

std::string unescapeMountInfo(const std::string& field)
{
    std::string out;
    for (std::size_t i = 0; i < field.size(); ++i) {
        if (field[i] == '\\' && i + 3 < field.size()) {
            const std::string digits = field.substr(i + 1, 3);
            if (digits.find_first_not_of("01234567") == std::string::npos) {
                out += static_cast<char>(std::stoi(digits, nullptr, 8));
                i += 3;
                continue;
            }
        }
        out += field[i];
    }
    return out;
}

// Splits on `separator` unless it is backslash-escaped (overlay escapes ',' and ':' in paths).
std::vector<std::string> splitEscaped(const std::string& text, char separator)
{
    std::vector<std::string> parts(1);
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\\' && i + 1 < text.size()) {
            parts.back() += text[++i];
        } else if (text[i] == separator) {
            parts.emplace_back();
        } else {
            parts.back() += text[i];
        }
    }
    return parts;
}

std::runtime_error systemError(const std::string& what)
{
    return std::runtime_error(what + ": " + std::strerror(errno));
}

void writeFile(const std::string& path, const std::string& text)
{
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) { throw systemError("cannot open " + path); }
    const ssize_t n = ::write(fd, text.data(), text.size());
    const int saved = errno;
    ::close(fd);
    errno = saved;
    if (n != static_cast<ssize_t>(text.size())) { throw systemError("cannot write " + path); }
}

// A user namespace whose root is host ID `base`, held open by fd; only its mapping matters
// (it is what MOUNT_ATTR_IDMAP takes), nothing ever runs in it.
class MappingNamespace {
public:
    explicit MappingNamespace(std::uint32_t base)
    {
        int ready[2];
        int release[2];
        if (::pipe2(ready, O_CLOEXEC) != 0 || ::pipe2(release, O_CLOEXEC) != 0) { throw systemError("pipe"); }
        m_child = ::fork();
        if (m_child < 0) { throw systemError("fork"); }
        if (m_child == 0) {
            ::close(ready[0]);
            ::close(release[1]);
            char c = ::unshare(CLONE_NEWUSER) == 0 ? 'y' : 'n';
            (void)!::write(ready[1], &c, 1);
            (void)!::read(release[0], &c, 1);  // until the parent is done (or dies)
            ::_exit(0);
        }
        ::close(ready[1]);
        ::close(release[0]);
        m_release = release[1];
        char c = 'n';
        const bool ok = ::read(ready[0], &c, 1) == 1 && c == 'y';
        ::close(ready[0]);
        if (!ok) {
            finish();
            throw std::runtime_error("cannot create a user namespace for ID mapping");
        }
        const std::string proc = "/proc/" + std::to_string(m_child);
        const std::string map = "0 " + std::to_string(base) + " " + std::to_string(kIdBlockSize) + "\n";
        try {
            writeFile(proc + "/uid_map", map);
            writeFile(proc + "/gid_map", map);
        } catch (...) {
            finish();
            throw;
        }
        m_fd = ::open((proc + "/ns/user").c_str(), O_RDONLY | O_CLOEXEC);
        finish();
        if (m_fd < 0) { throw systemError("cannot open the mapping user namespace"); }
    }
    ~MappingNamespace()
    {
        if (m_fd >= 0) { ::close(m_fd); }
    }
    MappingNamespace(const MappingNamespace&) = delete;
    MappingNamespace& operator=(const MappingNamespace&) = delete;
    int fd() const { return m_fd; }

private:
    void finish()
    {
        if (m_release >= 0) { ::close(m_release); }
        m_release = -1;
        if (m_child > 0) { ::waitpid(m_child, nullptr, 0); }
        m_child = -1;
    }
    pid_t m_child = -1;
    int m_release = -1;
    int m_fd = -1;
};

// A detached copy of the mount at dirFd/path, ID-mapped through the user namespace usernsFd;
// -1 with errno set when the filesystem refuses ID mapping.
int idMappedTree(int dirFd, const char* path, unsigned flags, const std::string& what, int usernsFd)
{
    const int tree
        = static_cast<int>(::syscall(SYS_open_tree, dirFd, path, flags | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
    if (tree < 0) { throw systemError("open_tree " + what); }
    mount_attr attr{};
    attr.attr_set = MOUNT_ATTR_IDMAP;
    attr.userns_fd = static_cast<std::uint64_t>(usernsFd);
    if (::syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof attr) != 0) {
        const int saved = errno;
        ::close(tree);
        errno = saved;
        return -1;
    }
    return tree;
}

void idMappedClone(const std::string& source, const std::string& target, int usernsFd)
{
    const int tree = idMappedTree(AT_FDCWD, source.c_str(), 0, source, usernsFd);
    if (tree < 0) { throw systemError("ID-mapping " + source); }
    if (::syscall(SYS_move_mount, tree, "", AT_FDCWD, target.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0) {
        const int saved = errno;
        ::close(tree);
        errno = saved;
        throw systemError("move_mount " + target);
    }
    ::close(tree);
}

std::uint32_t shifted(std::uint32_t id, std::uint32_t base, bool up)
{
    if (up) { return id < kIdBlockSize ? id + base : id; }
    return id >= base && id - base < kIdBlockSize ? id - base : id;
}

// Opens name in dirFd without following a symlink (a trailing one is opened itself, O_PATH) and
// without leaving dirFd's mount: a bind or a mount point planted in the upper layer fails with
// EXDEV instead of being walked into.
int openBeneath(int dirFd, const char* name)
{
    open_how how{};
    how.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    return static_cast<int>(::syscall(SYS_openat2, dirFd, name, &how, sizeof how));
}

// Shifts the owner of the file open as fd (O_PATH); the file itself, never what a link names.
void shiftFd(int fd, const struct stat& st, std::uint32_t base, bool up, const std::string& what)
{
    const uid_t uid = shifted(st.st_uid, base, up);
    const gid_t gid = shifted(st.st_gid, base, up);
    if (uid == st.st_uid && gid == st.st_gid) { return; }
    if (::fchownat(fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) { return; }  // gone meanwhile
        throw systemError("chown " + what);
    }
    if (!S_ISLNK(st.st_mode) && (st.st_mode & (S_ISUID | S_ISGID)) != 0) {
        // chown cleared the set-ID bits; /proc/self/fd/N is the open inode, not a path lookup.
        ::chmod(("/proc/self/fd/" + std::to_string(fd)).c_str(), st.st_mode & 07777);
    }
}

// Walks the directory open as dirFd (O_PATH) on device dev: every entry is opened relative to
// its parent's fd, so a symlink or a rename elsewhere in the tree cannot redirect the walk.
void shiftTree(int dirFd, dev_t dev, std::uint32_t base, bool up, const std::string& what)
{
    const int listFd = ::openat(dirFd, ".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (listFd < 0) { return; }
    DIR* dir = ::fdopendir(listFd);
    if (dir == nullptr) {
        ::close(listFd);
        return;
    }
    while (const dirent* entry = ::readdir(dir)) {
        const std::string name = entry->d_name;
        if (name == "." || name == "..") { continue; }
        const int fd = openBeneath(::dirfd(dir), name.c_str());
        if (fd < 0 && errno == ENOSYS) {
            ::closedir(dir);
            throw systemError("openat2");  // Linux < 5.6: no walk that could be redirected
        }
        if (fd < 0) { continue; }  // gone, or a mount point (EXDEV): not ours to shift
        struct stat st {};
        // Another file system (a mount the container planted): neither shifted nor entered.
        if (::fstat(fd, &st) != 0 || st.st_dev != dev) {
            ::close(fd);
            continue;
        }
        try {
            shiftFd(fd, st, base, up, what + "/" + name);
            if (S_ISDIR(st.st_mode)) { shiftTree(fd, dev, base, up, what + "/" + name); }
        } catch (...) {
            ::close(fd);
            ::closedir(dir);
            throw;
        }
        ::close(fd);
    }
    ::closedir(dir);
}

// Opens `path` in the shared directory `share` (O_PATH) as the host user's file: from the share's
// root, without following a symlink, climbing out by "..", or crossing into another mount (a VM
// mount inside the share), and on the share's own device. What the rewrite checked by path is
// checked again here on what is actually mounted, so a link swapped in since changes nothing.
int openInSharedDirectory(const std::string& path, const std::string& share)
{
    if (!contracts::isWithinDirectory(path, share)) {
        throw std::runtime_error("the shared path " + path + " is not inside " + share);
    }
    open_how how{};
    how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
    how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    const int root = static_cast<int>(::syscall(SYS_openat2, AT_FDCWD, share.c_str(), &how, sizeof how));
    if (root < 0) { throw systemError("cannot open the shared directory " + share); }
    const std::string rest = path.size() == share.size() ? std::string(".") : path.substr(share.size() + 1);
    how.flags = O_PATH | O_CLOEXEC;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    const int fd = static_cast<int>(::syscall(SYS_openat2, root, rest.c_str(), &how, sizeof how));
    const int saved = errno;
    struct stat rootStat {};
    struct stat fileStat {};
    const bool sameDevice
        = fd >= 0 && ::fstat(root, &rootStat) == 0 && ::fstat(fd, &fileStat) == 0 && rootStat.st_dev == fileStat.st_dev;
    ::close(root);
    if (fd < 0) {
        errno = saved;
        throw systemError("cannot open the shared path " + path
                          + " without following a symlink or leaving the shared directory's file system");
    }
    if (!sameDevice) {
        ::close(fd);
        throw std::runtime_error("the shared path " + path + " is not on the shared directory's file system");
    }
    return fd;
}

void removeStagingDirs(const std::string& staging)
{
    // rmdir only: a directory that is still a mount point, or not empty, is left alone rather
    // than having a layer's contents deleted through it.
    std::error_code ec;
    if (fs::is_directory(staging + "/binds", ec)) {
        for (const auto& entry : fs::directory_iterator(staging + "/binds", ec)) {
            const std::string path = entry.path().string();
            ::umount2(path.c_str(), MNT_DETACH);
            struct stat st {};
            // Only the empty placeholder a file source was mounted on is unlinked, never a
            // file still showing a volume's contents.
            if (::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0) {
                ::unlink(path.c_str());
            } else {
                ::rmdir(path.c_str());
            }
        }
    }
    ::rmdir((staging + "/binds").c_str());
    if (fs::is_directory(staging + "/l", ec)) {
        for (const auto& entry : fs::directory_iterator(staging + "/l", ec)) {
            ::umount2(entry.path().c_str(), MNT_DETACH);
            ::rmdir(entry.path().c_str());
        }
    }
    ::rmdir((staging + "/l").c_str());
    ::rmdir((staging + "/rootfs").c_str());
    ::rmdir(staging.c_str());
}

}  // namespace

std::vector<MountInfo> parseMountInfo(const std::string& text)
{
    std::vector<MountInfo> out;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream in(line);
        std::vector<std::string> fields;
        for (std::string f; in >> f;) { fields.push_back(f); }
        std::size_t dash = 0;
        for (std::size_t i = 6; i < fields.size(); ++i) {
            if (fields[i] == "-") {
                dash = i;
                break;
            }
        }
        if (dash == 0 || dash + 2 >= fields.size()) { continue; }
        MountInfo m;
        try {
            m.id = std::stoi(fields[0]);
            m.parentId = std::stoi(fields[1]);
        } catch (const std::exception&) {
            continue;
        }
        unsigned major = 0;
        unsigned minor = 0;
        if (std::sscanf(fields[2].c_str(), "%u:%u", &major, &minor) == 2) { m.device = ::makedev(major, minor); }
        m.root = unescapeMountInfo(fields[3]);
        m.mountPoint = unescapeMountInfo(fields[4]);
        m.fsType = fields[dash + 1];
        m.source = unescapeMountInfo(fields[dash + 2]);
        m.superOptions = dash + 3 < fields.size() ? unescapeMountInfo(fields[dash + 3]) : std::string();
        out.push_back(std::move(m));
    }
    return out;
}

std::optional<OverlayLayers> overlayLayers(const std::string& superOptions, const std::string& relativeBase)
{
    OverlayLayers layers;
    const auto absolute = [&](const std::string& p) { return p.empty() || p[0] == '/' ? p : relativeBase + "/" + p; };
    // Split on unescaped commas, but keep escapes for the lowerdir split that follows.
    std::vector<std::string> options(1);
    for (std::size_t i = 0; i < superOptions.size(); ++i) {
        if (superOptions[i] == '\\' && i + 1 < superOptions.size()) {
            options.back() += superOptions.substr(i, 2);
            ++i;
        } else if (superOptions[i] == ',') {
            options.emplace_back();
        } else {
            options.back() += superOptions[i];
        }
    }
    for (const auto& option : options) {
        const auto eq = option.find('=');
        if (eq == std::string::npos) { continue; }
        const std::string key = option.substr(0, eq);
        const std::string value = option.substr(eq + 1);
        if (key == "lowerdir") {
            for (const auto& lower : splitEscaped(value, ':')) {
                if (!lower.empty()) { layers.lowers.push_back(absolute(lower)); }
            }
        } else if (key == "upperdir") {
            layers.upper = absolute(splitEscaped(value, '\0').front());
        } else if (key == "workdir") {
            layers.work = absolute(splitEscaped(value, '\0').front());
        }
    }
    if (layers.lowers.empty()) { return std::nullopt; }
    return layers;
}

void shiftOwnership(const std::string& dir, std::uint32_t base, bool up)
{
    // The upper dir's own path is the engine's (overlay2/<id>/diff); what is inside it is the
    // container's, and is never followed.
    const int root = ::open(dir.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (root < 0) { return; }
    struct stat st {};
    try {
        if (::fstat(root, &st) == 0) {
            shiftFd(root, st, base, up, dir);
            shiftTree(root, st.st_dev, base, up, dir);
        }
    } catch (...) {
        ::close(root);
        throw;
    }
    ::close(root);
}

StagedRootfs stageRootfs(const std::string& stagingRoot, const std::string& containerId, const std::string& rootPath,
                         std::uint32_t base)
{
    const std::string staging = stagingRoot + "/" + containerId;
    unstageRootfs(stagingRoot, containerId);  // a leftover from a failed earlier start
    fs::create_directories(staging + "/rootfs");
    // The container's root (an unmapped ID) must be able to walk to its rootfs.
    for (const auto& dir : {stagingRoot, staging}) { ::chmod(dir.c_str(), 0711); }

    const std::string resolved = fs::weakly_canonical(rootPath).string();
    std::optional<MountInfo> rootMount;
    for (const auto& m : parseMountInfo(readFile("/proc/self/mountinfo"))) {
        if (m.mountPoint == resolved) { rootMount = m; }  // the last one is on top
    }
    StagedRootfs staged;
    staged.path = staging + "/rootfs";
    std::optional<OverlayLayers> layers;
    if (rootMount && rootMount->fsType == "overlay") {
        // Docker mounts with relative "l/XYZ" lowers from inside its overlay2 directory.
        const std::string relativeBase = fs::path(resolved).parent_path().parent_path().string();
        layers = overlayLayers(rootMount->superOptions, relativeBase);
    }
    std::string idMapError;
    if (layers && !layers->upper.empty()) {
        try {
            MappingNamespace userns(base);
            fs::create_directories(staging + "/l");
            std::string lowerOption;
            for (std::size_t i = 0; i < layers->lowers.size(); ++i) {
                const std::string target = staging + "/l/" + std::to_string(i);
                fs::create_directory(target);
                idMappedClone(fs::canonical(layers->lowers[i]).string(), target, userns.fd());
                lowerOption += (i == 0 ? "" : ":") + ("l/" + std::to_string(i));
            }
            const std::string work = fs::path(layers->upper).parent_path().string() + "/berth-work";
            fs::remove_all(work);
            fs::create_directory(work);
            shiftOwnership(layers->upper, base, true);
            staged.upper = layers->upper;
            // Relative lowers keep the option string short however many layers the image has.
            const std::string options
                = "lowerdir=" + lowerOption + ",upperdir=" + layers->upper + ",workdir=" + work + ",index=off";
            const int cwd = ::open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            const bool mounted
                = ::chdir(staging.c_str()) == 0 && ::mount("overlay", "rootfs", "overlay", 0, options.c_str()) == 0;
            const int saved = errno;
            if (cwd >= 0) {
                (void)!::fchdir(cwd);
                ::close(cwd);
            }
            errno = saved;
            if (!mounted) { throw systemError("overlay mount"); }
            staged.idMapped = true;
            return staged;
        } catch (const std::exception& e) {
            idMapError = e.what();
            if (!staged.upper.empty()) { shiftOwnership(staged.upper, base, false); }
            staged.upper.clear();
            removeStagingDirs(staging);
            fs::create_directories(staging + "/rootfs");
        }
    }
    // Without ID mapping the container still gets a root it can reach.
    if (::mount(resolved.c_str(), staged.path.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
        throw systemError("cannot bind " + resolved + (idMapError.empty() ? "" : " (after " + idMapError + ")"));
    }
    return staged;
}

std::vector<std::string> stageBinds(const std::string& stagingRoot, const std::string& containerId,
                                    const std::vector<BindToStage>& binds, std::uint32_t base)
{
    std::vector<std::string> staged(binds.size());
    if (binds.empty()) { return staged; }
    const std::string dir = stagingRoot + "/" + containerId + "/binds";
    fs::create_directories(dir);
    // The container's root (an unmapped ID) may have to walk to them.
    for (const auto& d : {stagingRoot, stagingRoot + "/" + containerId, dir}) { ::chmod(d.c_str(), 0711); }
    std::optional<MappingNamespace> userns;
    for (std::size_t i = 0; i < binds.size(); ++i) {
        const std::string& what = binds[i].source;
        const bool shared = !binds[i].sharedDirectory.empty();
        // The source was checked as resolved; a symlink appearing since (a container writing to
        // the same volume) must not redirect the mount, so none is followed.
        int source = -1;
        if (shared) {
            source = openInSharedDirectory(what, binds[i].sharedDirectory);
        } else {
            open_how how{};
            how.flags = O_PATH | O_CLOEXEC;
            how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
            source = static_cast<int>(::syscall(SYS_openat2, AT_FDCWD, what.c_str(), &how, sizeof how));
            if (source < 0) { throw systemError("cannot open " + what + " without following symlinks"); }
        }
        struct stat st {};
        const bool statted = ::fstat(source, &st) == 0;
        const int tree = statted ? static_cast<int>(
                             ::syscall(SYS_open_tree, source, "", AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC))
                                 : -1;
        const int saved = errno;
        ::close(source);
        if (tree < 0) {
            errno = saved;
            throw systemError("open_tree " + what);
        }
        mount_attr attr{};
        bool ready = false;
        if (binds[i].idMapped || shared) {
            if (!userns) { userns.emplace(base); }
            attr.attr_set = MOUNT_ATTR_IDMAP | (binds[i].readOnly ? MOUNT_ATTR_RDONLY : 0);
            attr.userns_fd = static_cast<std::uint64_t>(userns->fd());
            ready = ::syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof attr) == 0;
            if (!ready && shared) {
                // Unmapped, the container's root would write as an unprivileged ID the share's
                // files do not belong to: the container does not start rather than half work.
                const int err = errno;
                ::close(tree);
                errno = err;
                throw systemError("cannot mount the shared path " + what
                                  + " ID-mapped for the container, which does not get it unmapped instead");
            }
        }
        if (!ready && binds[i].readOnly) {
            // Not ID-mappable, or not to be mapped: read-only all the same, so the lock holds.
            attr = mount_attr{};
            attr.attr_set = MOUNT_ATTR_RDONLY;
            if (::syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof attr) != 0) {
                const int err = errno;
                ::close(tree);
                errno = err;
                throw systemError("cannot make a read-only copy of " + what);
            }
            ready = true;
        }
        if (!ready) {  // not ID-mappable: the bind keeps its source
            ::close(tree);
            continue;
        }
        const std::string target = dir + "/" + std::to_string(i);
        bool made = false;
        if (S_ISDIR(st.st_mode)) {
            made = ::mkdir(target.c_str(), 0700) == 0;
        } else {
            const int fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
            made = fd >= 0;
            if (fd >= 0) { ::close(fd); }
        }
        if (!made || ::syscall(SYS_move_mount, tree, "", AT_FDCWD, target.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0) {
            const int err = errno;
            ::close(tree);
            errno = err;
            throw systemError("cannot mount " + what + " at " + target);
        }
        ::close(tree);
        staged[i] = target;
    }
    return staged;
}

std::vector<std::string> stageMappedBinds(const std::string& stagingRoot, const std::string& containerId,
                                          const std::vector<std::string>& sources, std::uint32_t base)
{
    std::vector<BindToStage> binds;
    for (const auto& source : sources) { binds.push_back({source, true, false}); }
    return stageBinds(stagingRoot, containerId, binds, base);
}

void unstageRootfs(const std::string& stagingRoot, const std::string& containerId)
{
    if (containerId.empty() || containerId.find('/') != std::string::npos || containerId == "..") { return; }
    const std::string staging = stagingRoot + "/" + containerId;
    ::umount2((staging + "/rootfs").c_str(), MNT_DETACH);
    removeStagingDirs(staging);
}

}  // namespace berth::guest::eci
