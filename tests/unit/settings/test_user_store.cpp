// The user's settings file: private, written atomically, and never losing what it cannot read.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <ostream>
#include <string>
#include <vector>

#include "berth/settings/atomic_file.h"
#include "berth/settings/schema.h"
#include "berth/settings/user_store.h"
#include "settings_test_support.h"

using namespace berth::settings;
using berth::test::readText;
using berth::test::writeText;
using ::testing::HasSubstr;

namespace {

class UserStoreTest : public ::testing::Test {
protected:
    berth::test::TemporaryDirectory m_dir;
    std::filesystem::path m_file;

    void SetUp() override
    {
        ASSERT_TRUE(m_dir.isValid());
        m_file = m_dir.path() / "berth" / "settings-store.json";
        std::filesystem::remove_all(m_file.parent_path());
    }

    std::vector<std::filesystem::path> filesBeside(const std::string& prefix) const
    {
        std::vector<std::filesystem::path> out;
        for (const auto& e : std::filesystem::directory_iterator(m_file.parent_path())) {
            if (e.path().filename().string().rfind(prefix, 0) == 0) { out.push_back(e.path()); }
        }
        return out;
    }
};

}  // namespace

TEST_F(UserStoreTest, MissingFileMeansNoValues)
{
    UserStore store(m_file);
    EXPECT_TRUE(store.load().empty());
    EXPECT_TRUE(store.values().empty());
}

