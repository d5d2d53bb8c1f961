#include "berth/contracts/agent_protocol.h"

#include <gtest/gtest.h>

#include <string>

using namespace berth::contracts::agent;
using nlohmann::json;

namespace {

template <typename T> T hostRequestAs(std::string_view line)
{
    std::string error;
    const auto request = parseHostRequest(line, &error);
    EXPECT_TRUE(request && std::holds_alternative<T>(*request)) << line << ": " << error;
    return request && std::holds_alternative<T>(*request) ? std::get<T>(*request) : T{};
}

std::string hostRequestError(std::string_view line)
{
    std::string error;
    EXPECT_FALSE(parseHostRequest(line, &error)) << line;
    return error;
}

}  // namespace

TEST(AgentProtocol, EachMessageIsOneJsonLine)
{
    EXPECT_EQ(toLine(Hello{1, "berth-guest-agent", {"time"}}),
              R"({"agent":"berth-guest-agent","features":["time"],"type":"hello","version":1})"
              "\n");
    EXPECT_EQ(toLine(Phase{"reading guest config"}),
              R"({"name":"reading guest config","type":"phase"})"
              "\n");
    EXPECT_EQ(toLine(Ready{1, {{"configVersion", 1}}}),
              R"({"config":{"configVersion":1},"type":"ready","version":1})"
              "\n");
    EXPECT_EQ(toLine(Error{"boot", "a\nb"}),
              R"({"message":"a\nb","step":"boot","type":"error"})"
              "\n");
    EXPECT_EQ(toLine(Status{"ready"}),
              R"({"state":"ready","type":"status"})"
              "\n");
    EXPECT_EQ(toLine(ShuttingDown{}),
              R"({"type":"shutting-down"})"
              "\n");
    EXPECT_EQ(toLine(StatusRequest{}),
              R"({"type":"status"})"
              "\n");
    EXPECT_EQ(toLine(ShutdownRequest{20}),
              R"({"timeout":20,"type":"shutdown"})"
              "\n");
    EXPECT_EQ(toLine(TimeRequest{1'764'500'000'123}),
              R"({"type":"time","unixMillis":1764500000123})"
              "\n");
}

TEST(AgentProtocol, WhatOneSideWritesTheOtherReads)
{
    for (const GuestMessage& message :
         std::initializer_list<GuestMessage>{Hello{1, "a", {"time"}}, Phase{"p"}, Ready{1, {{"x", 1}}}, Error{"s", "m"},
                                             Status{"ready"}, ShuttingDown{}}) {
        std::string line = toLine(message);
        line.pop_back();
        std::string error;
        const auto read = parseGuestMessage(line, &error);
        ASSERT_TRUE(read) << line << ": " << error;
        EXPECT_EQ(read->index(), message.index());
        EXPECT_EQ(toLine(*read), line + "\n");
    }
}

TEST(AgentProtocol, BytesThatAreNotUtf8StillMakeAValidLine)
{
    const std::string line = toLine(Error{"channel", "unknown request: \xff\xfe{"});
    EXPECT_TRUE(json::accept(line)) << line;
    EXPECT_EQ(json::parse(line)["message"], "unknown request: \xEF\xBF\xBD\xEF\xBF\xBD{");
}

TEST(AgentProtocol, ShutdownTimeoutsAreClamped)
{
    EXPECT_EQ(hostRequestAs<ShutdownRequest>(R"({"type":"shutdown"})").timeoutSeconds, kDefaultShutdownSeconds);
    EXPECT_EQ(hostRequestAs<ShutdownRequest>(R"({"type":"shutdown","timeout":"soon"})").timeoutSeconds,
              kDefaultShutdownSeconds);
    EXPECT_EQ(hostRequestAs<ShutdownRequest>(R"({"type":"shutdown","timeout":0})").timeoutSeconds, 1);
    EXPECT_EQ(hostRequestAs<ShutdownRequest>(R"({"type":"shutdown","timeout":-5})").timeoutSeconds, 1);
    EXPECT_EQ(hostRequestAs<ShutdownRequest>(R"({"type":"shutdown","timeout":99999})").timeoutSeconds, 3600);
    EXPECT_EQ(hostRequestAs<ShutdownRequest>(R"({"type":"shutdown","timeout":18446744073709551615})").timeoutSeconds,
              3600);
    EXPECT_EQ(hostRequestAs<ShutdownRequest>(R"({"type":"shutdown","timeout":-9223372036854775808})").timeoutSeconds,
              1);
}

TEST(AgentProtocol, AHostRequestItCannotActOnIsNamed)
{
    EXPECT_EQ(hostRequestError("this is not json"), "unknown request: this is not json");
    EXPECT_EQ(hostRequestError(R"({"type":"reticulate"})"), R"(unknown request: {"type":"reticulate"})");
    EXPECT_EQ(hostRequestError(std::string(200, 'x')), "unknown request: " + std::string(80, 'x'));
    EXPECT_EQ(hostRequestError(R"({"type":"time","unixMillis":1.5})"),
              R"(time request without an integer "unixMillis")");
    // Clocks no host has: far from where the step to them could overflow.
    EXPECT_NE(hostRequestError(R"({"type":"time","unixMillis":-1})").find("out of range"), std::string::npos);
    EXPECT_NE(hostRequestError(R"({"type":"time","unixMillis":9223372036854775807})").find("out of range"),
              std::string::npos);
}
