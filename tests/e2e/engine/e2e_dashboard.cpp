// berth_e2e_dashboard: the desktop app's dashboard over the running engine (EngineClient,
// EngineContainers, DashboardWindow: the app's own code; only main() differs), driven as a user
// would, for tst_engine_e2e. It shows the dashboard and says "watching" once the engine's events
// flow; when the container named by --container shows as running it says "appeared", selects it
// and clicks Logs; once its output shows --expect-log it says "logs" and clicks Stop; once the
// table shows it exited it says "stopped <status>", opens the Images tab, says "image <repository>
// <tag> <in use>" for each image there, and exits 0.
//
//   berth_e2e_dashboard --container <name> --expect-log <text>
//
// It gives up (exit 3) after --deadline seconds, and ends (exit 4) when its standard input closes,
// so a test that gives up on it leaves nothing behind.

#include <QAction>
#include <QApplication>
#include <QCommandLineParser>
#include <QPlainTextEdit>
#include <QSocketNotifier>
#include <QTabWidget>
#include <QTableWidget>
#include <QTextDocument>
#include <QTimer>

#include <cstdio>
#include <memory>

#include <unistd.h>

#include "berth/endpoint/endpoint_certs.h"
#include "berth/engine/engine_client.h"
#include "berth/settings/settings.h"
#include "container_log_window.h"
#include "container_source.h"
#include "dashboard_window.h"
#include "storage_view.h"

namespace {

void say(const QString& line)
{
    std::fputs(qPrintable(line + QLatin1Char('\n')), stdout);
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char* argv[])
{
    QApplication app(argc, argv);
    QCommandLineParser options;
    const QCommandLineOption containerName(QStringLiteral("container"), QStringLiteral("the container to follow"),
                                           QStringLiteral("name"));
    const QCommandLineOption deadline(QStringLiteral("deadline"), QStringLiteral("seconds before giving up"),
                                      QStringLiteral("seconds"), QStringLiteral("180"));
    const QCommandLineOption expectLog(QStringLiteral("expect-log"), QStringLiteral("what its output shows"),
                                       QStringLiteral("text"));
    options.addOptions({containerName, deadline, expectLog});
    options.process(app);
    const QString name = options.value(containerName);

    auto settings = berth::settings::Settings::load(berth::settings::SettingsPaths::forCurrentUser());
    berth::engine::EngineClient engine;  // the engine berthctl started
    berth::gui::EngineContainers containers(engine, {berth::endpoint::defaultEngineCertsDir()});
    berth::gui::DashboardWindow window(engine, settings, containers);
    window.show();

    QObject::connect(&engine, &berth::engine::EngineHandle::statusChanged, &app,
                     [](const berth::engine::EngineStatus& status) {
                         say(QStringLiteral("state: ") + berth::engine::engineStateId(status.state));
                     });
    bool watching = false;
    QObject::connect(&containers, &berth::gui::ContainerSource::changed, &app, [&watching] {
        if (!watching) { say(QStringLiteral("watching")); }
        watching = true;
    });
    bool stopping = false;
    using Command = berth::gui::DashboardWindow::ContainerCommand;
    QObject::connect(&window, &berth::gui::DashboardWindow::containersShown, &app, [&] {
        QTableWidget* table = window.containersTable();
        for (int row = 0; row < table->rowCount(); ++row) {
            if (table->item(row, berth::gui::DashboardWindow::NameColumn)->text() != name) { continue; }
            const QString status = table->item(row, berth::gui::DashboardWindow::StatusColumn)->text();
            if (!stopping && status == QLatin1String("running")) {
                say(QStringLiteral("appeared ") + status);
                stopping = true;
                table->selectRow(row);
                window.containerCommand(Command::Logs)->trigger();
                auto* logs = window.findChild<berth::gui::ContainerLogWindow*>();
                // Once only, and never again: not while the log window is torn down at exit.
                auto watch = std::make_shared<QMetaObject::Connection>();
                *watch = QObject::connect(logs->view()->document(), &QTextDocument::contentsChanged, logs,
                                          [&, logs, watch] {
                                              if (!logs->text().contains(options.value(expectLog))) { return; }
                                              QObject::disconnect(*watch);
                                              say(QStringLiteral("logs"));
                                              window.containerCommand(Command::Stop)->trigger();
                                          });
            } else if (stopping && status.startsWith(QLatin1String("exited"))) {
                say(QStringLiteral("stopped ") + status);
                stopping = false;
                // The disk usage is asked for as the tab opens.
                QObject::connect(&window, &berth::gui::DashboardWindow::diskUsageShown, &app, [&window] {
                    QTableWidget* images = window.imagesView()->table();
                    for (int i = 0; i < images->rowCount(); ++i) {
                        say(QStringLiteral("image %1 %2 %3")
                                .arg(images->item(i, 0)->text(), images->item(i, 1)->text(),
                                     images->item(i, 5)->text()));
                    }
                    say(window.diskUsageLine());
                    QCoreApplication::exit(0);
                });
                window.tabs()->setCurrentWidget(window.imagesView());
            }
        }
    });
    engine.refresh();  // connect to it now, as the app does at start-up
    QTimer::singleShot(options.value(deadline).toInt() * 1000, &app, [&window] {
        say(QStringLiteral("timeout: ") + window.containerMessage());
        QCoreApplication::exit(3);
    });
    QSocketNotifier input(STDIN_FILENO, QSocketNotifier::Read);
    QObject::connect(&input, &QSocketNotifier::activated, &app, [&input] {
        char buffer[256];
        if (::read(STDIN_FILENO, buffer, sizeof buffer) <= 0) {
            input.setEnabled(false);
            QCoreApplication::exit(4);
        }
    });
    return QApplication::exec();
}
