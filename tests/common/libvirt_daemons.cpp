#include "libvirt_daemons.h"

#include "berth/vm/instance_dir.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>

#include <algorithm>
#include <cstdio>

#include <unistd.h>

namespace berth::testing {

namespace {

const QStringList kSbin = {QStringLiteral("/usr/sbin"), QStringLiteral("/sbin"), QStringLiteral("/usr/bin")};

}  // namespace

LibvirtDaemons::LibvirtDaemons() = default;

LibvirtDaemons::~LibvirtDaemons()
{
    stopStarted();
}

QString LibvirtDaemons::notInstalledReason()
{
    if (QStandardPaths::findExecutable(QStringLiteral("libvirtd"), kSbin).isEmpty()) {
        return QStringLiteral("libvirtd is not installed (Debian: apt install libvirt-daemon-system)");
    }
    if (QStandardPaths::findExecutable(QStringLiteral("virsh")).isEmpty()) {
        return QStringLiteral("virsh is not installed (Debian: apt install libvirt-clients)");
    }
    return {};
}

QString LibvirtDaemons::defaultUri()
{
    return qEnvironmentVariable("BERTH_TEST_LIBVIRT_URI",
                                ::geteuid() == 0 ? QStringLiteral("qemu:///system")
                                                 : QStringLiteral("qemu:///session"));
}

QString LibvirtDaemons::ensureRunning(const QString& uri)
{
    if (uri != QLatin1String("qemu:///system") || m_supervisor) {
        return {};  // a session daemon is started by libvirt itself
    }
    m_supervisor = std::make_unique<QProcess>();
    m_supervisor->setProcessChannelMode(QProcess::ForwardedErrorChannel);
    m_supervisor->start(QStringLiteral(BERTH_TEST_LIBVIRT_SUPERVISOR), {});
    if (!m_supervisor->waitForStarted(10'000)) {
        const QString why = m_supervisor->errorString();
        m_supervisor.reset();
        return QStringLiteral("cannot run %1: %2").arg(QStringLiteral(BERTH_TEST_LIBVIRT_SUPERVISOR), why);
    }
    // It answers "ready" or "error ..." once the daemons answer on their sockets (or failed to).
    const QDeadlineTimer deadline(90'000);
    QByteArray report;
    while (!report.contains("ready\n") && !report.contains("error ") && !deadline.hasExpired()) {
        if (!m_supervisor->waitForReadyRead(static_cast<int>(deadline.remainingTime()))) { break; }
        report += m_supervisor->readAllStandardOutput();
    }
    printReport(report);
    for (const QByteArray& line : report.split('\n')) {
        if (line.startsWith("log ")) { m_libvirtdLog = QString::fromLocal8Bit(line.mid(4)); }
    }
    if (report.contains("ready\n")) {
        removeLeftoverDomains(uri);
        return {};
    }
    const int at = report.indexOf("error ");
    const QString why = at >= 0 ? QString::fromLocal8Bit(report.mid(at + 6)).trimmed()
                                : QStringLiteral("berth_test_libvirt_supervisor did not report within 90 s");
    stopStarted();
    return why;
}

void LibvirtDaemons::removeLeftoverDomains(const QString& uri)
{
    // A test killed before its teardown leaves its domain defined. Ours are titled Berth and name
    // their instance directory, a temporary one of the test: the domain off and that directory
    // gone or its instance lock free (no controller uses it), it is a leftover. Anything else (a
    // user's Berth, a test running now) is left alone.
    const auto virsh = [&uri](const QStringList& arguments) {
        QProcess process;
        process.start(QStringLiteral("virsh"),
                      QStringList{QStringLiteral("-q"), QStringLiteral("-c"), uri} + arguments);
        process.waitForFinished(30'000);
        return QString::fromLocal8Bit(process.readAllStandardOutput());
    };
    static const QRegularExpression instance(
        QStringLiteral("<description>Berth&apos;s Docker Engine VM for (\\S+)\\. "));
    for (const QString& name : virsh({QStringLiteral("list"), QStringLiteral("--inactive"), QStringLiteral("--name")})
                                   .split(QLatin1Char('\n'))) {
        // "berth" is the default instance's domain (the e2e tests'), "berth-<hash>" any other's.
        if (name != QLatin1String("berth") && !name.startsWith(QLatin1String("berth-"))) { continue; }
        const QString xml = virsh({QStringLiteral("dumpxml"), QStringLiteral("--inactive"), name});
        const QString dir = instance.match(xml).captured(1);
        if (!xml.contains(QLatin1String("<title>Berth</title>"))
            || !dir.startsWith(QDir::tempPath() + QLatin1Char('/'))) {
            continue;
        }
        const bool gone = !QFileInfo::exists(dir);
        QString lockError;
        if (!gone && !berth::vm::InstanceLock(berth::vm::InstanceDir(dir)).acquire(&lockError)) { continue; }
        virsh({QStringLiteral("undefine"), name});
        std::printf("[ daemon   ] undefined %s, left by an earlier run (%s %s)\n", qPrintable(name), qPrintable(dir),
                    gone ? "is gone" : "is in use by no one");
    }
    std::fflush(stdout);
}

void LibvirtDaemons::stopStarted()
{
    if (!m_supervisor) { return; }
    m_supervisor->closeWriteChannel();  // its cue to stop what it started, then exit
    if (!m_supervisor->waitForFinished(60'000)) {
        std::printf("[ daemon   ] berth_test_libvirt_supervisor did not finish within 60 s\n");
    }
    printReport(m_supervisor->readAllStandardOutput());
    m_supervisor.reset();
    m_libvirtdLog.clear();
}

QString LibvirtDaemons::printLibvirtdLogTail(int lines) const
{
    QFile log(m_libvirtdLog);
    if (m_libvirtdLog.isEmpty() || !log.open(QIODevice::ReadOnly)) { return {}; }
    QStringList tail = QString::fromLocal8Bit(log.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    tail = tail.mid(std::max<qsizetype>(0, tail.size() - lines));
    for (QString& line : tail) { line.truncate(240); }
    std::printf("--- last lines of %s ---\n%s\n", qPrintable(m_libvirtdLog), qPrintable(tail.join(QLatin1Char('\n'))));
    std::fflush(stdout);
    return QStringLiteral("\n(the end of libvirtd's log printed above)");
}

void LibvirtDaemons::printReport(const QByteArray& lines)
{
    for (const QByteArray& line : lines.split('\n')) {
        if (!line.isEmpty() && line != "ready") { std::printf("[ daemon   ] %s\n", line.constData()); }
    }
    std::fflush(stdout);
}

}  // namespace berth::testing
