// planLaunch: every launch input comes from the settings, the same way for the shipped engine host
// and the test host.
#include "launch_planning.h"

#include "berth/contracts/guest_config.h"
#include "settings_test_support.h"

#include <gtest/gtest.h>

#include <QDir>
#include <QFileInfo>
#include <QTemporaryDir>

using namespace berth;

namespace {

std::optional<contracts::GuestConfig> guestConfigOf(const engine::PlannedLaunch& planned)
{
    std::string error;
    auto config = contracts::parseGuestConfig(nlohmann::json::parse(planned.plan.guestConfig.toStdString()), &error);
    EXPECT_TRUE(config) << error;
    return config;
}

constexpr const char* kHome = "/home/berth-test";

// What the host contributes: the full guest or the test guest, which directories exist (by
// default all), and why sharing is unavailable; the user's home is kHome.
engine::MachineFacts machine(bool fullGuest, std::function<bool(const std::string&)> isDirectory = {},
                             const QString& sharingUnavailable = {})
{
    engine::MachineFacts facts;
    facts.fullGuest = fullGuest;
    facts.environment = [](std::string_view name) -> std::optional<std::string> {
        if (name == "HOME") { return kHome; }
        return std::nullopt;
    };
    facts.isDirectory = isDirectory ? std::move(isDirectory) : [](const std::string&) { return true; };
    facts.sharingUnavailable = sharingUnavailable;
    return facts;
}

class LaunchPlanningTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        ASSERT_TRUE(m_dir.isValid());
        m_paths = test::freshSettingsPaths(m_dir.path().toStdString());
    }
    settings::Settings settingsWith(const nlohmann::json& values)
    {
        auto settings = settings::Settings::load(m_paths);
        EXPECT_TRUE(settings.apply(values).ok());
        return settings::Settings::load(m_paths);
    }

    QTemporaryDir m_dir;
    settings::SettingsPaths m_paths;
};

}  // namespace

TEST_F(LaunchPlanningTest, DefaultsGiveTheDefaultVmOnQemuWithNoExtraForwards)
{
    const auto planned = engine::planLaunch(settings::Settings::load(m_paths), machine(true));
    ASSERT_TRUE(planned.allowed) << planned.refusal.toStdString();
    EXPECT_EQ(planned.plan.resources, (vm::VmResources{vm::kDefaultCpus, vm::kDefaultMemoryMiB, 65536ll << 20}));
    ASSERT_NE(planned.plan.backend, nullptr);
    EXPECT_EQ(planned.plan.backend->description(), "qemu");
    EXPECT_TRUE(planned.plan.extraForwards.isEmpty());
    EXPECT_TRUE(planned.warnings.isEmpty());
    ASSERT_TRUE(guestConfigOf(planned));
    EXPECT_FALSE(guestConfigOf(planned)->eci.enabled);
    // The user's home is shared, as Docker Desktop shares it.
    EXPECT_EQ(planned.plan.sharedDirectories, (QList<vm::SharedDirectory>{{kHome, "berth-share-0"}}));
    EXPECT_EQ(guestConfigOf(planned)->sharedDirectories, std::vector<std::string>{kHome});
}

TEST_F(LaunchPlanningTest, ResourcesBackendAndTheUnsafePortComeFromTheSettings)
{
    const auto planned = engine::planLaunch(settingsWith({{"vm.cpus", 3},
                                                          {"vm.memoryMiB", 2048},
                                                          {"vm.diskSizeMiB", 131072},
                                                          {"vm.manager", "libvirt"},
                                                          {"exposeDockerAPIOnTCP2375", true},
                                                          {"enhancedContainerIsolation", true}}),
                                            machine(true));
    ASSERT_TRUE(planned.allowed) << planned.refusal.toStdString();
    EXPECT_EQ(planned.plan.resources, (vm::VmResources{3, 2048, 131072ll << 20}));
    EXPECT_EQ(planned.plan.backend->description(), "libvirt (qemu:///session)");
    EXPECT_EQ(planned.plan.extraForwards, (QList<vm::PortForward>{{2375, 2375}}));
    ASSERT_EQ(planned.warnings.size(), 1);
    EXPECT_NE(planned.warnings.front().indexOf("without TLS"), -1);
    ASSERT_TRUE(guestConfigOf(planned));
    EXPECT_TRUE(guestConfigOf(planned)->eci.enabled);
}

TEST_F(LaunchPlanningTest, TheTestGuestGetsNoDataDisk)
{
    const auto planned = engine::planLaunch(settings::Settings::load(m_paths), machine(false));
    ASSERT_TRUE(planned.allowed);
    EXPECT_EQ(planned.plan.resources.dataDiskSizeBytes, 0);
}

