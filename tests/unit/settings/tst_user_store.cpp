#include <QTemporaryDir>
#include <QtTest>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "berth/settings/atomic_file.h"
#include "berth/settings/schema.h"
#include "berth/settings/user_store.h"
#include "settings_test_support.h"

using namespace berth::settings;
using berth::test::readText;
using berth::test::writeText;

class TestUserStore : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::filesystem::path m_file;

    std::vector<std::filesystem::path> filesBeside(const std::string& prefix) const
    {
        std::vector<std::filesystem::path> out;
        for (const auto& e : std::filesystem::directory_iterator(m_file.parent_path())) {
            if (e.path().filename().string().rfind(prefix, 0) == 0) { out.push_back(e.path()); }
        }
        return out;
    }

private slots:
    void init()
    {
        QVERIFY(m_dir.isValid());
        m_file = std::filesystem::path(m_dir.path().toStdString()) / "berth" / "settings-store.json";
        std::filesystem::remove_all(m_file.parent_path());
    }

    void missingFileMeansNoValues()
    {
        UserStore store(m_file);
        QVERIFY(store.load().empty());
        QVERIFY(store.values().empty());
    }

    void saveCreatesAPrivateFileAndReadsBack()
    {
        UserStore store(m_file);
        store.set(std::string(keys::kEnhancedContainerIsolation), true);
        QVERIFY(!store.save());
        struct stat st {};
        QCOMPARE(::stat(m_file.c_str(), &st), 0);
        QCOMPARE(st.st_mode & 0777, 0600u);
        QCOMPARE(::stat(m_file.parent_path().c_str(), &st), 0);
        QCOMPARE(st.st_mode & 0777, 0700u);

        UserStore again(m_file);
        QVERIFY(again.load().empty());
        QCOMPARE(again.value(keys::kEnhancedContainerIsolation), std::optional<nlohmann::json>(true));
        QCOMPARE(nlohmann::json::parse(readText(m_file))["settingsVersion"], nlohmann::json(1));
    }

    void unknownKeysFromANewerBerthSurviveARewrite()
    {
        std::filesystem::create_directories(m_file.parent_path());
        writeText(m_file, R"({"settingsVersion": 7, "futureFeature": {"x": [1, 2]}, "vm.cpus": 3})");
        UserStore store(m_file);
        QVERIFY(store.load().empty());
        store.set(std::string(keys::kCpus), 4);
        QVERIFY(!store.save());
        const auto doc = nlohmann::json::parse(readText(m_file));
        QCOMPARE(doc["futureFeature"], nlohmann::json::parse(R"({"x": [1, 2]})"));
        QCOMPARE(doc["vm.cpus"], nlohmann::json(4));
    }

    void wrongTypedValueIsReportedAndKept()
    {
        std::filesystem::create_directories(m_file.parent_path());
        writeText(m_file, "{\n  \"vm.cpus\": \"four\",\n  \"app.theme\": \"dark\"\n}");
        UserStore store(m_file);
        const auto problems = store.load();
        QCOMPARE(problems.size(), size_t(1));
        QCOMPARE(problems.front().line, 2);
        COMPARE_STR(problems.front().key, "vm.cpus");
        QVERIFY(!store.value(keys::kCpus));
        QCOMPARE(store.value(keys::kTheme), std::optional<nlohmann::json>("dark"));
        store.set(std::string(keys::kTheme), "light");
        QVERIFY(!store.save());
        QCOMPARE(nlohmann::json::parse(readText(m_file))["vm.cpus"], nlohmann::json("four"));
    }

    void corruptFileIsKeptAsideAndDefaultsUsed_data()
    {
        QTest::addColumn<QByteArray>("contents");
        QTest::newRow("truncated") << QByteArray("{\"vm.cpus\": 4,");
        QTest::newRow("not an object") << QByteArray("[1, 2]");
        QTest::newRow("byte order mark") << QByteArray("\xEF\xBB\xBF{}");
        QTest::newRow("binary") << QByteArray("\x00\x01\xFF", 3);
    }

    void corruptFileIsKeptAsideAndDefaultsUsed()
    {
        QFETCH(QByteArray, contents);
        std::filesystem::create_directories(m_file.parent_path());
        writeText(m_file, contents.toStdString());
        UserStore store(m_file);
        const auto problems = store.load();
        QCOMPARE(problems.size(), size_t(1));
        QVERIFY(QString::fromStdString(problems.front().fix).contains("settings-store.json.corrupt-"));
        QVERIFY(store.values().empty());
        QVERIFY(!std::filesystem::exists(m_file));
        const auto aside = filesBeside("settings-store.json.corrupt-");
        QCOMPARE(aside.size(), size_t(1));
        QCOMPARE(QByteArray::fromStdString(readText(aside.front())), contents);  // nothing lost
    }

    void killedBetweenWriteAndRenameLeavesTheOldFile()
    {
        UserStore store(m_file);
        store.set(std::string(keys::kCpus), 2);
        QVERIFY(!store.save());
        const std::string before = readText(m_file);

        const pid_t child = ::fork();
        QVERIFY(child >= 0);
        if (child == 0) {
            UserStore writer(m_file);
            writer.load();
            writer.set(std::string(keys::kCpus), 8);
            writer.save([] { ::raise(SIGKILL); });
            ::_exit(0);  // not reached
        }
        int status = 0;
        QCOMPARE(::waitpid(child, &status, 0), child);
        QVERIFY(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

        COMPARE_STR(readText(m_file), before);
        QCOMPARE(filesBeside(".settings-store.json.tmp-").size(), size_t(1));  // the dead writer's file

        // A later load still reads the old values.
        UserStore reader(m_file);
        QVERIFY(reader.load().empty());
        QCOMPARE(reader.value(keys::kCpus), std::optional<nlohmann::json>(2));
    }

    void staleTemporaryFilesAreCleanedUp()
    {
        std::filesystem::create_directories(m_file.parent_path());
        const auto stale = m_file.parent_path() / ".settings-store.json.tmp-abcdef";
        const auto fresh = m_file.parent_path() / ".settings-store.json.tmp-123456";
        writeText(stale, "{");
        writeText(fresh, "{");
        std::filesystem::last_write_time(stale, std::filesystem::file_time_type::clock::now() - std::chrono::hours(1));
        removeStaleTemporaryFiles(m_file);
        QVERIFY(!std::filesystem::exists(stale));
        QVERIFY(std::filesystem::exists(fresh));  // may belong to a writer that is still running
    }

    void resetKeepsABackup()
    {
        UserStore store(m_file);
        store.set(std::string(keys::kCpus), 6);
        QVERIFY(!store.save());
        std::string backup;
        QVERIFY(!store.reset(backup));
        QVERIFY(store.values().empty());
        QCOMPARE(nlohmann::json::parse(readText(backup))["vm.cpus"], nlohmann::json(6));
        UserStore again(m_file);
        again.load();
        QVERIFY(again.values().empty());
    }

    void unreadableFileIsNeverOverwritten()
    {
        // Something unreadable where the file should be (a directory works even for root).
        std::filesystem::create_directories(m_file / "occupied");
        UserStore store(m_file);
        const auto problems = store.load();
        QCOMPARE(problems.size(), size_t(1));
        QCOMPARE(problems.front().severity, Diagnostic::Severity::Error);
        store.set(std::string(keys::kCpus), 3);
        const auto error = store.save();
        QVERIFY(error.has_value());
        QVERIFY(QString::fromStdString(error->message).contains("not saved"));
        QVERIFY(std::filesystem::exists(m_file / "occupied"));
    }

    void failedSaveReportsAndLeavesNoTemporaryFile()
    {
        // A directory where the file should be: rename() fails even for root.
        std::filesystem::create_directories(m_file / "occupied");
        UserStore store(m_file);
        store.set(std::string(keys::kCpus), 3);
        const auto error = store.save();
        QVERIFY(error.has_value());
        QVERIFY(QString::fromStdString(error->message).contains("cannot replace"));
        QVERIFY(std::filesystem::exists(m_file / "occupied"));
        QVERIFY(filesBeside(".settings-store.json.tmp-").empty());
    }
};

QTEST_APPLESS_MAIN(TestUserStore)
#include "tst_user_store.moc"
