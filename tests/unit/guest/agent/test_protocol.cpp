#include "protocol.h"

#include <gtest/gtest.h>

#include <string>

using namespace berth::guest::agent;

namespace {

template <typename T> T requestAs(std::string_view line)
{
    const Request request = readRequest(line);
    EXPECT_TRUE(std::holds_alternative<T>(request)) << line << " gave alternative " << request.index();
    return std::holds_alternative<T>(request) ? std::get<T>(request) : T{};
}

}  // namespace

TEST(GuestProtocol, HelloNamesTheAgentAndItsFeatures)
{
    EXPECT_EQ(protocol::toLine(helloMessage()),
              R"({"agent":"berth-guest-agent","features":["time"],"type":"hello","version":1})"
              "\n");
}

TEST(GuestProtocol, RequestsAreRead)
{
    requestAs<protocol::StatusRequest>(R"({"type":"status"})");
    EXPECT_EQ(requestAs<protocol::ShutdownRequest>(R"({"type":"shutdown","timeout":7})").timeoutSeconds, 7);
    EXPECT_EQ(requestAs<protocol::TimeRequest>(R"({"type":"time","unixMillis":1700000000123})").unixMillis,
              1700000000123);
    requestAs<EmptyLine>("");
    requestAs<EmptyLine>(" \t\r");
}

TEST(GuestProtocol, WhatCannotBeActedOnIsABadRequestNamingIt)
{
    EXPECT_EQ(requestAs<BadRequest>("this is not json").message, "unknown request: this is not json");
    EXPECT_EQ(requestAs<BadRequest>("[1,2,3]").message, "unknown request: [1,2,3]");
    EXPECT_EQ(requestAs<BadRequest>(R"({"kind":"status"})").message, R"(unknown request: {"kind":"status"})");
    EXPECT_EQ(requestAs<BadRequest>(R"({"type":"time"})").message, R"(time request without an integer "unixMillis")");
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
