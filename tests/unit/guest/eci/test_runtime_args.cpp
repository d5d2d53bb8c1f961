#include <gtest/gtest.h>

#include "berth/guest/eci/runtime_args.h"

using namespace berth::guest::eci;

TEST(RuntimeArgs, ShimCreate)
{
    const auto inv = parseRuntimeArgs({"--root", "/run/containerd/runc/moby", "--log",
                                       "/run/containerd/io.containerd.runtime.v2.task/moby/ID/log.json", "--log-format",
                                       "json", "--systemd-cgroup", "create", "--bundle",
                                       "/run/containerd/io.containerd.runtime.v2.task/moby/ID", "--pid-file",
                                       "/x/init.pid", "--console-socket", "/tmp/pty.sock", "ID"},
                                      "/wd");
    EXPECT_EQ(inv.root, "/run/containerd/runc/moby");
    EXPECT_EQ(inv.log, "/run/containerd/io.containerd.runtime.v2.task/moby/ID/log.json");
    EXPECT_EQ(inv.logFormat, "json");
    EXPECT_EQ(inv.command, "create");
    EXPECT_EQ(inv.bundle, "/run/containerd/io.containerd.runtime.v2.task/moby/ID");
    EXPECT_EQ(inv.pidFile, "/x/init.pid");
    EXPECT_EQ(inv.containerId, "ID");
}

TEST(RuntimeArgs, FlagSpellings)
{
    auto inv = parseRuntimeArgs({"--root=/r", "-log", "/l", "run", "-b", "bundle", "--detach", "ID"}, "/wd");
    EXPECT_EQ(inv.root, "/r");
    EXPECT_EQ(inv.log, "/l");
    EXPECT_EQ(inv.command, "run");
    EXPECT_EQ(inv.bundle, "/wd/bundle");
    EXPECT_EQ(inv.containerId, "ID");
    inv = parseRuntimeArgs({"create", "--bundle=/b", "ID"}, "/wd");
    EXPECT_EQ(inv.bundle, "/b");
    inv = parseRuntimeArgs({"run", "ID"}, "/wd");  // BuildKit: the bundle is the working directory
    EXPECT_EQ(inv.bundle, "/wd");
}

TEST(RuntimeArgs, OtherCommands)
{
    auto inv = parseRuntimeArgs({"--root", "/r", "delete", "-f", "ID"}, "/");
    EXPECT_EQ(inv.command, "delete");
    EXPECT_TRUE(inv.force);
    EXPECT_EQ(inv.containerId, "ID");
    inv = parseRuntimeArgs({"delete", "--force", "ID"}, "/");
    EXPECT_TRUE(inv.force);
    inv = parseRuntimeArgs({"kill", "ID", "9"}, "/");
    EXPECT_EQ(inv.containerId, "ID");
    inv = parseRuntimeArgs({"exec", "--process", "/tmp/p.json", "--detach", "--pid-file", "/p", "ID"}, "/");
    EXPECT_EQ(inv.command, "exec");
    EXPECT_EQ(inv.containerId, "ID");
    inv = parseRuntimeArgs({"--version"}, "/");
    EXPECT_EQ(inv.command, "");
    inv = parseRuntimeArgs({"features"}, "/");
    EXPECT_EQ(inv.command, "features");
    EXPECT_EQ(inv.bundle, "");
    inv = parseRuntimeArgs({"--root"}, "/");  // truncated: nothing to act on, runc reports it
    EXPECT_EQ(inv.command, "");
}
