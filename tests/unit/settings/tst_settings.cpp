#include <QTemporaryDir>
#include <QtTest>

#include "berth/settings/settings.h"
#include "settings_test_support.h"

using namespace berth::settings;
using berth::test::readText;
using berth::test::testData;
using berth::test::writeText;
using nlohmann::json;

class TestSettings : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    SettingsPaths m_paths;

    void admin(const std::string& text) { writeText(m_paths.adminFile, text); }
    void user(const std::string& text)
    {
        std::filesystem::create_directories(m_paths.userFile.parent_path());
        writeText(m_paths.userFile, text, 0600);
    }
    Settings load() const { return Settings::load(m_paths); }

private slots:
    void init()
    {
        QVERIFY(m_dir.isValid());
        m_paths = berth::test::freshSettingsPaths(m_dir.path().toStdString());
    }

    void builtInDefaultsWithoutAnyFile()
    {
        const auto s = load();
        QVERIFY(s.engineStartAllowed());
        const auto eci = s.get(keys::kEnhancedContainerIsolation);
        QCOMPARE(eci.value, json(false));
        QCOMPARE(eci.source, Source::BuiltIn);
        QVERIFY(!eci.locked());
        QCOMPARE(s.all().size(), schema().size());
    }

    void precedenceOfAllFourSources()
    {
        // analytics: admin default only; blockDockerLoad: admin default + user; ECI: admin lock + user;
        // cpus: user only; theme: nobody.
        admin(R"({"configurationFileVersion": 2,
                  "analyticsEnabled": {"locked": false, "value": true},
                  "blockDockerLoad": {"locked": false, "value": true},
                  "enhancedContainerIsolation": {"locked": true, "value": true}})");
        user(R"({"blockDockerLoad": false, "enhancedContainerIsolation": false, "vm.cpus": 3})");
        const auto s = load();
        QCOMPARE(s.get(keys::kAnalyticsEnabled).source, Source::AdminDefault);
        QCOMPARE(s.get(keys::kAnalyticsEnabled).value, json(true));
        QCOMPARE(s.get(keys::kBlockDockerLoad).source, Source::User);
        QCOMPARE(s.get(keys::kBlockDockerLoad).value, json(false));
        QCOMPARE(s.get(keys::kEnhancedContainerIsolation).source, Source::AdminLocked);
        QCOMPARE(s.get(keys::kEnhancedContainerIsolation).value, json(true));
        COMPARE_STR(s.get(keys::kEnhancedContainerIsolation).lockedBy, m_paths.adminFile.string());
        QCOMPARE(s.get(keys::kCpus).source, Source::User);
        QCOMPARE(s.get(keys::kTheme).source, Source::BuiltIn);
    }

    void handEditCannotDefeatALock()
    {
        admin(readText(testData("admin/eci-locked.json")));
        auto s = load();
        QCOMPARE(s.get(keys::kEnhancedContainerIsolation).value, json(true));
        // The user edits the file by hand while Berth is not looking.
        user(R"({"enhancedContainerIsolation": false,
                 "enhancedContainerIsolation.dockerSocketMount.imageList.images": ["*"]})");
        s = load();
        QCOMPARE(s.get(keys::kEnhancedContainerIsolation).value, json(true));
        QVERIFY(s.get(keys::kEnhancedContainerIsolation).locked());
        QCOMPARE(s.get(keys::kSocketMountImages).value.size(), size_t(3));
        // Both overridden values are pointed out.
        int notices = 0;
        for (const auto& d : s.userDiagnostics()) { notices += d.severity == Diagnostic::Severity::Notice; }
        QCOMPARE(notices, 2);
        // And an unrelated write keeps the lock in force.
        QVERIFY(s.apply({{"app.theme", "dark"}}).ok());
        QCOMPARE(load().get(keys::kEnhancedContainerIsolation).value, json(true));
    }

    void proposeWritesNothing()
    {
        const auto s = load();
        const auto p = s.propose({{"enhancedContainerIsolation", true}, {"app.theme", "dark"}});
        QVERIFY(p.ok());
        QCOMPARE(p.changes.size(), size_t(2));
        COMPARE_STR(p.changes[0].key, "enhancedContainerIsolation");
        QVERIFY(p.changes[0].restartNeeded);
        QCOMPARE(p.changes[0].current, json(false));
        QCOMPARE(p.changes[0].desired, json(true));
        QVERIFY(!p.changes[1].restartNeeded);
        QVERIFY(p.needsRestart());
        QVERIFY(!std::filesystem::exists(m_paths.userFile));
    }

    void applyPersistsAndReportsTheSame()
    {
        auto s = load();
        const auto p = s.apply({{"enhancedContainerIsolation", true}});
        QVERIFY(p.ok());
        QVERIFY(p.needsRestart());
        QCOMPARE(s.get(keys::kEnhancedContainerIsolation).value, json(true));
        QCOMPARE(load().get(keys::kEnhancedContainerIsolation).source, Source::User);
    }

    void onlyAChangeCanHitALock()
    {
        admin(readText(testData("admin/eci-locked.json")));
        auto s = load();
        const auto same = s.propose({{"enhancedContainerIsolation", true}});
        QVERIFY(same.ok());
        QVERIFY(same.changes.empty());  // "no changes necessary"

        const auto changed = s.apply({{"enhancedContainerIsolation", false}, {"app.theme", "dark"}});
        QVERIFY(!changed.ok());
        QVERIFY(changed.hasLockedFieldError);
        COMPARE_STR(changed.errors.front(),
                    "field \"enhancedContainerIsolation\" is locked by " + m_paths.adminFile.string());
        QVERIFY(!std::filesystem::exists(m_paths.userFile));  // nothing of a rejected draft is written
        // Group members are locked with the group.
        QVERIFY(s.propose({{std::string(keys::kSocketMountCommandListType), "allow"}}).hasLockedFieldError);
    }

    void unlockedAdminValueIsOnlyADefault()
    {
        admin(readText(testData("admin/eci-default-unlocked.json")));
        auto s = load();
        QCOMPARE(s.get(keys::kEnhancedContainerIsolation).value, json(true));
        QVERIFY(s.apply({{"enhancedContainerIsolation", false}}).ok());
        QCOMPARE(load().get(keys::kEnhancedContainerIsolation).value, json(false));
        QCOMPARE(load().get(keys::kEnhancedContainerIsolation).source, Source::User);
    }

    void validationErrors()
    {
        const auto s = load();
        const auto p = s.propose({{"vm.cpus", 0},
                                  {"app.theme", "purple"},
                                  {"nope", 1},
                                  {"linuxVM.dockerDaemonOptions", "[1]"},
                                  {"vm.diskSizeMiB", 8192}});
        QCOMPARE(p.errors.size(), size_t(5));
        QVERIFY(!p.hasLockedFieldError);
        const QString all = QString::fromStdString(p.errors[0] + "|" + p.errors[1] + "|" + p.errors[2] + "|"
                                                   + p.errors[3] + "|" + p.errors[4]);
        QVERIFY2(all.contains("Invalid value for \"vm.cpus\""), qPrintable(all));
        QVERIFY(all.contains("one of system, light, dark"));
        QVERIFY(all.contains("Unknown setting \"nope\""));
        QVERIFY(all.contains("must hold a JSON object"));
        QVERIFY(all.contains("Cannot decrease \"vm.diskSizeMiB\" from 65536 to 8192"));
        QVERIFY(p.changes.empty());
    }

    void invalidAdminFileFailsClosed()
    {
        admin(readText(testData("admin/malformed/trailing-comma.json")));
        auto s = load();
        QVERIFY(!s.engineStartAllowed());
        QCOMPARE(s.adminPolicy().state, AdminPolicy::State::Invalid);
        const auto p = s.apply({{"app.theme", "dark"}});
        QVERIFY(!p.ok());
        QVERIFY(QString::fromStdString(p.errors.front()).contains(":5:18: error: trailing comma"));
    }

    void resetForgetsUserValuesButNotAdminOnes()
    {
        admin(readText(testData("admin/eci-default-unlocked.json")));
        auto s = load();
        QVERIFY(s.apply({{"enhancedContainerIsolation", false}, {"vm.cpus", 4}}).ok());
        std::string backup;
        QVERIFY(!s.resetUserSettings(backup));
        QVERIFY(std::filesystem::exists(backup));
        QCOMPARE(s.get(keys::kCpus).source, Source::BuiltIn);
        QCOMPARE(s.get(keys::kEnhancedContainerIsolation).value, json(true));
        QCOMPARE(load().get(keys::kEnhancedContainerIsolation).source, Source::AdminDefault);
    }
};

QTEST_APPLESS_MAIN(TestSettings)
#include "tst_settings.moc"
