#pragma once

// The files of one VM instance, all in one private directory (0700): QMP and agent sockets, the
// serial log, QEMU's pidfile and stderr log, the guest config and TLS material handed over fw_cfg,
// the persistent data disk, and caches.

#include <QString>

namespace berth::vm {

class InstanceDir {
public:
    explicit InstanceDir(QString root = defaultRoot());

    // $XDG_DATA_HOME/berth/vm/default
    static QString defaultRoot();

    // Creates the directory if needed and makes it 0700. On failure returns false and says why.
    bool ensure(QString* error) const;

    const QString& root() const { return m_root; }
    QString qmpSocket() const { return path("qmp.sock"); }
    QString agentSocket() const { return path("agent.sock"); }
    QString serialLog() const { return path("serial.log"); }
    QString qemuLog() const { return path("qemu.log"); }
    QString pidFile() const { return path("qemu.pid"); }
    QString guestConfig() const { return path("guest-config.json"); }
    QString acceleratorCache() const { return path("accelerator.json"); }
    QString statusFile() const { return path("status.json"); }
    QString lockFile() const { return path("lock"); }
    QString enginePortFile() const { return path("engine-port"); }  // the loopback port kept across launches
    QString guestTlsFile() const { return path("guest-tls.json"); }  // fw_cfg opt/berth/tls (0600)
    QString dataDisk() const { return path("data.qcow2"); }  // /var/lib/docker in the guest
    // Where QEMU reaches the virtiofsd of the index-th shared directory.
    QString sharedDirectorySocket(int index) const;

    // The last lines of the serial log, for error messages when the guest dies or hangs.
    QString serialLogTail(int maxLines = 20) const;

private:
    QString path(const char* name) const;
    QString m_root;
};

// One controller per instance directory: a second one would take the first one's QEMU for a
// stale leftover and shut it down. flock on <instance>/lock, held while this object lives and
// released by the kernel if the process dies; close-on-exec, so QEMU never inherits it.
class InstanceLock {
public:
    explicit InstanceLock(const InstanceDir& dir);
    ~InstanceLock();
    InstanceLock(const InstanceLock&) = delete;
    InstanceLock& operator=(const InstanceLock&) = delete;

    // True if this process holds the lock now. Otherwise `error` names the holder when known.
    bool acquire(QString* error);
    bool isHeld() const { return m_fd >= 0; }
    void release();

private:
    QString m_path;
    int m_fd = -1;
};

// Reads the last maxLines lines (at most 16 KiB) of a text file; empty if unreadable.
QString fileTail(const QString& path, int maxLines);

}  // namespace berth::vm
