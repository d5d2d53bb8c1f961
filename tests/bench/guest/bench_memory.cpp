// What an idle engine keeps of the host's memory and CPU, on the real guest under TCG, in one
// invocation: QEMU's resident memory right after the engine is ready (the baseline), right after
// a container filled and freed 1 GiB, and for a minute after, with the ratio to the baseline
// (target <= 1.25 a minute later); then QEMU's CPU over 30 idle seconds (target < 2 % of a core).
//
// Usage: berth_guest_bench_memory [MiB]   (default 1024: what the container fills)

#include "bench_records.h"
#include "e2e_support.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QThread>

#include <unistd.h>

#include <cstdio>

namespace {

// VmRSS of `pid` in MiB; -1 when it cannot be read.
double residentMiB(qint64 pid)
{
    QFile status(QStringLiteral("/proc/%1/status").arg(pid));
    if (!status.open(QIODevice::ReadOnly)) { return -1; }
    for (const QByteArray& line : status.readAll().split('\n')) {
        if (line.startsWith("VmRSS:")) { return line.mid(6).trimmed().split(' ').first().toDouble() / 1024.0; }
    }
    return -1;
}

// utime + stime of `pid`, in seconds.
double cpuSeconds(qint64 pid)
{
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly)) { return -1; }
    const QByteArray text = stat.readAll();
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const QList<QByteArray> fields = text.mid(text.lastIndexOf(')') + 2).split(' ');
    if (fields.size() < 13) { return -1; }
    return (fields.at(11).toDouble() + fields.at(12).toDouble()) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

}  // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const int fillMiB = argc > 1 ? std::max(64, std::atoi(argv[1])) : 1024;
    berth::e2e::Environment env;
    QString why;
    if (!env.setUp(&why)) {
        std::fprintf(stderr, "cannot run: %s\n", qPrintable(why));
        return 2;
    }
    const auto start = env.berthctl({"start"}, std::chrono::minutes(8));
    if (start.exitCode != 0) { qFatal("%s", qPrintable(start.describe())); }
    if (!env.importTinyImage()) { qFatal("cannot import %s", berth::e2e::kTinyImage); }
    const qint64 qemu = env.qemuPid();
    if (qemu <= 0) { qFatal("no QEMU pid in berthctl status"); }

    const double afterBoot = residentMiB(qemu);
    std::printf("QEMU resident memory (MiB)\n");
    std::printf("  after the engine is ready          %7.0f\n", afterBoot);
    const QString fill
        = QStringLiteral("busybox dd if=/dev/zero of=/scratch/fill bs=1M count=%1 2>/dev/null").arg(fillMiB);
    const auto run
        = env.docker({"--context", "berth", "run", "--rm", "--tmpfs",
                      QStringLiteral("/scratch:size=%1m").arg(fillMiB + 64), berth::e2e::kTinyImage, "sh", "-c", fill},
                     std::chrono::minutes(5));
    if (run.exitCode != 0) { qFatal("%s", qPrintable(run.describe())); }
    const double afterWorkload = residentMiB(qemu);
    std::printf("  after a container filled %4d MiB   %7.0f\n", fillMiB, afterWorkload);
    double later = afterWorkload;
    QElapsedTimer clock;
    clock.start();
    for (int second = 10; second <= 60; second += 10) {
        QThread::msleep(static_cast<unsigned long>(std::max<qint64>(0, second * 1000 - clock.elapsed())));
        later = residentMiB(qemu);
        std::printf("  %2d s after it exited               %7.0f\n", second, later);
        std::fflush(stdout);
    }
    std::printf("ratio a minute later / after boot    %7.2f   (target <= 1.25)\n", later / afterBoot);

    const double cpuBefore = cpuSeconds(qemu);
    clock.restart();
    QThread::sleep(30);
    const double idle = (cpuSeconds(qemu) - cpuBefore) / (static_cast<double>(clock.elapsed()) / 1000.0);
    std::printf("QEMU CPU while idle (30 s)           %6.1f %% of a core   (target < 2 %%)\n", idle * 100);
    const berth::bench::Records records("memory");
    records.add("rss_after_boot", "QEMU RSS, engine ready", "MiB", {afterBoot});
    records.add("rss_after_workload", QStringLiteral("QEMU RSS, a container filled %1 MiB").arg(fillMiB).toStdString(),
                "MiB", {afterWorkload}, "rss_after_boot");
    records.add("rss_minute_later", "QEMU RSS, a minute later", "MiB", {later}, "rss_after_boot");
    records.add("idle_cpu", "QEMU CPU, idle 30 s (% of a core)", "%", {idle * 100});
    env.tearDown();
    return 0;
}
