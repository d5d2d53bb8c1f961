// File sharing: the fileSharing.directories setting, its entries' forms, what one launch shares
// (variables expanded, the unshareable left out with a reason, nested entries folded), the guest
// config, and the administrator's filesharingAllowedDirectories lock.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "berth/settings/file_sharing.h"
#include "berth/settings/guest_config.h"
#include "berth/settings/settings.h"
#include "settings_test_support.h"

using namespace berth::settings;
using berth::test::readText;
using berth::test::testData;
using berth::test::writeText;
using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

namespace {

using Variables = std::map<std::string, std::string, std::less<>>;

EnvironmentLookup environmentOf(Variables variables)
{
    return [variables = std::move(variables)](std::string_view name) -> std::optional<std::string> {
        if (const auto it = variables.find(name); it != variables.end()) { return it->second; }
        return std::nullopt;
    };
}

class FileSharingTest : public ::testing::Test {
protected:
    berth::test::TemporaryDirectory m_dir;
    SettingsPaths m_paths;

    void SetUp() override
    {
        ASSERT_TRUE(m_dir.isValid());
        m_paths = berth::test::freshSettingsPaths(m_dir.path());
    }

    void admin(const std::string& text) { writeText(m_paths.adminFile, text); }
    void user(const json& values)
    {
        std::filesystem::create_directories(m_paths.userFile.parent_path());
        writeText(m_paths.userFile, values.dump(), 0600);
    }
    Settings load() const { return Settings::load(m_paths); }
};

struct EntryForm {
    const char* name;  // ends the test's name
    std::string entry;
    std::string says;  // empty: accepted

    friend std::ostream& operator<<(std::ostream& out, const EntryForm& row) { return out << row.entry; }
};

class DirectoryEntryForms : public ::testing::TestWithParam<EntryForm> {};

}  // namespace

TEST_P(DirectoryEntryForms, AreCheckedWhenSet)
{
    const EntryForm& row = GetParam();
    const auto problem = directoryEntryError(row.entry);
    if (row.says.empty()) {
        EXPECT_FALSE(problem.has_value()) << *problem;
    } else {
        ASSERT_TRUE(problem.has_value());
        EXPECT_THAT(*problem, HasSubstr(row.says));
    }
}

INSTANTIATE_TEST_SUITE_P(
    Entries, DirectoryEntryForms,
    ::testing::Values(EntryForm{"Home", "$HOME", ""}, EntryForm{"UnderHome", "$HOME/src/project", ""},
                      EntryForm{"Tmp", "$TMP", ""}, EntryForm{"Temp", "$TEMP/builds", ""}, EntryForm{"Tilde", "~", ""},
                      EntryForm{"UnderTilde", "~/src", ""}, EntryForm{"Absolute", "/srv/src", ""},
                      EntryForm{"Tmp2", "/tmp", ""}, EntryForm{"Empty", "", "an entry is empty"},
                      EntryForm{"Relative", "src/project", "\"src/project\" is not an absolute path, or one starting"},
                      EntryForm{"Root", "/", "\"/\" cannot be shared"},
                      EntryForm{"Etc", "/etc/berth", "/etc holds the VM's own system"},
                      EntryForm{"Usr", "/usr/local/src", "/usr holds the VM's own system"},
                      EntryForm{"Var", "/var", "/var holds the VM's own system"},
                      EntryForm{"TrailingSlash", "/srv/src/", "ends in \"/\""},
                      EntryForm{"DotDot", "/srv/../etc", "not a plain path"},
                      EntryForm{"OtherVariable", "$PWD", "\"$PWD\" is not an absolute path"},
                      EntryForm{"BracedVariable", "${HOME}", "is not an absolute path"},
                      EntryForm{"VariablePrefix", "$HOMEDIR", "is not an absolute path"},
                      EntryForm{"OtherUsersHome", "~bob/src", "is not an absolute path"},
                      EntryForm{"VariableTrailingSlash", "$HOME/", "\"$HOME/\" ends in \"/\""},
                      EntryForm{"VariableDotDot", "$HOME/../../etc", "not a plain path"},
                      EntryForm{"VariableEmptyComponent", "~//src", "not a plain path"}),
    [](const ::testing::TestParamInfo<EntryForm>& info) { return std::string(info.param.name); });

TEST_F(FileSharingTest, TheSettingSharesHomeByDefaultOnTheResourcesPage)
{
    const SettingSpec* spec = findSpec(keys::kFileSharingDirectories);
    ASSERT_NE(spec, nullptr);
    EXPECT_EQ(spec->type, ValueType::DirectoryList);
    EXPECT_EQ(spec->page, Page::Resources);
    EXPECT_TRUE(spec->restartNeeded);
    EXPECT_EQ(spec->label, "File sharing");
    const auto s = load();
    EXPECT_EQ(s.get(keys::kFileSharingDirectories).value, json({"$HOME"}));
    EXPECT_EQ(s.get(keys::kFileSharingDirectories).source, Source::BuiltIn);
}

