#include "berth/contracts/shared_directories.h"

#include <gtest/gtest.h>

#include <string>

using berth::contracts::isWithinDirectory;
using berth::contracts::sharedDirectoryError;
using berth::contracts::sharedDirectoryTag;

TEST(SharedDirectories, TheUsersFoldersMayBeShared)
{
    for (const char* path : {"/home/dev", "/home/dev/src", "/srv/projects", "/tmp", "/tmp/work", "/mnt/data", "/root",
                             "/opt/code", "/variable", "/usrlocal", "/home/dev/a b,c"}) {
        EXPECT_EQ(sharedDirectoryError(path), "") << path;
    }
}

TEST(SharedDirectories, TheVmsOwnSystemAndUnplainPathsMayNot)
{
    for (const char* path : {"/", "/etc", "/etc/docker", "/usr", "/usr/local/src", "/var", "/var/lib/docker", "/run",
                             "/proc", "/sys", "/dev", "/bin", "/sbin", "/lib", "/lib64", "/boot"}) {
        EXPECT_NE(sharedDirectoryError(path), "") << path;
    }
    EXPECT_EQ(sharedDirectoryError("home/dev"), "\"home/dev\" is not an absolute path");
    EXPECT_EQ(sharedDirectoryError(""), "\"\" is not an absolute path");
    EXPECT_EQ(sharedDirectoryError("/home/dev/"), "\"/home/dev/\" ends in \"/\"");
    for (const char* path : {"/home//dev", "/home/./dev", "/home/../etc", "/home/dev/.."}) {
        EXPECT_NE(sharedDirectoryError(path).find("is not a plain path"), std::string::npos) << path;
    }
    EXPECT_EQ(sharedDirectoryError("/"), "\"/\" cannot be shared: it would replace the VM's own file system");
}

TEST(SharedDirectories, WithinComparesWholeComponents)
{
    EXPECT_TRUE(isWithinDirectory("/home/dev", "/home/dev"));
    EXPECT_TRUE(isWithinDirectory("/home/dev/src/x", "/home/dev"));
    EXPECT_FALSE(isWithinDirectory("/home/devel", "/home/dev"));
    EXPECT_FALSE(isWithinDirectory("/home", "/home/dev"));
    EXPECT_TRUE(isWithinDirectory("/anything", "/"));
    EXPECT_EQ(sharedDirectoryTag(0), "berth-share-0");
    EXPECT_EQ(sharedDirectoryTag(12), "berth-share-12");
}
