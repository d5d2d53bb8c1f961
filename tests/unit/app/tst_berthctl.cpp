#include <QTemporaryDir>
#include <QtTest>

#include <QDir>
#include <QFile>

#include <sstream>

#include "cli.h"
#include "settings_test_support.h"

using namespace berth;
using berth::test::readText;
using berth::test::testData;
using berth::test::writeText;

// Stands in for the engine host: answers at once, as scripted.
class FakeEngine : public vm::EngineHandle {
public:
    vm::EngineStatus current;
    bool failStart = false;
    std::vector<std::string>* calls = nullptr;

    void start() override { finish(Operation::Start, "start", !failStart, failStart ? "boot failed" : ""); }
    void stop(bool force) override { finish(Operation::Stop, force ? "stop --force" : "stop", true, ""); }
    void restart() override { finish(Operation::Restart, "restart", true, ""); }
    vm::EngineStatus status() const override { return current; }
    void refresh() override
    {
        QMetaObject::invokeMethod(this, [this] { emit statusChanged(current); }, Qt::QueuedConnection);
    }

private:
    void finish(Operation op, const char* name, bool ok, const char* message)
    {
        calls->push_back(name);
        QMetaObject::invokeMethod(this, [=, this] {
            emit progress("Pressing buttons");
            current.state = ok && op != Operation::Stop ? vm::EngineState::Running : vm::EngineState::Stopped;
            emit statusChanged(current);
            emit operationFinished(op, ok, message);
        }, Qt::QueuedConnection);
    }
};

// berthctl's commands run in-process against injected admin and user files.
class TestBerthctl : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    settings::SettingsPaths paths_;
    std::string out_;
    std::string err_;
    vm::EngineStatus engineStatus_;
    bool failStart_ = false;
    std::vector<std::string> engineCalls_;
    std::istringstream in_;
    std::string instanceDir_;

    int run(std::vector<std::string> args)
    {
        std::ostringstream out;
        std::ostringstream err;
        cli::Context context{paths_, out, err, [this] {
                                 auto engine = std::make_unique<FakeEngine>();
                                 engine->current = engineStatus_;
                                 engine->failStart = failStart_;
                                 engine->calls = &engineCalls_;
                                 return engine;
                             },
                             &in_, instanceDir_};
        const int code = cli::run(args, context);
        out_ = out.str();
        err_ = err.str();
        return code;
    }

    void admin(const std::string& fixture) { writeText(paths_.adminFile, readText(testData(fixture))); }

