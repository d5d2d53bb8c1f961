#include <QTemporaryDir>
#include <QtTest>

#include <QDir>
#include <QFile>
#include <QRegularExpression>

#include <sstream>

#include "berth/settings/schema.h"
#include "berth/vm/virtual_machine.h"
#include "cli.h"
#include "settings_test_support.h"

using namespace berth;
using berth::test::readText;
using berth::test::testData;
using berth::test::writeText;

// QCOMPARE prints QStrings readably, std::strings not at all.
#define COMPARE_STR(actual, expected) QCOMPARE(QString::fromStdString(actual), QString::fromStdString(expected))

// Stands in for the engine host: answers at once, as scripted.
class FakeEngine : public engine::EngineHandle {
public:
    engine::EngineStatus current;
    bool failStart = false;
    std::vector<std::string>* calls = nullptr;

    void start() override
    {
        finish(engine::EngineOperation::Start, "start", !failStart, failStart ? "boot failed" : "");
    }
    void stop(bool force) override { finish(engine::EngineOperation::Stop, force ? "stop --force" : "stop", true, ""); }
    void restart() override { finish(engine::EngineOperation::Restart, "restart", true, ""); }
    engine::EngineStatus status() const override { return current; }
    void refresh() override
    {
        QMetaObject::invokeMethod(
            this, [this] { emit statusChanged(current); }, Qt::QueuedConnection);
    }

private:
    void finish(engine::EngineOperation op, const char* name, bool ok, const char* message)
    {
        calls->push_back(name);
        QMetaObject::invokeMethod(
            this,
            [=, this] {
                emit progress("Pressing buttons");
                current.state = ok && op != engine::EngineOperation::Stop ? engine::EngineState::Running
                                                                          : engine::EngineState::Stopped;
                emit statusChanged(current);
                emit operationFinished(op, ok, message);
            },
            Qt::QueuedConnection);
    }
};

// berthctl's commands run in-process against injected admin and user files.
class TestBerthctl : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    settings::SettingsPaths m_paths;
    std::string m_out;
    std::string m_err;
    engine::EngineStatus m_engineStatus;
    bool m_failStart = false;
    std::vector<std::string> m_engineCalls;
    std::istringstream m_in;
    std::string m_instanceDir;

    int run(std::vector<std::string> args)
    {
        std::ostringstream out;
        std::ostringstream err;
        cli::Context context{m_paths,
                             out,
                             err,
                             [this] {
                                 auto engine = std::make_unique<FakeEngine>();
                                 engine->current = m_engineStatus;
                                 engine->failStart = m_failStart;
                                 engine->calls = &m_engineCalls;
                                 return engine;
                             },
                             &m_in,
                             m_instanceDir};
        const int code = cli::run(args, context);
        m_out = out.str();
        m_err = err.str();
        return code;
    }

    void admin(const std::string& fixture) { writeText(m_paths.adminFile, readText(testData(fixture))); }

