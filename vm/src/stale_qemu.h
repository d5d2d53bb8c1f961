#pragma once

// A QEMU left running by an earlier Berth (crash, SIGKILL before the parent-death signal took
// hold, an older version) still holds the instance's disks and sockets. It is recognised by the
// pidfile *and* a command line that names this instance's QMP socket, so an unrelated process
// that reused the pid is never touched; it is shut down before a new QEMU starts.

#include "berth/vm/instance_dir.h"

#include <QObject>

#include <chrono>

class QSocketNotifier;
class QTimer;

namespace berth::vm {

class QmpClient;

// The pid of a live QEMU for this instance, or 0. Reads the pidfile and /proc/<pid>/cmdline.
qint64 findStaleQemu(const InstanceDir& dir);

// Watches a process that is not our child until it exits (pidfd, so no polling).
class ProcessExitWatcher : public QObject {
    Q_OBJECT
public:
    explicit ProcessExitWatcher(qint64 pid, QObject* parent = nullptr);
    ~ProcessExitWatcher() override;
    bool hasExited() const;

signals:
    void exited();

private:
    qint64 m_pid;
    int m_pidfd = -1;
    QSocketNotifier* m_notifier = nullptr;
    QTimer* m_poll = nullptr;  // only where pidfd_open is unavailable
};

class StaleQemuReaper : public QObject {
    Q_OBJECT
public:
    // gracePeriod: how long the guest may take to power off after the ACPI button; then SIGKILL.
    StaleQemuReaper(InstanceDir dir, std::chrono::milliseconds gracePeriod, QObject* parent = nullptr);

    // Asynchronous; finished() follows exactly once.
    void run();

signals:
    // found: a stale QEMU existed. ok: nothing of it is left. message: what happened, for the user.
    void finished(bool found, bool ok, const QString& message);

private:
    void conclude(bool ok, const QString& message);

    InstanceDir m_dir;
    std::chrono::milliseconds m_grace;
    qint64 m_pid = 0;
    bool m_done = false;
    ProcessExitWatcher* m_watcher = nullptr;
    QmpClient* m_qmp = nullptr;
    QTimer* m_timer = nullptr;
};

}  // namespace berth::vm
