// The production ContainerSource against a fake Docker Engine API over real TLS.
#include <QTemporaryDir>
#include <QUrl>
#include <QtTest>

#include "berth/endpoint/endpoint_certs.h"
#include "container_source.h"
#include "dashboard_window.h"
#include "fake_docker_api.h"
#include "gui_test_support.h"
#include "storage_view.h"

using namespace berth;
using berth::endpoint::testing::FakeDockerApi;

class TestEngineContainers : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    endpoint::EngineCertPaths m_certs;
    std::optional<test::FakeEngine> m_engine;
    std::optional<FakeDockerApi> m_api;

    void running(quint16 port)
    {
        engine::EngineStatus status = m_engine->status();
        status.state = engine::EngineState::Running;
        status.enginePort = port;
        m_engine->setStatus(status);
    }

private slots:
    void init()
    {
        QVERIFY(m_dir.isValid());
        m_certs.dir = m_dir.filePath("certs");
        QVERIFY(endpoint::ensureEngineCerts(m_certs).ok);
        m_engine.emplace(settings::SettingsPaths{});
        m_api.emplace(m_certs);
        m_api->route("GET /containers/json?all=1",
                     {200,
                      R"([{"Id":"a1","Names":["/old"],"Image":"busybox","State":"running",)"
                      R"(  "Labels":{"com.docker.compose.project":"shop","com.docker.compose.service":"db"}},)"
                      R"( {"Id":"b2","Names":["/new"],"Image":"alpine","State":"exited"}])",
                      true});
        m_api->route("GET /containers/a1/json", {200, R"({"HostConfig":{"Runtime":"runc"}})"});
        m_api->route("GET /containers/b2/json", {200, R"({"HostConfig":{"Runtime":"sysbox-runc"}})"});
        m_api->route("DELETE /containers/a1?force=1", {204, {}});
        m_api->route("DELETE /containers/b2?force=1", {204, {}});
    }

    void listsNameImageAndRuntime()
    {
        running(m_api->port());
        gui::EngineContainers containers(*m_engine, m_certs);
        const auto list = containers.list();
        QCOMPARE(list.size(), 2);
        QCOMPARE(list[0].name, QStringLiteral("old"));
        QCOMPARE(list[0].image, QStringLiteral("busybox"));
        QVERIFY(!list[0].isolated());
        QCOMPARE(list[0].composeProject, QStringLiteral("shop"));
        QCOMPARE(list[1].composeProject, QString());
        QCOMPARE(list[1].runtime, QStringLiteral("sysbox-runc"));
        QVERIFY(list[1].isolated());
        QVERIFY(containers.lastError().isEmpty());
    }

    void removeAllRemovesEveryContainer()
    {
        running(m_api->port());
        gui::EngineContainers containers(*m_engine, m_certs);
        QCOMPARE(containers.removeAll(), QString());
        QVERIFY(m_api->requests.contains("DELETE /containers/a1?force=1"));
        QVERIFY(m_api->requests.contains("DELETE /containers/b2?force=1"));

        m_api->route("DELETE /containers/b2?force=1",
                     {409, R"({"message":"removal of container b2 is already in progress"})"});
        const QString error = containers.removeAll();
        QVERIFY2(error.contains("new: HTTP 409: removal of container b2 is already in progress"), qPrintable(error));
    }

    void nothingWhileTheEngineIsNotRunning()
    {
        engine::EngineStatus status = m_engine->status();
        status.state = engine::EngineState::Stopped;
        status.enginePort = m_api->port();
        m_engine->setStatus(status);
        gui::EngineContainers containers(*m_engine, m_certs);
        QVERIFY(containers.list().isEmpty());
        QCOMPARE(containers.removeAll(), QString());
        QVERIFY(m_api->requests.isEmpty());
    }

    void followsTheEnginesContainerEventsAndListsWithoutBlocking()
    {
        m_api->route("GET /events?filters="
                         + QUrl::toPercentEncoding(
                             R"({"type":["container","image","volume"],"event":["create","start","die","pause",)"
                             R"("unpause","rename","destroy","delete","pull","tag","untag","import","load"]})"),
                     {200, {}, false, /*stream=*/true});
        m_api->route(
            "GET /containers/json?all=1",
            {200,
             R"([{"Id":"a1","Names":["/web"],"Image":"nginx","State":"exited","Status":"Exited (137) 1 second ago",)"
             R"("Created":1700000000,"Ports":[{"IP":"0.0.0.0","PrivatePort":80,"PublicPort":8080,"Type":"tcp"}]}])"});
        gui::EngineContainers containers(*m_engine, m_certs);
        QSignalSpy changed(&containers, &gui::ContainerSource::changed);
        running(m_api->port());
        QTRY_COMPARE_WITH_TIMEOUT(changed.size(), 1, 10000);  // the events flow: list now
        m_api->pushEvent(R"({"Type":"container","Action":"die","id":"a1"})");
        QTRY_COMPARE_WITH_TIMEOUT(changed.size(), 2, 10000);

        QObject context;
        std::optional<QVector<gui::ContainerInfo>> listed;
        containers.listLater(&context, [&](const QVector<gui::ContainerInfo>& list) { listed = list; });
        QVERIFY(!listed);  // not waited for
        QTRY_VERIFY_WITH_TIMEOUT(listed.has_value(), 10000);
        QCOMPARE(listed->size(), 1);
        QCOMPARE(listed->at(0).id, QStringLiteral("a1"));
        QCOMPARE(listed->at(0).state, QStringLiteral("exited"));
        QCOMPARE(listed->at(0).status, QStringLiteral("Exited (137) 1 second ago"));
        QCOMPARE(listed->at(0).created.toSecsSinceEpoch(), 1700000000);
        QCOMPARE(listed->at(0).ports.size(), 1);
        QCOMPARE(listed->at(0).ports[0].containerPort, quint16(80));
        QCOMPARE(listed->at(0).runtime, QStringLiteral("runc"));

        // The engine stopped: its containers went with it.
        engine::EngineStatus status = m_engine->status();
        status.state = engine::EngineState::Stopped;
        m_engine->setStatus(status);
        QCOMPARE(changed.size(), 3);
        QTRY_COMPARE_WITH_TIMEOUT(m_api->openStreams(), 0, 10000);
    }

    // Each action is its POST; a container already in that state (304) is no error; the engine's
    // refusal comes back in its words; with the engine stopped, nothing is sent.
    void containerActionsAndRemoveAreTheirRequests()
    {
        running(m_api->port());
        gui::EngineContainers containers(*m_engine, m_certs);
        const auto answer = [](const std::function<void(QObject*, gui::ContainerSource::Acted)>& start) {
            QObject context;
            std::optional<QString> error;
            start(&context, [&error](const QString& e) { error = e; });
            (void)QTest::qWaitFor([&error] { return error.has_value(); }, 10000);
            return error.value_or(QStringLiteral("(no answer)"));
        };
        const auto act = [&](const char* id, endpoint::ContainerAction action) {
            return answer([&](QObject* context, gui::ContainerSource::Acted done) {
                containers.act(QString::fromLatin1(id), action, context, std::move(done));
            });
        };
        m_api->route("POST /containers/a1/stop", {204, {}});
        m_api->route("POST /containers/a1/pause", {204, {}});
        m_api->route("POST /containers/b2/start", {304, {}});
        m_api->route("POST /containers/b2/restart",
                     {409, R"({"message":"Cannot restart container b2: container is marked for removal"})"});
        QCOMPARE(act("a1", endpoint::ContainerAction::Stop), QString());
        QCOMPARE(act("a1", endpoint::ContainerAction::Pause), QString());
        QCOMPARE(act("b2", endpoint::ContainerAction::Start), QString());
        QCOMPARE(act("b2", endpoint::ContainerAction::Restart),
                 QStringLiteral("HTTP 409: Cannot restart container b2: container is marked for removal"));
        QCOMPARE(act("a1", endpoint::ContainerAction::Unpause), QStringLiteral("HTTP 404: page not found"));
        QCOMPARE(answer([&](QObject* context, gui::ContainerSource::Acted done) {
                     containers.remove(QStringLiteral("b2"), context, std::move(done));
                 }),
                 QString());
        QCOMPARE(m_api->requests.mid(m_api->requests.size() - 6),
                 (QStringList{"POST /containers/a1/stop", "POST /containers/a1/pause", "POST /containers/b2/start",
                              "POST /containers/b2/restart", "POST /containers/a1/unpause",
                              "DELETE /containers/b2?force=1"}));

        engine::EngineStatus status = m_engine->status();
        status.state = engine::EngineState::Stopped;
        m_engine->setStatus(status);
        const qsizetype sent = m_api->requests.size();
        QCOMPARE(act("a1", endpoint::ContainerAction::Stop), QStringLiteral("The engine is not running"));
        QCOMPARE(m_api->requests.size(), sent);
    }

    // GET /system/df read into images, volumes and totals; removals and prunes are their requests;
    // an engine before API 1.42 refuses the volume prune's "all" filter, and is asked without it.
    void diskUsageRemovalsAndPrunes()
    {
        running(m_api->port());
        gui::EngineContainers containers(*m_engine, m_certs);
        m_api->route(
            "GET /system/df",
            {200,
             R"({"LayersSize":1000,"Images":[{"Id":"sha256:aa","RepoTags":["nginx:1.27"],"Size":700,)"
             R"("Created":1700000000,"Containers":2},{"Id":"sha256:bb","RepoTags":["<none>:<none>"],"Size":300,)"
             R"("Containers":-1}],"Containers":[{"SizeRw":5},{"SizeRw":7}],)"
             R"("Volumes":[{"Name":"data","Driver":"local","UsageData":{"Size":40,"RefCount":1}},)"
             R"({"Name":"odd","Driver":"local","UsageData":{"Size":-1,"RefCount":0}}],)"
             R"("BuildCache":[{"Size":11},{"Size":22}]})",
             true});
        QObject context;
        std::optional<endpoint::DiskUsage> usage;
        containers.diskUsage(&context, [&usage](const endpoint::DiskUsage& u, const QString& error) {
            QVERIFY2(error.isEmpty(), qPrintable(error));
            usage = u;
        });
        QTRY_VERIFY_WITH_TIMEOUT(usage.has_value(), 10000);
        QCOMPARE(usage->imagesSize, 1000);
        QCOMPARE(usage->containersSize, 12);
        QCOMPARE(usage->volumesSize, 40);
        QCOMPARE(usage->buildCacheSize, 33);
        QCOMPARE(usage->images.size(), 2);
        QCOMPARE(usage->images[0].tags, QStringList{"nginx:1.27"});
        QCOMPARE(usage->images[0].containers, 2);
        QCOMPARE(usage->images[1].tags, QStringList());  // dangling
        QCOMPARE(usage->images[1].containers, 0);
        QCOMPARE(usage->volumes[1].size, -1);

        m_api->route("DELETE /images/nginx%3A1.27", {200, "[]"});
        m_api->route("DELETE /volumes/data", {409, R"({"message":"volume is in use"})"});
        const QString volumesAll
            = "POST /volumes/prune?filters=" + QUrl::toPercentEncoding(QStringLiteral(R"({"all":["true"]})"));
        m_api->route(volumesAll.toUtf8(), {400, R"({"message":"Invalid filter 'all'"})"});
        m_api->route("POST /volumes/prune", {200, R"({"VolumesDeleted":["old"],"SpaceReclaimed":4096})"});
        std::optional<QString> removedImage;
        std::optional<QString> removedVolume;
        std::optional<qint64> reclaimed;
        containers.removeImage("nginx:1.27", &context, [&](const QString& e) { removedImage = e; });
        containers.removeVolume("data", &context, [&](const QString& e) { removedVolume = e; });
        containers.prune(endpoint::Prune::UnusedVolumes, &context, [&](qint64 bytes, const QString& e) {
            QVERIFY2(e.isEmpty(), qPrintable(e));
            reclaimed = bytes;
        });
        QTRY_VERIFY_WITH_TIMEOUT(removedImage && removedVolume && reclaimed, 10000);
        QCOMPARE(*removedImage, QString());
        QCOMPARE(*removedVolume, QStringLiteral("HTTP 409: volume is in use"));
        QCOMPARE(*reclaimed, 4096);
        QVERIFY(m_api->requests.contains(volumesAll));
        QVERIFY(m_api->requests.contains("POST /volumes/prune"));
    }

    // A one-shot stats answer as dockerd on cgroup v2 gives it: memory less the inactive page cache.
    void statsOfARunningContainer()
    {
        running(m_api->port());
        gui::EngineContainers containers(*m_engine, m_certs);
        m_api->route("GET /containers/a1/stats?stream=false&one-shot=true",
                     {200,
                      R"({"cpu_stats":{"cpu_usage":{"total_usage":2500000000},"system_cpu_usage":90000000000,)"
                      R"("online_cpus":2},"precpu_stats":{"cpu_usage":{"total_usage":0}},)"
                      R"("memory_stats":{"usage":52428800,"limit":4112515072,"stats":{"inactive_file":10485760}}})"});
        QObject context;
        std::optional<endpoint::ContainerStats> stats;
        containers.stats("a1", &context, [&stats](const endpoint::ContainerStats& s, const QString& error) {
            QVERIFY2(error.isEmpty(), qPrintable(error));
            stats = s;
        });
        QTRY_VERIFY_WITH_TIMEOUT(stats.has_value(), 10000);
        QCOMPARE(stats->cpuNanoseconds, 2'500'000'000ULL);
        QCOMPARE(stats->systemNanoseconds, 90'000'000'000ULL);
        QCOMPARE(stats->onlineCpus, 2);
        QCOMPARE(stats->memoryBytes, 41'943'040);
        QCOMPARE(stats->memoryLimitBytes, 4'112'515'072);

        endpoint::ContainerStats later = *stats;
        later.cpuNanoseconds += 500'000'000;
        later.systemNanoseconds += 10'000'000'000;
        QCOMPARE(endpoint::cpuPercent(*stats, later), 10.0);  // half a second of 2 CPUs' 5 s
        QCOMPARE(endpoint::cpuPercent(later, *stats), -1.0);  // restarted: the counters went back
    }

    void anUnreachableEngineIsAnErrorNotAHang()
    {
        m_api->silent = true;
        running(m_api->port());
        gui::EngineContainers containers(*m_engine, m_certs, std::chrono::milliseconds(300));
        QElapsedTimer clock;
        clock.start();
        QVERIFY(containers.list().isEmpty());
        QVERIFY(!containers.lastError().isEmpty());
        QVERIFY(clock.elapsed() < 3000);
    }

    // The dashboard closed while the engine works on its requests (the containers' list it asks
    // for as it opens, the disk usage the Images tab asks for): no answer reaches the window being
    // destroyed, not even from the teardown of the requests' connections.
    void aDashboardClosedWithARequestOnTheWayIsNotAnswered()
    {
        m_api->silent = true;
        running(m_api->port());
        gui::EngineContainers containers(*m_engine, m_certs);
        test::SettingsFiles files;
        const auto settings = settings::Settings::load(files.paths);
        auto window = std::make_unique<gui::DashboardWindow>(*m_engine, settings, containers);
        QSignalSpy shown(window.get(), &gui::DashboardWindow::diskUsageShown);
        window->tabs()->setCurrentWidget(window->imagesView());
        QTRY_VERIFY_WITH_TIMEOUT(m_api->requests.contains("GET /system/df"), 10000);
        window.reset();
        QCoreApplication::processEvents();
        QCOMPARE(shown.count(), 0);
    }
};

QTEST_MAIN(TestEngineContainers)
#include "tst_engine_containers.moc"
