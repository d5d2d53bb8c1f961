#include "engine_clients.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <unistd.h>

#include <optional>

namespace berth::engine {

namespace {

// The port of "0100007F:0926" (IPv4) or a 32-digit IPv6 address and ":0926".
std::optional<quint16> portOf(const QByteArray& address)
{
    const auto colon = address.lastIndexOf(':');
    if (colon < 0) { return std::nullopt; }
    bool ok = false;
    const auto port = address.mid(colon + 1).toUInt(&ok, 16);
    return ok && port <= 0xffff ? std::optional<quint16>(static_cast<quint16>(port)) : std::nullopt;
}

// The front end's binary, whose connections (the dashboard's event stream) do not keep the engine up.
constexpr QLatin1StringView kBerthWindowBinary("berth");

QString linkTarget(const QString& path)
{
    char target[4096];
    const auto length = ::readlink(QFile::encodeName(path).constData(), target, sizeof target);
    return length > 0 ? QFile::decodeName(QByteArray(target, static_cast<int>(length))) : QString();
}

bool isBerthWindow(const QString& processDir)
{
    return QFileInfo(linkTarget(processDir + "/exe")).fileName() == kBerthWindowBinary;
}

}  // namespace

QSet<quint64> clientSocketInodes(const QByteArray& procNetTcp, quint16 port)
{
    constexpr auto kEstablished = "01";
    QSet<quint64> inodes;
    for (const QByteArray& line : procNetTcp.split('\n')) {
        // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
        const QList<QByteArray> fields = line.simplified().split(' ');
        if (fields.size() < 10 || fields[3] != kEstablished) { continue; }
        if (portOf(fields[2]) != port || portOf(fields[1]) == port) { continue; }
        bool ok = false;
        const quint64 inode = fields[9].toULongLong(&ok);
        if (ok && inode != 0) { inodes.insert(inode); }
    }
    return inodes;
}

bool otherClientsConnected(quint16 port, const QString& procRoot)
{
    QSet<quint64> clients;
    for (const char* table : {"/net/tcp", "/net/tcp6"}) {
        QFile file(procRoot + table);
        if (file.open(QIODevice::ReadOnly)) { clients.unite(clientSocketInodes(file.readAll(), port)); }
    }
    if (clients.isEmpty()) { return false; }
    const QString self = QString::number(::getpid());
    const QStringList processes = QDir(procRoot).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString& pid : processes) {
        if (pid.isEmpty() || !pid.front().isDigit()) { continue; }
        const QString processDir = procRoot + '/' + pid;
        const QDir fds(processDir + "/fd");
        QSet<quint64> owned;
        for (const QString& fd : fds.entryList(QDir::Files | QDir::System | QDir::NoDotAndDotDot)) {
            const QString target = linkTarget(fds.filePath(fd));  // "socket:[12345]"
            if (!target.startsWith(QLatin1String("socket:[")) || !target.endsWith(']')) { continue; }
            bool ok = false;
            const quint64 inode = target.mid(8).chopped(1).toULongLong(&ok);
            if (ok && clients.contains(inode)) { owned.insert(inode); }
        }
        if (owned.isEmpty()) { continue; }
        if (pid != self && !isBerthWindow(processDir)) { return true; }
        clients.subtract(owned);
        if (clients.isEmpty()) { return false; }
    }
    return true;  // held by a process this user cannot see
}

}  // namespace berth::engine
