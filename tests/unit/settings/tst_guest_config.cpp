#include <QTemporaryDir>
#include <QtTest>

#include "berth/settings/guest_config.h"
#include "settings_test_support.h"

using namespace berth::settings;
using berth::test::readText;
using berth::test::testData;
using berth::test::writeText;
using nlohmann::json;

class TestGuestConfig : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    Settings settingsWith(const std::string& adminText)
    {
        const auto paths = berth::test::freshSettingsPaths(m_dir.path().toStdString());
        if (!adminText.empty()) { writeText(paths.adminFile, adminText); }
        return Settings::load(paths);
    }

private slots:
    void eciOffByDefault()
    {
        const json config = berth::contracts::toJson(guestConfig(settingsWith("")));
        QCOMPARE(config["configVersion"], json(1));
        QCOMPARE(config["enhancedContainerIsolation"]["enabled"], json(false));
        QCOMPARE(config["dockerDaemonOptions"], json::object());
        QCOMPARE(config["enhancedContainerIsolation"]["dockerSocketMount"]["commandList"]["type"], json("deny"));
    }

    void eciOnCarriesTheSocketPolicyAndRuntime()
    {
        const json config
            = berth::contracts::toJson(guestConfig(settingsWith(readText(testData("admin/eci-locked.json")))));
        const json& eci = config["enhancedContainerIsolation"];
        QCOMPARE(eci["enabled"], json(true));
        QCOMPARE(eci["dockerSocketMount"]["imageList"]["images"].size(), size_t(3));
        QCOMPARE(eci["dockerSocketMount"]["imageList"]["allowDerivedImages"], json(true));
        QCOMPARE(eci["dockerSocketMount"]["commandList"]["commands"], json({"push", "build"}));
        // Which runtime is the default is the guest's to decide (guest/eci), not the host's.
        QVERIFY(!config["dockerDaemonOptions"].contains("default-runtime"));
    }

    void daemonOptionsCannotTakeOverWhatBerthControls()
    {
        auto s = settingsWith("");
        const auto p = s.apply({{"linuxVM.dockerDaemonOptions",
                                 json{{"debug", true},
                                      {"hosts",
                                       {"tcp"
                                        ":/"
                                        "/0.0.0.0:2375"}},  // split: moc reads // as a comment
                                      {"tlsverify", false},
                                      {"default-runtime", "runc"},
                                      {"userns-remap", "default"}}
                                     .dump()},
                                {"enhancedContainerIsolation", true}});
        QVERIFY(p.ok());
        const json config = berth::contracts::toJson(guestConfig(s));
        QCOMPARE(config["dockerDaemonOptions"], json::parse(R"({"debug": true})"));
        QCOMPARE(config["overriddenDaemonOptions"], json({"hosts", "tlsverify", "default-runtime", "userns-remap"}));
    }

    void invalidPolicyRefusesTheLaunchAndSaysWhere()
    {
        const auto decision = decideLaunch(settingsWith(readText(testData("admin/malformed/wrong-type.json"))));
        QVERIFY(!decision.allowed);
        QVERIFY(decision.guestConfig == berth::contracts::GuestConfig{});
        QVERIFY2(QString::fromStdString(decision.refusal).contains("admin-settings.json:5:14: error:"),
                 decision.refusal.c_str());
        const auto fine = decideLaunch(settingsWith(readText(testData("admin/eci-locked.json"))));
        QVERIFY(fine.allowed);
        QVERIFY(fine.guestConfig.eci.enabled);
    }

    void sameSettingsSameConfig()
    {
        const std::string text = readText(testData("admin/docker-full-example.json"));
        QVERIFY(guestConfig(settingsWith(text)) == guestConfig(settingsWith(text)));
    }

    void underEciSomeDaemonOptionsAreTheAdministratorsOnly()
    {
        const std::string risky
            = json{{"userland-proxy-path", "/tmp/p"}, {"experimental", true}, {"debug", true}}.dump();
        auto s = settingsWith("");
        // Refused when the change would leave them in force with ECI on, either way round.
        auto p = s.apply({{"linuxVM.dockerDaemonOptions", risky}, {"enhancedContainerIsolation", true}});
        QCOMPARE(p.errors.size(), size_t(2));
        QVERIFY2(
            QString::fromStdString(p.errors[0]).contains("\"userland-proxy-path\" can only be set by an administrator"),
            p.errors[0].c_str());
        QVERIFY(s.apply({{"linuxVM.dockerDaemonOptions", risky}}).ok());
        QVERIFY(!s.apply({{"enhancedContainerIsolation", true}}).ok());
        // Should they reach the guest config anyway (an admin locked ECI on later), they are dropped.
        const auto paths = berth::test::freshSettingsPaths(m_dir.path().toStdString());
        writeText(paths.adminFile, readText(testData("admin/eci-locked.json")));
        std::filesystem::create_directories(paths.userFile.parent_path());
        writeText(paths.userFile, json{{"linuxVM.dockerDaemonOptions", risky}}.dump());
        const json config = berth::contracts::toJson(guestConfig(Settings::load(paths)));
        QVERIFY(!config["dockerDaemonOptions"].contains("userland-proxy-path"));
        QVERIFY(!config["dockerDaemonOptions"].contains("experimental"));
        QCOMPARE(config["dockerDaemonOptions"]["debug"], json(true));
        QVERIFY(config["overriddenDaemonOptions"].dump().find("userland-proxy-path") != std::string::npos);
        // An administrator may set them.
        const json admin
            = {{"configurationFileVersion", 2},
               {"enhancedContainerIsolation", {{"locked", true}, {"value", true}}},
               {"linuxVM", {{"dockerDaemonOptions", {{"locked", true}, {"value", R"({"experimental": true})"}}}}}};
        const json fromAdmin = berth::contracts::toJson(guestConfig(settingsWith(admin.dump())));
        QCOMPARE(fromAdmin["dockerDaemonOptions"]["experimental"], json(true));
    }
};

QTEST_APPLESS_MAIN(TestGuestConfig)
#include "tst_guest_config.moc"
