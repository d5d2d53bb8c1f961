#include <gtest/gtest.h>

#include <fcntl.h>
#include <grp.h>
#include <linux/mount.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "berth/guest/eci/rootfs.h"
#include "berth/guest/eci/system_host.h"

using namespace berth::guest::eci;
namespace fs = std::filesystem;

TEST(MountInfo, ParsesDockerOverlayLines)
{
    const std::string text
        = "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
          "300 22 0:55 / /var/lib/docker/overlay2/abc/merged rw,relatime shared:150 - overlay overlay "
          "rw,lowerdir=/var/lib/docker/overlay2/l/AAA:/var/lib/docker/overlay2/l/BBB,"
          "upperdir=/var/lib/docker/overlay2/abc/diff,workdir=/var/lib/docker/overlay2/abc/work\n"
          "301 22 0:56 / /mnt/with\\040space rw - tmpfs tmpfs rw\n"
          "garbage line\n";
    const auto mounts = parseMountInfo(text);
    ASSERT_EQ(mounts.size(), 3U);
    EXPECT_EQ(mounts[1].mountPoint, "/var/lib/docker/overlay2/abc/merged");
    EXPECT_EQ(mounts[1].fsType, "overlay");
    EXPECT_EQ(mounts[2].mountPoint, "/mnt/with space");
    const auto layers = overlayLayers(mounts[1].superOptions, "/unused");
    ASSERT_TRUE(layers);
    EXPECT_EQ(layers->lowers,
              (std::vector<std::string>{"/var/lib/docker/overlay2/l/AAA", "/var/lib/docker/overlay2/l/BBB"}));
    EXPECT_EQ(layers->upper, "/var/lib/docker/overlay2/abc/diff");
    EXPECT_EQ(layers->work, "/var/lib/docker/overlay2/abc/work");
}

TEST(MountInfo, TheTopmostMountAtAPathAndItsDevice)
{
    const auto mounts = parseMountInfo("22 1 8:1 / / rw - ext4 /dev/vda rw\n"
                                       "40 22 0:40 / /home/user/proj rw - virtiofs berth-share-0 rw\n"
                                       "41 22 0:41 / /home/user/docs rw - virtiofs berth-share-1 rw\n"
                                       "42 41 0:42 / /home/user/docs rw - tmpfs tmpfs rw\n");
    ASSERT_EQ(mounts.size(), 4U);
    EXPECT_EQ(mounts[0].device, ::makedev(8, 1));
    EXPECT_EQ(mounts[1].device, ::makedev(0, 40));
    const MountInfo* proj = topmostMountAt(mounts, "/home/user/proj");
    ASSERT_NE(proj, nullptr);
    EXPECT_EQ(proj->fsType, "virtiofs");
    const MountInfo* docs = topmostMountAt(mounts, "/home/user/docs");  // a VM mount over the share
    ASSERT_NE(docs, nullptr);
    EXPECT_EQ(docs->fsType, "tmpfs");
    EXPECT_EQ(topmostMountAt(mounts, "/home/user"), nullptr);
    // The build host's root is no share.
    EXPECT_FALSE(SystemHostView().sharedDirectoryDevice("/"));
}

TEST(MountInfo, RelativeLayersAreResolvedAgainstTheOverlayDirectory)
{
    const auto layers = overlayLayers("rw,lowerdir=l/AAA:l/BBB,upperdir=abc/diff,workdir=abc/work,index=off",
                                      "/var/lib/docker/overlay2");
    ASSERT_TRUE(layers);
    EXPECT_EQ(layers->lowers.front(), "/var/lib/docker/overlay2/l/AAA");
    EXPECT_EQ(layers->upper, "/var/lib/docker/overlay2/abc/diff");
    EXPECT_FALSE(overlayLayers("rw,relatime", "/x"));
}

TEST(IdMap, Parses)
{
    const auto map = parseIdMap("         0     100000      65536\n");
    ASSERT_EQ(map.size(), 1U);
    EXPECT_EQ(map[0], (IdMapping{0, 100000, 65536}));
    EXPECT_EQ(parseIdMap("0 0 4294967295\n")[0].size, 4294967295U);
}

