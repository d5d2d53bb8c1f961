#include <gtest/gtest.h>

#include "berth/guest/eci.h"

using namespace berth::guest::eci;
using berth::contracts::GuestConfig;
using nlohmann::json;

namespace {

GuestConfig withEci(bool enabled)
{
    GuestConfig config;
    config.eci.enabled = enabled;
    return config;
}

}  // namespace

TEST(DaemonOptions, EciOnMakesTheWrapperTheDefaultRuntime)
{
    const json options = daemonOptions(withEci(true));
    EXPECT_EQ(options["default-runtime"], "sysbox-runc");
    EXPECT_EQ(options["runtimes"]["sysbox-runc"]["path"], "/usr/lib/berth/bin/sysbox-runc");
    EXPECT_FALSE(options.contains("userns-remap"));
}

TEST(DaemonOptions, EciOffKeepsRuncTheDefaultButOldContainersStillStart)
{
    const json options = daemonOptions(withEci(false));
    EXPECT_FALSE(options.contains("default-runtime"));
    EXPECT_TRUE(options["runtimes"].contains("sysbox-runc"));
    EXPECT_FALSE(daemonOptions(GuestConfig{}).contains("default-runtime"));
}

TEST(DaemonOptions, AgreesWithTheSettingsCore)
{
    // The settings core puts default-runtime: sysbox-runc into dockerDaemonOptions when ECI is on;
    // the merge must never contradict it.
    GuestConfig on = withEci(true);
    on.dockerDaemonOptions = {{"default-runtime", "sysbox-runc"}};
    EXPECT_EQ(daemonOptions(on)["default-runtime"], on.dockerDaemonOptions["default-runtime"]);
}

TEST(DaemonOptions, EciOnAddsTheAuthorizationPluginAndItsService)
{
    const GuestConfig on = withEci(true);
    EXPECT_EQ(daemonOptions(on)["authorization-plugins"], json::array({"berth-eci"}));
    const auto list = services(on);
    ASSERT_EQ(list.size(), 2U);
    EXPECT_EQ(list[0].argv, std::vector<std::string>{"/usr/lib/berth/bin/berth-eci-authz"});
    // The command-list filter allowed containers get as their engine socket; ready once it listens.
    EXPECT_EQ(list[1].argv, std::vector<std::string>{"/usr/lib/berth/bin/berth-eci-socket"});
    EXPECT_EQ(list[1].readyPath, "/run/berth/eci/engine/docker.sock");
}

// With ECI off the plugin still refuses binds of paths neither shared nor in the VM ("Mounts
// denied"), and enforces blockDockerLoad: registered, and started, whatever the settings.
TEST(DaemonOptions, ThePluginRunsWithEciOffToo)
{
    GuestConfig block = withEci(false);
    block.blockDockerLoad = true;
    for (const GuestConfig& off : {withEci(false), block, GuestConfig{}}) {
        EXPECT_EQ(daemonOptions(off)["authorization-plugins"], json::array({"berth-eci"}));
        EXPECT_FALSE(daemonOptions(off).contains("default-runtime"));
        const auto list = services(off);
        ASSERT_EQ(list.size(), 1U);
        EXPECT_EQ(list[0].argv, std::vector<std::string>{"/usr/lib/berth/bin/berth-eci-authz"});
        EXPECT_EQ(list[0].readyPath, "/run/docker/plugins/berth-eci.sock");
    }
}
