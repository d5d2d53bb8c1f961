// The administrator's policy file: what it locks, where its errors are, and when it is trusted.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "berth/settings/admin_policy.h"
#include "berth/settings/schema.h"
#include "settings_test_support.h"

using namespace berth::settings;
using berth::test::ownerIsMe;
using berth::test::readText;
using berth::test::testData;
using berth::test::writeText;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

namespace {

const Diagnostic& onlyError(const AdminPolicy& policy)
{
    // Thrown, the test ends here and is reported as failed.
    if (policy.state != AdminPolicy::State::Invalid || policy.firstError() == nullptr) {
        throw std::logic_error("expected an invalid policy");
    }
    return *policy.firstError();
}

class AdminPolicyTest : public ::testing::Test {
protected:
    berth::test::TemporaryDirectory m_dir;

    void SetUp() override { ASSERT_TRUE(m_dir.isValid()); }

    std::filesystem::path deploy(const std::string& name, const std::string& text, mode_t mode = 0644)
    {
        const std::filesystem::path path = m_dir.path() / name;
        writeText(path, text, mode);
        return path;
    }
};

}  // namespace

TEST_F(AdminPolicyTest, AbsentFileManagesNothing)
{
    const auto policy = loadAdminPolicy(m_dir.path() / "none.json", ownerIsMe());
    EXPECT_EQ(policy.state, AdminPolicy::State::Absent);
    EXPECT_TRUE(policy.diagnostics.empty());
    EXPECT_FALSE(policy.isLocked(keys::kEnhancedContainerIsolation));
}

TEST_F(AdminPolicyTest, EciExampleLocksTheWholeGroup)
{
    const auto policy = parseAdminPolicy(readText(testData("admin/eci-locked.json")), "eci-locked.json");
    EXPECT_EQ(policy.state, AdminPolicy::State::Valid);
    EXPECT_TRUE(policy.diagnostics.empty());
    EXPECT_TRUE(policy.isLocked(keys::kEnhancedContainerIsolation));
    ASSERT_NE(policy.find(keys::kEnhancedContainerIsolation), nullptr);
    EXPECT_EQ(policy.find(keys::kEnhancedContainerIsolation)->value, nlohmann::json(true));
    ASSERT_NE(policy.find(keys::kSocketMountImages), nullptr);
    EXPECT_EQ(policy.find(keys::kSocketMountImages)->value,
              nlohmann::json({"docker.io/localstack/localstack:*", "docker.io/testcontainers/ryuk:*", "docker:cli"}));
    EXPECT_TRUE(policy.isLocked(keys::kSocketMountImages));
    ASSERT_NE(policy.find(keys::kSocketMountAllowDerivedImages), nullptr);
    EXPECT_EQ(policy.find(keys::kSocketMountAllowDerivedImages)->value, nlohmann::json(true));
    ASSERT_NE(policy.find(keys::kSocketMountCommandListType), nullptr);
    EXPECT_EQ(policy.find(keys::kSocketMountCommandListType)->value, nlohmann::json("deny"));
    ASSERT_NE(policy.find(keys::kSocketMountCommands), nullptr);
    EXPECT_EQ(policy.find(keys::kSocketMountCommands)->value, nlohmann::json({"push", "build"}));
    EXPECT_EQ(policy.find(keys::kSocketMountImages)->at.line, 8);
}

TEST_F(AdminPolicyTest, GroupLockHoldsUnmentionedMembersAtDefaults)
{
    const auto policy = parseAdminPolicy(readText(testData("admin/eci-group-lock-only.json")), "f.json");
    EXPECT_EQ(policy.state, AdminPolicy::State::Valid);
    EXPECT_TRUE(policy.isLocked(keys::kSocketMountCommandListType));
    ASSERT_NE(policy.find(keys::kSocketMountCommandListType), nullptr);
    EXPECT_EQ(policy.find(keys::kSocketMountCommandListType)->value, nlohmann::json("deny"));
    ASSERT_NE(policy.find(keys::kSocketMountCommands), nullptr);
    EXPECT_EQ(policy.find(keys::kSocketMountCommands)->value, nlohmann::json::array());
    EXPECT_TRUE(policy.isLocked(keys::kSocketMountAllowDerivedImages));
}

