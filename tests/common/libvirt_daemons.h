#pragma once

// libvirtd and virtlogd for the tests that drive a real libvirt (the VM library's integration
// test, the GUI's Apply & restart test, the libvirt e2e test). Neither runs on a fresh machine:
// a test starts the ones that do not answer on their sockets and stops only those it started.

#include <QString>
#include <QTemporaryDir>

#include <memory>

namespace berth::testing {

class LibvirtDaemons {
public:
    LibvirtDaemons() = default;
    LibvirtDaemons(const LibvirtDaemons&) = delete;
    LibvirtDaemons& operator=(const LibvirtDaemons&) = delete;
    ~LibvirtDaemons() { stopStarted(); }

    // Empty when libvirtd is installed, else why the test cannot run (for a skip message).
    static QString notInstalledReason();
    // BERTH_TEST_LIBVIRT_URI, else qemu:///system for root and qemu:///session for others.
    static QString defaultUri();

    // Makes the daemons `uri` needs answer: for qemu:///system virtlogd and libvirtd, started when
    // their sockets are silent; a session daemon libvirt starts by itself. Empty on success.
    QString ensureRunning(const QString& uri);
    // Stops the daemons ensureRunning started (libvirtd first), none other.
    void stopStarted();

private:
    struct Daemon {
        QString program;
        QString socket;
        qint64 startedPid = 0;
    };
    QString ensureRunning(Daemon& daemon);
    void stop(Daemon& daemon);

    Daemon m_virtlogd{QStringLiteral("virtlogd"), QStringLiteral("/run/libvirt/virtlogd-sock")};
    Daemon m_libvirtd{QStringLiteral("libvirtd"), QStringLiteral("/run/libvirt/libvirt-sock")};
    std::unique_ptr<QTemporaryDir> m_pidDir;  // pidfiles of our own: stopping never guesses
};

}  // namespace berth::testing
