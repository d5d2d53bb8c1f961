// Who holds a connection to the engine's port, for the Resource Saver: the kernel's TCP tables
// parsed, owners found in a made-up /proc, and the same against the real /proc with a client in
// another process.
#include "engine_clients.h"

#include <gtest/gtest.h>

#include <QDir>
#include <QFile>
#include <QHostAddress>
#include <QProcess>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

using berth::engine::clientSocketInodes;
using berth::engine::otherClientsConnected;

namespace {

// Port 2376 is 0948 in the kernel's hex.
const QByteArray kTcpTable
    = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
      "   0: 0100007F:0948 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 100 1\n"
      "   1: 0100007F:9C40 0100007F:0948 01 00000000:00000000 00:00000000 00000000  1000        0 111 1\n"
      "   2: 0100007F:0948 0100007F:9C40 01 00000000:00000000 00:00000000 00000000  1000        0 112 1\n"
      "   3: 0100007F:9C41 0100007F:0948 06 00000000:00000000 03:00000000 00000000     0        0 0 3\n"
      "   4: 0100007F:9C42 0100007F:0949 01 00000000:00000000 00:00000000 00000000  1000        0 113 1\n";
const QByteArray kTcp6Table
    = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr "
      "tm->when retrnsmt   uid  timeout inode\n"
      "   0: 0000000000000000FFFF00000100007F:9C43 0000000000000000FFFF00000100007F:0948 01 00000000:00000000 "
      "00:00000000 00000000  1000        0 114 1\n";

TEST(EngineClientSockets, OnlyTheClientSideOfEstablishedConnectionsToThePort)
{
    EXPECT_EQ(clientSocketInodes(kTcpTable, 2376), (QSet<quint64>{111}));
    EXPECT_EQ(clientSocketInodes(kTcp6Table, 2376), (QSet<quint64>{114}));
    EXPECT_EQ(clientSocketInodes(kTcpTable, 2377), (QSet<quint64>{113}));
    EXPECT_TRUE(clientSocketInodes(kTcpTable, 8080).isEmpty());
    EXPECT_TRUE(clientSocketInodes("garbage\n\n1 2 3", 2376).isEmpty());
}

class FakeProc {
public:
    FakeProc() { write("net/tcp", kTcpTable); }
    void write(const QString& path, const QByteArray& text)
    {
        QDir(m_root.path()).mkpath(QFileInfo(path).path());
        QFile file(m_root.filePath(path));
        ASSERT_TRUE(file.open(QIODevice::WriteOnly));
        file.write(text);
    }
    // A process running `binary` with the given socket open.
    void process(int pid, const QString& binary, quint64 socketInode)
    {
        const QString dir = m_root.filePath(QString::number(pid));
        QDir().mkpath(dir + "/fd");
        QFile::link(binary, dir + "/exe");
        QFile::link(QStringLiteral("/dev/null"), dir + "/fd/0");
        QFile::link(QStringLiteral("socket:[%1]").arg(socketInode), dir + "/fd/3");
    }
    QString root() const { return m_root.path(); }

private:
    QTemporaryDir m_root;
};

TEST(EngineClientOwners, BerthsWindowIsNoClientAnyOtherProcessIs)
{
    FakeProc proc;
    proc.process(100, "/usr/bin/berth", 111);
    proc.process(101, "/usr/bin/sleep", 999);
    EXPECT_FALSE(otherClientsConnected(2376, proc.root()));
    proc.process(200, "/usr/bin/docker", 113);
    EXPECT_TRUE(otherClientsConnected(2377, proc.root()));
    EXPECT_FALSE(otherClientsConnected(8080, proc.root()));
}

TEST(EngineClientOwners, AConnectionWithNoVisibleOwnerCountsAsAClient)
{
    FakeProc proc;
    proc.process(101, "/usr/bin/sleep", 999);
    EXPECT_TRUE(otherClientsConnected(2376, proc.root()));
}

// The real /proc: this process's own connection is no client; another process's is.
TEST(EngineClientOwners, AgainstTheRealProc)
{
    QTcpServer server;
    ASSERT_TRUE(server.listen(QHostAddress::LocalHost));
    const quint16 port = server.serverPort();
    QTcpSocket own;
    own.connectToHost(QHostAddress::LocalHost, port);
    ASSERT_TRUE(own.waitForConnected(5000));
    EXPECT_FALSE(otherClientsConnected(port));

    QProcess client;
    client.start("bash", {"-c", QStringLiteral("exec 3<>/dev/tcp/127.0.0.1/%1; read -r -u 3 line").arg(port)});
    ASSERT_TRUE(client.waitForStarted(5000));
    EXPECT_TRUE(QTest::qWaitFor([&] { return otherClientsConnected(port); }, 10000));
    client.kill();
    client.waitForFinished(5000);
    EXPECT_TRUE(QTest::qWaitFor([&] { return !otherClientsConnected(port); }, 10000));
}

}  // namespace
