// The Resource Saver against a fake QEMU: an engine in use stays up; an idle one is paused (the
// host stays, says so, and listens on the engine's port); a client connecting there starts the
// engine and is joined to it once it runs; a stop while paused ends the host.
#include "resource_saver.h"

#include "berth/engine/engine_host.h"
#include "berth/vm/engine_controller.h"
#include "fake_qemu.h"

#include <gtest/gtest.h>

#include <QLocalSocket>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

using namespace berth;
using namespace std::chrono_literals;

namespace {

class ResourceSaverTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        ASSERT_TRUE(m_tmp.isValid());
        m_controller
            = std::make_unique<vm::EngineController>(vm::testing::fakeEngineOptions(m_tmp.path()), m_processes);
        // The fake QEMU forwards nothing: this server stands for the engine at its port while it
        // runs, as QEMU's forward would. Connected first, it is there before the saver hands over.
        QObject::connect(m_controller.get(), &vm::EngineController::stateChanged, &m_engineSide,
                         [this](vm::EngineState state) {
                             if (state != vm::EngineState::Running) {
                                 m_engineSide.close();
                             } else if (!m_engineSide.isListening()) {
                                 EXPECT_TRUE(m_engineSide.listen(QHostAddress::LocalHost, m_controller->enginePort()));
                             }
                         });
        m_host = std::make_unique<engine::EngineHost>(m_controller.get(), [] {
            engine::PlannedLaunch planned;
            planned.allowed = true;
            planned.plan.guestConfig = R"({"eci":false})";
            return planned;
        });
        m_saver = std::make_unique<engine::ResourceSaver>(
            *m_host, *m_controller, [this] { return m_policy; },
            [this](quint16, QObject*, const std::function<void(bool)>& done) { done(m_inUse); }, 20ms);
    }

    bool running() const { return m_controller->state() == vm::EngineState::Running && !m_controller->isBusy(); }

    void startRunning()
    {
        ASSERT_TRUE(m_host->resume());
        ASSERT_TRUE(QTest::qWaitFor([this] { return running(); }, 10000));
    }

    QTemporaryDir m_tmp;
    QTcpServer m_engineSide;
    std::shared_ptr<vm::testing::FakeProcessFactory> m_processes = std::make_shared<vm::testing::FakeProcessFactory>();
    std::unique_ptr<vm::EngineController> m_controller;
    std::unique_ptr<engine::EngineHost> m_host;
    std::unique_ptr<engine::ResourceSaver> m_saver;
    engine::ResourceSaverPolicy m_policy{true, 100ms};
    bool m_inUse = false;
};

TEST_F(ResourceSaverTest, AnEngineInUseOrWithTheSettingOffStaysUp)
{
    startRunning();
    m_inUse = true;
    QTest::qWait(400);  // a negative: four idle times
    EXPECT_TRUE(running());
    m_inUse = false;
    m_policy.enabled = false;
    QTest::qWait(400);
    EXPECT_TRUE(running());
    EXPECT_FALSE(m_host->isPaused());
    EXPECT_FALSE(m_saver->isListening());
}

TEST_F(ResourceSaverTest, AnIdleEngineIsPausedAndAClientStartsItAndReachesIt)
{
    startRunning();
    const quint16 port = m_controller->enginePort();
    ASSERT_NE(port, 0);
    QSignalSpy exited(m_host.get(), &engine::EngineHost::idle);
    ASSERT_TRUE(QTest::qWaitFor([this] { return m_host->isPaused(); }, 5000));
    EXPECT_EQ(m_controller->state(), vm::EngineState::Stopped);
    EXPECT_TRUE(m_host->status().resourceSaverPaused);
    EXPECT_EQ(m_host->status().toJson()["resourceSaverPaused"], true);
    EXPECT_TRUE(m_saver->isListening());
    EXPECT_TRUE(exited.isEmpty()) << "a pause is not the end of the host";

    m_inUse = true;  // the client below, as the probe would see it
    QTcpSocket client;
    client.connectToHost(QHostAddress::LocalHost, port);
    ASSERT_TRUE(client.waitForConnected(5000));
    client.write("GET /_ping");  // sent while the engine starts
    // The docker CLI gives up on a first connection after two seconds and opens another.
    QTcpSocket second;
    second.connectToHost(QHostAddress::LocalHost, port);
    ASSERT_TRUE(second.waitForConnected(5000));
    ASSERT_TRUE(QTest::qWaitFor([this] { return running(); }, 10000));
    EXPECT_EQ(m_controller->enginePort(), port) << "the engine moved back to the port its clients know";
    // hostfwd_add at the held port, then hostfwd_remove of the temporary one
    EXPECT_TRUE(QTest::qWaitFor(
        [this] { return m_processes->lastQemu()->qmpCommands.filter("human-monitor-command").size() == 2; }, 5000));
    EXPECT_FALSE(m_host->isPaused());
    EXPECT_FALSE(m_saver->isListening());
    ASSERT_TRUE(QTest::qWaitFor([&] { return m_engineSide.hasPendingConnections(); }, 5000));
    QTcpSocket* joined = m_engineSide.nextPendingConnection();
    ASSERT_TRUE(QTest::qWaitFor([&] { return joined->bytesAvailable() >= 10; }, 5000));
    EXPECT_EQ(joined->readAll(), QByteArray("GET /_ping"));
    joined->write("OK");
    ASSERT_TRUE(QTest::qWaitFor([&] { return client.bytesAvailable() >= 2; }, 5000));
    EXPECT_EQ(client.readAll(), QByteArray("OK"));
    joined->disconnectFromHost();
    EXPECT_TRUE(QTest::qWaitFor([&] { return client.state() == QAbstractSocket::UnconnectedState; }, 5000));
    EXPECT_TRUE(QTest::qWaitFor([&] { return m_engineSide.hasPendingConnections(); }, 5000))
        << "the second client is handed over too";
}

TEST_F(ResourceSaverTest, AStopWhilePausedEndsTheHostAndTheListener)
{
    startRunning();
    QSignalSpy exited(m_host.get(), &engine::EngineHost::idle);
    ASSERT_TRUE(QTest::qWaitFor([this] { return m_host->isPaused(); }, 5000));
    QString error;
    ASSERT_TRUE(m_host->listen(m_tmp.filePath("instance"), &error)) << error.toStdString();
    QLocalSocket client;
    client.connectToServer(engine::EngineHost::socketPath(m_tmp.filePath("instance")));
    ASSERT_TRUE(client.waitForConnected(5000));
    client.write("{\"op\": \"stop\"}\n");
    ASSERT_TRUE(QTest::qWaitFor([&] { return !exited.isEmpty(); }, 5000));
    EXPECT_EQ(m_controller->state(), vm::EngineState::Stopped);
    EXPECT_FALSE(m_host->isPaused());
    EXPECT_FALSE(m_saver->isListening());
}

}  // namespace
