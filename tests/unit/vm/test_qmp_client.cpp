#include "qemu/qmp_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <QLocalServer>
#include <QLocalSocket>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

using namespace berth::vm;
using namespace std::chrono_literals;

namespace {

// The QEMU side of a QMP socket, scripted by the test.
class QmpServer {
public:
    explicit QmpServer(const QString& path) : m_path(path) {}
    void listen()
    {
        ASSERT_TRUE(m_server.listen(m_path));
        QObject::connect(&m_server, &QLocalServer::newConnection, [this] {
            client = m_server.nextPendingConnection();
            QObject::connect(client, &QLocalSocket::readyRead, [this] {
                m_buffer += client->readAll();
                qsizetype newline;
                while ((newline = m_buffer.indexOf('\n')) >= 0) {
                    received.push_back(nlohmann::json::parse(m_buffer.left(newline).toStdString()));
                    m_buffer.remove(0, newline + 1);
                }
            });
        });
    }
    bool waitForClient()
    {
        return QTest::qWaitFor([this] { return client != nullptr; }, 2000);
    }
    bool waitForCommands(size_t count)
    {
        return QTest::qWaitFor([&] { return received.size() >= count; }, 2000);
    }
    void send(const QByteArray& bytes)
    {
        client->write(bytes);
        client->flush();
    }

    QLocalSocket* client = nullptr;
    std::vector<nlohmann::json> received;

private:
    QString m_path;
    QLocalServer m_server;
    QByteArray m_buffer;
};

constexpr auto kGreeting = R"({"QMP": {"version": {"qemu": {"major": 7}}, "capabilities": []}})"
                           "\n";

}  // namespace

TEST(QmpClient, HandshakeSendsCapabilitiesFirstAndHoldsCommandsUntilReady)
{
    QTemporaryDir dir;
    QmpServer qemu(dir.filePath("qmp.sock"));
    qemu.listen();
    QmpClient client;
    QSignalSpy ready(&client, &QmpClient::ready);
    client.connectToSocket(dir.filePath("qmp.sock"), 2s);
    client.execute("query-status");
    ASSERT_TRUE(qemu.waitForClient());
    QTest::qWait(0);
    EXPECT_TRUE(qemu.received.empty()) << "nothing may be sent before the greeting";

    qemu.send("qemu-system-x86_64: -accel kvm: warning: noise before the greeting\n\n");
    qemu.send(kGreeting);
    ASSERT_TRUE(qemu.waitForCommands(1));
    EXPECT_EQ(qemu.received[0]["execute"], "qmp_capabilities");
    EXPECT_FALSE(client.isReady());
    EXPECT_EQ(qemu.received.size(), 1u) << "commands wait for the capabilities reply";

    qemu.send(QByteArray::fromStdString(
                  nlohmann::json{{"return", nlohmann::json::object()}, {"id", qemu.received[0]["id"]}}.dump())
              + "\n");
    ASSERT_TRUE(ready.wait(2000));
    EXPECT_TRUE(client.isReady());
    ASSERT_TRUE(qemu.waitForCommands(2));
    EXPECT_EQ(qemu.received[1]["execute"], "query-status");
}

