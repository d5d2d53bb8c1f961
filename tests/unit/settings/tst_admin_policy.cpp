#include <QTemporaryDir>
#include <QtTest>

#include <sys/stat.h>
#include <unistd.h>

#include "berth/settings/admin_policy.h"
#include "berth/settings/schema.h"
#include "settings_test_support.h"

using namespace berth::settings;
using berth::test::ownerIsMe;
using berth::test::readText;
using berth::test::testData;
using berth::test::writeText;

class TestAdminPolicy : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    std::filesystem::path deploy(const std::string& name, const std::string& text, mode_t mode = 0644)
    {
        const std::filesystem::path path = std::filesystem::path(m_dir.path().toStdString()) / name;
        writeText(path, text, mode);
        return path;
    }

    static const Diagnostic& onlyError(const AdminPolicy& policy)
    {
        if (policy.state != AdminPolicy::State::Invalid || policy.firstError() == nullptr) {
            qFatal("expected an invalid policy");
        }
        return *policy.firstError();
    }

    static QString fixtureText(const std::string& name) { return QString::fromStdString(testData(name).string()); }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void absentFileManagesNothing()
    {
        const auto policy = loadAdminPolicy(m_dir.path().toStdString() + "/none.json", ownerIsMe());
        QCOMPARE(policy.state, AdminPolicy::State::Absent);
        QVERIFY(policy.diagnostics.empty());
        QVERIFY(!policy.isLocked(keys::kEnhancedContainerIsolation));
    }

    void eciExampleLocksTheWholeGroup()
    {
        const auto policy = parseAdminPolicy(readText(testData("admin/eci-locked.json")), "eci-locked.json");
        QCOMPARE(policy.state, AdminPolicy::State::Valid);
        QVERIFY(policy.diagnostics.empty());
        QVERIFY(policy.isLocked(keys::kEnhancedContainerIsolation));
        QCOMPARE(policy.find(keys::kEnhancedContainerIsolation)->value, nlohmann::json(true));
        QCOMPARE(
            policy.find(keys::kSocketMountImages)->value,
            nlohmann::json({"docker.io/localstack/localstack:*", "docker.io/testcontainers/ryuk:*", "docker:cli"}));
        QVERIFY(policy.isLocked(keys::kSocketMountImages));
        QCOMPARE(policy.find(keys::kSocketMountAllowDerivedImages)->value, nlohmann::json(true));
        QCOMPARE(policy.find(keys::kSocketMountCommandListType)->value, nlohmann::json("deny"));
        QCOMPARE(policy.find(keys::kSocketMountCommands)->value, nlohmann::json({"push", "build"}));
        QCOMPARE(policy.find(keys::kSocketMountImages)->at.line, 8);
    }

    void groupLockHoldsUnmentionedMembersAtDefaults()
    {
        const auto policy = parseAdminPolicy(readText(testData("admin/eci-group-lock-only.json")), "f.json");
        QCOMPARE(policy.state, AdminPolicy::State::Valid);
        QVERIFY(policy.isLocked(keys::kSocketMountCommandListType));
        QCOMPARE(policy.find(keys::kSocketMountCommandListType)->value, nlohmann::json("deny"));
        QCOMPARE(policy.find(keys::kSocketMountCommands)->value, nlohmann::json::array());
        QVERIFY(policy.isLocked(keys::kSocketMountAllowDerivedImages));
    }

    void unlockedValueIsADefault()
    {
        const auto policy = parseAdminPolicy(readText(testData("admin/eci-default-unlocked.json")), "f.json");
        QCOMPARE(policy.state, AdminPolicy::State::Valid);
        QVERIFY(!policy.isLocked(keys::kEnhancedContainerIsolation));
        QCOMPARE(policy.find(keys::kEnhancedContainerIsolation)->value, nlohmann::json(true));
        // An unlocked group does not lock or set its members.
        QVERIFY(policy.find(keys::kSocketMountImages) == nullptr);
    }

    void dockersFullExampleLoadsWithIgnoredKeysListed()
    {
        const auto policy = parseAdminPolicy(readText(testData("admin/docker-full-example.json")), "full.json");
        QCOMPARE(policy.state, AdminPolicy::State::Valid);
        QVERIFY(policy.isLocked(keys::kEnhancedContainerIsolation));
        QVERIFY(policy.isLocked(keys::kExposeDockerApiOnTcp2375));
        QCOMPARE(policy.find(keys::kBlockDockerLoad)->value, nlohmann::json(true));
        QCOMPARE(policy.find(keys::kDockerDaemonOptions)->value, nlohmann::json("{\"debug\": false}"));
        QStringList ignored;
        for (const auto& d : policy.diagnostics) {
            QCOMPARE(d.severity, Diagnostic::Severity::Warning);
            QVERIFY(d.line > 0);
            ignored << QString::fromStdString(d.key);
        }
        for (const char* key :
             {"proxy", "containersProxy", "kubernetes", "windowsContainers", "scout", "linuxVM.wslEngineEnabled",
              "linuxVM.vpnkitCIDR", "filesharingAllowedDirectories", "portBindingBehavior", "enableInferenceTCPPort"}) {
            QVERIFY2(ignored.contains(key), key);
        }
        QVERIFY(!ignored.contains("enhancedContainerIsolation"));
    }

    void unknownKeyIsAWarningWithItsPosition()
    {
        const auto policy = parseAdminPolicy(
            "{\"configurationFileVersion\": 2,\n \"analyticsEnabld\": {\"locked\": true, \"value\": false}}", "f.json");
        QCOMPARE(policy.state, AdminPolicy::State::Valid);
        QCOMPARE(policy.diagnostics.size(), size_t(1));
        const auto& d = policy.diagnostics.front();
        COMPARE_STR(d.key, "analyticsEnabld");
        QCOMPARE(d.line, 2);
        QVERIFY(QString::fromStdString(d.fix).contains("spelling"));
    }

    void malformedFilesFailClosedWithLocations_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<int>("line");
        QTest::addColumn<int>("column");
        QTest::addColumn<QString>("says");
        QTest::newRow("trailing comma") << "trailing-comma.json" << 5 << 18 << "trailing comma";
        QTest::newRow("byte order mark") << "bom.json" << 1 << 1 << "byte order mark";
        QTest::newRow("invalid UTF-8") << "invalid-utf8.json" << 3 << 50 << "invalid UTF-8";
        QTest::newRow("syntax error") << "syntax-error.json" << 3 << 3 << "JSON syntax error";
        QTest::newRow("comment") << "comment.json" << 3 << 3 << "comments are not allowed";
        QTest::newRow("wrong version") << "wrong-version.json" << 2 << 31 << "not supported";
        QTest::newRow("missing version") << "missing-version.json" << 1 << 1 << "missing";
        QTest::newRow("wrong type") << "wrong-type.json" << 5 << 14 << "expected a boolean";
        QTest::newRow("duplicate key") << "duplicate-key.json" << 4 << 3 << "duplicate member";
        QTest::newRow("daemon options") << "daemon-options-not-json.json" << 4 << 54 << "not valid JSON";
        QTest::newRow("number overflow") << "number-overflow.json" << 3 << 49 << "number out of range: 1e999";
    }

    void malformedFilesFailClosedWithLocations()
    {
        QFETCH(QString, file);
        QFETCH(int, line);
        QFETCH(int, column);
        QFETCH(QString, says);
        const auto path = testData("admin/malformed/" + file.toStdString());
        const auto policy = parseAdminPolicy(readText(path), path.string());
        const Diagnostic& error = onlyError(policy);
        QVERIFY2(QString::fromStdString(error.message).contains(says), error.format().c_str());
        QCOMPARE(error.line, line);
        QCOMPARE(error.column, column);
        QVERIFY2(!error.fix.empty(), error.format().c_str());
        QVERIFY(
            QString::fromStdString(error.format())
                .startsWith(fixtureText("admin/malformed/" + file.toStdString()) + ":" + QString::number(line) + ":"));
        // Nothing from an invalid file takes effect, not even the parts that were fine.
        QVERIFY(policy.find(keys::kEnhancedContainerIsolation) == nullptr);
    }

    void wrongTypesEverywhereAreAllReported()
    {
        const auto policy = parseAdminPolicy(R"({"configurationFileVersion": 2,
            "analyticsEnabled": true,
            "linuxVM": {"cpus": {"locked": true, "value": 0}},
            "enhancedContainerIsolation": {"locked": "yes", "value": true,
              "dockerSocketMount": {"commandList": {"type": "block"}, "imageList": {"images": "docker:cli"}}}})",
                                             "f.json");
        QCOMPARE(policy.state, AdminPolicy::State::Invalid);
        QStringList keys;
        for (const auto& d : policy.diagnostics) {
            if (d.severity == Diagnostic::Severity::Error) { keys << QString::fromStdString(d.key); }
        }
        QVERIFY2(keys.contains("analyticsEnabled"), qPrintable(keys.join(',')));
        QVERIFY(keys.contains("linuxVM.cpus.value"));
        QVERIFY(keys.contains("enhancedContainerIsolation.locked"));
        QVERIFY(keys.contains("enhancedContainerIsolation.dockerSocketMount.commandList.type"));
        QVERIFY(keys.contains("enhancedContainerIsolation.dockerSocketMount.imageList.images"));
    }

    void lockedWithoutValueIsAnError()
    {
        const auto policy
            = parseAdminPolicy(R"({"configurationFileVersion": 2, "blockDockerLoad": {"locked": true}})", "f.json");
        QVERIFY(QString::fromStdString(onlyError(policy).message).contains("has no \"value\""));
    }

    void topLevelMustBeAnObject()
    {
        QVERIFY(QString::fromStdString(onlyError(parseAdminPolicy("[2]", "f.json")).message).contains("JSON object"));
    }

    void trustRules_data()
    {
        QTest::addColumn<int>("mode");
        QTest::addColumn<QString>("says");
        QTest::newRow("group-writable") << 0664 << "writable by group or others (mode 0664)";
        QTest::newRow("world-writable") << 0646 << "writable by group or others (mode 0646)";
    }

    void trustRules()
    {
        QFETCH(int, mode);
        QFETCH(QString, says);
        const auto path = deploy("perm.json", readText(testData("admin/eci-locked.json")), static_cast<mode_t>(mode));
        const auto policy = loadAdminPolicy(path, ownerIsMe());
        const Diagnostic& error = onlyError(policy);
        QVERIFY2(QString::fromStdString(error.message).contains(says), error.format().c_str());
        QVERIFY(QString::fromStdString(error.fix).contains("chmod 644"));
    }

    void fileNotOwnedByTheAdministratorIsRejected()
    {
        const auto path = deploy("owner.json", readText(testData("admin/eci-locked.json")));
        TrustRules rules = ownerIsMe();
        rules.trustedOwner = ::geteuid() == 0 ? 65534 : 0;  // someone the test is not
        const auto policy = loadAdminPolicy(path, rules);
        QVERIFY(QString::fromStdString(onlyError(policy).message).contains("is owned by uid"));
        QVERIFY(QString::fromStdString(onlyError(policy).fix).contains("chown root:root"));
    }

    void symlinkIntoAWritableDirectoryIsRejected()
    {
        const std::filesystem::path base = m_dir.path().toStdString();
        std::filesystem::create_directory(base / "open");
        ::chmod((base / "open").c_str(), 0777);
        writeText(base / "open" / "policy.json", readText(testData("admin/eci-locked.json")));
        std::filesystem::create_symlink(base / "open" / "policy.json", base / "link.json");
        const auto policy = loadAdminPolicy(base / "link.json", ownerIsMe());
        const auto message = QString::fromStdString(onlyError(policy).message);
        QVERIFY2(message.contains("writable by group or others") && message.contains("symbolic link"),
                 qPrintable(message));
    }

    void symlinkToATrustedFileIsFine()
    {
        const std::filesystem::path base = m_dir.path().toStdString();
        writeText(base / "real.json", readText(testData("admin/eci-locked.json")));
        std::filesystem::create_symlink(base / "real.json", base / "good-link.json");
        QCOMPARE(loadAdminPolicy(base / "good-link.json", ownerIsMe()).state, AdminPolicy::State::Valid);
    }

    void danglingSymlinkFailsClosed()
    {
        const std::filesystem::path base = m_dir.path().toStdString();
        std::filesystem::create_symlink(base / "gone.json", base / "dangling.json");
        QVERIFY(QString::fromStdString(onlyError(loadAdminPolicy(base / "dangling.json", ownerIsMe())).message)
                    .contains("does not exist"));
    }

    void oversizedFileIsRejected()
    {
        std::string big = "{\"configurationFileVersion\": 2, \"pad\": \"" + std::string(1U << 20, 'x') + "\"}";
        const auto path = deploy("big.json", big);
        QVERIFY(QString::fromStdString(onlyError(loadAdminPolicy(path, ownerIsMe())).message).contains("larger than"));
    }

    void directoryIsNotAPolicy()
    {
        const std::filesystem::path base = m_dir.path().toStdString();
        std::filesystem::create_directory(base / "adir.json");
        QVERIFY(QString::fromStdString(onlyError(loadAdminPolicy(base / "adir.json", ownerIsMe())).message)
                    .contains("not a regular file"));
    }

    void deployedExampleLoads()
    {
        const auto path = deploy("ok.json", readText(testData("admin/eci-locked.json")));
        const auto policy = loadAdminPolicy(path, ownerIsMe());
        QCOMPARE(policy.state, AdminPolicy::State::Valid);
        COMPARE_STR(policy.file, path.string());
    }
};

QTEST_APPLESS_MAIN(TestAdminPolicy)
#include "tst_admin_policy.moc"