TEST(SystemHost, ContainerPidIsDockerdsRecordOfARunningContainer)
{
    const std::string root = (fs::temp_directory_path() / ("berth-eci-docker-" + std::to_string(::getpid()))).string();
    const auto write = [&](const std::string& id, const std::string& text) {
        fs::create_directories(root + "/containers/" + id);
        std::ofstream(root + "/containers/" + id + "/config.v2.json") << text;
    };
    write("running", R"({"ID":"running","State":{"Running":true,"Paused":false,"Pid":4242}})");
    write("stopped", R"({"ID":"stopped","State":{"Running":false,"Pid":0}})");
    write("odd", R"({"State":{"Running":"yes","Pid":"4242"}})");
    write("garbage", "{not json");
    const SystemHostView host;
    EXPECT_EQ(host.containerPid(root, "running"), 4242);
    EXPECT_EQ(host.containerPid(root, "stopped"), std::nullopt);
    EXPECT_EQ(host.containerPid(root, "odd"), std::nullopt);
    EXPECT_EQ(host.containerPid(root, "garbage"), std::nullopt);
    EXPECT_EQ(host.containerPid(root, "missing"), std::nullopt);
    EXPECT_EQ(host.containerPid(root + "/containers", "../containers/running"), std::nullopt);
    EXPECT_EQ(host.containerPid(root, ".."), std::nullopt);
    fs::remove_all(root);
}

TEST(ShiftOwnership, UpAndBackDown)
{
    if (::geteuid() != 0) { GTEST_SKIP() << "needs root to chown"; }
    std::string pattern = (fs::temp_directory_path() / "berth-eci-shift-XXXXXX").string();
    const std::string dir = ::mkdtemp(pattern.data());
    fs::create_directories(dir + "/etc");
    std::ofstream(dir + "/etc/file") << "x";
    EXPECT_EQ(::chown((dir + "/etc/file").c_str(), 5, 6), 0);
    ::chmod((dir + "/etc/file").c_str(), 04755);
    fs::create_symlink("file", dir + "/etc/link");
    std::ofstream(dir + "/outside") << "y";
    EXPECT_EQ(::chown((dir + "/outside").c_str(), 70000, 70000), 0);  // not a container ID: left alone

    shiftOwnership(dir, 100000, true);
    struct stat st {};
    ::stat((dir + "/etc/file").c_str(), &st);
    EXPECT_EQ(st.st_uid, 100005U);
    EXPECT_EQ(st.st_gid, 100006U);
    EXPECT_EQ(st.st_mode & 07777, 04755U);  // set-ID bits survive chown
    ::lstat((dir + "/etc/link").c_str(), &st);
    EXPECT_EQ(st.st_uid, 100000U);
    ::stat(dir.c_str(), &st);
    EXPECT_EQ(st.st_uid, 100000U);
    ::stat((dir + "/outside").c_str(), &st);
    EXPECT_EQ(st.st_uid, 70000U);

    shiftOwnership(dir, 100000, false);
    ::stat((dir + "/etc/file").c_str(), &st);
    EXPECT_EQ(st.st_uid, 5U);
    EXPECT_EQ(st.st_gid, 6U);
    ::stat(dir.c_str(), &st);
    EXPECT_EQ(st.st_uid, 0U);
    fs::remove_all(dir);
}

namespace {

std::string tempDir(const char* name)
{
    std::string pattern = (fs::temp_directory_path() / (std::string(name) + "-XXXXXX")).string();
    return ::mkdtemp(pattern.data());
}

struct stat statOf(const std::string& path)
{
    struct stat st {};
    ::lstat(path.c_str(), &st);
    return st;
}

}  // namespace