TEST_F(AdminPolicyTest, UnlockedValueIsADefault)
{
    const auto policy = parseAdminPolicy(readText(testData("admin/eci-default-unlocked.json")), "f.json");
    EXPECT_EQ(policy.state, AdminPolicy::State::Valid);
    EXPECT_FALSE(policy.isLocked(keys::kEnhancedContainerIsolation));
    ASSERT_NE(policy.find(keys::kEnhancedContainerIsolation), nullptr);
    EXPECT_EQ(policy.find(keys::kEnhancedContainerIsolation)->value, nlohmann::json(true));
    // An unlocked group does not lock or set its members.
    EXPECT_EQ(policy.find(keys::kSocketMountImages), nullptr);
}

TEST_F(AdminPolicyTest, DockersFullExampleLoadsWithIgnoredKeysListed)
{
    const auto policy = parseAdminPolicy(readText(testData("admin/docker-full-example.json")), "full.json");
    EXPECT_EQ(policy.state, AdminPolicy::State::Valid);
    EXPECT_TRUE(policy.isLocked(keys::kEnhancedContainerIsolation));
    EXPECT_TRUE(policy.isLocked(keys::kExposeDockerApiOnTcp2375));
    ASSERT_NE(policy.find(keys::kBlockDockerLoad), nullptr);
    EXPECT_EQ(policy.find(keys::kBlockDockerLoad)->value, nlohmann::json(true));
    ASSERT_NE(policy.find(keys::kDockerDaemonOptions), nullptr);
    EXPECT_EQ(policy.find(keys::kDockerDaemonOptions)->value, nlohmann::json("{\"debug\": false}"));
    std::vector<std::string> ignored;
    for (const auto& d : policy.diagnostics) {
        EXPECT_EQ(d.severity, Diagnostic::Severity::Warning) << d.key;
        EXPECT_GT(d.line, 0) << d.key;
        ignored.push_back(d.key);
    }
    for (const char* key : {"proxy.windowsDockerdPort", "proxy.pac", "containersProxy.transparentPorts", "kubernetes",
                            "windowsContainers", "scout", "linuxVM.wslEngineEnabled", "linuxVM.vpnkitCIDR",
                            "portBindingBehavior", "enableInferenceTCPPort"}) {
        EXPECT_THAT(ignored, Contains(key));
    }
    for (const char* key : {"enhancedContainerIsolation", "proxy", "containersProxy", "proxy.mode", "proxy.locked",
                            "containersProxy.http", "containersProxy.exclude", "filesharingAllowedDirectories"}) {
        EXPECT_THAT(ignored, Not(Contains(key)));
    }
    // The proxy groups: locked, with what the file says and the rest at their defaults.
    EXPECT_TRUE(policy.isLocked(keys::kProxyMode));
    EXPECT_TRUE(policy.isLocked(keys::kProxyExclude));
    EXPECT_EQ(policy.find(keys::kProxyMode)->value, nlohmann::json("system"));
    EXPECT_TRUE(policy.isLocked(keys::kContainersProxyHttp));
    EXPECT_EQ(policy.find(keys::kContainersProxyMode)->value, nlohmann::json("manual"));
}

