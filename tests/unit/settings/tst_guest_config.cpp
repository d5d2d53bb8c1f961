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
    QTemporaryDir dir_;

    Settings settingsWith(const std::string& adminText)
    {
        const auto paths = berth::test::freshSettingsPaths(dir_.path().toStdString());
        if (!adminText.empty()) { writeText(paths.adminFile, adminText); }
        return Settings::load(paths);
    }

private slots:
    void eciOffByDefault()
    {
        const json config = guestConfig(settingsWith(""));
        QCOMPARE(config["configVersion"], json(1));
        QCOMPARE(config["enhancedContainerIsolation"]["enabled"], json(false));
        QCOMPARE(config["dockerDaemonOptions"], json::object());
        QCOMPARE(config["enhancedContainerIsolation"]["dockerSocketMount"]["commandList"]["type"], json("deny"));
    }

    void eciOnCarriesTheSocketPolicyAndRuntime()
    {
        const json config = guestConfig(settingsWith(readText(testData("admin/eci-locked.json"))));
        const json& eci = config["enhancedContainerIsolation"];
        QCOMPARE(eci["enabled"], json(true));
        QCOMPARE(eci["dockerSocketMount"]["imageList"]["images"].size(), size_t(3));
        QCOMPARE(eci["dockerSocketMount"]["imageList"]["allowDerivedImages"], json(true));
        QCOMPARE(eci["dockerSocketMount"]["commandList"]["commands"], json({"push", "build"}));
        QCOMPARE(config["dockerDaemonOptions"]["default-runtime"], json("sysbox-runc"));
    }

    void daemonOptionsCannotTakeOverWhatBerthControls()
    {
        auto s = settingsWith("");
        const auto p = s.apply({{"linuxVM.dockerDaemonOptions",
                                 json{{"debug", true},
                                      {"hosts", {"tcp" ":/" "/0.0.0.0:2375"}},  // split: moc reads // as a comment
                                      {"tlsverify", false},
                                      {"default-runtime", "runc"},
                                      {"userns-remap", "default"}}
                                     .dump()},
                                {"enhancedContainerIsolation", true}});
        QVERIFY(p.ok());
        const json config = guestConfig(s);
        QCOMPARE(config["dockerDaemonOptions"], json::parse(R"({"debug": true, "default-runtime": "sysbox-runc"})"));
        QCOMPARE(config["overriddenDaemonOptions"], json({"hosts", "tlsverify", "default-runtime", "userns-remap"}));
    }

    void invalidPolicyRefusesTheLaunchAndSaysWhere()
    {
        const auto decision = decideLaunch(settingsWith(readText(testData("admin/malformed/wrong-type.json"))));
        QVERIFY(!decision.allowed);
        QVERIFY(decision.guestConfig.is_null());
        QVERIFY2(QString::fromStdString(decision.refusal).contains("admin-settings.json:5:14: error:"),
                 decision.refusal.c_str());
        const auto fine = decideLaunch(settingsWith(readText(testData("admin/eci-locked.json"))));
        QVERIFY(fine.allowed);
        QCOMPARE(fine.guestConfig["enhancedContainerIsolation"]["enabled"], json(true));
    }

    void sameSettingsSameConfig()
    {
        const std::string text = readText(testData("admin/docker-full-example.json"));
        QCOMPARE(guestConfig(settingsWith(text)), guestConfig(settingsWith(text)));
    }
};

QTEST_APPLESS_MAIN(TestGuestConfig)
#include "tst_guest_config.moc"