TEST(ShiftOwnership, NeverFollowsASymlinkOutOfTheUpperLayer)
{
    if (::geteuid() != 0) { GTEST_SKIP() << "needs root to chown"; }
    const std::string dir = tempDir("berth-eci-shift");
    const std::string upper = dir + "/upper";
    const std::string outside = dir + "/vm";  // stands for a VM file or directory
    fs::create_directories(upper + "/d");
    fs::create_directories(outside + "/sub");
    std::ofstream(outside + "/file") << "vm";
    std::ofstream(outside + "/sub/deep") << "vm";
    for (const auto& path : {outside, outside + "/file", outside + "/sub", outside + "/sub/deep"}) {
        ASSERT_EQ(::chown(path.c_str(), 7, 7), 0);
    }
    ::chmod((outside + "/file").c_str(), 0755);
    fs::create_symlink(outside + "/file", upper + "/to-file");
    fs::create_directory_symlink(outside, upper + "/to-dir");
    fs::create_directory_symlink(outside + "/sub", upper + "/d/relative");
    fs::create_symlink("../../vm/file", upper + "/d/dotdot");
    std::ofstream(upper + "/d/own") << "x";
    ASSERT_EQ(::chown((upper + "/d/own").c_str(), 3, 3), 0);
    ::chmod((upper + "/d/own").c_str(), 02755);

    shiftOwnership(upper, 100000, true);
    for (const auto& path : {outside, outside + "/file", outside + "/sub", outside + "/sub/deep"}) {
        EXPECT_EQ(statOf(path).st_uid, 7U) << path;
        EXPECT_EQ(statOf(path).st_gid, 7U) << path;
    }
    EXPECT_EQ(statOf(outside + "/file").st_mode & 07777, 0755U);
    for (const auto& link : {upper + "/to-file", upper + "/to-dir", upper + "/d/relative", upper + "/d/dotdot"}) {
        EXPECT_EQ(statOf(link).st_uid, 100000U) << link;  // the link itself is the container's
    }
    EXPECT_EQ(statOf(upper + "/d/own").st_uid, 100003U);
    EXPECT_EQ(statOf(upper + "/d/own").st_mode & 07777, 02755U);

    shiftOwnership(upper, 100000, false);
    EXPECT_EQ(statOf(upper + "/d/own").st_uid, 3U);
    EXPECT_EQ(statOf(upper + "/to-dir").st_uid, 0U);
    EXPECT_EQ(statOf(outside + "/sub/deep").st_uid, 7U);

    // The upper dir given as a symlink is not followed either.
    fs::create_directory_symlink(outside, dir + "/upper-link");
    shiftOwnership(dir + "/upper-link", 100000, true);
    EXPECT_EQ(statOf(outside).st_uid, 7U);
    EXPECT_EQ(statOf(outside + "/file").st_uid, 7U);
    fs::remove_all(dir);
}

TEST(ShiftOwnership, LeavesMountsInTheUpperLayerAlone)
{
    if (::geteuid() != 0) { GTEST_SKIP() << "needs root to mount"; }
    const std::string dir = tempDir("berth-eci-shift");
    const std::string upper = dir + "/upper";
    const std::string outside = dir + "/vm";
    fs::create_directories(upper + "/bind");
    fs::create_directories(upper + "/tmpfs");
    fs::create_directories(outside + "/sub");
    std::ofstream(outside + "/file") << "vm";
    std::ofstream(upper + "/file-bind") << "";
    std::ofstream(upper + "/plain") << "x";
    for (const auto& path : {outside, outside + "/file", outside + "/sub"}) {
        ASSERT_EQ(::chown(path.c_str(), 7, 7), 0);
    }
    // A bind of a VM directory (same file system: only the mount tells it apart), a bind of a
    // VM file, and a file system of its own.
    const bool mounted = ::mount(outside.c_str(), (upper + "/bind").c_str(), nullptr, MS_BIND, nullptr) == 0
        && ::mount((outside + "/file").c_str(), (upper + "/file-bind").c_str(), nullptr, MS_BIND, nullptr) == 0
        && ::mount("tmpfs", (upper + "/tmpfs").c_str(), "tmpfs", 0, "mode=0755,uid=9,gid=9") == 0;
    if (!mounted) {
        ::umount2((upper + "/bind").c_str(), MNT_DETACH);
        ::umount2((upper + "/file-bind").c_str(), MNT_DETACH);
        fs::remove_all(dir);
        GTEST_SKIP() << "cannot mount here: " << std::strerror(errno);
    }
    std::ofstream(upper + "/tmpfs/inside") << "t";
    ASSERT_EQ(::chown((upper + "/tmpfs/inside").c_str(), 9, 9), 0);

    shiftOwnership(upper, 100000, true);
    EXPECT_EQ(statOf(outside).st_uid, 7U);
    EXPECT_EQ(statOf(outside + "/sub").st_uid, 7U);
    EXPECT_EQ(statOf(outside + "/file").st_uid, 7U);
    EXPECT_EQ(statOf(upper + "/tmpfs").st_uid, 9U);
    EXPECT_EQ(statOf(upper + "/tmpfs/inside").st_uid, 9U);
    EXPECT_EQ(statOf(upper + "/plain").st_uid, 100000U);  // the rest of the layer is shifted
    EXPECT_EQ(statOf(upper).st_uid, 100000U);

    for (const auto& target : {upper + "/bind", upper + "/file-bind", upper + "/tmpfs"}) {
        ::umount2(target.c_str(), MNT_DETACH);
    }
    fs::remove_all(dir);
}

