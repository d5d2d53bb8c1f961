// Screenshots of Settings > General and Settings > Resources (file sharing), unlocked and locked
// by an admin file, and of the dashboard with a compose project, in English and Simplified
// Chinese, for the docs. See resources/screenshots/README.md for the
// command.
#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QHash>
#include <QLabel>
#include <QLineEdit>
#include <QPainter>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QTranslator>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "apply_restart.h"
#include "container_log_window.h"
#include "container_source.h"
#include "dashboard_window.h"
#include "setting_editor.h"
#include "settings_draft.h"
#include "settings_window.h"
#include "static_engine.h"
#include "user_prompts.h"

namespace {

using namespace berth;

// The tooltip a hover would show, painted under the control (a real tooltip is its own window).
void paintTooltip(QPixmap& shot, QWidget* window, QWidget* control)
{
    QLabel tip(control->toolTip());
    tip.setForegroundRole(QPalette::ToolTipText);
    tip.setBackgroundRole(QPalette::ToolTipBase);
    tip.setAutoFillBackground(true);
    tip.setMargin(4);
    tip.setFrameShape(QFrame::Box);
    tip.adjustSize();
    const QPoint at = control->mapTo(window, QPoint(24, control->height() + 2));
    QPainter painter(&shot);
    painter.drawPixmap(QPointF(at), tip.grab());
}

// One page of the Settings window, with the tooltip of `key`'s editor when the admin file locks it.
bool shoot(const QString& adminFile, settings::Page page, std::string_view key, const QString& outFile)
{
    QTemporaryDir dir;
    settings::SettingsPaths paths;
    paths.adminFile = adminFile.isEmpty() ? std::filesystem::path(dir.path().toStdString()) / "none.json"
                                          : std::filesystem::path(adminFile.toStdString());
    paths.userFile = std::filesystem::path(dir.path().toStdString()) / "settings-store.json";
    paths.adminRules.trustedOwner = ::geteuid();  // the example file plays a deployed one

    settings::Settings s = settings::Settings::load(paths);
    gui::StaticEngine engine;
    gui::NoContainers containers;
    gui::MessageBoxPrompts prompts;
    gui::SettingsDraft draft(s);
    gui::ApplyRestart applier(draft, engine, containers, prompts);
    gui::SettingsWindow window(draft, applier, engine);
    window.resize(900, 720);
    window.showPage(static_cast<int>(page));
    window.show();
    if (!QTest::qWaitForWindowExposed(&window)) { return false; }
    QPixmap shot = window.grab();
    gui::SettingEditor* editor = window.editor(key);
    if (editor->isLocked()) { paintTooltip(shot, &window, editor->control()); }
    if (!shot.save(outFile)) { return false; }
    std::printf("%s\n", qPrintable(outFile));
    return true;
}

// A compose project and a loose container, as `docker compose up` and `docker run` leave them.
class ShowcaseContainers final : public gui::ContainerSource {
public:
    QVector<gui::ContainerInfo> list() override
    {
        const QDateTime now = QDateTime::currentDateTimeUtc();
        const auto container = [&now](const char* name, const char* image, const char* state, const char* status,
                                      qint64 age, const char* project) {
            gui::ContainerInfo c;
            c.id = QString::fromLatin1(name) + QStringLiteral("-0123456789ab");
            c.name = QString::fromLatin1(name);
            c.image = QString::fromLatin1(image);
            c.runtime = QString::fromLatin1(contracts::kEciRuntime);
            c.state = QString::fromLatin1(state);
            c.status = QString::fromLatin1(status);
            c.created = now.addSecs(-age);
            c.composeProject = QString::fromLatin1(project);
            return c;
        };
        auto web = container("shop-web-1", "nginx:1.27-alpine", "running", "Up 12 minutes", 12 * 60, "shop");
        web.ports = {{QStringLiteral("tcp"), QStringLiteral("0.0.0.0"), 8080, 80}};
        return {web, container("shop-db-1", "postgres:16", "running", "Up 12 minutes", 12 * 60, "shop"),
                container("shop-worker-1", "shop/worker:dev", "exited", "Exited (1) 3 minutes ago", 12 * 60, "shop"),
                container("scratch", "alpine:3.20", "paused", "Up 2 days (Paused)", 2 * 86400, "")};
    }
    QString removeAll() override { return {}; }
    void act(const QString&, endpoint::ContainerAction, QObject*, Acted) override {}
    void remove(const QString&, QObject*, Acted) override {}
    void followLogs(const QString&, gui::ContainerLogWindow*) override {}
    void diskUsage(QObject* context, Usage done) override
    {
        endpoint::DiskUsage usage;
        const qint64 created = QDateTime::currentSecsSinceEpoch() - 3 * 86400;
        usage.images
            = {{QStringLiteral("sha256:4f1c0e7a9b2d"), {QStringLiteral("nginx:1.27-alpine")}, 48'300'000, created, 1},
               {QStringLiteral("sha256:9a8b7c6d5e4f"), {QStringLiteral("postgres:16")}, 438'000'000, created, 1},
               {QStringLiteral("sha256:0d1e2f3a4b5c"), {QStringLiteral("shop/worker:dev")}, 212'000'000, created, 1},
               {QStringLiteral("sha256:77aa88bb99cc"), {}, 212'000'000, created - 86400, 0}};
        usage.volumes = {{QStringLiteral("shop_pgdata"), QStringLiteral("local"), 61'400'000, 1},
                         {QStringLiteral("scratch-cache"), QStringLiteral("local"), 8'200'000, 0}};
        usage.imagesSize = 702'000'000;
        usage.containersSize = 3'100'000;
        usage.volumesSize = 69'600'000;
        usage.buildCacheSize = 125'000'000;
        QTimer::singleShot(0, context, [usage, done = std::move(done)] { done(usage, {}); });
    }
    // Two samples a second apart (of 2 CPUs): the web container busier than the database.
    void stats(const QString& id, QObject* context, Sampled done) override
    {
        const int n = ++m_sampled[id];
        const bool web = id.startsWith(QStringLiteral("shop-web"));
        endpoint::ContainerStats sample;
        sample.onlineCpus = 2;
        sample.systemNanoseconds = static_cast<quint64>(n) * 2'000'000'000ULL;
        sample.cpuNanoseconds = static_cast<quint64>(n) * (web ? 62'000'000ULL : 9'000'000ULL);
        sample.memoryBytes = web ? 14'600'000 : 41'900'000;
        QTimer::singleShot(0, context, [sample, done = std::move(done)] { done(sample, {}); });
    }
    void removeImage(const QString&, QObject*, Acted) override {}
    void removeVolume(const QString&, QObject*, Acted) override {}
    void prune(endpoint::Prune, QObject*, Pruned) override {}

private:
    QHash<QString, int> m_sampled;
};

// The dashboard with ShowcaseContainers on tab `tab` (Containers, Images, Volumes), the second row
// selected.
bool shootDashboard(int tab, const QString& outFile)
{
    QTemporaryDir dir;
    settings::SettingsPaths paths;
    paths.adminFile = std::filesystem::path(dir.path().toStdString()) / "none.json";
    paths.userFile = std::filesystem::path(dir.path().toStdString()) / "settings-store.json";
    std::ofstream(paths.userFile) << R"({"enhancedContainerIsolation": true})";
    const settings::Settings s = settings::Settings::load(paths);
    gui::StaticEngine engine;
    engine.setEnginePort(52137);
    ShowcaseContainers containers;
    gui::DashboardWindow window(engine, s, containers);
    window.resize(1100, 600);
    window.show();
    if (!QTest::qWaitForWindowExposed(&window) || !QTest::qWaitFor([&window] { return !window.refreshing(); })) {
        return false;
    }
    window.tabs()->setCurrentIndex(tab);
    if (!QTest::qWaitFor([&window] { return !window.diskUsageLoading(); })) { return false; }
    window.sampleStats();
    window.sampleStats();
    const auto measured
        = [&window] { return !window.containersTable()->item(1, gui::DashboardWindow::UsageColumn)->text().isEmpty(); };
    if (tab == 0 && !QTest::qWaitFor(measured)) { return false; }
    window.containersTable()->selectRow(1);
    QPixmap shot = window.grab();
    if (!shot.save(outFile)) { return false; }
    std::printf("%s\n", qPrintable(outFile));
    return true;
}

// A container's logs window, with a search for "404" selected.
bool shootLogs(const QString& outFile)
{
    gui::ContainerLogWindow window(QStringLiteral("shop-web-1"));
    window.append(
        "/docker-entrypoint.sh: Configuration complete; ready for start up\n"
        "2026/12/01 09:14:02 [notice] 1#1: nginx/1.27.3\n"
        "2026/12/01 09:14:02 [notice] 1#1: start worker processes\n"
        "172.17.0.1 - - [01/Dec/2026:09:15:40 +0000] \"GET / HTTP/1.1\" 200 615 \"-\" \"curl/8.11.0\"\n"
        "172.17.0.1 - - [01/Dec/2026:09:15:41 +0000] \"GET /favicon.ico HTTP/1.1\" 404 153 \"-\" \"Firefox\"\n",
        false);
    window.append("2026/12/01 09:15:41 [error] 29#29: *2 open() \"/usr/share/nginx/html/favicon.ico\" failed (2: No "
                  "such file or directory)\n",
                  true);
    window.show();
    if (!QTest::qWaitForWindowExposed(&window)) { return false; }
    window.search()->setText(QStringLiteral("404"));
    if (!window.grab().save(outFile)) { return false; }
    std::printf("%s\n", qPrintable(outFile));
    return true;
}

}  // namespace

