#include "protocol.h"

#include <gtest/gtest.h>

#include <string>

using namespace berth::guest::agent;
using nlohmann::json;

namespace {

template <typename T> T requestAs(std::string_view line)
{
    const Request request = parseRequest(line);
    EXPECT_TRUE(std::holds_alternative<T>(request)) << line << " gave alternative " << request.index();
    return std::holds_alternative<T>(request) ? std::get<T>(request) : T{};
}

}  // namespace

TEST(GuestProtocol, MessagesAreOneJsonLineEach)
{
    EXPECT_EQ(toLine(helloMessage()),
              R"({"agent":"berth-guest-agent","features":["time"],"type":"hello","version":1})"
              "\n");
    EXPECT_EQ(toLine(phaseMessage("reading guest config")),
              R"({"name":"reading guest config","type":"phase"})"
              "\n");
    EXPECT_EQ(toLine(readyMessage({{"configVersion", 1}})),
              R"({"config":{"configVersion":1},"type":"ready","version":1})"
              "\n");
    EXPECT_EQ(toLine(errorMessage("boot", "a\nb")),
              R"({"message":"a\nb","step":"boot","type":"error"})"
              "\n");
    EXPECT_EQ(toLine(statusMessage("ready")),
              R"({"state":"ready","type":"status"})"
              "\n");
    EXPECT_EQ(toLine(shuttingDownMessage()),
              R"({"type":"shutting-down"})"
              "\n");
}

TEST(GuestProtocol, BytesThatAreNotUtf8StillMakeAValidLine)
{
    const std::string line = toLine(errorMessage("channel", "unknown request: \xff\xfe{"));
    EXPECT_TRUE(json::accept(line)) << line;
    EXPECT_EQ(json::parse(line)["message"], "unknown request: \xEF\xBF\xBD\xEF\xBF\xBD{");
}

TEST(GuestProtocol, RequestsAreRead)
{
    requestAs<StatusRequest>(R"({"type":"status"})");
    EXPECT_EQ(requestAs<ShutdownRequest>(R"({"type":"shutdown","timeout":7})").timeoutSeconds, 7);
    EXPECT_EQ(requestAs<ShutdownRequest>(R"({"type":"shutdown"})").timeoutSeconds, kDefaultShutdownSeconds);
    EXPECT_EQ(requestAs<ShutdownRequest>(R"({"type":"shutdown","timeout":"soon"})").timeoutSeconds,
              kDefaultShutdownSeconds);
    EXPECT_EQ(requestAs<TimeRequest>(R"({"type":"time","unixMillis":1700000000123})").unixMillis, 1700000000123);
    requestAs<EmptyLine>("");
    requestAs<EmptyLine>(" \t\r");
}

TEST(GuestProtocol, ShutdownTimeoutsAreClamped)
{
    EXPECT_EQ(requestAs<ShutdownRequest>(R"({"type":"shutdown","timeout":0})").timeoutSeconds, 1);
    EXPECT_EQ(requestAs<ShutdownRequest>(R"({"type":"shutdown","timeout":-5})").timeoutSeconds, 1);
    EXPECT_EQ(requestAs<ShutdownRequest>(R"({"type":"shutdown","timeout":99999})").timeoutSeconds, 3600);
    EXPECT_EQ(requestAs<ShutdownRequest>(R"({"type":"shutdown","timeout":18446744073709551615})").timeoutSeconds, 3600);
    EXPECT_EQ(requestAs<ShutdownRequest>(R"({"type":"shutdown","timeout":-9223372036854775808})").timeoutSeconds, 1);
}

TEST(GuestProtocol, WhatCannotBeActedOnIsABadRequestNamingIt)
{
    EXPECT_EQ(requestAs<BadRequest>("this is not json").message, "unknown request: this is not json");
    EXPECT_EQ(requestAs<BadRequest>("[1,2,3]").message, "unknown request: [1,2,3]");
    EXPECT_EQ(requestAs<BadRequest>(R"({"kind":"status"})").message, R"(unknown request: {"kind":"status"})");
    EXPECT_EQ(requestAs<BadRequest>(R"({"type":"reticulate"})").message, R"(unknown request: {"type":"reticulate"})");
    EXPECT_EQ(requestAs<BadRequest>(std::string(200, 'x')).message, "unknown request: " + std::string(80, 'x'));
    EXPECT_EQ(requestAs<BadRequest>(R"({"type":"time"})").message, R"(time request without an integer "unixMillis")");
    EXPECT_EQ(requestAs<BadRequest>(R"({"type":"time","unixMillis":1.5})").message,
              R"(time request without an integer "unixMillis")");
    // Clocks no host has: far from where the step to them could overflow.
    EXPECT_NE(requestAs<BadRequest>(R"({"type":"time","unixMillis":-1})").message.find("out of range"),
              std::string::npos);
    EXPECT_NE(requestAs<BadRequest>(R"({"type":"time","unixMillis":9223372036854775807})").message.find("out of range"),
              std::string::npos);
}

TEST(GuestLineReader, LinesComeOutWhateverTheChunks)
{
    LineReader reader;
    EXPECT_TRUE(reader.feed("{\"type\":").empty());
    const auto lines = reader.feed("\"status\"}\n\nsecond\nthi");
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[0].text, R"({"type":"status"})");
    EXPECT_EQ(lines[1].text, "");
    EXPECT_EQ(lines[2].text, "second");
    const auto rest = reader.feed("rd\n");
    ASSERT_EQ(rest.size(), 1u);
    EXPECT_EQ(rest[0].text, "third");
}

TEST(GuestLineReader, AnOverlongLineComesOutOnceInItsPlaceAndReadingGoesOn)
{
    LineReader reader(8);
    auto lines = reader.feed("before\n12345678\n123456789");
    lines.push_back({"--", false});
    for (auto& line : reader.feed(std::string(100'000, 'x') + "\nafter\n")) { lines.push_back(line); }
    ASSERT_EQ(lines.size(), 5u);
    EXPECT_EQ(lines[0].text, "before");
    EXPECT_EQ(lines[1].text, "12345678");
    EXPECT_FALSE(lines[1].tooLong);
    EXPECT_EQ(lines[2].text, "--");
    EXPECT_TRUE(lines[3].tooLong);
    EXPECT_EQ(lines[3].text, "");
    EXPECT_EQ(lines[4].text, "after");
    EXPECT_FALSE(lines[4].tooLong);
}