TEST_F(AdminPolicyTest, AllowedDirectoriesLockFileSharingToThoseSharedByDefault)
{
    const auto policy = parseAdminPolicy(readText(testData("admin/docker-full-example.json")), "full.json");
    ASSERT_NE(policy.find(keys::kFileSharingDirectories), nullptr);
    EXPECT_TRUE(policy.isLocked(keys::kFileSharingDirectories));
    EXPECT_EQ(policy.find(keys::kFileSharingDirectories)->value, nlohmann::json({"$HOME"}));
    EXPECT_EQ(policy.find(keys::kFileSharingDirectories)->at.line, 97);

    const auto none
        = parseAdminPolicy(R"({"configurationFileVersion": 2, "filesharingAllowedDirectories": []})", "f.json");
    EXPECT_EQ(none.state, AdminPolicy::State::Valid);
    EXPECT_TRUE(none.diagnostics.empty());
    EXPECT_TRUE(none.isLocked(keys::kFileSharingDirectories));
    EXPECT_EQ(none.find(keys::kFileSharingDirectories)->value, nlohmann::json::array());
    // Without the key, file sharing is the user's.
    const auto without = parseAdminPolicy(readText(testData("admin/eci-locked.json")), "f.json");
    EXPECT_EQ(without.find(keys::kFileSharingDirectories), nullptr);
}

namespace {

struct AllowedDirectoriesShape {
    const char* name;  // ends the test's name
    std::string value;  // of filesharingAllowedDirectories, on the file's second line
    std::string key;  // the diagnostic's key
    std::string at;  // the text on the second line where the error is
    std::string says;

    friend std::ostream& operator<<(std::ostream& out, const AllowedDirectoriesShape& row) { return out << row.value; }
};

class AdminPolicyAllowedDirectories : public ::testing::TestWithParam<AllowedDirectoriesShape> {};

}  // namespace

TEST_P(AdminPolicyAllowedDirectories, BadShapesFailClosedWithLocation)
{
    const AllowedDirectoriesShape& row = GetParam();
    const std::string line = R"( "filesharingAllowedDirectories": )" + row.value;
    const auto policy = parseAdminPolicy("{\"configurationFileVersion\": 2,\n" + line
                                             + ",\n \"analyticsEnabled\": {\"locked\": true, \"value\": false}}",
                                         "f.json");
    const Diagnostic& error = onlyError(policy);
    EXPECT_EQ(error.key, row.key);
    EXPECT_THAT(error.message, HasSubstr(row.says)) << error.format();
    EXPECT_FALSE(error.fix.empty()) << error.format();
    EXPECT_EQ(error.line, 2);
    EXPECT_EQ(error.column, static_cast<int>(line.find(row.at)) + 1) << error.format();
    EXPECT_EQ(policy.find(keys::kFileSharingDirectories), nullptr);
    EXPECT_EQ(policy.find(keys::kAnalyticsEnabled), nullptr);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, AdminPolicyAllowedDirectories,
    ::testing::Values(
        AllowedDirectoriesShape{"NotAnArray", R"({"path": "$HOME"})", "filesharingAllowedDirectories", "{",
                                "must be an array of objects"},
        AllowedDirectoriesShape{"EntryNotAnObject", R"([{"path": "/srv"}, "$HOME"])", "filesharingAllowedDirectories.1",
                                "\"$HOME\"", "must be an object"},
        AllowedDirectoriesShape{"PathMissing", R"([{"sharedByDefault": true}])", "filesharingAllowedDirectories.0", "{",
                                "has no \"path\""},
        AllowedDirectoriesShape{"PathNotAString", R"([{"path": 7, "sharedByDefault": true}])",
                                "filesharingAllowedDirectories.0.path", "7", "expected a string"},
        AllowedDirectoriesShape{"PathRelative", R"([{"path": "src", "sharedByDefault": true}])",
                                "filesharingAllowedDirectories.0.path", "\"src\"", "is not an absolute path"},
        AllowedDirectoriesShape{"PathInTheVmsSystem", R"([{"path": "/usr/src", "sharedByDefault": true}])",
                                "filesharingAllowedDirectories.0.path", "\"/usr/src\"",
                                "/usr holds the VM's own system"},
        AllowedDirectoriesShape{"UnknownVariable", R"([{"path": "$USERPROFILE", "sharedByDefault": true}])",
                                "filesharingAllowedDirectories.0.path", "\"$USERPROFILE\"", "is not an absolute path"},
        AllowedDirectoriesShape{"SharedByDefaultNotABoolean", R"([{"path": "$HOME", "sharedByDefault": "yes"}])",
                                "filesharingAllowedDirectories.0.sharedByDefault", "\"yes\"", "must be true or false"},
        AllowedDirectoriesShape{"UnknownMember", R"([{"path": "$HOME", "shared": true}])",
                                "filesharingAllowedDirectories.0.shared", "true", "is not a member"}),
    [](const ::testing::TestParamInfo<AllowedDirectoriesShape>& info) { return std::string(info.param.name); });

