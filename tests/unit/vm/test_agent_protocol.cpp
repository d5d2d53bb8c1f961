#include "agent_channel.h"
#include "agent_protocol.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <QSignalSpy>

using namespace berth::vm;
namespace contracts = berth::contracts;

namespace {

template <typename T> T parseAs(const char* line)
{
    const auto result = agent::parseLine(line);
    EXPECT_TRUE(result.message.has_value()) << result.error.toStdString();
    EXPECT_TRUE(std::holds_alternative<T>(*result.message));
    return std::get<T>(*result.message);
}

}  // namespace

TEST(AgentProtocol, ParsesEveryGuestMessage)
{
    const auto hello = parseAs<contracts::agent::Hello>(R"({"type":"hello","version":1,"agent":"berth-agent 0.1"})");
    EXPECT_EQ(hello.version, 1);
    EXPECT_EQ(hello.agent, "berth-agent 0.1");
    EXPECT_TRUE(hello.features.empty());
    EXPECT_EQ(
        parseAs<contracts::agent::Hello>(R"({"type":"hello","version":1,"features":["time",7,"later"]})").features,
        std::vector<std::string>({"time", "later"}));
    EXPECT_EQ(parseAs<contracts::agent::Phase>(R"({"type":"phase","name":"dockerd"})").name, "dockerd");
    const auto ready = parseAs<contracts::agent::Ready>(R"({"type":"ready","version":1,"config":{"eci":true}})");
    EXPECT_EQ(ready.config, nlohmann::json({{"eci", true}}));
    const auto error = parseAs<contracts::agent::Error>(R"({"type":"error","step":"mount","message":"no data disk"})");
    EXPECT_EQ(error.step, "mount");
    EXPECT_EQ(error.message, "no data disk");
    EXPECT_EQ(parseAs<contracts::agent::Status>(R"({"type":"status","state":"ready"})").state, "ready");
    parseAs<contracts::agent::ShuttingDown>(R"({"type":"shutting-down"})");
}

TEST(AgentProtocol, TheTimeRequestCarriesTheHostsClockInMilliseconds)
{
    EXPECT_EQ(agent::timeRequest(1'764'500'000'123),
              QByteArray(R"({"type":"time","unixMillis":1764500000123})"
                         "\n"));
}

TEST(AgentProtocol, RejectsMalformedMessagesWithAReason)
{
    for (const char* line :
         {"garbage", "", "[1,2]", "{\"type\":5}", "{\"type\":\"hello\"}", "{\"type\":\"hello\",\"version\":\"1\"}",
          "{\"type\":\"phase\"}", "{\"type\":\"error\",\"step\":\"x\"}", "{\"type\":\"launch-missiles\"}",
          "{\"type\":\"ready\",\"config\":{}}", "\xff\xfe{"}) {
        const auto result = agent::parseLine(line);
        EXPECT_FALSE(result.message.has_value()) << line;
        EXPECT_FALSE(result.error.isEmpty()) << line;
    }
}

TEST(AgentProtocol, HostRequestsAreSingleJsonLines)
{
    EXPECT_EQ(agent::statusRequest(), "{\"type\":\"status\"}\n");
    const QByteArray shutdown = agent::shutdownRequest(20);
    ASSERT_TRUE(shutdown.endsWith('\n'));
    EXPECT_EQ(shutdown.count('\n'), 1);
    EXPECT_EQ(nlohmann::json::parse(shutdown.toStdString()), nlohmann::json({{"type", "shutdown"}, {"timeout", 20}}));
}

TEST(AgentChannel, DecodesLinesSplitAcrossReads)
{
    AgentChannel channel;
    QSignalSpy phases(&channel, &AgentChannel::phase);
    QSignalSpy ready(&channel, &AgentChannel::ready);
    channel.feed(R"({"type":"pha)");
    channel.feed("se\",\"name\":\"one\"}\r\n{\"type\":\"phase\",\"name\":\"two\"}\n{\"type\":\"ready\",\"version\":1,");
    EXPECT_EQ(phases.count(), 2);
    EXPECT_EQ(ready.count(), 0);
    channel.feed("\"config\":{\"a\":1}}\n");
    ASSERT_EQ(ready.count(), 1);
    EXPECT_EQ(nlohmann::json::parse(ready.at(0).at(0).toByteArray().toStdString()), nlohmann::json({{"a", 1}}));
}

TEST(AgentChannel, OversizedLineIsRejectedAndTheNextLineStillWorks)
{
    AgentChannel channel;
    QSignalSpy errors(&channel, &AgentChannel::protocolError);
    QSignalSpy phases(&channel, &AgentChannel::phase);
    const QByteArray huge = "{\"type\":\"phase\",\"name\":\"" + QByteArray(70 * 1024, 'x') + "\"}";
    // Delivered in small chunks, as a socket would: the channel must not buffer it all.
    for (qsizetype i = 0; i < huge.size(); i += 4096) { channel.feed(huge.mid(i, 4096)); }
    channel.feed("\n{\"type\":\"phase\",\"name\":\"after\"}\n");
    ASSERT_EQ(errors.count(), 1);
    EXPECT_THAT(errors.at(0).at(0).toString().toStdString(), ::testing::HasSubstr("limit"));
    ASSERT_EQ(phases.count(), 1);
    EXPECT_EQ(phases.at(0).at(0).toString(), "after");
}

TEST(AgentChannel, LineAtTheLimitIsAccepted)
{
    AgentChannel channel;
    QSignalSpy phases(&channel, &AgentChannel::phase);
    const QByteArray prefix = "{\"type\":\"phase\",\"name\":\"";
    const QByteArray suffix = "\"}";
    const auto limit = static_cast<qsizetype>(contracts::agent::kMaxLineBytes);
    const QByteArray line = prefix + QByteArray(limit - prefix.size() - suffix.size(), 'y') + suffix;
    ASSERT_EQ(line.size(), limit);
    channel.feed(line + '\n');
    EXPECT_EQ(phases.count(), 1);
}

TEST(AgentChannel, GarbageIsReportedWithoutStoppingTheChannel)
{
    AgentChannel channel;
    QSignalSpy errors(&channel, &AgentChannel::protocolError);
    QSignalSpy hello(&channel, &AgentChannel::hello);
    channel.feed(QByteArray("\x00\x01\x02 not json\n{\"type\":\n", 22));
    channel.feed("{\"type\":\"hello\",\"version\":1,\"agent\":\"a\"}\n");
    EXPECT_EQ(errors.count(), 2);
    EXPECT_EQ(hello.count(), 1);
    EXPECT_TRUE(channel.isAgentKnown());
}

TEST(AgentChannel, UnknownProtocolVersionIsIncompatible)
{
    AgentChannel channel;
    QSignalSpy hello(&channel, &AgentChannel::hello);
    QSignalSpy incompatible(&channel, &AgentChannel::incompatibleAgent);
    QSignalSpy ready(&channel, &AgentChannel::ready);
    channel.feed(
        "{\"type\":\"hello\",\"version\":2,\"agent\":\"future\"}\n{\"type\":\"ready\",\"version\":2,\"config\":{}}\n");
    EXPECT_EQ(hello.count(), 0);
    EXPECT_EQ(incompatible.count(), 1);
    EXPECT_EQ(ready.count(), 0);
    EXPECT_FALSE(channel.isAgentKnown());
}