TEST(QmpClient, InterleavedEventsAndRepliesAreMatchedById)
{
    QTemporaryDir dir;
    QmpServer qemu(dir.filePath("qmp.sock"));
    qemu.listen();
    QmpClient client;
    QSignalSpy events(&client, &QmpClient::qmpEvent);
    QSignalSpy ready(&client, &QmpClient::ready);
    client.connectToSocket(dir.filePath("qmp.sock"), 2s);
    ASSERT_TRUE(qemu.waitForClient());
    qemu.send(kGreeting);
    ASSERT_TRUE(qemu.waitForCommands(1));
    qemu.send(R"({"return": {}, "id": 0})"
              "\n");
    ASSERT_TRUE(ready.wait(2000));

    std::vector<std::string> replies;
    client.execute("query-status", nullptr, [&](bool ok, const nlohmann::json& result) {
        EXPECT_TRUE(ok);
        replies.push_back("status:" + result.value("status", std::string()));
    });
    client.execute("system_powerdown", nullptr, [&](bool ok, const nlohmann::json&) {
        EXPECT_TRUE(ok);
        replies.push_back("powerdown");
    });
    client.execute("no-such-command", nullptr, [&](bool ok, const nlohmann::json& error) {
        EXPECT_FALSE(ok);
        replies.push_back("error:" + error.value("class", std::string()));
    });
    ASSERT_TRUE(qemu.waitForCommands(4));
    const auto id = [&](int i) { return qemu.received[static_cast<size_t>(i)]["id"].dump(); };

    // Replies out of order, events in between, a reply split over two writes, and noise.
    qemu.send(R"({"event": "POWERDOWN", "timestamp": {"seconds": 1}})"
              "\n");
    qemu.send(QByteArray::fromStdString(R"({"return": {}, "id": )" + id(2) + "}\n"));
    qemu.send("not json at all\n");
    qemu.send(R"({"event": "SHUTDOWN", "data": {"guest": true, "reason": "guest-shutdown"}})"
              "\n"
              R"({"error": {"class": "CommandNotFound", "desc": "x"}, "id": )");
    qemu.send(QByteArray::fromStdString(id(3) + "}\n"));
    qemu.send(
        QByteArray::fromStdString(R"({"return": {"status": "running", "running": true}, "id": )" + id(1) + "}\n"));
    qemu.send(R"({"event": "STOP"})"
              "\n");

    ASSERT_TRUE(QTest::qWaitFor([&] { return replies.size() == 3 && events.count() == 3; }, 2000));
    EXPECT_THAT(replies, ::testing::ElementsAre("powerdown", "error:CommandNotFound", "status:running"));
    EXPECT_EQ(events.at(0).at(0).toString(), "POWERDOWN");
    EXPECT_EQ(events.at(1).at(0).toString(), "SHUTDOWN");
    EXPECT_EQ(nlohmann::json::parse(events.at(1).at(1).toByteArray().toStdString())["reason"], "guest-shutdown");
    EXPECT_EQ(events.at(2).at(0).toString(), "STOP");
}

TEST(QmpClient, RetriesUntilTheSocketAppears)
{
    QTemporaryDir dir;
    QmpServer qemu(dir.filePath("qmp.sock"));
    QmpClient client;
    QSignalSpy failed(&client, &QmpClient::failed);
    client.connectToSocket(dir.filePath("qmp.sock"), 5s);
    // QEMU creates its socket a little after it starts.
    QTimer::singleShot(100, [&] { qemu.listen(); });
    ASSERT_TRUE(qemu.waitForClient());
    EXPECT_EQ(failed.count(), 0);
}

TEST(QmpClient, GivesUpWithAClearReasonWhenNoSocketAppears)
{
    QTemporaryDir dir;
    QmpClient client;
    QSignalSpy failed(&client, &QmpClient::failed);
    client.connectToSocket(dir.filePath("missing.sock"), 100ms);
    ASSERT_TRUE(failed.wait(2000));
    EXPECT_THAT(failed.at(0).at(0).toString().toStdString(), ::testing::HasSubstr("missing.sock"));
}

TEST(QmpClient, NonObjectJsonAndRepliesWithoutIdAreIgnored)
{
    QmpClient client;
    QSignalSpy events(&client, &QmpClient::qmpEvent);
    client.handleLine("[1, 2, 3]");
    client.handleLine("42");
    client.handleLine(R"({"return": {}})");
    client.handleLine(R"({"event": "RESET", "data": {"guest": true}})");
    ASSERT_EQ(events.count(), 1);
    EXPECT_EQ(events.at(0).at(0).toString(), "RESET");
}
