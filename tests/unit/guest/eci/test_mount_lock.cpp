#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>

#include "berth/guest/eci/mount_lock.h"

using namespace berth::guest::eci;
using nlohmann::json;

namespace {

// Docker's default profile, cut down to what decides the mount calls: everything listed is
// allowed, the rest refused; the CAP_SYS_ADMIN group is listed only when the container has it.
json dockerProfile(bool sysAdmin)
{
    json syscalls
        = json::array({{{"names", {"read", "write", "clone", "capset", "setresuid"}}, {"action", "SCMP_ACT_ALLOW"}}});
    if (sysAdmin) {
        syscalls.push_back({{"names", {"mount", "umount2", "unshare", "setns", "move_mount", "open_tree"}},
                            {"action", "SCMP_ACT_ALLOW"}});
    }
    return {{"defaultAction", "SCMP_ACT_ERRNO"}, {"syscalls", syscalls}};
}

json specWith(const json& seccomp)
{
    json spec = json::parse(R"({
      "process": {"args": ["sh", "-c", "echo hi"], "cwd": "/work",
                  "user": {"uid": 1000, "gid": 1001, "additionalGids": [5, 1001]},
                  "capabilities": {"bounding": ["CAP_CHOWN", "CAP_SYS_ADMIN", "CAP_UNKNOWN_ONE"],
                                   "effective": ["CAP_CHOWN"], "permitted": ["CAP_CHOWN"],
                                   "inheritable": [], "ambient": []}},
      "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
      "linux": {}
    })");
    spec["linux"]["seccomp"] = seccomp;
    return spec;
}

}  // namespace

TEST(MountLock, InitArgumentsRoundTrip)
{
    InitPlan plan;
    plan.uid = 1000;
    plan.gid = 1001;
    plan.groups = {5, 1001};
    plan.capabilities = CapabilitySets{0x1fffffffffULL, 0x200001, 0x200001, 0x1, 0x1};
    plan.command = {"sh", "-c", "echo -- \"$@\"", "--", ""};
    std::string error;
    const auto parsed = parseInitArguments(initArguments(plan), error);
    ASSERT_TRUE(parsed) << error;
    EXPECT_EQ(*parsed, plan);

    plan.capabilities.reset();
    plan.groups.clear();
    const auto bare = parseInitArguments(initArguments(plan), error);
    ASSERT_TRUE(bare) << error;
    EXPECT_EQ(*bare, plan);
}

TEST(MountLock, MalformedInitArgumentsAreRefused)
{
    for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
             {},
             {"--user", "0:0"},  // no command
             {"--user", "0:0", "--"},  // empty command
             {"--groups", "1", "--", "sh"},  // no user
             {"--user", "0", "--", "sh"},  // not uid:gid
             {"--user", "-1:0", "--", "sh"},  // not a number
             {"--user", "0:0", "--groups", "1,,2", "--", "sh"},  // empty group
             {"--user", "0:0", "--caps", "1:2:3:4", "--", "sh"},  // four masks
             {"--user", "0:0", "--caps", "1:2:3:4:zz", "--", "sh"},  // not hexadecimal
             {"--user", "0:0", "--extra", "x", "--", "sh"},  // unknown option
             {"--user"}}) {
        std::string error;
        EXPECT_FALSE(parseInitArguments(args, error)) << ::testing::PrintToString(args);
        EXPECT_FALSE(error.empty());
    }
}

TEST(MountLock, CapabilityNumbersAreLinuxs)
{
    EXPECT_EQ(capabilityNumber("CAP_CHOWN"), 0);
    EXPECT_EQ(capabilityNumber("CAP_SYS_CHROOT"), 18);
    EXPECT_EQ(capabilityNumber("CAP_SYS_ADMIN"), 21);
    EXPECT_EQ(capabilityNumber("CAP_CHECKPOINT_RESTORE"), 40);
    EXPECT_FALSE(capabilityNumber("CAP_UNKNOWN_ONE"));
    EXPECT_FALSE(capabilityNumber("sys_admin"));
}

TEST(MountLock, WhoMayChangeMounts)
{
    EXPECT_FALSE(mayChangeMounts(dockerProfile(false)));
    EXPECT_TRUE(mayChangeMounts(dockerProfile(true)));
    EXPECT_TRUE(mayChangeMounts(json()));  // no profile at all
    EXPECT_TRUE(mayChangeMounts({{"defaultAction", "SCMP_ACT_ALLOW"}}));
    EXPECT_TRUE(mayChangeMounts({{"defaultAction", "SCMP_ACT_LOG"}}));
    // Under a permitting default, every mount call must be refused outright to count as closed.
    const json allRefused
        = {{"defaultAction", "SCMP_ACT_ALLOW"},
           {"syscalls",
            {{{"names", {"mount", "umount", "umount2", "move_mount", "open_tree", "fsopen", "fsmount"}},
              {"action", "SCMP_ACT_ERRNO"}}}}};
    EXPECT_FALSE(mayChangeMounts(allRefused));
    json oneConditional = allRefused;
    oneConditional["syscalls"].push_back({{"names", {"umount2"}},
                                          {"action", "SCMP_ACT_KILL_PROCESS"},
                                          {"args", {{{"index", 1}, {"value", 2}, {"op", "SCMP_CMP_EQ"}}}}});
    oneConditional["syscalls"][0]["names"] = {"mount", "umount", "move_mount", "open_tree", "fsopen", "fsmount"};
    EXPECT_TRUE(mayChangeMounts(oneConditional));  // umount2 with other flags still goes through
    json alsoAllowed = allRefused;
    alsoAllowed["syscalls"].push_back({{"names", {"fsopen"}}, {"action", "SCMP_ACT_LOG"}});
    EXPECT_TRUE(mayChangeMounts(alsoAllowed));
    // Under a refusing default, one permitting rule (even a conditional one) opens the call.
    json conditionalAllow = dockerProfile(false);
    conditionalAllow["syscalls"].push_back({{"names", {"umount2"}},
                                            {"action", "SCMP_ACT_ALLOW"},
                                            {"args", {{{"index", 1}, {"value", 0}, {"op", "SCMP_CMP_EQ"}}}}});
    EXPECT_TRUE(mayChangeMounts(conditionalAllow));
}

