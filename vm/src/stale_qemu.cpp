#include "stale_qemu.h"

#include "qemu/qmp_client.h"

#include <QFile>
#include <QSocketNotifier>
#include <QTimer>

#include <spdlog/spdlog.h>

#include <csignal>
#include <sys/syscall.h>
#include <unistd.h>

namespace berth::vm {

namespace {

QByteArray readProcFile(qint64 pid, const char* name)
{
    QFile file(QStringLiteral("/proc/%1/%2").arg(pid).arg(QLatin1String(name)));
    if (!file.open(QIODevice::ReadOnly)) { return {}; }
    return file.readAll();
}

bool isGone(qint64 pid)
{
    if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) { return true; }
    // A zombie has exited; whoever adopted it just has not reaped it yet.
    const QByteArray stat = readProcFile(pid, "stat");
    const auto close = stat.lastIndexOf(')');
    return stat.isEmpty() || (close > 0 && stat.size() > close + 2 && stat.at(close + 2) == 'Z');
}

}  // namespace

qint64 findStaleQemu(const InstanceDir& dir)
{
    QFile pidFile(dir.pidFile());
    if (!pidFile.open(QIODevice::ReadOnly)) { return 0; }
    bool ok = false;
    const qint64 pid = pidFile.readAll().trimmed().toLongLong(&ok);
    if (!ok || pid <= 1 || pid == ::getpid()) { return 0; }
    const QList<QByteArray> argv = readProcFile(pid, "cmdline").split('\0');
    if (argv.isEmpty() || !argv.first().contains("qemu-system")) { return 0; }
    const QByteArray qmpSocket = QFile::encodeName(dir.qmpSocket());
    for (const auto& arg : argv) {
        if (arg.contains(qmpSocket)) { return pid; }
    }
    return 0;
}

ProcessExitWatcher::ProcessExitWatcher(qint64 pid, QObject* parent) : QObject(parent), m_pid(pid)
{
    m_pidfd = static_cast<int>(::syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0));
    if (m_pidfd >= 0) {
        m_notifier = new QSocketNotifier(m_pidfd, QSocketNotifier::Read, this);
        connect(m_notifier, &QSocketNotifier::activated, this, [this] {
            m_notifier->setEnabled(false);
            emit exited();
        });
        return;
    }
    if (errno == ESRCH) {
        QTimer::singleShot(0, this, &ProcessExitWatcher::exited);
        return;
    }
    m_poll = new QTimer(this);
    m_poll->setInterval(50);
    connect(m_poll, &QTimer::timeout, this, [this] {
        if (isGone(m_pid)) {
            m_poll->stop();
            emit exited();
        }
    });
    m_poll->start();
}

ProcessExitWatcher::~ProcessExitWatcher()
{
    if (m_pidfd >= 0) { ::close(m_pidfd); }
}

bool ProcessExitWatcher::hasExited() const
{
    return isGone(m_pid);
}

StaleQemuReaper::StaleQemuReaper(InstanceDir dir, std::chrono::milliseconds gracePeriod, QObject* parent)
    : QObject(parent),
      m_dir(std::move(dir)),
      m_grace(gracePeriod),
      m_timer(new QTimer(this))
{
    m_timer->setSingleShot(true);
    m_timer->setTimerType(Qt::PreciseTimer);  // grace periods are promises: never cut them short
}

void StaleQemuReaper::run()
{
    m_pid = findStaleQemu(m_dir);
    if (m_pid == 0) {
        QFile::remove(m_dir.pidFile());  // a leftover pidfile alone is harmless; remove it
        conclude(true, {});
        return;
    }
    spdlog::warn("stale QEMU pid {} from an earlier run holds {}; shutting it down", m_pid, m_dir.root().toStdString());
    m_watcher = new ProcessExitWatcher(m_pid, this);
    connect(m_watcher, &ProcessExitWatcher::exited, this, [this] {
        QFile::remove(m_dir.pidFile());
        QFile::remove(m_dir.qmpSocket());
        QFile::remove(m_dir.agentSocket());
        conclude(true, QStringLiteral("A QEMU (pid %1) left by an earlier run was shut down").arg(m_pid));
    });

    const auto kill = [this] {
        spdlog::warn("stale QEMU pid {} is still running; SIGKILL", m_pid);
        ::kill(static_cast<pid_t>(m_pid), SIGKILL);
        m_timer->disconnect();
        connect(m_timer, &QTimer::timeout, this, [this] {
            conclude(false, QStringLiteral("A QEMU (pid %1) left by an earlier run survived SIGKILL").arg(m_pid));
        });
        m_timer->start(std::chrono::seconds(5));
    };
    const auto quit = [this, kill] {
        m_timer->disconnect();
        if (!m_qmp->isReady()) {
            kill();
            return;
        }
        // QMP quit ends QEMU at once but cleanly: its disk images are flushed, unlike after SIGKILL.
        spdlog::warn("stale QEMU pid {} did not power off within {} ms; QMP quit", m_pid, m_grace.count());
        m_qmp->execute(QStringLiteral("quit"));
        connect(m_timer, &QTimer::timeout, this, kill);
        m_timer->start(std::chrono::seconds(2));
    };
    connect(m_timer, &QTimer::timeout, this, quit);
    m_timer->start(m_grace);

    // Press the power button over its QMP socket, so the guest can sync its disks; without QMP,
    // SIGTERM makes QEMU quit cleanly (it flushes its disk images).
    m_qmp = new QmpClient(this);
    connect(m_qmp, &QmpClient::ready, this, [this] { m_qmp->execute(QStringLiteral("system_powerdown")); });
    connect(m_qmp, &QmpClient::failed, this, [this](const QString& reason) {
        spdlog::warn("stale QEMU pid {}: {}; sending SIGTERM", m_pid, reason.toStdString());
        ::kill(static_cast<pid_t>(m_pid), SIGTERM);
    });
    if (!QFile::exists(m_dir.qmpSocket())) {
        m_qmp->blockSignals(true);
        ::kill(static_cast<pid_t>(m_pid), SIGTERM);
        return;
    }
    m_qmp->connectToSocket(m_dir.qmpSocket(), std::chrono::seconds(1));
}

void StaleQemuReaper::conclude(bool ok, const QString& message)
{
    if (m_done) { return; }
    m_done = true;
    m_timer->stop();
    if (m_qmp) { m_qmp->close(); }
    emit finished(m_pid != 0, ok, message);
}

}  // namespace berth::vm
