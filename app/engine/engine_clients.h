#pragma once

// Who is connected to the engine's port on this host, for the Resource Saver: a client holding a
// connection (docker build, logs -f, events, attach) is using the engine even when no container
// runs. Read from /proc: the kernel's TCP tables, and each process's open sockets.

#include <QByteArray>
#include <QSet>
#include <QString>

#include <sys/types.h>

namespace berth::engine {

// The socket inodes of established connections to `port` (at any address), from the text of
// /proc/net/tcp or /proc/net/tcp6. The engine's side of each (its local port is `port`) is left
// out: it belongs to QEMU.
QSet<quint64> clientSocketInodes(const QByteArray& procNetTcp, quint16 port);

// Whether a process other than this one, and other than Berth's own window (whose dashboard
// follows the engine's events), holds a connection to 127.0.0.1:`port`. A connection whose owner
// cannot be seen (another user's process) counts as a client.
bool otherClientsConnected(quint16 port, const QString& procRoot = QStringLiteral("/proc"));

}  // namespace berth::engine