TEST_F(FileSharingTest, SetChecksEveryEntryAndSaysWhichIsWrong)
{
    auto s = load();
    const auto refused
        = s.apply({{std::string(keys::kFileSharingDirectories), json({"$HOME", "/etc", "src", "/srv"})}});
    ASSERT_THAT(refused.errors, SizeIs(1));
    EXPECT_THAT(refused.errors[0], HasSubstr("fileSharing.directories"));
    EXPECT_THAT(refused.errors[0], HasSubstr("\"/etc\" cannot be shared"));
    EXPECT_THAT(refused.errors[0], HasSubstr("\"src\" is not an absolute path"));
    EXPECT_FALSE(std::filesystem::exists(m_paths.userFile));
    EXPECT_TRUE(s.apply({{std::string(keys::kFileSharingDirectories), json::array({1})}}).errors.size() == 1);

    const auto applied = s.apply({{std::string(keys::kFileSharingDirectories), json({"$HOME", "/srv/src"})}});
    ASSERT_TRUE(applied.ok());
    EXPECT_TRUE(applied.needsRestart());
    EXPECT_EQ(load().get(keys::kFileSharingDirectories).value, json({"$HOME", "/srv/src"}));
    // An empty list shares nothing, and is a choice like any other.
    EXPECT_TRUE(s.apply({{std::string(keys::kFileSharingDirectories), json::array()}}).ok());
    EXPECT_EQ(load().get(keys::kFileSharingDirectories).value, json::array());
}

TEST_F(FileSharingTest, TypedTextIsAJsonArrayOrCommaSeparated)
{
    const SettingSpec& spec = *findSpec(keys::kFileSharingDirectories);
    auto parsed = parseValueText(spec, R"(["$HOME", "/srv/src, with a comma"])");
    EXPECT_EQ(parsed.error, "");
    EXPECT_EQ(parsed.value, json({"$HOME", "/srv/src, with a comma"}));
    parsed = parseValueText(spec, "$HOME, /srv/src");
    EXPECT_EQ(parsed.value, json({"$HOME", "/srv/src"}));
    EXPECT_EQ(displayValue(parsed.value), "$HOME, /srv/src");
    parsed = parseValueText(spec, "$HOME, /usr/src");
    EXPECT_THAT(parsed.error, HasSubstr("/usr holds the VM's own system"));
    parsed = parseValueText(spec, R"(["$HOME")");
    EXPECT_THAT(parsed.error, HasSubstr("not a valid JSON array"));
}

TEST(SharedDirectories, VariablesAreExpandedFromTheEnvironment)
{
    const auto environment = environmentOf({{"HOME", "/home/ada"}, {"TMPDIR", "/scratch/ada/"}});
    const auto shared = resolveSharedDirectories({"$HOME/src", "~/notes", "$TMP", "/srv/data", "$TEMP/x"}, environment);
    EXPECT_THAT(shared.directories, ElementsAre("/home/ada/src", "/home/ada/notes", "/scratch/ada", "/srv/data"));
    EXPECT_THAT(shared.problems, IsEmpty());

    // Without TMPDIR, $TMP and $TEMP are /tmp.
    EXPECT_THAT(resolveSharedDirectories({"$TEMP", "$TMP/cache"}, environmentOf({})).directories, ElementsAre("/tmp"));
    EXPECT_THAT(resolveSharedDirectories({"~"}, environmentOf({{"HOME", "/home/ada/"}})).directories,
                ElementsAre("/home/ada"));
}

TEST(SharedDirectories, DuplicatesAndNestedEntriesFoldIntoTheOuterOneInTheUsersOrder)
{
    const auto environment = environmentOf({{"HOME", "/home/ada"}});
    const auto shared = resolveSharedDirectories(
        {"/srv/b", "$HOME/src", "/srv/a", "$HOME", "/srv/b", "/home/ada/src/x", "/home/adam", "/srv"}, environment);
    EXPECT_THAT(shared.directories, ElementsAre("/home/ada", "/home/adam", "/srv"));
    EXPECT_THAT(shared.problems, IsEmpty());
    EXPECT_THAT(resolveSharedDirectories({"/b", "/a", "/b/c", "/a"}, environment).directories, ElementsAre("/b", "/a"));
}

