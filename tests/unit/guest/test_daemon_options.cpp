#include <gtest/gtest.h>

#include "berth/guest/eci.h"

using namespace berth::guest::eci;
using nlohmann::json;

TEST(DaemonOptions, EciOnMakesTheWrapperTheDefaultRuntime)
{
    const json on = json::parse(R"({"enhancedContainerIsolation":{"enabled":true}})");
    const json options = daemonOptions(on);
    EXPECT_EQ(options["default-runtime"], "sysbox-runc");
    EXPECT_EQ(options["runtimes"]["sysbox-runc"]["path"], "/usr/lib/berth/bin/sysbox-runc");
    EXPECT_FALSE(options.contains("userns-remap"));
}

TEST(DaemonOptions, EciOffKeepsRuncTheDefaultButOldContainersStillStart)
{
    const json off = json::parse(R"({"enhancedContainerIsolation":{"enabled":false}})");
    const json options = daemonOptions(off);
    EXPECT_FALSE(options.contains("default-runtime"));
    EXPECT_TRUE(options["runtimes"].contains("sysbox-runc"));
    EXPECT_FALSE(daemonOptions(json()).contains("default-runtime"));
}

TEST(DaemonOptions, AgreesWithTheSettingsCore)
{
    // The settings core puts default-runtime: sysbox-runc into dockerDaemonOptions when ECI is on;
    // the merge must never contradict it.
    const json on = json::parse(R"({"enhancedContainerIsolation":{"enabled":true},
                                   "dockerDaemonOptions":{"default-runtime":"sysbox-runc"}})");
    EXPECT_EQ(daemonOptions(on)["default-runtime"], on["dockerDaemonOptions"]["default-runtime"]);
}

TEST(DaemonOptions, EciOnAddsTheAuthorizationPluginAndItsService)
{
    const json on = json::parse(R"({"enhancedContainerIsolation":{"enabled":true}})");
    EXPECT_EQ(daemonOptions(on)["authorization-plugins"], json::array({"berth-eci"}));
    const auto list = services(on);
    ASSERT_EQ(list.size(), 2U);
    EXPECT_EQ(list[0].argv, std::vector<std::string>{"/usr/lib/berth/bin/berth-eci-authz"});
    // The command-list filter allowed containers get as their engine socket; ready once it listens.
    EXPECT_EQ(list[1].argv, std::vector<std::string>{"/usr/lib/berth/bin/berth-eci-socket"});
    EXPECT_EQ(list[1].readyPath, "/run/berth/eci/engine/docker.sock");
    const json off = json::parse(R"({"enhancedContainerIsolation":{"enabled":false}})");
    EXPECT_FALSE(daemonOptions(off).contains("authorization-plugins"));
    EXPECT_TRUE(services(off).empty());
}

TEST(DaemonOptions, BlockDockerLoadRunsThePluginWithEciOff)
{
    const json block = json::parse(R"({"enhancedContainerIsolation":{"enabled":false},"blockDockerLoad":true})");
    EXPECT_EQ(daemonOptions(block)["authorization-plugins"], json::array({"berth-eci"}));
    EXPECT_FALSE(daemonOptions(block).contains("default-runtime"));
    const auto list = services(block);
    ASSERT_EQ(list.size(), 1U);
    EXPECT_EQ(list[0].argv, std::vector<std::string>{"/usr/lib/berth/bin/berth-eci-authz"});
}
