// Boot to a ready engine under TCG, the way a user starts it (berthctl start: berth-engine, QEMU,
// the guest agent, containerd, dockerd, the TLS /_ping), with the guest's own breakdown read
// from the agent's timestamps on the serial console. The baseline, run in the same invocation,
// is the test guest (Debian's cloud kernel of the host's release, no engine) booted to its agent's
// ready by the same controller: the ratio is what the engine costs on top of a bare boot. The
// kernel phase is the guest's uptime when the agent starts; what QEMU does before the guest's
// clock starts (firmware, loading the kernel) counts in the host phase.
//
// Usage: berth_guest_bench_boot [ROUNDS]   (default 3; each round is a cold start and a stop)

#include "bench_records.h"
#include "e2e_support.h"

#include "berth/contracts/guest_config.h"
#include "berth/vm/engine_controller.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <map>
#include <vector>

namespace {

using berth::bench::median;

// Guest uptime (s) at each agent milestone, from lines like "[   18.573] berth-agent: phase: starting dockerd".
std::map<QString, double> agentMilestones(const QByteArray& serialLog)
{
    std::map<QString, double> at;
    static const QRegularExpression line(QStringLiteral(R"(\[\s*([0-9.]+)\] berth-agent: (.*))"));
    for (const QByteArray& raw : serialLog.split('\n')) {
        const auto match = line.match(QString::fromUtf8(raw));
        if (!match.hasMatch()) { continue; }
        const QString what = match.captured(2).trimmed();  // the console ends lines with \r\n
        const double t = match.captured(1).toDouble();
        if (what.startsWith("starting (kernel up")) { at.emplace("agent", t); }
        if (what == "phase: starting containerd") { at.emplace("containerd", t); }
        if (what == "phase: starting dockerd") { at.emplace("dockerd", t); }
        if (what == "engine ready") { at.emplace("ready", t); }
    }
    return at;
}

double bareBootSeconds(const QString& testGuestDir)
{
    using berth::vm::EngineController;
    QTemporaryDir dir;
    berth::vm::EngineOptions options;
    options.instanceDir = dir.filePath("bare");
    options.kernel = testGuestDir + "/vmlinux";
    options.initrd = testGuestDir + "/initramfs.img";
    options.accelerator = berth::vm::EngineOptions::AcceleratorChoice::Tcg;
    options.engineGuestPort = 0;
    EngineController controller(options);
    QEventLoop loop;
    QObject::connect(&controller, &EngineController::operationFinished, &loop, [&] { loop.quit(); });
    QElapsedTimer clock;
    clock.start();
    // The test guest reads its config strictly: a whole one, as the host makes it.
    controller.start(berth::vm::planFor(
        QByteArray::fromStdString(berth::contracts::toJson(berth::contracts::GuestConfig{}).dump())));
    loop.exec();
    const double seconds = static_cast<double>(clock.elapsed()) / 1000.0;
    if (controller.state() != berth::vm::EngineState::Running) {
        qFatal("bare boot failed: %s", qPrintable(controller.stateDetail()));
    }
    controller.stop();
    loop.exec();
    return seconds;
}

}  // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const int rounds = argc > 1 ? std::max(1, std::atoi(argv[1])) : 3;
    berth::e2e::Environment env;
    QString why;
    if (!env.setUp(&why)) {
        std::fprintf(stderr, "cannot run: %s\n", qPrintable(why));
        return 2;
    }
    const QString testGuest = qEnvironmentVariable("BERTH_TEST_GUEST_DIR");

    std::vector<double> bare, total, kernel, setup, containerd, dockerd, hostCheck;
    std::printf("round  bare | berthctl start = kernel+initramfs + agent setup + containerd + dockerd + host (TLS "
                "ping, launch)   (s)\n");
    for (int round = 1; round <= rounds; ++round) {
        bare.push_back(bareBootSeconds(testGuest));
        const auto start = env.berthctl({"start"}, std::chrono::minutes(6));
        if (start.exitCode != 0) { qFatal("%s", qPrintable(start.describe())); }
        const auto at = agentMilestones(env.serialLog());
        if (at.size() != 4) { qFatal("the serial log lacks the agent's milestones"); }
        total.push_back(start.seconds);
        kernel.push_back(at.at("agent"));
        setup.push_back(at.at("containerd") - at.at("agent"));
        containerd.push_back(at.at("dockerd") - at.at("containerd"));
        dockerd.push_back(at.at("ready") - at.at("dockerd"));
        hostCheck.push_back(start.seconds - at.at("ready"));
        std::printf("%5d %5.1f | %14.1f = %16.1f + %11.1f + %10.1f + %7.1f + %5.1f\n", round, bare.back(), total.back(),
                    kernel.back(), setup.back(), containerd.back(), dockerd.back(), hostCheck.back());
        std::fflush(stdout);
        const auto stop = env.berthctl({"stop"}, std::chrono::minutes(2));
        if (stop.exitCode != 0) { qFatal("%s", qPrintable(stop.describe())); }
    }
    std::printf("\nmedian over %d rounds (TCG):\n", rounds);
    std::printf("  bare boot of the test guest (no engine)    %6.1f s\n", median(bare));
    std::printf("  berthctl start to a ready engine           %6.1f s\n", median(total));
    std::printf("    kernel + initramfs (to the agent)        %6.1f s\n", median(kernel));
    std::printf("    agent: modules, network, data disk       %6.1f s\n", median(setup));
    std::printf("    containerd                               %6.1f s\n", median(containerd));
    std::printf("    dockerd                                  %6.1f s\n", median(dockerd));
    std::printf("    host: launch, firmware, TLS /_ping       %6.1f s\n", median(hostCheck));
    std::printf("  ratio engine-ready / bare boot             %6.2f\n", median(total) / median(bare));
    const berth::bench::Records records("boot");
    records.add("bare_boot", "bare boot of the test guest (no engine)", "s", bare);
    records.add("start_to_ready", "berthctl start to a ready engine", "s", total, "bare_boot");
    records.add("kernel", "boot phase: kernel and initramfs", "s", kernel);
    records.add("agent_setup", "boot phase: agent (modules, network, data disk)", "s", setup);
    records.add("containerd", "boot phase: containerd", "s", containerd);
    records.add("dockerd", "boot phase: dockerd", "s", dockerd);
    records.add("host", "boot phase: host (launch, firmware, TLS /_ping)", "s", hostCheck);
    env.tearDown();
    return 0;
}