int main(int argc, char* argv[])
{
    QApplication app(argc, argv);
    QCommandLineParser options;
    options.addHelpOption();
    const QCommandLineOption out(QStringLiteral("out"), QStringLiteral("Directory for the PNG files."),
                                 QStringLiteral("dir"), QStringLiteral("screenshots"));
    const QCommandLineOption admin(QStringLiteral("admin"), QStringLiteral("Admin file for the locked ECI shots."),
                                   QStringLiteral("file"),
                                   QStringLiteral(BERTH_SOURCE_DIR "/tests/data/admin/eci-locked.json"));
    const QCommandLineOption sharingAdmin(
        QStringLiteral("sharing-admin"), QStringLiteral("Admin file for the locked file-sharing shots."),
        QStringLiteral("file"), QStringLiteral(BERTH_SOURCE_DIR "/tests/data/admin/filesharing-locked.json"));
    options.addOptions({out, admin, sharingAdmin});
    options.process(app);
    QDir().mkpath(options.value(out));

    bool ok = true;
    for (const QString& locale : {QStringLiteral("en"), QStringLiteral("zh_CN")}) {
        QTranslator translator;
        if (!translator.load(QStringLiteral(":/i18n/berth_%1.qm").arg(locale))) {
            std::fprintf(stderr, "no translation for %s\n", qPrintable(locale));
            return 1;
        }
        QCoreApplication::installTranslator(&translator);
        const QString dir = options.value(out);
        const auto general = settings::Page::General;
        const auto resources = settings::Page::Resources;
        const auto eci = settings::keys::kEnhancedContainerIsolation;
        const auto sharing = settings::keys::kFileSharingDirectories;
        ok = shoot({}, general, eci, QStringLiteral("%1/settings-general-unlocked-%2.png").arg(dir, locale)) && ok;
        ok = shoot(options.value(admin), general, eci,
                   QStringLiteral("%1/settings-general-locked-%2.png").arg(dir, locale))
            && ok;
        ok = shoot({}, resources, sharing, QStringLiteral("%1/settings-resources-unlocked-%2.png").arg(dir, locale))
            && ok;
        ok = shoot(options.value(sharingAdmin), resources, sharing,
                   QStringLiteral("%1/settings-resources-locked-%2.png").arg(dir, locale))
            && ok;
        ok = shootDashboard(0, QStringLiteral("%1/dashboard-containers-%2.png").arg(dir, locale)) && ok;
        ok = shootDashboard(1, QStringLiteral("%1/dashboard-images-%2.png").arg(dir, locale)) && ok;
        ok = shootDashboard(2, QStringLiteral("%1/dashboard-volumes-%2.png").arg(dir, locale)) && ok;
        ok = shootLogs(QStringLiteral("%1/dashboard-logs-%2.png").arg(dir, locale)) && ok;
        QCoreApplication::removeTranslator(&translator);
    }
    return ok ? 0 : 1;
}