TEST_F(AdminPolicyTest, ProxyGroupLockAndAddressesAreChecked)
{
    const auto unlocked = parseAdminPolicy(R"({"configurationFileVersion": 2,
 "proxy": {"locked": false, "mode": "manual", "http": "http://proxy.corp:3128", "exclude": ["corp"]}})",
                                           "p.json");
    EXPECT_EQ(unlocked.state, AdminPolicy::State::Valid);
    EXPECT_TRUE(unlocked.diagnostics.empty());
    EXPECT_FALSE(unlocked.isLocked(keys::kProxyHttp));
    ASSERT_NE(unlocked.find(keys::kProxyHttp), nullptr);
    EXPECT_EQ(unlocked.find(keys::kProxyHttp)->value, nlohmann::json("http://proxy.corp:3128"));

    const auto bad = parseAdminPolicy(R"({"configurationFileVersion": 2,
 "proxy": {"locked": "yes", "mode": "manual", "https": "http://proxy corp:3128"}})",
                                      "p.json");
    EXPECT_EQ(bad.state, AdminPolicy::State::Invalid);
    std::vector<std::string> keysWithErrors;
    for (const auto& d : bad.diagnostics) {
        if (d.severity == Diagnostic::Severity::Error) {
            keysWithErrors.push_back(d.key);
            EXPECT_EQ(d.line, 2) << d.key;
        }
    }
    EXPECT_THAT(keysWithErrors, Contains("proxy.locked"));
    EXPECT_THAT(keysWithErrors, Contains("proxy.https"));
}

TEST_F(AdminPolicyTest, UnknownKeyIsAWarningWithItsPosition)
{
    const auto policy = parseAdminPolicy(
        "{\"configurationFileVersion\": 2,\n \"analyticsEnabld\": {\"locked\": true, \"value\": false}}", "f.json");
    EXPECT_EQ(policy.state, AdminPolicy::State::Valid);
    ASSERT_EQ(policy.diagnostics.size(), size_t(1));
    const auto& d = policy.diagnostics.front();
    EXPECT_EQ(d.key, "analyticsEnabld");
    EXPECT_EQ(d.line, 2);
    EXPECT_THAT(d.fix, HasSubstr("spelling"));
}

namespace {

struct MalformedFile {
    const char* name;  // ends the test's name
    std::string file;  // under tests/data/admin/malformed
    int line;
    int column;
    std::string says;

    friend std::ostream& operator<<(std::ostream& out, const MalformedFile& row) { return out << row.file; }
};

class AdminPolicyMalformed : public ::testing::TestWithParam<MalformedFile> {};

}  // namespace

TEST_P(AdminPolicyMalformed, FailsClosedWithLocation)
{
    const MalformedFile& row = GetParam();
    const auto path = testData("admin/malformed/" + row.file);
    const auto policy = parseAdminPolicy(readText(path), path.string());
    const Diagnostic& error = onlyError(policy);
    EXPECT_THAT(error.message, HasSubstr(row.says)) << error.format();
    EXPECT_EQ(error.line, row.line);
    EXPECT_EQ(error.column, row.column);
    EXPECT_FALSE(error.fix.empty()) << error.format();
    EXPECT_THAT(error.format(), StartsWith(path.string() + ":" + std::to_string(row.line) + ":"));
    // Nothing from an invalid file takes effect, not even the parts that were fine.
    EXPECT_EQ(policy.find(keys::kEnhancedContainerIsolation), nullptr);
}