TEST(MountLock, AContainerThatMayNotChangeMountsStartsAsItAsked)
{
    json spec = specWith(dockerProfile(false));
    const json before = spec;
    EXPECT_EQ(lockMountsAtStart(spec, "/usr/lib/berth/bin/berth-eci-init"), "");
    EXPECT_EQ(spec, before);
}

TEST(MountLock, AContainerThatMayChangeMountsStartsWithTheInit)
{
    json spec = specWith(dockerProfile(true));
    ASSERT_EQ(lockMountsAtStart(spec, "/usr/lib/berth/bin/berth-eci-init"), "");
    const json& process = spec["process"];
    ASSERT_GE(process["args"].size(), 2U);
    EXPECT_EQ(process["args"][0], kInitInContainer);

    // The init gets what it needs as root; it restores exactly what the spec asked for.
    EXPECT_EQ(process["user"], json({{"uid", 0}, {"gid", 0}}));
    for (const char* set : {"bounding", "effective", "permitted"}) {
        for (const char* cap : {"CAP_SYS_ADMIN", "CAP_SYS_CHROOT", "CAP_SETPCAP", "CAP_SETUID", "CAP_SETGID"}) {
            const json& list = process["capabilities"][set];
            EXPECT_NE(std::find(list.begin(), list.end(), cap), list.end()) << set << " " << cap;
        }
    }
    EXPECT_EQ(process["capabilities"]["inheritable"], json::array());
    EXPECT_EQ(process["cwd"], "/work");

    std::vector<std::string> rest(process["args"].begin() + 1, process["args"].end());
    std::string error;
    const auto plan = parseInitArguments(rest, error);
    ASSERT_TRUE(plan) << error;
    EXPECT_EQ(plan->uid, 1000U);
    EXPECT_EQ(plan->gid, 1001U);
    EXPECT_EQ(plan->groups, (std::vector<std::uint32_t>{5, 1001}));
    EXPECT_EQ(plan->command, (std::vector<std::string>{"sh", "-c", "echo hi"}));
    ASSERT_TRUE(plan->capabilities);
    EXPECT_EQ(plan->capabilities->bounding, (1ULL << 0) | (1ULL << 21));  // the unknown name is dropped
    EXPECT_EQ(plan->capabilities->effective, 1ULL);
    EXPECT_EQ(plan->capabilities->permitted, 1ULL);
    EXPECT_EQ(plan->capabilities->inheritable, 0ULL);
    EXPECT_EQ(plan->capabilities->ambient, 0ULL);

    // Docker's profile with CAP_SYS_ADMIN permits unshare and setns already; a refusing default
    // gets exactly the init's two calls.
    const json& rules = spec["linux"]["seccomp"]["syscalls"];
    const json unshare = rules[rules.size() - 2];
    const json setns = rules.back();
    EXPECT_EQ(unshare["names"], json({"unshare"}));
    EXPECT_EQ(unshare["args"], json::parse(R"([{"index":0,"value":268566528,"op":"SCMP_CMP_EQ"}])"));
    EXPECT_EQ(setns["names"], json({"setns"}));
    EXPECT_EQ(setns["args"], json::parse(R"([{"index":1,"value":131072,"op":"SCMP_CMP_EQ"}])"));

    const json& bind = spec["mounts"].back();
    EXPECT_EQ(bind["destination"], kInitInContainer);
    EXPECT_EQ(bind["source"], "/usr/lib/berth/bin/berth-eci-init");
    EXPECT_EQ(bind["options"], json({"bind", "ro", "nosuid", "nodev"}));
}

TEST(MountLock, WithoutCapabilitiesInTheSpecTheInitLeavesThem)
{
    json spec = specWith(json());
    spec["process"].erase("capabilities");
    ASSERT_EQ(lockMountsAtStart(spec, "/init"), "");
    EXPECT_FALSE(spec["process"].contains("capabilities"));
    std::vector<std::string> rest(spec["process"]["args"].begin() + 1, spec["process"]["args"].end());
    std::string error;
    const auto plan = parseInitArguments(rest, error);
    ASSERT_TRUE(plan) << error;
    EXPECT_FALSE(plan->capabilities);
}

TEST(MountLock, ASpecWithoutACommandIsRefused)
{
    for (const json& process : {json::object(), json({{"args", json::array()}}), json({{"args", {"sh", 1}}}),
                                json({{"args", {"sh"}}, {"user", {{"uid", -1}}}})}) {
        json spec = specWith(json());
        spec["process"] = process;
        EXPECT_NE(lockMountsAtStart(spec, "/init"), "") << process.dump();
    }
}

TEST(MountLock, AProcessOfThisTestIsNotLocked)
{
    // The test runs in the mount namespace of its own user namespace: not locked by the init.
    EXPECT_EQ(mountsLocked(static_cast<int>(::getpid())), false);
    EXPECT_FALSE(mountsLocked(0));
}
