// ContainerWatch against a fake engine over TLS: one `changed()` when the stream opens, one per
// burst of events, none after engineDown, and a stream the engine closed opened again.
#include "berth/endpoint/container_watch.h"
#include "berth/endpoint/docker_api.h"
#include "berth/endpoint/endpoint_certs.h"

#include "fake_engine_test.h"

#include <gtest/gtest.h>

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QUrl>

using berth::endpoint::ContainerWatch;
using berth::endpoint::DockerApi;
using berth::endpoint::testing::FakeDockerApi;

namespace {

constexpr const char* kWatchedEvents = R"({"type":["container"]})";

class ContainerWatchTest : public berth::endpoint::testing::FakeEngineTest {
protected:
    void SetUp() override
    {
        FakeEngineTest::SetUp();
        if (HasFatalFailure()) { return; }
        m_engine->route("GET /events?filters=" + QUrl::toPercentEncoding(kWatchedEvents),
                        {200, {}, false, /*stream=*/true});
    }
};

TEST_F(ContainerWatchTest, ChangedOnceOpenAndOnceForEachBurstOfEvents)
{
    ContainerWatch watch(QStringLiteral("test"), kWatchedEvents);
    QSignalSpy changed(&watch, &ContainerWatch::changed);
    watch.engineUp(m_engine->port(), m_tls);
    EXPECT_TRUE(watch.isUp());
    ASSERT_TRUE(QTest::qWaitFor([&] { return changed.size() == 1; }, 10000));  // opened: list now

    m_engine->pushEvent(R"({"Type":"container","Action":"create","id":"a"})");
    m_engine->pushEvent(R"({"Type":"container","Action":"start","id":"a"})");
    m_engine->pushEvent(R"({"Type":"container","Action":"die","id":"b"})");
    ASSERT_TRUE(QTest::qWaitFor([&] { return changed.size() == 2; }, 10000));
    QTest::qWait(400);
    EXPECT_EQ(changed.size(), 2);  // the burst made one

    m_engine->pushEvent(R"({"Type":"container","Action":"destroy","id":"b"})");
    ASSERT_TRUE(QTest::qWaitFor([&] { return changed.size() == 3; }, 10000));

    // The engine stopped: nothing more, even if an event still came.
    m_engine->pushEvent(R"({"Type":"container","Action":"start","id":"c"})");
    watch.engineDown();
    EXPECT_FALSE(watch.isUp());
    QTest::qWait(400);
    EXPECT_EQ(changed.size(), 3);
    EXPECT_TRUE(QTest::qWaitFor([&] { return m_engine->openStreams() == 0; }, 10000));
}

TEST_F(ContainerWatchTest, AStreamTheEngineClosedIsOpenedAgainAndChangedSaysSo)
{
    ContainerWatch watch(QStringLiteral("test"), kWatchedEvents);
    watch.setReopenDelay(std::chrono::milliseconds(100));
    QSignalSpy changed(&watch, &ContainerWatch::changed);
    watch.engineUp(m_engine->port(), m_tls);
    ASSERT_TRUE(QTest::qWaitFor([&] { return changed.size() == 1 && m_engine->openStreams() == 1; }, 10000));

    m_engine->closeStreams();  // dockerd restarting its API: what happened meanwhile is unknown
    ASSERT_TRUE(QTest::qWaitFor([&] { return changed.size() == 2 && m_engine->openStreams() == 1; }, 10000));
    EXPECT_EQ(m_engine->requests.count("GET /events?filters=" + QUrl::toPercentEncoding(kWatchedEvents)), 2);

    m_engine->pushEvent(R"({"Type":"container","Action":"start","id":"a"})");
    ASSERT_TRUE(QTest::qWaitFor([&] { return changed.size() == 3; }, 10000));
}

TEST_F(ContainerWatchTest, AnEngineThatRefusesTheStreamIsAskedAgain)
{
    m_engine->route("GET /events?filters=" + QUrl::toPercentEncoding(kWatchedEvents),
                    {503, R"({"message":"starting"})"});
    ContainerWatch watch(QStringLiteral("test"), kWatchedEvents);
    watch.setReopenDelay(std::chrono::milliseconds(100));
    QSignalSpy changed(&watch, &ContainerWatch::changed);
    watch.engineUp(m_engine->port(), m_tls);
    ASSERT_TRUE(QTest::qWaitFor([&] { return m_engine->requests.size() >= 2; }, 10000));
    EXPECT_EQ(changed.size(), 0);
    m_engine->route("GET /events?filters=" + QUrl::toPercentEncoding(kWatchedEvents),
                    {200, {}, false, /*stream=*/true});
    ASSERT_TRUE(QTest::qWaitFor([&] { return changed.size() == 1; }, 10000));
}

}  // namespace
