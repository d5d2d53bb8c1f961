#include <QtTest>

#include "berth/settings/json_text.h"
#include "settings_test_support.h"

using namespace berth::settings;

class TestJsonText : public QObject {
    Q_OBJECT

private:
    static JsonTextError failure(std::string_view text)
    {
        auto result = parseLocatedJson(text);
        if (!std::holds_alternative<JsonTextError>(result)) { qFatal("expected a parse failure"); }
        return std::get<JsonTextError>(result);
    }

private slots:
    void positionsOfNestedValues()
    {
        const std::string text = "{\n  \"a\": {\n    \"b\": [1, \"x\"]\n  },\n  \"c\": true\n}";
        auto result = parseLocatedJson(text);
        QVERIFY(std::holds_alternative<LocatedJson>(result));
        const auto& doc = std::get<LocatedJson>(result);
        QCOMPARE(doc.positionOf("/a").line, 2);
        QCOMPARE(doc.positionOf("/a").column, 8);
        QCOMPARE(doc.positionOf("/a/b/1").line, 3);
        QCOMPARE(doc.positionOf("/a/b/1").column, 14);
        QCOMPARE(doc.positionOf("/c").line, 5);
        // A pointer that is not in the document falls back to its nearest ancestor.
        QCOMPARE(doc.positionOf("/a/missing").line, 2);
    }

    void columnsCountCharactersNotBytes()
    {
        const std::string text = "{\"\xC3\xA9\xC3\xA9\": 1, \"b\": 2}";
        const auto doc = std::get<LocatedJson>(parseLocatedJson(text));
        QCOMPARE(doc.positionOf("/b").column, 16);
    }

    void pointerEscapesSlashAndTilde()
    {
        const auto doc = std::get<LocatedJson>(parseLocatedJson("{\"a/b~c\": 1}"));
        QVERIFY(doc.positions.contains("/a~1b~0c"));
    }

    void byteOrderMarkIsRejected()
    {
        const auto e = failure("\xEF\xBB\xBF{}");
        QCOMPARE(e.at.line, 1);
        QCOMPARE(e.at.column, 1);
        QVERIFY(QString::fromStdString(e.message).contains("byte order mark"));
        QVERIFY(QString::fromStdString(e.fix).contains("without BOM"));
    }

    void invalidUtf8IsRejectedWhereItStands()
    {
        const auto e = failure("{\n  \"a\": \"x\xC3\x28\"\n}");
        QCOMPARE(e.at.line, 2);
        QCOMPARE(e.at.column, 10);
        QVERIFY(QString::fromStdString(e.message).contains("invalid UTF-8"));
        // Overlong encodings and surrogates are not UTF-8 either.
        QVERIFY(QString::fromStdString(failure("\"\xC0\xAF\"").message).contains("UTF-8"));
        QVERIFY(QString::fromStdString(failure("\"\xED\xA0\x80\"").message).contains("UTF-8"));
    }

    void trailingCommaPointsAtTheComma()
    {
        const auto e = failure("{\n  \"a\": 1,\n}");
        QCOMPARE(e.at.line, 2);
        QCOMPARE(e.at.column, 9);
        QVERIFY(QString::fromStdString(e.message).contains("trailing comma"));
        const auto inArray = failure("[1, 2 , ]");
        QCOMPARE(inArray.at.column, 7);
    }

    void syntaxErrorsAreLocated()
    {
        const auto e = failure("{\n  \"a\": 1\n  \"b\": 2\n}");
        QCOMPARE(e.at.line, 3);
        QCOMPARE(e.at.column, 3);
        QVERIFY(QString::fromStdString(e.message).startsWith("JSON syntax error"));
    }

    void hugeNumbersAreAnErrorNotACrash()
    {
        const auto e = failure("{\n  \"a\": 190000010018821e026034\n}");
        QCOMPARE(e.at.line, 2);
        QCOMPARE(e.at.column, 8);
        QVERIFY(QString::fromStdString(e.message).contains("number out of range"));
    }

    void commentsAreRejected() { QCOMPARE(failure("{\n// no\n}").at.line, 2); }

    void emptyTextSaysSo() { QVERIFY(QString::fromStdString(failure("  \n").message).contains("empty")); }

    void duplicateMembersAreRejected()
    {
        const auto e = failure("{\"a\": 1,\n \"a\": 2}");
        QCOMPARE(e.at.line, 2);
        QCOMPARE(e.at.column, 2);
        QVERIFY(QString::fromStdString(e.message).contains("first defined at line 1, column 2"));
        // The same name in different objects is fine.
        QVERIFY(std::holds_alternative<LocatedJson>(parseLocatedJson("{\"a\": {\"a\": 1}, \"b\": {\"a\": 2}}")));
    }

    void escapedNamesAreComparedDecoded()
    {
        QVERIFY(std::holds_alternative<JsonTextError>(parseLocatedJson("{\"a\": 1, \"\\u0061\": 2}")));
    }

    void deepNestingIsRefusedWithoutCrashing()
    {
        const std::string deep = std::string(100000, '[') + std::string(100000, ']');
        QVERIFY(QString::fromStdString(failure(deep).message).contains("nesting"));
        const std::string ok = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
        QVERIFY(std::holds_alternative<LocatedJson>(parseLocatedJson(ok)));
    }
};

QTEST_APPLESS_MAIN(TestJsonText)
#include "tst_json_text.moc"