TEST_F(LaunchPlanningTest, SharedDirectoriesThatExistReachTheGuestConfigAndTheVmAlike)
{
    const std::string present = m_dir.filePath("project").toStdString();
    const std::string missing = m_dir.filePath("missing").toStdString();
    ASSERT_TRUE(QDir().mkpath(QString::fromStdString(present)));
    const auto settings = settingsWith({{"fileSharing.directories", {missing, present}}});
    const auto isDirectory = [](const std::string& path) { return QFileInfo(QString::fromStdString(path)).isDir(); };

    const auto planned = engine::planLaunch(settings, machine(true, isDirectory));
    ASSERT_TRUE(planned.allowed) << planned.refusal.toStdString();
    // The guest config and the VM's devices name the same list, in the same order.
    EXPECT_EQ(planned.plan.sharedDirectories,
              (QList<vm::SharedDirectory>{{QString::fromStdString(present), "berth-share-0"}}));
    ASSERT_TRUE(guestConfigOf(planned));
    EXPECT_EQ(guestConfigOf(planned)->sharedDirectories, std::vector<std::string>{present});
    ASSERT_EQ(planned.warnings.size(), 1);
    EXPECT_EQ(planned.warnings.front().toStdString(),
              missing + " is not shared: it does not exist or is not a directory");

    // Without virtiofsd nothing is shared, and the launch says so; the test guest shares nothing.
    const auto unavailable = engine::planLaunch(settings, machine(true, isDirectory, "virtiofsd was not found"));
    EXPECT_TRUE(unavailable.plan.sharedDirectories.isEmpty());
    EXPECT_TRUE(guestConfigOf(unavailable)->sharedDirectories.empty());
    EXPECT_EQ(unavailable.warnings.size(), 2);
    const auto testGuest = engine::planLaunch(settings, machine(false, isDirectory));
    EXPECT_TRUE(testGuest.plan.sharedDirectories.isEmpty());
    EXPECT_TRUE(guestConfigOf(testGuest)->sharedDirectories.empty());
}

TEST_F(LaunchPlanningTest, AnInvalidAdminFileRefusesTheLaunchAndSaysWhere)
{
    test::writeText(m_paths.adminFile, "{\"configurationFileVersion\": 2,}");
    const auto planned = engine::planLaunch(settings::Settings::load(m_paths), machine(true));
    EXPECT_FALSE(planned.allowed);
    EXPECT_NE(planned.refusal.indexOf("admin-settings.json:1:"), -1) << planned.refusal.toStdString();
    EXPECT_EQ(planned.plan.backend, nullptr) << "nothing is planned past a refusal";
}

TEST(DesktopProxy, GnomesManualProxyReadsAsTheVariables)
{
    const std::map<std::pair<QString, QString>, QString> gnome = {
        {{"org.gnome.system.proxy", "mode"}, "'manual'\n"},
        {{"org.gnome.system.proxy.http", "host"}, "'proxy.corp'\n"},
        {{"org.gnome.system.proxy.http", "port"}, "3128\n"},
        {{"org.gnome.system.proxy.https", "host"}, "'secure.corp'\n"},
        {{"org.gnome.system.proxy.https", "port"}, "uint32 8443\n"},
        {{"org.gnome.system.proxy", "ignore-hosts"}, "['localhost', '127.0.0.0/8', '::1']\n"},
    };
    auto settingOf = [](std::map<std::pair<QString, QString>, QString> values) {
        return [values](const QString& schema, const QString& key) {
            const auto it = values.find({schema, key});
            return it == values.end() ? QString() : it->second;
        };
    };
    const auto variables = engine::desktopProxyVariables(settingOf(gnome));
    EXPECT_EQ(variables,
              (std::map<std::string, std::string>{{"HTTP_PROXY", "http://proxy.corp:3128"},
                                                  {"HTTPS_PROXY", "http://secure.corp:8443"},
                                                  {"NO_PROXY", "localhost,127.0.0.0/8,::1"}}));
    auto noHttps = gnome;
    noHttps[{"org.gnome.system.proxy.https", "host"}] = "''\n";
    noHttps[{"org.gnome.system.proxy", "ignore-hosts"}] = "@as []\n";
    EXPECT_EQ(engine::desktopProxyVariables(settingOf(noHttps)),
              (std::map<std::string, std::string>{{"HTTP_PROXY", "http://proxy.corp:3128"}}));
    for (const char* mode : {"'none'\n", "'auto'\n", ""}) {
        auto other = gnome;
        other[{"org.gnome.system.proxy", "mode"}] = mode;
        EXPECT_TRUE(engine::desktopProxyVariables(settingOf(other)).empty()) << mode;
    }
}
