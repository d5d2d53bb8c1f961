// Prints the time from process start to the Settings window shown, and the idle RSS after it,
// offscreen. Targets: under 0.5 s and under 80 MB. A benchmark prints; it does not pass or fail
// on the numbers, so slow shared machines do not make it flaky.
#include <QApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "app_controller.h"
#include "bench_records.h"
#include "container_source.h"
#include "settings_window.h"
#include "static_engine.h"
#include "translations.h"
#include "user_prompts.h"

namespace {

// Seconds since the kernel started this process (field 22 of /proc/self/stat), so the figure
// includes loading Qt's libraries, not only what main() does.
double secondsSinceProcessStart()
{
    QFile stat(QStringLiteral("/proc/self/stat"));
    QFile uptime(QStringLiteral("/proc/uptime"));
    if (!stat.open(QIODevice::ReadOnly) || !uptime.open(QIODevice::ReadOnly)) { return -1; }
    const QByteArray s = stat.readAll();
    const QList<QByteArray> fields = s.mid(s.lastIndexOf(')') + 2).split(' ');  // fields from 3 on
    const double startTicks = fields.value(22 - 3).toDouble();
    const double now = uptime.readAll().split(' ').value(0).toDouble();
    return now - startTicks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double rssMiB()
{
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly)) { return -1; }
    for (const QByteArray& line : status.readAll().split('\n')) {
        if (line.startsWith("VmRSS:")) { return line.mid(6).trimmed().split(' ').value(0).toDouble() / 1024.0; }
    }
    return -1;
}

}  // namespace

int main(int argc, char* argv[])
{
    QElapsedTimer sinceMain;
    sinceMain.start();
    QApplication app(argc, argv);
    berth::gui::installTranslations();

    QTemporaryDir dir;
    berth::settings::SettingsPaths paths;
    const std::filesystem::path root = dir.path().toStdString();
    paths.adminFile = root / "admin-settings.json";  // absent: the common case
    paths.userFile = root / "settings-store.json";
    auto settings = berth::settings::Settings::load(paths);
    berth::gui::StaticEngine engine;
    berth::gui::NoContainers containers;
    berth::gui::MessageBoxPrompts prompts;
    berth::gui::AppController controller(
        {settings, engine, containers, prompts, berth::gui::AutostartEntry(dir.path()), QString()});
    controller.startUp(/*background=*/true);
    controller.showSettings();
    if (!QTest::qWaitForWindowExposed(controller.settingsWindow())) {
        std::fprintf(stderr, "the Settings window was not shown\n");
        return 1;
    }
    const double shownMs = static_cast<double>(sinceMain.nsecsElapsed()) / 1e6;
    const double processMs = secondsSinceProcessStart() * 1000.0;

    QTest::qWait(1000);  // idle: let lazy allocations settle before measuring memory
    const double rss = rssMiB();
    std::printf("start to Settings window shown: %.0f ms since process start (%.0f ms since main), target < 500 ms\n",
                processMs, shownMs);
    std::printf("idle RSS with the Settings window open: %.1f MiB, target < 80 MB\n", rss);
    const berth::bench::Records records("gui_start");
    records.add("start_to_window", "app start to the Settings window (offscreen)", "ms", {processMs});
    records.add("idle_rss", "app idle RSS, Settings window open", "MiB", {rss});
    return 0;
}
