// The effective settings: built-in defaults, the administrator's defaults and locks, and the user's
// values, and how a change is proposed, checked and applied.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "berth/settings/settings.h"
#include "settings_test_support.h"

using namespace berth::settings;
using berth::test::readText;
using berth::test::testData;
using berth::test::writeText;
using nlohmann::json;
using ::testing::HasSubstr;

namespace {

class SettingsTest : public ::testing::Test {
protected:
    berth::test::TemporaryDirectory m_dir;
    SettingsPaths m_paths;

    void SetUp() override
    {
        ASSERT_TRUE(m_dir.isValid());
        m_paths = berth::test::freshSettingsPaths(m_dir.path());
    }

    void admin(const std::string& text) { writeText(m_paths.adminFile, text); }
    void user(const std::string& text)
    {
        std::filesystem::create_directories(m_paths.userFile.parent_path());
        writeText(m_paths.userFile, text, 0600);
    }
    Settings load() const { return Settings::load(m_paths); }
};

}  // namespace

TEST_F(SettingsTest, BuiltInDefaultsWithoutAnyFile)
{
    const auto s = load();
    EXPECT_TRUE(s.engineStartAllowed());
    const auto eci = s.get(keys::kEnhancedContainerIsolation);
    EXPECT_EQ(eci.value, json(false));
    EXPECT_EQ(eci.source, Source::BuiltIn);
    EXPECT_FALSE(eci.locked());
    EXPECT_EQ(s.all().size(), schema().size());
}

TEST_F(SettingsTest, PrecedenceOfAllFourSources)
{
    // analytics: admin default only; blockDockerLoad: admin default + user; ECI: admin lock + user;
    // cpus: user only; theme: nobody.
    admin(R"({"configurationFileVersion": 2,
                  "analyticsEnabled": {"locked": false, "value": true},
                  "blockDockerLoad": {"locked": false, "value": true},
                  "enhancedContainerIsolation": {"locked": true, "value": true}})");
    user(R"({"blockDockerLoad": false, "enhancedContainerIsolation": false, "vm.cpus": 3})");
    const auto s = load();
    EXPECT_EQ(s.get(keys::kAnalyticsEnabled).source, Source::AdminDefault);
    EXPECT_EQ(s.get(keys::kAnalyticsEnabled).value, json(true));
    EXPECT_EQ(s.get(keys::kBlockDockerLoad).source, Source::User);
    EXPECT_EQ(s.get(keys::kBlockDockerLoad).value, json(false));
    EXPECT_EQ(s.get(keys::kEnhancedContainerIsolation).source, Source::AdminLocked);
    EXPECT_EQ(s.get(keys::kEnhancedContainerIsolation).value, json(true));
    EXPECT_EQ(s.get(keys::kEnhancedContainerIsolation).lockedBy, m_paths.adminFile.string());
    EXPECT_EQ(s.get(keys::kCpus).source, Source::User);
    EXPECT_EQ(s.get(keys::kTheme).source, Source::BuiltIn);
}

TEST_F(SettingsTest, HandEditCannotDefeatALock)
{
    admin(readText(testData("admin/eci-locked.json")));
    auto s = load();
    EXPECT_EQ(s.get(keys::kEnhancedContainerIsolation).value, json(true));
    // The user edits the file by hand while Berth is not looking.
    user(R"({"enhancedContainerIsolation": false,
                 "enhancedContainerIsolation.dockerSocketMount.imageList.images": ["*"]})");
    s = load();
    EXPECT_EQ(s.get(keys::kEnhancedContainerIsolation).value, json(true));
    EXPECT_TRUE(s.get(keys::kEnhancedContainerIsolation).locked());
    EXPECT_EQ(s.get(keys::kSocketMountImages).value.size(), size_t(3));
    // Both overridden values are pointed out.
    int notices = 0;
    for (const auto& d : s.userDiagnostics()) { notices += d.severity == Diagnostic::Severity::Notice; }
    EXPECT_EQ(notices, 2);
    // And an unrelated write keeps the lock in force.
    EXPECT_TRUE(s.apply({{"app.theme", "dark"}}).ok());
    EXPECT_EQ(load().get(keys::kEnhancedContainerIsolation).value, json(true));
}

TEST_F(SettingsTest, ProposeWritesNothing)
{
    const auto s = load();
    const auto p = s.propose({{"enhancedContainerIsolation", true}, {"app.theme", "dark"}});
    EXPECT_TRUE(p.ok());
    ASSERT_EQ(p.changes.size(), size_t(2));
    EXPECT_EQ(p.changes[0].key, "enhancedContainerIsolation");
    EXPECT_TRUE(p.changes[0].restartNeeded);
    EXPECT_EQ(p.changes[0].current, json(false));
    EXPECT_EQ(p.changes[0].desired, json(true));
    EXPECT_FALSE(p.changes[1].restartNeeded);
    EXPECT_TRUE(p.needsRestart());
    EXPECT_FALSE(std::filesystem::exists(m_paths.userFile));
}

TEST_F(SettingsTest, ApplyPersistsAndReportsTheSame)
{
    auto s = load();
    const auto p = s.apply({{"enhancedContainerIsolation", true}});
    EXPECT_TRUE(p.ok());
    EXPECT_TRUE(p.needsRestart());
    EXPECT_EQ(s.get(keys::kEnhancedContainerIsolation).value, json(true));
    EXPECT_EQ(load().get(keys::kEnhancedContainerIsolation).source, Source::User);
}

