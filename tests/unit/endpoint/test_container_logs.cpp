// ContainerLogs against a fake engine over TLS: a non-TTY container's multiplexed frames come out
// as stdout and stderr, a TTY's output as it is, and the engine closing the stream ends it.
#include "berth/endpoint/container_logs.h"
#include "berth/endpoint/docker_api.h"
#include "berth/endpoint/endpoint_certs.h"

#include "fake_engine_test.h"

#include <gtest/gtest.h>

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using berth::endpoint::ContainerLogs;
using berth::endpoint::DockerApi;
using berth::endpoint::testing::FakeDockerApi;

namespace {

constexpr const char* kLogsOfA1 = "GET /containers/a1/logs?follow=1&stdout=1&stderr=1&tail=1000";

QByteArray frame(char stream, const QByteArray& payload)
{
    QByteArray header(8, '\0');
    header[0] = stream;
    const auto size = static_cast<quint32>(payload.size());
    header[4] = static_cast<char>(size >> 24);
    header[5] = static_cast<char>(size >> 16);
    header[6] = static_cast<char>(size >> 8);
    header[7] = static_cast<char>(size);
    return header + payload;
}

class ContainerLogsTest : public berth::endpoint::testing::FakeEngineTest {
protected:
    // What the logs said, "out:" and "err:" lines in order, until `until` has been said.
    QStringList follow(ContainerLogs& logs, const QString& until)
    {
        QStringList said;
        QObject::connect(&logs, &ContainerLogs::output, [&said](const QByteArray& bytes, bool fromStderr) {
            said << (fromStderr ? "err:" : "out:") + QString::fromUtf8(bytes);
        });
        logs.start(QStringLiteral("a1"));
        EXPECT_TRUE(QTest::qWaitFor([&] { return said.join(QString()).contains(until); }, 10000))
            << said.join('|').toStdString();
        return said;
    }
};

TEST_F(ContainerLogsTest, MultiplexedFramesComeApartAsStdoutAndStderr)
{
    m_engine->route(kLogsOfA1, {200, frame(1, "hello\n") + frame(2, "oops\n") + frame(1, "bye\n"), false, true});
    ContainerLogs logs(m_engine->port(), m_tls);
    QSignalSpy ended(&logs, &ContainerLogs::ended);
    const QStringList said = follow(logs, QStringLiteral("bye"));
    EXPECT_EQ(said, (QStringList{"out:hello\n", "err:oops\n", "out:bye\n"}));
    EXPECT_TRUE(logs.isActive());

    m_engine->closeStreams();  // the container stopped
    ASSERT_TRUE(QTest::qWaitFor([&] { return ended.size() == 1; }, 10000));
    EXPECT_EQ(ended.first().first().toString(), QStringLiteral("the engine closed the container's logs"));
    EXPECT_FALSE(logs.isActive());
}

TEST_F(ContainerLogsTest, ATtysOutputComesAsItIs)
{
    m_engine->route(kLogsOfA1, {200, "$ ls\r\nbin  etc\r\n", false, true});
    ContainerLogs logs(m_engine->port(), m_tls);
    const QStringList said = follow(logs, QStringLiteral("etc"));
    EXPECT_EQ(said.join(QString()), QStringLiteral("out:$ ls\r\nbin  etc\r\n"));
}

TEST_F(ContainerLogsTest, AnUnknownContainerIsTheEnginesRefusal)
{
    ContainerLogs logs(m_engine->port(), m_tls);
    QSignalSpy ended(&logs, &ContainerLogs::ended);
    logs.start(QStringLiteral("a1"));
    ASSERT_TRUE(QTest::qWaitFor([&] { return ended.size() == 1; }, 10000));
    EXPECT_TRUE(ended.first().first().toString().startsWith(
        QStringLiteral("the engine refused the container's logs: HTTP/1.1 404")))
        << ended.first().first().toString().toStdString();
}

}  // namespace
