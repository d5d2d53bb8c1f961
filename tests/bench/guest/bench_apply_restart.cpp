// Apply & restart on the real guest under TCG, as a user does it: the Enhanced Container
// Isolation setting toggled, then berth-engine asked to restart (berthctl restart sends the same
// request as the Settings window's Apply & restart), timed from the request to a ready engine
// (dockerd answering /_ping over TLS, when berthctl returns). Each round restarts an idle engine,
// then one running five containers, then times `berthctl stop`; the engine is started again
// untimed with ECI flipped once more, so the restarts alternate between turning it on and off.
//
// Usage: berth_guest_bench_apply_restart [ROUNDS]   (default 3)

#include "bench_records.h"
#include "e2e_support.h"

#include <QCoreApplication>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

namespace {

constexpr int kBusyContainers = 5;

using berth::e2e::Environment;

void mustSucceed(const Environment& env, const berth::e2e::Run& run)
{
    if (run.exitCode != 0) { qFatal("%s%s", qPrintable(run.describe()), qPrintable(env.diagnostics())); }
}

void setIsolation(const Environment& env, bool eci)
{
    mustSucceed(env, env.berthctl({"settings", "set", "enhancedContainerIsolation", eci ? "true" : "false"}));
}

// Applies ECI as asked and restarts the engine: the seconds from the restart request to ready.
double applyAndRestart(const Environment& env, bool eci)
{
    setIsolation(env, eci);
    const auto restart = env.berthctl({"restart"}, std::chrono::minutes(8));
    mustSucceed(env, restart);
    // dockerd's default runtime says whether the restarted engine took the setting.
    const auto runtime = env.docker({"--context", "berth", "info", "--format", "{{.DefaultRuntime}}"});
    if (runtime.exitCode != 0 || (runtime.output.trimmed() == "sysbox-runc") != eci) {
        qFatal("ECI %s after the restart, but: %s", eci ? "on" : "off", qPrintable(runtime.describe()));
    }
    return restart.seconds;
}

QString busyName(int i)
{
    return QStringLiteral("bench-busy-%1").arg(i);
}

// Containers that exit at once on SIGTERM, as a served application does: a bare `sleep` as a
// container's PID 1 ignores it, and dockerd's shutdown would wait out its 10 s stop timeout.
void startBusyContainers(const Environment& env)
{
    for (int i = 0; i < kBusyContainers; ++i) {
        mustSucceed(env,
                    env.docker({"--context", "berth", "run", "-d", "--name", busyName(i), berth::e2e::kTinyImage, "sh",
                                "-c", "trap 'exit 0' TERM; sleep 3600 & wait"}));
    }
    const auto running = env.docker({"--context", "berth", "ps", "-q"});
    if (running.output.trimmed().split('\n').size() != kBusyContainers) {
        qFatal("expected %d running containers: %s", kBusyContainers, qPrintable(running.describe()));
    }
}

void removeBusyContainers(const Environment& env)
{
    QStringList args = {"--context", "berth", "rm", "-f"};
    for (int i = 0; i < kBusyContainers; ++i) { args << busyName(i); }
    mustSucceed(env, env.docker(args));
}

}  // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const int rounds = argc > 1 ? std::max(1, std::atoi(argv[1])) : 3;
    Environment env;
    QString why;
    if (!env.setUp(&why)) {
        std::fprintf(stderr, "cannot run: %s\n", qPrintable(why));
        return 2;
    }
    bool eci = false;
    setIsolation(env, eci);
    mustSucceed(env, env.berthctl({"start"}, std::chrono::minutes(8)));
    if (!env.importTinyImage()) { qFatal("cannot import %s", berth::e2e::kTinyImage); }

    std::vector<double> idle, busy, stop;
    std::printf("round  Apply & restart idle | with %d containers | berthctl stop   (s)\n", kBusyContainers);
    for (int round = 1; round <= rounds; ++round) {
        eci = !eci;
        idle.push_back(applyAndRestart(env, eci));
        const char* idleTurns = eci ? "on" : "off";
        startBusyContainers(env);
        eci = !eci;
        busy.push_back(applyAndRestart(env, eci));
        removeBusyContainers(env);
        const auto stopped = env.berthctl({"stop"}, std::chrono::minutes(2));
        mustSucceed(env, stopped);
        stop.push_back(stopped.seconds);
        std::printf("%5d  %13.1f (ECI %-3s) | %8.1f (ECI %-3s) | %13.1f\n", round, idle.back(), idleTurns, busy.back(),
                    eci ? "on" : "off", stop.back());
        std::fflush(stdout);
        if (round < rounds) {
            eci = !eci;  // the next round's restarts turn it the other way
            setIsolation(env, eci);
            mustSucceed(env, env.berthctl({"start"}, std::chrono::minutes(8)));
        }
    }
    std::printf("\nmedian over %d rounds (TCG):\n", rounds);
    std::printf("  Apply & restart (ECI toggled), idle        %6.1f s\n", berth::bench::median(idle));
    std::printf("  Apply & restart, %d containers running      %6.1f s\n", kBusyContainers, berth::bench::median(busy));
    std::printf("  berthctl stop                              %6.1f s\n", berth::bench::median(stop));
    const berth::bench::Records records("apply_restart");
    records.add("idle", "Apply & restart (ECI toggled), idle", "s", idle);
    records.add("busy", "Apply & restart (ECI toggled), " + std::to_string(kBusyContainers) + " containers running",
                "s", busy, "idle");
    records.add("stop", "berthctl stop", "s", stop);
    env.tearDown();
    return 0;
}