TEST_F(SettingsTest, OnlyAChangeCanHitALock)
{
    admin(readText(testData("admin/eci-locked.json")));
    auto s = load();
    const auto same = s.propose({{"enhancedContainerIsolation", true}});
    EXPECT_TRUE(same.ok());
    EXPECT_TRUE(same.changes.empty());  // "no changes necessary"

    const auto changed = s.apply({{"enhancedContainerIsolation", false}, {"app.theme", "dark"}});
    EXPECT_FALSE(changed.ok());
    EXPECT_TRUE(changed.hasLockedFieldError);
    ASSERT_FALSE(changed.errors.empty());
    EXPECT_EQ(changed.errors.front(),
              "field \"enhancedContainerIsolation\" is locked by " + m_paths.adminFile.string());
    EXPECT_FALSE(std::filesystem::exists(m_paths.userFile));  // nothing of a rejected draft is written
    // Group members are locked with the group.
    EXPECT_TRUE(s.propose({{std::string(keys::kSocketMountCommandListType), "allow"}}).hasLockedFieldError);
}

TEST_F(SettingsTest, AnAdministratorCanLockTheResourceSaver)
{
    admin(R"({"configurationFileVersion": 2,
                  "useResourceSaver": {"locked": true, "value": true},
                  "resourceSaverIdleMinutes": {"locked": true, "value": 15}})");
    user(R"({"resourceSaver.enabled": false, "resourceSaver.idleMinutes": 1})");
    const auto s = load();
    EXPECT_EQ(s.get(keys::kResourceSaver).value, json(true));
    EXPECT_TRUE(s.get(keys::kResourceSaver).locked());
    EXPECT_EQ(s.get(keys::kResourceSaverIdleMinutes).value, json(15));
    EXPECT_TRUE(s.propose({{std::string(keys::kResourceSaver), false}}).hasLockedFieldError);
    EXPECT_TRUE(s.propose({{std::string(keys::kResourceSaverIdleMinutes), 60}}).hasLockedFieldError);
    EXPECT_FALSE(load().propose({{std::string(keys::kResourceSaverIdleMinutes), 0}}).ok());  // 1 to 1440
}

TEST_F(SettingsTest, UnlockedAdminValueIsOnlyADefault)
{
    admin(readText(testData("admin/eci-default-unlocked.json")));
    auto s = load();
    EXPECT_EQ(s.get(keys::kEnhancedContainerIsolation).value, json(true));
    EXPECT_TRUE(s.apply({{"enhancedContainerIsolation", false}}).ok());
    EXPECT_EQ(load().get(keys::kEnhancedContainerIsolation).value, json(false));
    EXPECT_EQ(load().get(keys::kEnhancedContainerIsolation).source, Source::User);
}

TEST_F(SettingsTest, ValidationErrors)
{
    const auto s = load();
    const auto p = s.propose({{"vm.cpus", 0},
                              {"app.theme", "purple"},
                              {"nope", 1},
                              {"linuxVM.dockerDaemonOptions", "[1]"},
                              {"vm.diskSizeMiB", 8192}});
    ASSERT_EQ(p.errors.size(), size_t(5));
    EXPECT_FALSE(p.hasLockedFieldError);
    const std::string all = p.errors[0] + "|" + p.errors[1] + "|" + p.errors[2] + "|" + p.errors[3] + "|" + p.errors[4];
    EXPECT_THAT(all, HasSubstr("Invalid value for \"vm.cpus\""));
    EXPECT_THAT(all, HasSubstr("one of system, light, dark"));
    EXPECT_THAT(all, HasSubstr("Unknown setting \"nope\""));
    EXPECT_THAT(all, HasSubstr("must hold a JSON object"));
    EXPECT_THAT(all, HasSubstr("Cannot decrease \"vm.diskSizeMiB\" from 65536 to 8192"));
    EXPECT_TRUE(p.changes.empty());
}

TEST_F(SettingsTest, InvalidAdminFileFailsClosed)
{
    admin(readText(testData("admin/malformed/trailing-comma.json")));
    auto s = load();
    EXPECT_FALSE(s.engineStartAllowed());
    EXPECT_EQ(s.adminPolicy().state, AdminPolicy::State::Invalid);
    const auto p = s.apply({{"app.theme", "dark"}});
    EXPECT_FALSE(p.ok());
    ASSERT_FALSE(p.errors.empty());
    EXPECT_THAT(p.errors.front(), HasSubstr(":5:18: error: trailing comma"));
}

TEST_F(SettingsTest, ResetForgetsUserValuesButNotAdminOnes)
{
    admin(readText(testData("admin/eci-default-unlocked.json")));
    auto s = load();
    ASSERT_TRUE(s.apply({{"enhancedContainerIsolation", false}, {"vm.cpus", 4}}).ok());
    std::string backup;
    ASSERT_FALSE(s.resetUserSettings(backup));
    EXPECT_TRUE(std::filesystem::exists(backup));
    EXPECT_EQ(s.get(keys::kCpus).source, Source::BuiltIn);
    EXPECT_EQ(s.get(keys::kEnhancedContainerIsolation).value, json(true));
    EXPECT_EQ(load().get(keys::kEnhancedContainerIsolation).source, Source::AdminDefault);
}
