// The strict JSON reader behind the admin and user files: every error has a line and column.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>

#include "berth/settings/json_text.h"
#include "settings_test_support.h"

using namespace berth::settings;
using ::testing::HasSubstr;
using ::testing::StartsWith;

namespace {

JsonTextError parseFailure(std::string_view text)
{
    auto result = parseLocatedJson(text);
    // Thrown, the test ends here and is reported as failed.
    if (!std::holds_alternative<JsonTextError>(result)) { throw std::logic_error("expected a parse failure"); }
    return std::get<JsonTextError>(result);
}

}  // namespace

TEST(JsonText, PositionsOfNestedValues)
{
    const std::string text = "{\n  \"a\": {\n    \"b\": [1, \"x\"]\n  },\n  \"c\": true\n}";
    auto result = parseLocatedJson(text);
    ASSERT_TRUE(std::holds_alternative<LocatedJson>(result));
    const auto& doc = std::get<LocatedJson>(result);
    EXPECT_EQ(doc.positionOf("/a").line, 2);
    EXPECT_EQ(doc.positionOf("/a").column, 8);
    EXPECT_EQ(doc.positionOf("/a/b/1").line, 3);
    EXPECT_EQ(doc.positionOf("/a/b/1").column, 14);
    EXPECT_EQ(doc.positionOf("/c").line, 5);
    // A pointer that is not in the document falls back to its nearest ancestor.
    EXPECT_EQ(doc.positionOf("/a/missing").line, 2);
}

TEST(JsonText, ColumnsCountCharactersNotBytes)
{
    const std::string text = "{\"\xC3\xA9\xC3\xA9\": 1, \"b\": 2}";
    const auto doc = std::get<LocatedJson>(parseLocatedJson(text));
    EXPECT_EQ(doc.positionOf("/b").column, 16);
}

TEST(JsonText, PointerEscapesSlashAndTilde)
{
    const auto doc = std::get<LocatedJson>(parseLocatedJson("{\"a/b~c\": 1}"));
    EXPECT_TRUE(doc.positions.contains("/a~1b~0c"));
}

TEST(JsonText, ByteOrderMarkIsRejected)
{
    const auto e = parseFailure("\xEF\xBB\xBF{}");
    EXPECT_EQ(e.at.line, 1);
    EXPECT_EQ(e.at.column, 1);
    EXPECT_THAT(e.message, HasSubstr("byte order mark"));
    EXPECT_THAT(e.fix, HasSubstr("without BOM"));
}

TEST(JsonText, InvalidUtf8IsRejectedWhereItStands)
{
    const auto e = parseFailure("{\n  \"a\": \"x\xC3\x28\"\n}");
    EXPECT_EQ(e.at.line, 2);
    EXPECT_EQ(e.at.column, 10);
    EXPECT_THAT(e.message, HasSubstr("invalid UTF-8"));
    // Overlong encodings and surrogates are not UTF-8 either.
    EXPECT_THAT(parseFailure("\"\xC0\xAF\"").message, HasSubstr("UTF-8"));
    EXPECT_THAT(parseFailure("\"\xED\xA0\x80\"").message, HasSubstr("UTF-8"));
}

TEST(JsonText, TrailingCommaPointsAtTheComma)
{
    const auto e = parseFailure("{\n  \"a\": 1,\n}");
    EXPECT_EQ(e.at.line, 2);
    EXPECT_EQ(e.at.column, 9);
    EXPECT_THAT(e.message, HasSubstr("trailing comma"));
    const auto inArray = parseFailure("[1, 2 , ]");
    EXPECT_EQ(inArray.at.column, 7);
}

TEST(JsonText, SyntaxErrorsAreLocated)
{
    const auto e = parseFailure("{\n  \"a\": 1\n  \"b\": 2\n}");
    EXPECT_EQ(e.at.line, 3);
    EXPECT_EQ(e.at.column, 3);
    EXPECT_THAT(e.message, StartsWith("JSON syntax error"));
}

TEST(JsonText, HugeNumbersAreAnErrorNotACrash)
{
    const auto e = parseFailure("{\n  \"a\": 190000010018821e026034\n}");
    EXPECT_EQ(e.at.line, 2);
    EXPECT_EQ(e.at.column, 8);
    EXPECT_THAT(e.message, HasSubstr("number out of range"));
}

TEST(JsonText, CommentsAreRejected)
{
    EXPECT_EQ(parseFailure("{\n// no\n}").at.line, 2);
}

TEST(JsonText, EmptyTextSaysSo)
{
    EXPECT_THAT(parseFailure("  \n").message, HasSubstr("empty"));
}

TEST(JsonText, DuplicateMembersAreRejected)
{
    const auto e = parseFailure("{\"a\": 1,\n \"a\": 2}");
    EXPECT_EQ(e.at.line, 2);
    EXPECT_EQ(e.at.column, 2);
    EXPECT_THAT(e.message, HasSubstr("first defined at line 1, column 2"));
    // The same name in different objects is fine.
    EXPECT_TRUE(std::holds_alternative<LocatedJson>(parseLocatedJson("{\"a\": {\"a\": 1}, \"b\": {\"a\": 2}}")));
}

TEST(JsonText, EscapedNamesAreComparedDecoded)
{
    EXPECT_TRUE(std::holds_alternative<JsonTextError>(parseLocatedJson("{\"a\": 1, \"\\u0061\": 2}")));
}

TEST(JsonText, DeepNestingIsRefusedWithoutCrashing)
{
    const std::string deep = std::string(100000, '[') + std::string(100000, ']');
    EXPECT_THAT(parseFailure(deep).message, HasSubstr("nesting"));
    const std::string ok = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
    EXPECT_TRUE(std::holds_alternative<LocatedJson>(parseLocatedJson(ok)));
}