INSTANTIATE_TEST_SUITE_P(
    Files, AdminPolicyMalformed,
    ::testing::Values(MalformedFile{"TrailingComma", "trailing-comma.json", 5, 18, "trailing comma"},
                      MalformedFile{"ByteOrderMark", "bom.json", 1, 1, "byte order mark"},
                      MalformedFile{"InvalidUtf8", "invalid-utf8.json", 3, 50, "invalid UTF-8"},
                      MalformedFile{"SyntaxError", "syntax-error.json", 3, 3, "JSON syntax error"},
                      MalformedFile{"Comment", "comment.json", 3, 3, "comments are not allowed"},
                      MalformedFile{"WrongVersion", "wrong-version.json", 2, 31, "not supported"},
                      MalformedFile{"MissingVersion", "missing-version.json", 1, 1, "missing"},
                      MalformedFile{"WrongType", "wrong-type.json", 5, 14, "expected a boolean"},
                      MalformedFile{"DuplicateKey", "duplicate-key.json", 4, 3, "duplicate member"},
                      MalformedFile{"DaemonOptions", "daemon-options-not-json.json", 4, 54, "not valid JSON"},
                      MalformedFile{"NumberOverflow", "number-overflow.json", 3, 49, "number out of range: 1e999"},
                      MalformedFile{"FileSharingRelativePath", "filesharing-relative-path.json", 5, 14,
                                    "\"projects\" is not an absolute path"}),
    [](const ::testing::TestParamInfo<MalformedFile>& info) { return std::string(info.param.name); });

TEST_F(AdminPolicyTest, WrongTypesEverywhereAreAllReported)
{
    const auto policy = parseAdminPolicy(R"({"configurationFileVersion": 2,
            "analyticsEnabled": true,
            "linuxVM": {"cpus": {"locked": true, "value": 0}},
            "enhancedContainerIsolation": {"locked": "yes", "value": true,
              "dockerSocketMount": {"commandList": {"type": "block"}, "imageList": {"images": "docker:cli"}}}})",
                                         "f.json");
    EXPECT_EQ(policy.state, AdminPolicy::State::Invalid);
    std::vector<std::string> keys;
    for (const auto& d : policy.diagnostics) {
        if (d.severity == Diagnostic::Severity::Error) { keys.push_back(d.key); }
    }
    EXPECT_THAT(keys, Contains("analyticsEnabled"));
    EXPECT_THAT(keys, Contains("linuxVM.cpus.value"));
    EXPECT_THAT(keys, Contains("enhancedContainerIsolation.locked"));
    EXPECT_THAT(keys, Contains("enhancedContainerIsolation.dockerSocketMount.commandList.type"));
    EXPECT_THAT(keys, Contains("enhancedContainerIsolation.dockerSocketMount.imageList.images"));
}

TEST_F(AdminPolicyTest, LockedWithoutValueIsAnError)
{
    const auto policy
        = parseAdminPolicy(R"({"configurationFileVersion": 2, "blockDockerLoad": {"locked": true}})", "f.json");
    EXPECT_THAT(onlyError(policy).message, HasSubstr("has no \"value\""));
}

TEST_F(AdminPolicyTest, TopLevelMustBeAnObject)
{
    EXPECT_THAT(onlyError(parseAdminPolicy("[2]", "f.json")).message, HasSubstr("JSON object"));
}

namespace {

struct WritableByOthers {
    const char* name;
    mode_t mode;
    std::string says;

    friend std::ostream& operator<<(std::ostream& out, const WritableByOthers& row) { return out << row.name; }
};

class AdminPolicyTrustRules : public AdminPolicyTest, public ::testing::WithParamInterface<WritableByOthers> {};

}  // namespace

