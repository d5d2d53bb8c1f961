// The production ContainerSource against a fake Docker Engine API over real TLS.
#include <QTemporaryDir>
#include <QtTest>

#include "berth/vm/engine_certs.h"
#include "container_source.h"
#include "fake_engine_api.h"
#include "gui_test_support.h"

using namespace berth;
using berth::vm::testing::FakeEngineApi;

class TestEngineContainers : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    vm::EngineCertPaths certs_;
    std::optional<test::FakeEngine> engine_;
    std::optional<FakeEngineApi> api_;

    void running(quint16 port)
    {
        vm::EngineStatus status = engine_->status();
        status.state = vm::EngineState::Running;
        status.enginePort = port;
        engine_->setStatus(status);
    }

private slots:
    void init()
    {
        QVERIFY(dir_.isValid());
        certs_.dir = dir_.filePath("certs");
        QVERIFY(vm::ensureEngineCerts(certs_).ok);
        engine_.emplace(settings::SettingsPaths{});
        api_.emplace(certs_);
        api_->route("GET /containers/json?all=1",
                    {200,
                     R"([{"Id":"a1","Names":["/old"],"Image":"busybox","State":"running"},)"
                     R"( {"Id":"b2","Names":["/new"],"Image":"alpine","State":"exited"}])",
                     true});
        api_->route("GET /containers/a1/json", {200, R"({"HostConfig":{"Runtime":"runc"}})"});
        api_->route("GET /containers/b2/json", {200, R"({"HostConfig":{"Runtime":"sysbox-runc"}})"});
        api_->route("DELETE /containers/a1?force=1", {204, {}});
        api_->route("DELETE /containers/b2?force=1", {204, {}});
    }

    void listsNameImageAndRuntime()
    {
        running(api_->port());
        gui::EngineContainers containers(*engine_, certs_);
        const auto list = containers.list();
        QCOMPARE(list.size(), 2);
        QCOMPARE(list[0].name, QStringLiteral("old"));
        QCOMPARE(list[0].image, QStringLiteral("busybox"));
        QVERIFY(!list[0].isolated());
        QCOMPARE(list[1].runtime, QStringLiteral("sysbox-runc"));
        QVERIFY(list[1].isolated());
        QVERIFY(containers.lastError().isEmpty());
    }

    void removeAllRemovesEveryContainer()
    {
        running(api_->port());
        gui::EngineContainers containers(*engine_, certs_);
        QCOMPARE(containers.removeAll(), QString());
        QVERIFY(api_->requests.contains("DELETE /containers/a1?force=1"));
        QVERIFY(api_->requests.contains("DELETE /containers/b2?force=1"));

        api_->route("DELETE /containers/b2?force=1",
                    {409, R"({"message":"removal of container b2 is already in progress"})"});
        const QString error = containers.removeAll();
        QVERIFY2(error.contains("new: HTTP 409: removal of container b2 is already in progress"), qPrintable(error));
    }

    void nothingWhileTheEngineIsNotRunning()
    {
        vm::EngineStatus status = engine_->status();
        status.state = vm::EngineState::Stopped;
        status.enginePort = api_->port();
        engine_->setStatus(status);
        gui::EngineContainers containers(*engine_, certs_);
        QVERIFY(containers.list().isEmpty());
        QCOMPARE(containers.removeAll(), QString());
        QVERIFY(api_->requests.isEmpty());
    }

    void anUnreachableEngineIsAnErrorNotAHang()
    {
        api_->silent = true;
        running(api_->port());
        gui::EngineContainers containers(*engine_, certs_, std::chrono::milliseconds(300));
        QElapsedTimer clock;
        clock.start();
        QVERIFY(containers.list().isEmpty());
        QVERIFY(!containers.lastError().isEmpty());
        QVERIFY(clock.elapsed() < 3000);
    }
};

QTEST_MAIN(TestEngineContainers)
#include "tst_engine_containers.moc"
