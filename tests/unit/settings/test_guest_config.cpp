// The guest config derived from the settings: what reaches the guest, and what is held back.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "berth/settings/guest_config.h"
#include "settings_test_support.h"

using namespace berth::settings;
using berth::test::readText;
using berth::test::testData;
using berth::test::writeText;
using nlohmann::json;
using ::testing::HasSubstr;

namespace {

class GuestConfigTest : public ::testing::Test {
protected:
    berth::test::TemporaryDirectory m_dir;

    void SetUp() override { ASSERT_TRUE(m_dir.isValid()); }

    Settings settingsWith(const std::string& adminText)
    {
        const auto paths = berth::test::freshSettingsPaths(m_dir.path());
        if (!adminText.empty()) { writeText(paths.adminFile, adminText); }
        return Settings::load(paths);
    }
};

}  // namespace

TEST_F(GuestConfigTest, EciOffByDefault)
{
    const json config = berth::contracts::toJson(guestConfig(settingsWith("")));
    EXPECT_EQ(config["configVersion"], json(1));
    EXPECT_EQ(config["enhancedContainerIsolation"]["enabled"], json(false));
    EXPECT_EQ(config["dockerDaemonOptions"], json::object());
    EXPECT_EQ(config["enhancedContainerIsolation"]["dockerSocketMount"]["commandList"]["type"], json("deny"));
}

TEST_F(GuestConfigTest, EciOnCarriesTheSocketPolicyAndRuntime)
{
    const json config
        = berth::contracts::toJson(guestConfig(settingsWith(readText(testData("admin/eci-locked.json")))));
    const json& eci = config["enhancedContainerIsolation"];
    EXPECT_EQ(eci["enabled"], json(true));
    EXPECT_EQ(eci["dockerSocketMount"]["imageList"]["images"].size(), size_t(3));
    EXPECT_EQ(eci["dockerSocketMount"]["imageList"]["allowDerivedImages"], json(true));
    EXPECT_EQ(eci["dockerSocketMount"]["commandList"]["commands"], json({"push", "build"}));
    // Which runtime is the default is the guest's to decide (guest/eci), not the host's.
    EXPECT_FALSE(config["dockerDaemonOptions"].contains("default-runtime"));
}

TEST_F(GuestConfigTest, DaemonOptionsCannotTakeOverWhatBerthControls)
{
    auto s = settingsWith("");
    const auto p = s.apply({{"linuxVM.dockerDaemonOptions",
                             json{{"debug", true},
                                  {"hosts", {"tcp://0.0.0.0:2375"}},
                                  {"tlsverify", false},
                                  {"default-runtime", "runc"},
                                  {"userns-remap", "default"}}
                                 .dump()},
                            {"enhancedContainerIsolation", true}});
    ASSERT_TRUE(p.ok());
    const json config = berth::contracts::toJson(guestConfig(s));
    EXPECT_EQ(config["dockerDaemonOptions"], json::parse(R"({"debug": true})"));
    EXPECT_EQ(config["overriddenDaemonOptions"], json({"hosts", "tlsverify", "default-runtime", "userns-remap"}));
}

TEST_F(GuestConfigTest, InvalidPolicyRefusesTheLaunchAndSaysWhere)
{
    const auto decision = decideLaunch(settingsWith(readText(testData("admin/malformed/wrong-type.json"))));
    EXPECT_FALSE(decision.allowed);
    EXPECT_TRUE(decision.guestConfig == berth::contracts::GuestConfig{});
    EXPECT_THAT(decision.refusal, HasSubstr("admin-settings.json:5:14: error:"));
    const auto fine = decideLaunch(settingsWith(readText(testData("admin/eci-locked.json"))));
    EXPECT_TRUE(fine.allowed);
    EXPECT_TRUE(fine.guestConfig.eci.enabled);
}

TEST_F(GuestConfigTest, SameSettingsSameConfig)
{
    const std::string text = readText(testData("admin/docker-full-example.json"));
    EXPECT_TRUE(guestConfig(settingsWith(text)) == guestConfig(settingsWith(text)));
}

TEST_F(GuestConfigTest, UnderEciSomeDaemonOptionsAreTheAdministratorsOnly)
{
    const std::string risky = json{{"userland-proxy-path", "/tmp/p"}, {"experimental", true}, {"debug", true}}.dump();
    auto s = settingsWith("");
    // Refused when the change would leave them in force with ECI on, either way round.
    auto p = s.apply({{"linuxVM.dockerDaemonOptions", risky}, {"enhancedContainerIsolation", true}});
    ASSERT_EQ(p.errors.size(), size_t(2));
    EXPECT_THAT(p.errors[0], HasSubstr("\"userland-proxy-path\" can only be set by an administrator"));
    EXPECT_TRUE(s.apply({{"linuxVM.dockerDaemonOptions", risky}}).ok());
    EXPECT_FALSE(s.apply({{"enhancedContainerIsolation", true}}).ok());
    // Should they reach the guest config anyway (an admin locked ECI on later), they are dropped.
    const auto paths = berth::test::freshSettingsPaths(m_dir.path());
    writeText(paths.adminFile, readText(testData("admin/eci-locked.json")));
    std::filesystem::create_directories(paths.userFile.parent_path());
    writeText(paths.userFile, json{{"linuxVM.dockerDaemonOptions", risky}}.dump());
    const json config = berth::contracts::toJson(guestConfig(Settings::load(paths)));
    EXPECT_FALSE(config["dockerDaemonOptions"].contains("userland-proxy-path"));
    EXPECT_FALSE(config["dockerDaemonOptions"].contains("experimental"));
    EXPECT_EQ(config["dockerDaemonOptions"]["debug"], json(true));
    EXPECT_NE(config["overriddenDaemonOptions"].dump().find("userland-proxy-path"), std::string::npos);
    // An administrator may set them.
    const json admin
        = {{"configurationFileVersion", 2},
           {"enhancedContainerIsolation", {{"locked", true}, {"value", true}}},
           {"linuxVM", {{"dockerDaemonOptions", {{"locked", true}, {"value", R"({"experimental": true})"}}}}}};
    const json fromAdmin = berth::contracts::toJson(guestConfig(settingsWith(admin.dump())));
    EXPECT_EQ(fromAdmin["dockerDaemonOptions"]["experimental"], json(true));
}