TEST_P(AdminPolicyTrustRules, RejectFilesOthersCanWrite)
{
    const auto path = deploy("perm.json", readText(testData("admin/eci-locked.json")), GetParam().mode);
    const auto policy = loadAdminPolicy(path, ownerIsMe());
    const Diagnostic& error = onlyError(policy);
    EXPECT_THAT(error.message, HasSubstr(GetParam().says)) << error.format();
    EXPECT_THAT(error.fix, HasSubstr("chmod 644"));
}

INSTANTIATE_TEST_SUITE_P(
    Modes, AdminPolicyTrustRules,
    ::testing::Values(WritableByOthers{"GroupWritable", 0664, "writable by group or others (mode 0664)"},
                      WritableByOthers{"WorldWritable", 0646, "writable by group or others (mode 0646)"}),
    [](const ::testing::TestParamInfo<WritableByOthers>& info) { return std::string(info.param.name); });

TEST_F(AdminPolicyTest, FileNotOwnedByTheAdministratorIsRejected)
{
    const auto path = deploy("owner.json", readText(testData("admin/eci-locked.json")));
    TrustRules rules = ownerIsMe();
    rules.trustedOwner = ::geteuid() == 0 ? 65534 : 0;  // someone the test is not
    const auto policy = loadAdminPolicy(path, rules);
    EXPECT_THAT(onlyError(policy).message, HasSubstr("is owned by uid"));
    EXPECT_THAT(onlyError(policy).fix, HasSubstr("chown root:root"));
}

TEST_F(AdminPolicyTest, SymlinkIntoAWritableDirectoryIsRejected)
{
    const std::filesystem::path& base = m_dir.path();
    std::filesystem::create_directory(base / "open");
    ::chmod((base / "open").c_str(), 0777);
    writeText(base / "open" / "policy.json", readText(testData("admin/eci-locked.json")));
    std::filesystem::create_symlink(base / "open" / "policy.json", base / "link.json");
    const auto policy = loadAdminPolicy(base / "link.json", ownerIsMe());
    EXPECT_THAT(onlyError(policy).message, AllOf(HasSubstr("writable by group or others"), HasSubstr("symbolic link")));
}

TEST_F(AdminPolicyTest, SymlinkToATrustedFileIsFine)
{
    const std::filesystem::path& base = m_dir.path();
    writeText(base / "real.json", readText(testData("admin/eci-locked.json")));
    std::filesystem::create_symlink(base / "real.json", base / "good-link.json");
    EXPECT_EQ(loadAdminPolicy(base / "good-link.json", ownerIsMe()).state, AdminPolicy::State::Valid);
}

TEST_F(AdminPolicyTest, DanglingSymlinkFailsClosed)
{
    const std::filesystem::path& base = m_dir.path();
    std::filesystem::create_symlink(base / "gone.json", base / "dangling.json");
    EXPECT_THAT(onlyError(loadAdminPolicy(base / "dangling.json", ownerIsMe())).message, HasSubstr("does not exist"));
}

TEST_F(AdminPolicyTest, OversizedFileIsRejected)
{
    std::string big = "{\"configurationFileVersion\": 2, \"pad\": \"" + std::string(1U << 20, 'x') + "\"}";
    const auto path = deploy("big.json", big);
    EXPECT_THAT(onlyError(loadAdminPolicy(path, ownerIsMe())).message, HasSubstr("larger than"));
}

TEST_F(AdminPolicyTest, DirectoryIsNotAPolicy)
{
    const std::filesystem::path& base = m_dir.path();
    std::filesystem::create_directory(base / "adir.json");
    EXPECT_THAT(onlyError(loadAdminPolicy(base / "adir.json", ownerIsMe())).message, HasSubstr("not a regular file"));
}

TEST_F(AdminPolicyTest, DeployedExampleLoads)
{
    const auto path = deploy("ok.json", readText(testData("admin/eci-locked.json")));
    const auto policy = loadAdminPolicy(path, ownerIsMe());
    EXPECT_EQ(policy.state, AdminPolicy::State::Valid);
    EXPECT_EQ(policy.file, path.string());
}