namespace {

// Runs `action` in a child whose user and group IDs are `id`; true when it returned true.
template <typename Action> bool asId(std::uint32_t id, Action action)
{
    const pid_t child = ::fork();
    if (child == 0) {
        const bool ok
            = ::setgroups(0, nullptr) == 0 && ::setresgid(id, id, id) == 0 && ::setresuid(id, id, id) == 0 && action();
        ::_exit(ok ? 0 : 1);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

bool writeAs(const std::string& path, const char* text, int flags)
{
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | flags, 0644);
    if (fd < 0) { return false; }
    const bool ok = ::write(fd, text, std::strlen(text)) == static_cast<ssize_t>(std::strlen(text));
    ::close(fd);
    return ok;
}

std::uint32_t ownerOf(const std::string& path)
{
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0 ? st.st_uid : 0xffffffffU;
}

}  // namespace

TEST(MappedBinds, AVolumeIsSharedAcrossBlocksAndStaysZeroBasedOnDisk)
{
    if (::geteuid() != 0) { GTEST_SKIP() << "needs root to mount"; }
    std::string pattern = (fs::temp_directory_path() / "berth-eci-binds-XXXXXX").string();
    const std::string dir = ::mkdtemp(pattern.data());
    ::chmod(dir.c_str(), 0711);
    const std::string volume = dir + "/volumes/v/_data";
    fs::create_directories(volume);
    std::ofstream(volume + "/existing") << "from the image";
    std::ofstream(dir + "/hosts") << "127.0.0.1 localhost\n";
    const std::string staging = dir + "/staging";

    const auto first = stageMappedBinds(staging, "c1", {volume, dir + "/hosts"}, 100000);
    ASSERT_EQ(first.size(), 2U);
    if (first[0].empty()) {
        unstageRootfs(staging, "c1");
        fs::remove_all(dir);
        GTEST_SKIP() << "this machine's temporary filesystem cannot be ID-mapped";
    }
    EXPECT_EQ(first[0], staging + "/c1/binds/0");
    EXPECT_EQ(ownerOf(first[0] + "/existing"), 100000U);
    ASSERT_EQ(first[1], staging + "/c1/binds/1");  // a file source gets a file
    EXPECT_EQ(ownerOf(first[1]), 100000U);
    std::ifstream hosts(first[1]);
    std::string line;
    std::getline(hosts, line);
    EXPECT_EQ(line, "127.0.0.1 localhost");

    // The first container's root writes; the file is owned by 0 on disk.
    EXPECT_TRUE(asId(100000, [&] { return writeAs(first[0] + "/new", "one\n", O_CREAT | O_EXCL); }));
    EXPECT_EQ(ownerOf(volume + "/new"), 0U);
    EXPECT_TRUE(asId(100000, [&] { return writeAs(first[1], "::1 localhost\n", O_APPEND); }));

    // A container in another block sees the same files as its own and appends to them.
    const auto second = stageMappedBinds(staging, "c2", {volume}, 165536);
    ASSERT_EQ(second.size(), 1U);
    EXPECT_EQ(ownerOf(second[0] + "/new"), 165536U);
    EXPECT_TRUE(asId(165536, [&] { return writeAs(second[0] + "/new", "two\n", O_APPEND); }));
    EXPECT_FALSE(asId(165536, [&] { return writeAs(first[0] + "/new", "x\n", O_APPEND); }));  // not through c1's
    EXPECT_EQ(ownerOf(volume + "/new"), 0U);

    unstageRootfs(staging, "c1");
    unstageRootfs(staging, "c2");
    EXPECT_FALSE(fs::exists(staging + "/c1"));
    EXPECT_FALSE(fs::exists(staging + "/c2"));
    std::ifstream written(volume + "/new");
    std::stringstream text;
    text << written.rdbuf();
    EXPECT_EQ(text.str(), "one\ntwo\n");
    EXPECT_EQ(fs::file_size(dir + "/hosts"), std::string("127.0.0.1 localhost\n::1 localhost\n").size());
    fs::remove_all(dir);
}

TEST(MappedBinds, ASymlinkOnTheWayIsNotFollowed)
{
    if (::geteuid() != 0) { GTEST_SKIP() << "needs root to mount"; }
    std::string pattern = (fs::temp_directory_path() / "berth-eci-binds-XXXXXX").string();
    const std::string dir = ::mkdtemp(pattern.data());
    fs::create_directories(dir + "/volume");
    fs::create_directory_symlink(dir + "/volume", dir + "/link");
    EXPECT_THROW(stageMappedBinds(dir + "/staging", "c1", {dir + "/link"}, 100000), std::runtime_error);
    EXPECT_THROW(stageMappedBinds(dir + "/staging", "c1", {dir + "/link/."}, 100000), std::runtime_error);
    unstageRootfs(dir + "/staging", "c1");
    EXPECT_FALSE(fs::exists(dir + "/staging/c1"));
    fs::remove_all(dir);
}

TEST(MappedBinds, AReadOnlyBindStagedInTheVmIsLockedReadOnlyInAContainersNamespace)
{
    if (::geteuid() != 0) { GTEST_SKIP() << "needs root to mount"; }
    const std::string dir = tempDir("berth-eci-binds");
    ::chmod(dir.c_str(), 0755);
    const std::string volume = dir + "/volumes/v/_data";
    fs::create_directories(volume);
    fs::create_directories(dir + "/inside");
    std::ofstream(volume + "/f") << "x";
    const std::string staging = dir + "/staging";
    const auto staged
        = stageBinds(staging, "c1", {{volume, true, true}, {volume, false, true}, {volume, true, false}}, 100000);
    ASSERT_EQ(staged.size(), 3U);
    ASSERT_FALSE(staged[1].empty());  // read-only binds are always staged
    EXPECT_EQ(::access((staged[1] + "/f").c_str(), W_OK), -1);
    EXPECT_EQ(errno, EROFS);
    if (!staged[0].empty()) { EXPECT_EQ(::access((staged[0] + "/f").c_str(), W_OK), -1); }

    // What runc does for a container: a mount namespace made from a new user namespace, then a
    // bind of the staged source. Root there (all capabilities in its namespace) cannot make it
    // writable by either remount, nor through mount_setattr; a read-only bind made inside the
    // namespace, as runc makes ":ro" binds without staging, could be.
    const pid_t child = ::fork();
    if (child == 0) {
        if (::unshare(CLONE_NEWUSER) != 0 || ::unshare(CLONE_NEWNS) != 0
            || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
            ::_exit(10);
        }
        const std::string target = dir + "/inside";
        if (::mount(staged[1].c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0) { ::_exit(11); }
        if (::mount(nullptr, target.c_str(), nullptr, MS_BIND | MS_REMOUNT, nullptr) == 0) { ::_exit(12); }
        if (::mount(nullptr, staged[1].c_str(), nullptr, MS_BIND | MS_REMOUNT, nullptr) == 0) { ::_exit(13); }
        mount_attr attr{};
        attr.attr_clr = MOUNT_ATTR_RDONLY;
        if (::syscall(SYS_mount_setattr, AT_FDCWD, target.c_str(), 0, &attr, sizeof attr) == 0) { ::_exit(14); }
        if (::umount2(target.c_str(), MNT_DETACH) != 0) { ::_exit(15); }
        // The unstaged way, for contrast: bound from the writable source and made read-only here.
        if (::mount(volume.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0
            || ::mount(nullptr, target.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) != 0) {
            ::_exit(16);
        }
        ::_exit(::mount(nullptr, target.c_str(), nullptr, MS_BIND | MS_REMOUNT, nullptr) == 0 ? 0 : 17);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    unstageRootfs(staging, "c1");
    const bool skipped = WIFEXITED(status) && WEXITSTATUS(status) == 10;
    if (!skipped) {
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child exit " << WEXITSTATUS(status);
    }
    EXPECT_FALSE(fs::exists(staging + "/c1"));
    fs::remove_all(dir);
    if (skipped) { GTEST_SKIP() << "no user and mount namespaces here"; }
}

// A shared host directory (virtiofs in the VM; a tmpfs of its own here) is staged ID-mapped with
// the container's block: the host user's files (VM ID 1000) are 1000 inside, the container's root
// writes as the VM's root, and nothing but the share's own files is ever staged.
TEST(MappedBinds, ASharedPathIsStagedIdMappedFromTheSharesOwnFilesystemOnly)
{
    if (::geteuid() != 0) { GTEST_SKIP() << "needs root to mount"; }
    const std::string dir = tempDir("berth-eci-share");
    ::chmod(dir.c_str(), 0711);
    const std::string share = dir + "/share";
    fs::create_directories(share);
    if (::mount("tmpfs", share.c_str(), "tmpfs", 0, "mode=0755") != 0) {
        fs::remove_all(dir);
        GTEST_SKIP() << "cannot mount a tmpfs here";
    }
    fs::create_directories(share + "/src");
    std::ofstream(share + "/src/main.c") << "int main;\n";
    EXPECT_EQ(::chown((share + "/src").c_str(), 1000, 1000), 0);
    ::chmod((share + "/src").c_str(), 0777);  // the writer below has no capabilities of a container's root
    EXPECT_EQ(::chown((share + "/src/main.c").c_str(), 1000, 1000), 0);
    fs::create_directory_symlink("/etc", share + "/etc");
    fs::create_directories(share + "/mnt");
    const bool innerMount = ::mount("tmpfs", (share + "/mnt").c_str(), "tmpfs", 0, nullptr) == 0;  // the VM's
    const std::string staging = dir + "/staging";
    const auto cleanUp = [&] {
        unstageRootfs(staging, "c1");
        ::umount2((share + "/mnt").c_str(), MNT_DETACH);
        ::umount2(share.c_str(), MNT_DETACH);
        fs::remove_all(dir);
    };

    std::vector<std::string> staged;
    try {
        staged = stageBinds(staging, "c1", {{share + "/src", true, false, share}}, 100000);
    } catch (const std::runtime_error& e) {
        cleanUp();
        GTEST_SKIP() << "this machine's tmpfs cannot be ID-mapped: " << e.what();
    }
    ASSERT_EQ(staged, std::vector<std::string>{staging + "/c1/binds/0"});
    EXPECT_EQ(ownerOf(staged[0] + "/main.c"), 101000U);
    EXPECT_TRUE(asId(101000, [&] { return writeAs(staged[0] + "/main.c", "int x;\n", O_APPEND); }));
    EXPECT_TRUE(asId(100000, [&] { return writeAs(staged[0] + "/new.c", "\n", O_CREAT | O_EXCL); }));
    EXPECT_EQ(ownerOf(share + "/src/new.c"), 0U);
    EXPECT_EQ(ownerOf(share + "/src/main.c"), 1000U);
    unstageRootfs(staging, "c1");

    // Never through a link, out of the share by "..", or into a VM mount inside it.
    std::vector<std::string> refused = {share + "/etc", share + "/etc/hostname", share + "/src/../..", dir};
    if (innerMount) { refused.push_back(share + "/mnt"); }
    for (const auto& source : refused) {
        try {
            stageBinds(staging, "c1", {{source, true, false, share}}, 100000);
            ADD_FAILURE() << source << " was staged";
        } catch (const std::runtime_error& e) {
            EXPECT_NE(std::string(e.what()).find(source), std::string::npos) << e.what();
        }
        unstageRootfs(staging, "c1");
    }
    EXPECT_FALSE(fs::exists(staging + "/c1"));
    cleanUp();
}

// A shared directory whose file system refuses ID mapping: the container does not start (the
// error names the path); a volume there would fall back to a plain bind.
TEST(MappedBinds, ASharedPathThatCannotBeIdMappedIsAnErrorNotAPlainBind)
{
    if (::geteuid() != 0) { GTEST_SKIP() << "needs root to mount"; }
    const std::string dir = tempDir("berth-eci-share");
    const std::string share = dir + "/share";
    fs::create_directories(share);
    // ramfs has no ID-mapped mounts.
    if (::mount("ramfs", share.c_str(), "ramfs", 0, nullptr) != 0) {
        fs::remove_all(dir);
        GTEST_SKIP() << "cannot mount a ramfs here";
    }
    fs::create_directories(share + "/src");
    const std::string staging = dir + "/staging";
    const auto plain = stageBinds(staging, "c1", {{share + "/src", true, false}}, 100000);
    unstageRootfs(staging, "c1");
    if (plain.size() == 1 && !plain[0].empty()) {
        ::umount2(share.c_str(), MNT_DETACH);
        fs::remove_all(dir);
        GTEST_SKIP() << "this machine's ramfs can be ID-mapped";
    }
    for (const bool readOnly : {false, true}) {
        try {
            stageBinds(staging, "c1", {{share + "/src", true, readOnly, share}}, 100000);
            ADD_FAILURE() << "staged unmapped";
        } catch (const std::runtime_error& e) {
            EXPECT_NE(std::string(e.what()).find("cannot mount the shared path " + share + "/src ID-mapped"),
                      std::string::npos)
                << e.what();
        }
        unstageRootfs(staging, "c1");
    }
    EXPECT_FALSE(fs::exists(staging + "/c1"));
    ::umount2(share.c_str(), MNT_DETACH);
    fs::remove_all(dir);
}