TEST_F(UserStoreTest, SaveCreatesAPrivateFileAndReadsBack)
{
    UserStore store(m_file);
    store.set(std::string(keys::kEnhancedContainerIsolation), true);
    ASSERT_FALSE(store.save());
    struct stat st {};
    ASSERT_EQ(::stat(m_file.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    ASSERT_EQ(::stat(m_file.parent_path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);

    UserStore again(m_file);
    EXPECT_TRUE(again.load().empty());
    EXPECT_EQ(again.value(keys::kEnhancedContainerIsolation), std::optional<nlohmann::json>(true));
    EXPECT_EQ(nlohmann::json::parse(readText(m_file))["settingsVersion"], nlohmann::json(1));
}

TEST_F(UserStoreTest, UnknownKeysFromANewerBerthSurviveARewrite)
{
    std::filesystem::create_directories(m_file.parent_path());
    writeText(m_file, R"({"settingsVersion": 7, "futureFeature": {"x": [1, 2]}, "vm.cpus": 3})");
    UserStore store(m_file);
    EXPECT_TRUE(store.load().empty());
    store.set(std::string(keys::kCpus), 4);
    ASSERT_FALSE(store.save());
    const auto doc = nlohmann::json::parse(readText(m_file));
    EXPECT_EQ(doc["futureFeature"], nlohmann::json::parse(R"({"x": [1, 2]})"));
    EXPECT_EQ(doc["vm.cpus"], nlohmann::json(4));
}

TEST_F(UserStoreTest, WrongTypedValueIsReportedAndKept)
{
    std::filesystem::create_directories(m_file.parent_path());
    writeText(m_file, "{\n  \"vm.cpus\": \"four\",\n  \"app.theme\": \"dark\"\n}");
    UserStore store(m_file);
    const auto problems = store.load();
    ASSERT_EQ(problems.size(), size_t(1));
    EXPECT_EQ(problems.front().line, 2);
    EXPECT_EQ(problems.front().key, "vm.cpus");
    EXPECT_FALSE(store.value(keys::kCpus));
    EXPECT_EQ(store.value(keys::kTheme), std::optional<nlohmann::json>("dark"));
    store.set(std::string(keys::kTheme), "light");
    ASSERT_FALSE(store.save());
    EXPECT_EQ(nlohmann::json::parse(readText(m_file))["vm.cpus"], nlohmann::json("four"));
}

namespace {

struct CorruptFile {
    const char* name;  // ends the test's name
    std::string contents;

    friend std::ostream& operator<<(std::ostream& out, const CorruptFile& row) { return out << row.name; }
};

class UserStoreCorruptFile : public UserStoreTest, public ::testing::WithParamInterface<CorruptFile> {};

}  // namespace

TEST_P(UserStoreCorruptFile, IsKeptAsideAndDefaultsUsed)
{
    const std::string& contents = GetParam().contents;
    std::filesystem::create_directories(m_file.parent_path());
    writeText(m_file, contents);
    UserStore store(m_file);
    const auto problems = store.load();
    ASSERT_EQ(problems.size(), size_t(1));
    EXPECT_THAT(problems.front().fix, HasSubstr("settings-store.json.corrupt-"));
    EXPECT_TRUE(store.values().empty());
    EXPECT_FALSE(std::filesystem::exists(m_file));
    const auto aside = filesBeside("settings-store.json.corrupt-");
    ASSERT_EQ(aside.size(), size_t(1));
    EXPECT_EQ(readText(aside.front()), contents);  // nothing lost
}

INSTANTIATE_TEST_SUITE_P(Contents, UserStoreCorruptFile,
                         ::testing::Values(CorruptFile{"Truncated", "{\"vm.cpus\": 4,"},
                                           CorruptFile{"NotAnObject", "[1, 2]"},
                                           CorruptFile{"ByteOrderMark", "\xEF\xBB\xBF{}"},
                                           CorruptFile{"Binary", std::string("\x00\x01\xFF", 3)}),
                         [](const ::testing::TestParamInfo<CorruptFile>& info) {
                             return std::string(info.param.name);
                         });

TEST_F(UserStoreTest, KilledBetweenWriteAndRenameLeavesTheOldFile)
{
    UserStore store(m_file);
    store.set(std::string(keys::kCpus), 2);
    ASSERT_FALSE(store.save());
    const std::string before = readText(m_file);

    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        UserStore writer(m_file);
        writer.load();
        writer.set(std::string(keys::kCpus), 8);
        writer.save([] { ::raise(SIGKILL); });
        ::_exit(0);  // not reached
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "wait status " << status;

    EXPECT_EQ(readText(m_file), before);
    EXPECT_EQ(filesBeside(".settings-store.json.tmp-").size(), size_t(1));  // the dead writer's file

    // A later load still reads the old values.
    UserStore reader(m_file);
    EXPECT_TRUE(reader.load().empty());
    EXPECT_EQ(reader.value(keys::kCpus), std::optional<nlohmann::json>(2));
}

TEST_F(UserStoreTest, StaleTemporaryFilesAreCleanedUp)
{
    std::filesystem::create_directories(m_file.parent_path());
    const auto stale = m_file.parent_path() / ".settings-store.json.tmp-abcdef";
    const auto fresh = m_file.parent_path() / ".settings-store.json.tmp-123456";
    writeText(stale, "{");
    writeText(fresh, "{");
    std::filesystem::last_write_time(stale, std::filesystem::file_time_type::clock::now() - std::chrono::hours(1));
    removeStaleTemporaryFiles(m_file);
    EXPECT_FALSE(std::filesystem::exists(stale));
    EXPECT_TRUE(std::filesystem::exists(fresh));  // may belong to a writer that is still running
}

TEST_F(UserStoreTest, ResetKeepsABackup)
{
    UserStore store(m_file);
    store.set(std::string(keys::kCpus), 6);
    ASSERT_FALSE(store.save());
    std::string backup;
    ASSERT_FALSE(store.reset(backup));
    EXPECT_TRUE(store.values().empty());
    EXPECT_EQ(nlohmann::json::parse(readText(backup))["vm.cpus"], nlohmann::json(6));
    UserStore again(m_file);
    again.load();
    EXPECT_TRUE(again.values().empty());
}

TEST_F(UserStoreTest, UnreadableFileIsNeverOverwritten)
{
    // Something unreadable where the file should be (a directory works even for root).
    std::filesystem::create_directories(m_file / "occupied");
    UserStore store(m_file);
    const auto problems = store.load();
    ASSERT_EQ(problems.size(), size_t(1));
    EXPECT_EQ(problems.front().severity, Diagnostic::Severity::Error);
    store.set(std::string(keys::kCpus), 3);
    const auto error = store.save();
    ASSERT_TRUE(error.has_value());
    EXPECT_THAT(error->message, HasSubstr("not saved"));
    EXPECT_TRUE(std::filesystem::exists(m_file / "occupied"));
}

TEST_F(UserStoreTest, FailedSaveReportsAndLeavesNoTemporaryFile)
{
    // A directory where the file should be: rename() fails even for root.
    std::filesystem::create_directories(m_file / "occupied");
    UserStore store(m_file);
    store.set(std::string(keys::kCpus), 3);
    const auto error = store.save();
    ASSERT_TRUE(error.has_value());
    EXPECT_THAT(error->message, HasSubstr("cannot replace"));
    EXPECT_TRUE(std::filesystem::exists(m_file / "occupied"));
    EXPECT_TRUE(filesBeside(".settings-store.json.tmp-").empty());
}
