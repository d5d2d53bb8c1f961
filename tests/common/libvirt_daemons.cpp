#include "libvirt_daemons.h"

#include <QDir>
#include <QFile>
#include <QLocalSocket>
#include <QProcess>
#include <QStandardPaths>
#include <QTest>

#include <csignal>
#include <cstdio>

#include <unistd.h>

namespace berth::testing {

namespace {

const QStringList kSbin = {QStringLiteral("/usr/sbin"), QStringLiteral("/sbin"), QStringLiteral("/usr/bin")};

bool answers(const QString& socketPath)
{
    QLocalSocket socket;
    socket.connectToServer(socketPath);
    return socket.waitForConnected(1000);
}

}  // namespace

QString LibvirtDaemons::notInstalledReason()
{
    if (QStandardPaths::findExecutable(QStringLiteral("libvirtd"), kSbin).isEmpty())
        return QStringLiteral("libvirtd is not installed (Debian: apt install libvirt-daemon-system)");
    if (QStandardPaths::findExecutable(QStringLiteral("virsh")).isEmpty())
        return QStringLiteral("virsh is not installed (Debian: apt install libvirt-clients)");
    return {};
}

QString LibvirtDaemons::defaultUri()
{
    return qEnvironmentVariable("BERTH_TEST_LIBVIRT_URI",
                                ::geteuid() == 0 ? QStringLiteral("qemu:///system") : QStringLiteral("qemu:///session"));
}

QString LibvirtDaemons::ensureRunning(const QString& uri)
{
    if (uri != QLatin1String("qemu:///system"))
        return {};  // a session daemon is started by libvirt itself
    if (!m_pidDir)
        m_pidDir = std::make_unique<QTemporaryDir>(QDir::tempPath() + QStringLiteral("/berth-test-libvirt-XXXXXX"));
    for (Daemon* daemon : {&m_virtlogd, &m_libvirtd}) {
        const QString error = ensureRunning(*daemon);
        if (!error.isEmpty())
            return error;
    }
    return {};
}

QString LibvirtDaemons::ensureRunning(Daemon& daemon)
{
    if (answers(daemon.socket))
        return {};
    const QString path = QStandardPaths::findExecutable(daemon.program, kSbin);
    if (path.isEmpty())
        return daemon.program + QStringLiteral(" is not installed");
    const QString pidFile = m_pidDir->filePath(daemon.program + QStringLiteral(".pid"));
    QProcess process;
    process.start(path, {QStringLiteral("-d"), QStringLiteral("--pid-file"), pidFile});
    if (!process.waitForFinished(20'000) || process.exitCode() != 0)
        return QStringLiteral("%1 -d failed: %2").arg(daemon.program, QString::fromLocal8Bit(process.readAllStandardError()));
    if (!QTest::qWaitFor([&] { return answers(daemon.socket); }, 20'000))
        return QStringLiteral("%1 started but %2 does not answer").arg(daemon.program, daemon.socket);
    QFile file(pidFile);
    if (file.open(QIODevice::ReadOnly))
        daemon.startedPid = file.readAll().trimmed().toLongLong();
    std::printf("[ daemon   ] started %s (pid %lld)\n", qPrintable(daemon.program), static_cast<long long>(daemon.startedPid));
    std::fflush(stdout);
    return {};
}

void LibvirtDaemons::stop(Daemon& daemon)
{
    if (daemon.startedPid <= 0)
        return;
    const auto pid = static_cast<pid_t>(daemon.startedPid);
    ::kill(pid, SIGTERM);
    const bool gone = QTest::qWaitFor([&] { return ::kill(pid, 0) != 0; }, 10'000);
    std::printf("[ daemon   ] %s %s (pid %lld)\n", gone ? "stopped" : "could not stop", qPrintable(daemon.program),
                static_cast<long long>(daemon.startedPid));
    std::fflush(stdout);
    daemon.startedPid = 0;
}

void LibvirtDaemons::stopStarted()
{
    stop(m_libvirtd);
    stop(m_virtlogd);
    m_pidDir.reset();
}

}  // namespace berth::testing