TEST(SharedDirectories, WhatCannotBeSharedIsLeftOutWithTheReason)
{
    const auto shared = resolveSharedDirectories({"$HOME", "$TMP/x", "/srv/src", "relative", "/etc"},
                                                 environmentOf({{"HOME", "/var/lib/ada"}, {"TMPDIR", "tmp"}}));
    EXPECT_THAT(shared.directories, ElementsAre("/srv/src"));
    ASSERT_THAT(shared.problems, SizeIs(4));
    EXPECT_THAT(shared.problems[0], HasSubstr("\"$HOME\" is left out (it stands for \"/var/lib/ada\")"));
    EXPECT_THAT(shared.problems[0], HasSubstr("/var holds the VM's own system"));
    EXPECT_THAT(shared.problems[1], HasSubstr("\"$TMP/x\" is left out (it stands for \"tmp/x\")"));
    EXPECT_THAT(shared.problems[1], HasSubstr("not an absolute path"));
    EXPECT_THAT(shared.problems[2], HasSubstr("\"relative\" is left out"));
    EXPECT_THAT(shared.problems[3], HasSubstr("\"/etc\" is left out"));

    // HOME unset, or no environment at all: nothing to expand $HOME or ~ to.
    const auto noHome = resolveSharedDirectories({"$HOME", "~/src", "/srv"}, environmentOf({}));
    EXPECT_THAT(noHome.directories, ElementsAre("/srv"));
    ASSERT_THAT(noHome.problems, SizeIs(2));
    EXPECT_THAT(noHome.problems[1], HasSubstr("\"~/src\" is left out: HOME is not set"));
    EXPECT_THAT(resolveSharedDirectories({"$HOME"}, {}).problems, SizeIs(1));
    // A home at "/" would replace the VM's own system; a directory under it need not.
    const auto rootHome = resolveSharedDirectories({"~", "~/src"}, environmentOf({{"HOME", "/"}}));
    EXPECT_THAT(rootHome.directories, ElementsAre("/src"));
    EXPECT_THAT(rootHome.problems, SizeIs(1));
}

TEST_F(FileSharingTest, TheGuestConfigSharesTheResolvedDirectories)
{
    user({{keys::kFileSharingDirectories, {"$HOME/src", "/srv/src", "$HOME"}}});
    const auto environment = environmentOf({{"HOME", "/home/ada"}});
    const auto config = guestConfig(load(), environment);
    EXPECT_THAT(config.sharedDirectories, ElementsAre("/srv/src", "/home/ada"));  // $HOME/src is in $HOME
    EXPECT_EQ(berth::contracts::toJson(config)["sharedDirectories"], json({"/srv/src", "/home/ada"}));
    // The contract's own reader accepts what the settings give it.
    std::string error;
    EXPECT_TRUE(berth::contracts::parseGuestConfig(berth::contracts::toJson(config), &error).has_value()) << error;
    EXPECT_EQ(sharedDirectories(load(), environment).directories, config.sharedDirectories);
    // What cannot be shared is left out of the launch, and the decision says why.
    user({{keys::kFileSharingDirectories, {"$HOME", "$TMP"}}});
    const auto decision = decideLaunch(load(), environmentOf({{"HOME", "/home/ada"}, {"TMPDIR", "/var/tmp"}}));
    ASSERT_TRUE(decision.allowed);
    EXPECT_THAT(decision.guestConfig.sharedDirectories, ElementsAre("/home/ada"));
    ASSERT_THAT(decision.warnings, SizeIs(1));
    EXPECT_THAT(decision.warnings[0], HasSubstr("\"$TMP\" is left out (it stands for \"/var/tmp\")"));
    // The default shares the home directory.
    user(json::object());
    EXPECT_THAT(guestConfig(load(), environment).sharedDirectories, ElementsAre("/home/ada"));
}

TEST_F(FileSharingTest, AnAdministratorsAllowedDirectoriesLockTheSettingToThoseSharedByDefault)
{
    admin(readText(testData("admin/docker-full-example.json")));
    user({{keys::kFileSharingDirectories, {"/srv/src"}}});  // a hand edit
    auto s = load();
    const auto effective = s.get(keys::kFileSharingDirectories);
    EXPECT_EQ(effective.source, Source::AdminLocked);
    EXPECT_EQ(effective.value, json({"$HOME"}));  // $TMP is allowed, not shared by default
    EXPECT_EQ(effective.lockedBy, m_paths.adminFile.string());
    EXPECT_THAT(guestConfig(s, environmentOf({{"HOME", "/home/ada"}})).sharedDirectories, ElementsAre("/home/ada"));
    bool noticed = false;
    for (const auto& d : s.userDiagnostics()) { noticed = noticed || d.key == keys::kFileSharingDirectories; }
    EXPECT_TRUE(noticed);

    const auto refused = s.apply({{std::string(keys::kFileSharingDirectories), json({"$HOME", "/srv/src"})}});
    EXPECT_TRUE(refused.hasLockedFieldError);
    EXPECT_THAT(refused.errors.at(0), HasSubstr("is locked by " + m_paths.adminFile.string()));

    // Present but shared by default nowhere: nothing is shared, and that is locked too.
    admin(R"({"configurationFileVersion": 2,
              "filesharingAllowedDirectories": [{"path": "/srv/src", "sharedByDefault": false}, {"path": "$TMP"}]})");
    const auto none = load().get(keys::kFileSharingDirectories);
    EXPECT_EQ(none.source, Source::AdminLocked);
    EXPECT_EQ(none.value, json::array());
}
