// `docker run --rm berth-e2e/tiny:1 true` on the real guest under TCG, the median of a few runs
// with Enhanced Container Isolation on against the same with it off, in one invocation: ECI off
// first (the baseline: Debian's runc, no user namespace), then the setting switched on and the
// engine restarted the way a user does it. The ratio is what isolation costs a container start
// (the spec rewrite, the ID-block file, the ID-mapped mounts); the target is 1.15 or less.
//
// Usage: berth_guest_bench_docker_run [RUNS]   (default 5 per mode, after one untimed warm-up)

#include "bench_records.h"
#include "e2e_support.h"

#include <QCoreApplication>
#include <QFile>

#include <algorithm>
#include <cstdio>
#include <vector>

namespace {

using berth::bench::median;

// Starts (or restarts) the engine with ECI as asked and times `runs` container starts.
std::vector<double> timeRuns(berth::e2e::Environment& env, bool eci, int runs)
{
    const auto set = env.berthctl({"settings", "set", "enhancedContainerIsolation", eci ? "true" : "false"});
    if (set.exitCode != 0) { qFatal("%s", qPrintable(set.describe())); }
    const bool running = env.engineState() == "running";
    const auto start = env.berthctl({running ? "restart" : "start"}, std::chrono::minutes(8));
    if (start.exitCode != 0) { qFatal("%s", qPrintable(start.describe())); }
    if (!env.importTinyImage()) { qFatal("cannot import %s", berth::e2e::kTinyImage); }
    const QStringList run = {"--context", "berth", "run", "--rm", berth::e2e::kTinyImage, "true"};
    // The map shows which runtime ran it: "0 100000 65536" isolated, "0 0 4294967295" not.
    const auto map
        = env.docker({"--context", "berth", "run", "--rm", berth::e2e::kTinyImage, "cat", "/proc/self/uid_map"});
    const bool isolated = map.exitCode == 0 && !map.output.simplified().startsWith("0 0 ");
    if (map.exitCode != 0 || isolated != eci) {
        qFatal("ECI %s, but: %s", eci ? "on" : "off", qPrintable(map.describe()));
    }
    // The machine is shared: its load during each mode says how far apart the medians can be.
    QFile loadavg("/proc/loadavg");
    const QByteArray load = loadavg.open(QIODevice::ReadOnly) ? loadavg.readLine().trimmed() : QByteArray("?");
    std::printf("  ECI %s, load average at the start: %s\n", eci ? "on" : "off", load.constData());
    std::vector<double> seconds;
    for (int i = 0; i < runs; ++i) {
        const auto r = env.docker(run);
        if (r.exitCode != 0) { qFatal("%s", qPrintable(r.describe())); }
        seconds.push_back(r.seconds);
        std::printf("  ECI %-3s run %d: %6.2f s\n", eci ? "on" : "off", i + 1, r.seconds);
        std::fflush(stdout);
    }
    return seconds;
}

}  // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const int runs = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
    berth::e2e::Environment env;
    QString why;
    if (!env.setUp(&why)) {
        std::fprintf(stderr, "cannot run: %s\n", qPrintable(why));
        return 2;
    }
    std::printf("docker run --rm %s true, %d runs per mode (TCG)\n", berth::e2e::kTinyImage, runs);
    const auto off = timeRuns(env, false, runs);
    const auto on = timeRuns(env, true, runs);
    std::printf("\nmedian ECI off (baseline)  %6.2f s\n", median(off));
    std::printf("median ECI on              %6.2f s\n", median(on));
    std::printf("ratio on / off             %6.2f   (target <= 1.15)\n", median(on) / median(off));
    const berth::bench::Records records("docker_run");
    records.add("eci_off", "docker run --rm, ECI off", "s", off);
    records.add("eci_on", "docker run --rm, ECI on", "s", on, "eci_off");
    env.tearDown();
    return 0;
}
