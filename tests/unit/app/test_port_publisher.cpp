// PortPublisher against a fake engine over TLS: the forwards follow the running containers'
// published ports as the engine's events come, through a recording `forward`.
#include "port_publisher.h"

#include "berth/endpoint/endpoint_certs.h"
#include "fake_engine_test.h"

#include <gtest/gtest.h>

#include <QTemporaryDir>
#include <QTest>
#include <QUrl>

using berth::endpoint::ContainerSummary;
using berth::endpoint::DockerApi;
using berth::endpoint::PublishedPort;
using berth::endpoint::testing::FakeDockerApi;
using berth::engine::PortPublisher;
using berth::vm::HostPort;

namespace {

ContainerSummary container(const QString& state, QList<PublishedPort> ports)
{
    ContainerSummary c;
    c.id = "c0ffee";
    c.state = state;
    c.ports = std::move(ports);
    return c;
}

TEST(PortPublisherRules, OnlyRunningContainersPortsOnEveryAddressOnceAndNeverBerthsOwn)
{
    const QList<ContainerSummary> containers{
        container("running", {{"tcp", "0.0.0.0", 8080}, {"tcp", "::", 8080}, {"udp", "0.0.0.0", 8080}}),
        container("running", {{"tcp", "127.0.0.1", 9000}, {"tcp", "", 9001}, {"sctp", "0.0.0.0", 9002}}),
        container("running", {{"tcp", "0.0.0.0", 2375}, {"tcp", "0.0.0.0", 45001}}),
        container("exited", {{"tcp", "0.0.0.0", 7000}}),
        container("paused", {{"tcp", "0.0.0.0", 7001}}),
    };
    EXPECT_EQ(PortPublisher::wantedPorts(containers, {2375, 45001}),
              (QList<HostPort>{{"tcp", 8080}, {"udp", 8080}, {"tcp", 9001}}));
}

class PortPublisherTest : public berth::endpoint::testing::FakeEngineTest {
protected:
    void SetUp() override
    {
        FakeEngineTest::SetUp();
        if (HasFatalFailure()) { return; }
        m_engine->route("GET /events?filters="
                            + QUrl::toPercentEncoding(R"({"type":["container"],"event":["start","die"]})"),
                        {200, {}, false, /*stream=*/true});
    }
    void containersAre(const QByteArray& json) { m_engine->route("GET /containers/json?all=1", {200, json}); }
    PortPublisher::Forward recorder()
    {
        return [this](const HostPort& port, bool enabled, berth::vm::VirtualMachine::ForwardDone done) {
            m_calls << QStringLiteral("%1 %2/%3").arg(enabled ? "+" : "-").arg(port.port).arg(port.protocol);
            done(m_refused.contains(port.port) ? QStringLiteral("Could not set up host forwarding rule") : QString());
        };
    }

    QStringList m_calls;
    QSet<quint16> m_refused;
};

TEST_F(PortPublisherTest, ForwardsFollowTheContainersAsTheirEventsCome)
{
    containersAre(R"([{"Id":"a","State":"running","Ports":[{"IP":"0.0.0.0","PublicPort":8080,"Type":"tcp"}]}])");
    PortPublisher publisher(recorder());
    publisher.engineUp(m_engine->port(), m_tls, {});
    ASSERT_TRUE(QTest::qWaitFor([&] { return m_calls.size() == 1; }, 10000));
    EXPECT_EQ(m_calls, QStringList{"+ 8080/tcp"});
    EXPECT_EQ(publisher.published(), (QList<HostPort>{{"tcp", 8080}}));

    // The container stopped and another started: one listing for both events.
    containersAre(R"([{"Id":"a","State":"exited","Ports":[]},)"
                  R"( {"Id":"b","State":"running","Ports":[{"IP":"::","PublicPort":5353,"Type":"udp"}]}])");
    m_engine->pushEvent(R"({"Type":"container","Action":"die","id":"a"})");
    m_engine->pushEvent(R"({"Type":"container","Action":"start","id":"b"})");
    ASSERT_TRUE(QTest::qWaitFor([&] { return m_calls.size() == 3; }, 10000));
    EXPECT_EQ(m_calls, (QStringList{"+ 8080/tcp", "- 8080/tcp", "+ 5353/udp"}));
    EXPECT_EQ(publisher.published(), (QList<HostPort>{{"udp", 5353}}));
    QTest::qWait(400);
    EXPECT_EQ(m_calls.size(), 3);  // debounced: no second listing

    // The engine stopped: its forwards went with the VM, and nothing more is asked.
    publisher.engineDown();
    EXPECT_TRUE(publisher.published().isEmpty());
    m_engine->pushEvent(R"({"Type":"container","Action":"start","id":"b"})");
    QTest::qWait(400);
    EXPECT_EQ(m_calls.size(), 3);
}

TEST_F(PortPublisherTest, AHostPortThatIsTakenIsNotPublishedAndTriedAgainLater)
{
    containersAre(R"([{"Id":"a","State":"running","Ports":[{"IP":"0.0.0.0","PublicPort":8080,"Type":"tcp"}]}])");
    m_refused = {8080};
    PortPublisher publisher(recorder());
    publisher.engineUp(m_engine->port(), m_tls, {});
    ASSERT_TRUE(QTest::qWaitFor([&] { return m_calls.size() == 1; }, 10000));
    EXPECT_TRUE(publisher.published().isEmpty());
    m_refused.clear();
    m_engine->pushEvent(R"({"Type":"container","Action":"start","id":"c"})");
    ASSERT_TRUE(QTest::qWaitFor([&] { return m_calls.size() == 2; }, 10000));
    EXPECT_EQ(m_calls.last(), "+ 8080/tcp");
    EXPECT_EQ(publisher.published(), (QList<HostPort>{{"tcp", 8080}}));
}

TEST_F(PortPublisherTest, AStreamTheEngineClosedIsOpenedAgain)
{
    containersAre(R"([])");
    PortPublisher publisher(recorder());
    publisher.engineUp(m_engine->port(), m_tls, {});
    ASSERT_TRUE(QTest::qWaitFor([&] { return m_engine->openStreams() == 1; }, 10000));
    m_engine->closeStreams();
    ASSERT_TRUE(QTest::qWaitFor([&] { return m_engine->openStreams() == 1; }, 10000));
    containersAre(R"([{"Id":"a","State":"running","Ports":[{"IP":"0.0.0.0","PublicPort":3000,"Type":"tcp"}]}])");
    m_engine->pushEvent(R"({"Type":"container","Action":"start","id":"a"})");
    ASSERT_TRUE(QTest::qWaitFor([&] { return m_calls.size() == 1; }, 10000));
    EXPECT_EQ(m_calls, QStringList{"+ 3000/tcp"});
}

}  // namespace