private slots:
    void init()
    {
        QVERIFY(dir_.isValid());
        paths_ = berth::test::freshSettingsPaths(dir_.path().toStdString());
        instanceDir_ = (dir_.path() + "/instance").toStdString();
        in_.str({});
        in_.clear();
        engineCalls_.clear();
    }

    void resetDataAsksStopsAndKeepsABackup()
    {
        const QString instance = QString::fromStdString(instanceDir_);
        QVERIFY(QDir().mkpath(instance));
        writeText((instance + "/data.qcow2").toStdString(), "images and volumes");

        in_.str("no\n");
        QCOMPARE(run({"reset", "--data"}), 1);
        QVERIFY(QFile::exists(instance + "/data.qcow2"));
        QVERIFY(engineCalls_.empty());  // not even stopped
        QVERIFY(err_.find("not reset") != std::string::npos);

        in_.clear();
        in_.str("yes\n");
        QCOMPARE(run({"reset", "--data"}), 0);
        QCOMPARE(engineCalls_, std::vector<std::string>{"stop"});
        QVERIFY(!QFile::exists(instance + "/data.qcow2"));
        const QStringList backups = QDir(instance).entryList({"data.qcow2.backup-*"});
        QCOMPARE(backups.size(), 1);
        QCOMPARE(readText((instance + "/" + backups.first()).toStdString()), std::string("images and volumes"));
        QVERIFY(out_.find("To restore the old one: berthctl stop && mv") != std::string::npos);
        QVERIFY(out_.find("rm '" + (instance + "/" + backups.first()).toStdString()) != std::string::npos);

        QCOMPARE(run({"reset", "--data", "--yes"}), 0);
        QVERIFY(out_.find("nothing to reset") != std::string::npos);
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
        QVERIFY(QString::fromStdString(out_).contains("check-admin"));
    }

    void listShowsSourcesAndLocks()
    {
        admin("admin/eci-locked.json");
        QCOMPARE(run({"settings", "list", "--json"}), 0);
        const auto list = nlohmann::json::parse(out_);
        QCOMPARE(list.size(), settings::schema().size());
        const auto& eci = list[0];
        QCOMPARE(eci["key"], nlohmann::json("enhancedContainerIsolation"));
        QCOMPARE(eci["value"], nlohmann::json(true));
        QCOMPARE(eci["locked"], nlohmann::json(true));
        QCOMPARE(eci["source"], nlohmann::json("admin lock"));
        QCOMPARE(eci["restartNeeded"], nlohmann::json(true));
        QCOMPARE(eci["lockedBy"], nlohmann::json(paths_.adminFile.string()));

        QCOMPARE(run({"settings", "list"}), 0);
        QVERIFY(QString::fromStdString(out_).contains("locked by " + QString::fromStdString(paths_.adminFile.string())));
    }

    void setChangesGetReadsBack()
    {
        QCOMPARE(run({"settings", "set", "enhancedContainerIsolation=on", "vm.cpus=4"}), 0);
        QVERIFY(QString::fromStdString(out_).contains("enhancedContainerIsolation: false -> true"));
        QVERIFY(QString::fromStdString(out_).contains("berthctl restart"));
        QCOMPARE(run({"settings", "get", "vm.cpus"}), 0);
        COMPARE_STR(out_, "4\n");
        QCOMPARE(run({"settings", "set", "vm.cpus=4"}), 0);
        COMPARE_STR(out_, "Status: no changes necessary.\n");
    }

    void lockedSettingIsRefusedWithExitCode3()
    {
        admin("admin/eci-locked.json");
        QCOMPARE(run({"settings", "set", "enhancedContainerIsolation=false"}), 3);
        QVERIFY(QString::fromStdString(err_).contains("field \"enhancedContainerIsolation\" is locked by "
                                                      + QString::fromStdString(paths_.adminFile.string())));
        QVERIFY(!std::filesystem::exists(paths_.userFile));
        // Setting the locked value itself is not a change.
        QCOMPARE(run({"settings", "set", "enhancedContainerIsolation=true"}), 0);
        COMPARE_STR(out_, "Status: no changes necessary.\n");
    }

    void badValuesAndKeysExitWith1()
    {
        QCOMPARE(run({"settings", "set", "vm.cpus=many"}), 1);
        QVERIFY(QString::fromStdString(err_).contains("expected a whole number"));
        QCOMPARE(run({"settings", "set", "nope=1"}), 1);
        QCOMPARE(run({"settings", "get", "nope"}), 1);
        QCOMPARE(run({"settings", "set", "app.theme=purple"}), 1);
        QVERIFY(QString::fromStdString(err_).contains("one of system, light, dark"));
    }

    void checkAdminReportsLocations()
    {
        QCOMPARE(run({"settings", "check-admin"}), 0);  // no file: nothing managed
        QVERIFY(QString::fromStdString(out_).contains("nothing is managed"));

        admin("admin/malformed/trailing-comma.json");
        QCOMPARE(run({"settings", "check-admin"}), 1);
        QVERIFY2(QString::fromStdString(err_).contains(QString::fromStdString(paths_.adminFile.string())
                                                       + ":5:18: error: trailing comma"),
                 err_.c_str());

        QCOMPARE(run({"settings", "check-admin", testData("admin/docker-full-example.json").string(),
                      "--content-only"}),
                 0);
        QVERIFY(QString::fromStdString(out_).contains("is valid: 10 settings (6 locked), 21 ignored"));
        QCOMPARE(run({"settings", "check-admin", (dir_.path() + "/missing.json").toStdString()}), 1);
    }

    void invalidPolicyBlocksTheEngineAndSaysWhere()
    {
        admin("admin/malformed/wrong-type.json");
        QCOMPARE(run({"status", "--json"}), 1);
        const auto status = nlohmann::json::parse(out_);
        QCOMPARE(status["engineStartAllowed"], nlohmann::json(false));
        QCOMPARE(status["adminPolicy"]["state"], nlohmann::json("invalid"));
        QVERIFY(QString::fromStdString(status["adminPolicy"]["error"].get<std::string>()).contains(":5:14: error:"));
        QCOMPARE(run({"settings", "set", "app.theme=dark"}), 1);
        QVERIFY(QString::fromStdString(err_).contains("is invalid"));
    }

    void engineCommandsWaitForTheOutcome()
    {
        engineCalls_.clear();
        QCOMPARE(run({"start"}), 0);
        QVERIFY(QString::fromStdString(out_).contains("Pressing buttons"));
        QVERIFY(QString::fromStdString(out_).contains("Running"));
        QCOMPARE(run({"stop", "--force"}), 0);
        QCOMPARE(run({"restart"}), 0);
        QCOMPARE(engineCalls_, (std::vector<std::string>{"start", "stop --force", "restart"}));
        failStart_ = true;
        QCOMPARE(run({"start"}), 1);
        COMPARE_STR(err_, "berthctl: boot failed\n");
        QCOMPARE(run({"restart", "--force"}), 2);
    }

    void statusShowsTheEngine()
    {
        engineStatus_.state = vm::EngineState::Running;
        engineStatus_.qemuPid = 4242;
        engineStatus_.accelerator = "tcg";
        engineStatus_.acceleratorReason = "KVM guests do not boot here";
        QCOMPARE(run({"status"}), 0);
        QVERIFY2(QString::fromStdString(out_).contains("Engine:        Running (QEMU pid 4242)"), out_.c_str());
        QVERIFY(QString::fromStdString(out_).contains("Accelerator:   TCG (KVM guests do not boot here)"));
        QCOMPARE(run({"status", "--json"}), 0);
        QCOMPARE(nlohmann::json::parse(out_)["engine"]["state"], nlohmann::json("running"));
    }

    void resetKeepsABackup()
    {
        QCOMPARE(run({"settings", "set", "vm.cpus=3"}), 0);
        QCOMPARE(run({"settings", "reset"}), 0);
        QVERIFY(QString::fromStdString(out_).contains("settings-store.json.bak-"));
        QCOMPARE(run({"settings", "get", "vm.cpus"}), 0);
        COMPARE_STR(out_, "2\n");
    }
};

QTEST_GUILESS_MAIN(TestBerthctl)
#include "tst_berthctl.moc"
