#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "berth/guest/eci/rootfs.h"
#include "berth/guest/eci/system_host.h"

using namespace berth::guest::eci;
namespace fs = std::filesystem;

TEST(MountInfo, ParsesDockerOverlayLines)
{
    const std::string text =
        "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
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
    EXPECT_EQ(layers->lowers, (std::vector<std::string>{"/var/lib/docker/overlay2/l/AAA", "/var/lib/docker/overlay2/l/BBB"}));
    EXPECT_EQ(layers->upper, "/var/lib/docker/overlay2/abc/diff");
    EXPECT_EQ(layers->work, "/var/lib/docker/overlay2/abc/work");
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