private slots:
    void init()
    {
        QVERIFY(m_dir.isValid());
        m_paths = berth::test::freshSettingsPaths(m_dir.path().toStdString());
        m_instanceDir = (m_dir.path() + "/instance").toStdString();
        m_in.str({});
        m_in.clear();
        m_engineCalls.clear();
    }

    void theVmSizeDefaultsAreTheSettingsDefaults()
    {
        // The settings size every launch; the VM layer's own defaults (for tests and benchmarks) agree.
        const auto* cpus = berth::settings::findSpec(berth::settings::keys::kCpus);
        const auto* memory = berth::settings::findSpec(berth::settings::keys::kMemoryMiB);
        QVERIFY(cpus != nullptr && memory != nullptr);
        QCOMPARE(cpus->defaultValue.get<int>(), berth::vm::kDefaultCpus);
        QCOMPARE(memory->defaultValue.get<int>(), berth::vm::kDefaultMemoryMiB);
    }

    void resetDataAsksStopsAndKeepsABackup()
    {
        const QString instance = QString::fromStdString(m_instanceDir);
        QVERIFY(QDir().mkpath(instance));
        writeText((instance + "/data.qcow2").toStdString(), "images and volumes");

        m_in.str("no\n");
        QCOMPARE(run({"reset", "--data"}), 1);
        QVERIFY(QFile::exists(instance + "/data.qcow2"));
        QVERIFY(m_engineCalls.empty());  // not even stopped
        QVERIFY(m_err.find("not reset") != std::string::npos);

        m_in.clear();
        m_in.str("yes\n");
        QCOMPARE(run({"reset", "--data"}), 0);
        QCOMPARE(m_engineCalls, std::vector<std::string>{"stop"});
        QVERIFY(!QFile::exists(instance + "/data.qcow2"));
        const QStringList backups = QDir(instance).entryList({"data.qcow2.backup-*"});
        QCOMPARE(backups.size(), 1);
        QCOMPARE(readText((instance + "/" + backups.first()).toStdString()), std::string("images and volumes"));
        QVERIFY(m_out.find("To restore the old one: berthctl stop && mv") != std::string::npos);
        QVERIFY(m_out.find("rm '" + (instance + "/" + backups.first()).toStdString()) != std::string::npos);

        QCOMPARE(run({"reset", "--data", "--yes"}), 0);
        QVERIFY(m_out.find("nothing to reset") != std::string::npos);
        QCOMPARE(run({"reset"}), 2);
        QCOMPARE(run({"reset", "--data", "--force"}), 2);
    }

    void usageErrorsExitWith2()
    {
        QCOMPARE(run({}), 2);
        QCOMPARE(run({"frobnicate"}), 2);
        QCOMPARE(run({"settings"}), 2);
        QCOMPARE(run({"settings", "set", "novalue"}), 2);
        QCOMPARE(run({"--help"}), 0);
        QVERIFY(QString::fromStdString(m_out).contains("check-admin"));
    }

    void listShowsSourcesAndLocks()
    {
        admin("admin/eci-locked.json");
        QCOMPARE(run({"settings", "list", "--json"}), 0);
        const auto list = nlohmann::json::parse(m_out);
        QCOMPARE(list.size(), settings::schema().size());
        const auto& eci = list[0];
        QCOMPARE(eci["key"], nlohmann::json("enhancedContainerIsolation"));
        QCOMPARE(eci["value"], nlohmann::json(true));
        QCOMPARE(eci["locked"], nlohmann::json(true));
        QCOMPARE(eci["source"], nlohmann::json("admin lock"));
        QCOMPARE(eci["restartNeeded"], nlohmann::json(true));
        QCOMPARE(eci["lockedBy"], nlohmann::json(m_paths.adminFile.string()));

        QCOMPARE(run({"settings", "list"}), 0);
        QVERIFY(
            QString::fromStdString(m_out).contains("locked by " + QString::fromStdString(m_paths.adminFile.string())));
    }

    void setChangesGetReadsBack()
    {
        QCOMPARE(run({"settings", "set", "enhancedContainerIsolation=on", "vm.cpus=4"}), 0);
        QVERIFY(QString::fromStdString(m_out).contains("enhancedContainerIsolation: false -> true"));
        QVERIFY(QString::fromStdString(m_out).contains("berthctl restart"));
        QCOMPARE(run({"settings", "get", "vm.cpus"}), 0);
        COMPARE_STR(m_out, "4\n");
        QCOMPARE(run({"settings", "set", "vm.cpus=4"}), 0);
        COMPARE_STR(m_out, "Status: no changes necessary.\n");
    }

    void vmManagerIsChosenFromTheSchemaAndShownByStatus()
    {
        QCOMPARE(run({"settings", "get", "vm.manager"}), 0);
        COMPARE_STR(m_out, "qemu\n");
        QCOMPARE(run({"status"}), 0);
        QVERIFY2(QString::fromStdString(m_out).contains("VM manager:    qemu\n"), m_out.c_str());

        QCOMPARE(run({"settings", "set", "vm.manager", "libvirt"}), 0);
        QVERIFY2(QString::fromStdString(m_out).contains("vm.manager: qemu -> libvirt"), m_out.c_str());
        QVERIFY(QString::fromStdString(m_out).contains("berthctl restart"));
        QCOMPARE(run({"settings", "set", "vm.libvirtUri=qemu:///system"}), 0);
        QCOMPARE(run({"settings", "set", "vm.manager", "virtualbox"}), 1);
        QVERIFY(QString::fromStdString(m_err).contains("one of qemu, libvirt"));
        QCOMPARE(run({"settings", "set", "vm.libvirtUri=qemu+ssh://host/system"}), 1);

        // The engine still runs on QEMU until a restart; status says both.
        m_engineStatus.state = engine::EngineState::Running;
        m_engineStatus.vmManager = "qemu";
        QCOMPARE(run({"status"}), 0);
        QVERIFY2(QString::fromStdString(m_out).contains(
                     "VM manager:    qemu; the next start uses libvirt (qemu:///system)\n"),
                 m_out.c_str());
        m_engineStatus.vmManager = "libvirt (qemu:///system)";
        QCOMPARE(run({"status"}), 0);
        QVERIFY2(QString::fromStdString(m_out).contains("VM manager:    libvirt (qemu:///system)\n"), m_out.c_str());
        QCOMPARE(run({"status", "--json"}), 0);
        QCOMPARE(nlohmann::json::parse(m_out)["engine"]["vmManager"], nlohmann::json("libvirt (qemu:///system)"));
    }

    void adminsCanLockTheVmManager()
    {
        const nlohmann::json policy = {{"configurationFileVersion", 2},
                                       {"linuxVM",
                                        {{"vmManager", {{"value", "libvirt"}, {"locked", true}}},
                                         {"libvirtUri", {{"value", "qemu:///system"}, {"locked", false}}}}}};
        writeText(m_paths.adminFile, policy.dump());
        QCOMPARE(run({"settings", "get", "vm.manager"}), 0);
        COMPARE_STR(m_out, "libvirt\n");
        QCOMPARE(run({"settings", "set", "vm.manager", "qemu"}), 3);
        QVERIFY(QString::fromStdString(m_err).contains("field \"vm.manager\" is locked"));
        QCOMPARE(run({"settings", "get", "vm.libvirtUri"}), 0);
        COMPARE_STR(m_out, "qemu:///system\n");
        QCOMPARE(run({"settings", "set", "vm.libvirtUri", "qemu:///session"}), 0);  // unlocked: a default only
    }

    void lockedSettingIsRefusedWithExitCode3()
    {
        admin("admin/eci-locked.json");
        QCOMPARE(run({"settings", "set", "enhancedContainerIsolation=false"}), 3);
        QVERIFY(QString::fromStdString(m_err).contains("field \"enhancedContainerIsolation\" is locked by "
                                                       + QString::fromStdString(m_paths.adminFile.string())));
        QVERIFY(!std::filesystem::exists(m_paths.userFile));
        // Setting the locked value itself is not a change.
        QCOMPARE(run({"settings", "set", "enhancedContainerIsolation=true"}), 0);
        COMPARE_STR(m_out, "Status: no changes necessary.\n");
    }

    void fileSharingDirectoriesTakeAJsonArrayOrCommas()
    {
        QCOMPARE(run({"settings", "get", "fileSharing.directories"}), 0);
        COMPARE_STR(m_out, "$HOME\n");
        QCOMPARE(run({"settings", "set", "fileSharing.directories", R"(["$HOME","/srv/src"])"}), 0);
        QVERIFY2(QString::fromStdString(m_out).contains("fileSharing.directories: $HOME -> $HOME, /srv/src"),
                 m_out.c_str());
        QVERIFY(QString::fromStdString(m_out).contains("berthctl restart"));
        QCOMPARE(nlohmann::json::parse(readText(m_paths.userFile))["fileSharing.directories"],
                 nlohmann::json({"$HOME", "/srv/src"}));
        QCOMPARE(run({"settings", "set", "fileSharing.directories=~/src, $TMP"}), 0);
        QCOMPARE(run({"settings", "list", "--json"}), 0);
        bool listed = false;
        for (const auto& entry : nlohmann::json::parse(m_out)) {
            if (entry["key"] == "fileSharing.directories") {
                QCOMPARE(entry["value"], nlohmann::json({"~/src", "$TMP"}));
                listed = true;
            }
        }
        QVERIFY(listed);
        // Each entry that cannot be shared is named.
        QCOMPARE(run({"settings", "set", "fileSharing.directories", R"(["/etc", "src", "$HOME"])"}), 1);
        QVERIFY2(QString::fromStdString(m_err).contains("\"/etc\" cannot be shared"), m_err.c_str());
        QVERIFY(QString::fromStdString(m_err).contains("\"src\" is not an absolute path"));
        QCOMPARE(run({"--help"}), 0);
        QVERIFY(QString::fromStdString(m_out).contains("fileSharing.directories"));
    }

    void fileSharingLockedByAllowedDirectoriesExitsWith3()
    {
        admin("admin/docker-full-example.json");
        QCOMPARE(run({"settings", "get", "fileSharing.directories"}), 0);
        COMPARE_STR(m_out, "$HOME\n");
        QCOMPARE(run({"settings", "set", "fileSharing.directories", R"(["$HOME","/srv/src"])"}), 3);
        QVERIFY2(QString::fromStdString(m_err).contains("field \"fileSharing.directories\" is locked by "
                                                        + QString::fromStdString(m_paths.adminFile.string())),
                 m_err.c_str());
        QVERIFY(!std::filesystem::exists(m_paths.userFile));
        QCOMPARE(run({"settings", "list"}), 0);
        QVERIFY(QString::fromStdString(m_out).contains(
            QRegularExpression("fileSharing.directories +\\$HOME +admin lock +yes +locked by "
                               + QRegularExpression::escape(QString::fromStdString(m_paths.adminFile.string())))));
        QCOMPARE(run({"settings", "check-admin", "--content-only"}), 0);
        QVERIFY(!QString::fromStdString(m_err).contains("filesharingAllowedDirectories"));
    }

    void badValuesAndKeysExitWith1()
    {
        QCOMPARE(run({"settings", "set", "vm.cpus=many"}), 1);
        QVERIFY(QString::fromStdString(m_err).contains("expected a whole number"));
        QCOMPARE(run({"settings", "set", "nope=1"}), 1);
        QCOMPARE(run({"settings", "get", "nope"}), 1);
        QCOMPARE(run({"settings", "set", "app.theme=purple"}), 1);
        QVERIFY(QString::fromStdString(m_err).contains("one of system, light, dark"));
    }

    void checkAdminReportsLocations()
    {
        QCOMPARE(run({"settings", "check-admin"}), 0);  // no file: nothing managed
        QVERIFY(QString::fromStdString(m_out).contains("nothing is managed"));

        admin("admin/malformed/trailing-comma.json");
        QCOMPARE(run({"settings", "check-admin"}), 1);
        QVERIFY2(QString::fromStdString(m_err).contains(QString::fromStdString(m_paths.adminFile.string())
                                                        + ":5:18: error: trailing comma"),
                 m_err.c_str());

        QCOMPARE(
            run({"settings", "check-admin", testData("admin/docker-full-example.json").string(), "--content-only"}), 0);
        QVERIFY(QString::fromStdString(m_out).contains("is valid: 19 settings (15 locked), 25 ignored"));
        QCOMPARE(run({"settings", "check-admin", (m_dir.path() + "/missing.json").toStdString()}), 1);
    }

    void invalidPolicyBlocksTheEngineAndSaysWhere()
    {
        admin("admin/malformed/wrong-type.json");
        QCOMPARE(run({"status", "--json"}), 1);
        const auto status = nlohmann::json::parse(m_out);
        QCOMPARE(status["engineStartAllowed"], nlohmann::json(false));
        QCOMPARE(status["adminPolicy"]["state"], nlohmann::json("invalid"));
        QVERIFY(QString::fromStdString(status["adminPolicy"]["error"].get<std::string>()).contains(":5:14: error:"));
        QCOMPARE(run({"settings", "set", "app.theme=dark"}), 1);
        QVERIFY(QString::fromStdString(m_err).contains("is invalid"));
    }

    void engineCommandsWaitForTheOutcome()
    {
        m_engineCalls.clear();
        QCOMPARE(run({"start"}), 0);
        QVERIFY(QString::fromStdString(m_out).contains("Pressing buttons"));
        QVERIFY(QString::fromStdString(m_out).contains("Running"));
        QCOMPARE(run({"stop", "--force"}), 0);
        QCOMPARE(run({"restart"}), 0);
        QCOMPARE(m_engineCalls, (std::vector<std::string>{"start", "stop --force", "restart"}));
        m_failStart = true;
        QCOMPARE(run({"start"}), 1);
        COMPARE_STR(m_err, "berthctl: boot failed\n");
        QCOMPARE(run({"restart", "--force"}), 2);
    }

    void statusShowsTheEngine()
    {
        m_engineStatus.state = engine::EngineState::Running;
        m_engineStatus.qemuPid = 4242;
        m_engineStatus.accelerator = "tcg";
        m_engineStatus.acceleratorReason = "KVM guests do not boot here";
        QCOMPARE(run({"status"}), 0);
        QVERIFY2(QString::fromStdString(m_out).contains("Engine:        Running (QEMU pid 4242)"), m_out.c_str());
        QVERIFY(QString::fromStdString(m_out).contains("Accelerator:   TCG (KVM guests do not boot here)"));
        QCOMPARE(run({"status", "--json"}), 0);
        QCOMPARE(nlohmann::json::parse(m_out)["engine"]["state"], nlohmann::json("running"));
    }

    void resetKeepsABackup()
    {
        QCOMPARE(run({"settings", "set", "vm.cpus=3"}), 0);
        QCOMPARE(run({"settings", "reset"}), 0);
        QVERIFY(QString::fromStdString(m_out).contains("settings-store.json.bak-"));
        QCOMPARE(run({"settings", "get", "vm.cpus"}), 0);
        COMPARE_STR(m_out, "2\n");
    }
    // admin deploy writes where m_paths.adminFile points; the test user is the "administrator".
    void adminDeployWritesTheCheckedPolicy()
    {
        m_paths.adminFile = m_paths.adminFile.parent_path() / "berth" / "admin-settings.json";
        const std::string policy = readText(testData("admin/eci-locked.json"));
        QCOMPARE(run({"admin", "deploy", "--admin-settings=" + policy}), 0);
        QVERIFY(QString::fromStdString(m_out).contains("Deployed "));
        COMPARE_STR(readText(m_paths.adminFile), policy);
        struct stat file {};
        struct stat dir {};
        QCOMPARE(::stat(m_paths.adminFile.c_str(), &file), 0);
        QCOMPARE(::stat(m_paths.adminFile.parent_path().c_str(), &dir), 0);
        QCOMPARE(file.st_mode & 07777, 0644U);
        QCOMPARE(dir.st_mode & 07777, 0755U);
        QCOMPARE(file.st_uid, ::geteuid());

        // The lock is in force for the settings commands straight away.
        QCOMPARE(run({"settings", "set", "enhancedContainerIsolation=false"}), 3);
        QCOMPARE(run({"admin", "show"}), 0);
        QVERIFY(QString::fromStdString(m_out).contains("\"configurationFileVersion\": 2"));
        QVERIFY(QString::fromStdString(m_out).contains("enhancedContainerIsolation (locked)"));

        // Deploying the same policy again changes nothing and needs no --force.
        QCOMPARE(run({"admin", "deploy", "--admin-settings=" + policy}), 0);
        QVERIFY(QString::fromStdString(m_out).contains("Nothing changed"));
    }

    void adminDeployRefusesAnInvalidPolicyAndKeepsTheFile()
    {
        admin("admin/eci-locked.json");
        const std::string before = readText(m_paths.adminFile);
        const std::string trailingComma = readText(testData("admin/malformed/trailing-comma.json"));
        QCOMPARE(run({"admin", "deploy", "--force", "--admin-settings=" + trailingComma}), 1);
        QVERIFY(QString::fromStdString(m_err).contains("--admin-settings:5:"));
        QVERIFY(QString::fromStdString(m_err).contains("trailing comma"));
        QVERIFY(QString::fromStdString(m_err).contains("nothing was deployed"));
        COMPARE_STR(readText(m_paths.adminFile), before);

        std::filesystem::remove(m_paths.adminFile);
        QCOMPARE(run({"admin", "deploy", "--admin-settings={\"configurationFileVersion\": 1}"}), 1);
        QVERIFY(!std::filesystem::exists(m_paths.adminFile));
    }

    void adminDeployReplacesADifferentPolicyOnlyWithForce()
    {
        admin("admin/eci-locked.json");
        const std::string unlocked = readText(testData("admin/eci-default-unlocked.json"));
        QCOMPARE(run({"admin", "deploy", "--admin-settings=" + unlocked}), 1);
        QVERIFY(QString::fromStdString(m_err).contains("--force"));
        COMPARE_STR(readText(m_paths.adminFile), readText(testData("admin/eci-locked.json")));
        QCOMPARE(run({"admin", "deploy", "--admin-settings=" + unlocked, "--force"}), 0);
        COMPARE_STR(readText(m_paths.adminFile), unlocked);
    }

    void adminDeployReadsAFileAndAddsTheFinalNewline()
    {
        const auto source = m_paths.adminFile.parent_path() / "policy.json";
        writeText(source,
                  "{\"configurationFileVersion\": 2, \"analyticsEnabled\": {\"locked\": true, \"value\": false}}");
        QCOMPARE(run({"admin", "deploy", "--admin-settings-file=" + source.string()}), 0);
        COMPARE_STR(readText(m_paths.adminFile), readText(source) + "\n");
    }

    void adminDeployIsForTheAdministratorOnly()
    {
        m_paths.adminRules.trustedOwner = ::geteuid() + 1;
        QCOMPARE(run({"admin", "deploy", "--admin-settings={\"configurationFileVersion\": 2}"}), 1);
        QVERIFY(QString::fromStdString(m_err).contains("only root"));
        QVERIFY(!std::filesystem::exists(m_paths.adminFile));
    }

    void adminDeployRefusesADirectoryOthersCanWrite()
    {
        ::chmod(m_paths.adminFile.parent_path().c_str(), 0777);
        QCOMPARE(run({"admin", "deploy", "--admin-settings={\"configurationFileVersion\": 2}"}), 1);
        QVERIFY(QString::fromStdString(m_err).contains("not writable by group or others"));
        QVERIFY(!std::filesystem::exists(m_paths.adminFile));
        ::chmod(m_paths.adminFile.parent_path().c_str(), 0755);
    }

    void adminShowReportsAbsentAndInvalidPolicies()
    {
        QCOMPARE(run({"admin", "show"}), 0);
        QVERIFY(QString::fromStdString(m_out).contains("nothing is managed"));
        admin("admin/malformed/trailing-comma.json");
        QCOMPARE(run({"admin", "show"}), 1);
        QVERIFY(QString::fromStdString(m_out).contains("\"value\": true,"));
        QVERIFY(QString::fromStdString(m_err).contains("admin-settings.json:5:"));
        QCOMPARE(run({"admin"}), 2);
        QCOMPARE(run({"admin", "deploy"}), 2);
    }
};

QTEST_GUILESS_MAIN(TestBerthctl)
#include "tst_berthctl.moc"
