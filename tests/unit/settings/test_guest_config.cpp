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
    EXPECT_EQ(config["configVersion"], json(berth::contracts::kGuestConfigVersion));
    EXPECT_EQ(config["engineProxy"], json({{"http", ""}, {"https", ""}, {"noProxy", ""}}));
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

TEST_F(GuestConfigTest, EngineProxyIsTheManualOneAsTheVmReachesIt)
{
    const auto s = settingsWith(R"({"configurationFileVersion": 2, "proxy": {"locked": true, "mode": "manual",
        "http": "http://127.0.0.1:3128", "https": "http://user:secret@localhost:3129/", "exclude": ["a.corp", ".b"]}})");
    const auto proxy = guestConfig(s).engineProxy;
    EXPECT_EQ(proxy.http, "http://10.0.2.2:3128");
    EXPECT_EQ(proxy.https, "http://user:secret@10.0.2.2:3129/");
    EXPECT_EQ(proxy.noProxy, "a.corp,.b");
}

TEST_F(GuestConfigTest, SystemProxyComesFromTheEnvironment)
{
    const auto s = settingsWith("");
    const EnvironmentLookup environment = [](std::string_view name) -> std::optional<std::string> {
        if (name == "https_proxy") { return "http://proxy.corp:8080"; }
        if (name == "HTTP_PROXY") { return "proxy.corp:8081"; }
        if (name == "no_proxy") { return " localhost, .corp ,"; }
        return std::nullopt;
    };
    const auto proxy = guestConfig(s, environment).engineProxy;
    EXPECT_EQ(proxy.https, "http://proxy.corp:8080");
    EXPECT_EQ(proxy.http, "proxy.corp:8081");
    EXPECT_EQ(proxy.noProxy, "localhost,.corp");
    // Without an environment, "system" is no proxy; a value that is no address is left out.
    EXPECT_EQ(guestConfig(s).engineProxy, berth::contracts::EngineProxy{});
    const EnvironmentLookup broken = [](std::string_view name) -> std::optional<std::string> {
        if (name == "HTTP_PROXY") { return "ftp://x:1"; }
        return std::nullopt;
    };
    EXPECT_TRUE(guestConfig(s, broken).engineProxy.http.empty());
}

TEST(ProxyAddress, AcceptsWhatProxyVariablesHoldAndSaysWhatIsWrong)
{
    for (const char* good : {"", "http://proxy:3128", "https://p.corp", "socks5://[::1]:1080", "proxy.corp:80",
                             "http://u:p@proxy:3128/", "HTTP://PROXY:1"}) {
        EXPECT_EQ(proxyAddressError(good), std::nullopt) << good;
    }
    const std::pair<const char*, const char*> bad[]
        = {{"ftp://proxy:21", "scheme"},    {"http://:3128", "host is missing"}, {"http://proxy:0", "port"},
           {"http://proxy:99999", "port"},  {"http://proxy:31x", "port"},        {"http://pro xy:1", "space"},
           {"http://proxy:1/path", "path"}, {"http://[::1:1", "closing"}};
    for (const auto& [address, says] : bad) {
        const auto error = proxyAddressError(address);
        ASSERT_TRUE(error.has_value()) << address;
        EXPECT_THAT(*error, HasSubstr(says)) << address;
        EXPECT_THAT(*error, HasSubstr(address));
    }
}

TEST(ProxyAddress, OnlyTheHostsLoopbackIsRewrittenForTheVm)
{
    ProxyAddresses addresses{"http://127.0.0.2:1", "socks5://[::1]:2", {"x"}};
    EXPECT_EQ(seenFromGuest(addresses), (ProxyAddresses{"http://10.0.2.2:1", "socks5://10.0.2.2:2", {"x"}}));
    addresses = {"http://proxy.corp:3128", "http://localhost.corp:1", {}};
    EXPECT_EQ(seenFromGuest(addresses), addresses);
}
