// The dashboard's Containers table follows the container source's change notifications: a
// container the fake adds appears, its status changes show, a removed one goes; the columns keep
// their widths and the selection stays on the same container. The selected container's actions
// (start, stop, restart, pause, resume, remove, terminal, browser) follow its state, run without
// blocking and say what failed; the filter and the compose groups.
#include <QAction>
#include <QCheckBox>
#include <QFile>
#include <QHeaderView>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPointer>
#include <QPushButton>
#include <QScrollBar>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

#include "dashboard_window.h"
#include "gui_test_support.h"
#include "storage_view.h"
#include "tray_icon.h"

using namespace berth;
using berth::test::FakeContainers;
using berth::test::FakeEngine;
using berth::test::SettingsFiles;
using gui::DashboardWindow;
using Command = gui::DashboardWindow::ContainerCommand;

namespace {

gui::ContainerInfo containerNamed(const QString& name, const QString& state, const QString& status)
{
    gui::ContainerInfo c;
    c.id = name + QStringLiteral("-id");
    c.name = name;
    c.image = QStringLiteral("docker.io/library/nginx:1.27-alpine");
    c.runtime = QStringLiteral("runc");
    c.state = state;
    c.status = status;
    c.created = QDateTime::currentDateTimeUtc().addSecs(-5 * 60);
    c.ports = {{QStringLiteral("tcp"), QStringLiteral("0.0.0.0"), 8080, 80},
               {QStringLiteral("tcp"), QStringLiteral("::"), 8080, 80},
               {QStringLiteral("tcp"), QStringLiteral("127.0.0.1"), 9000, 9000}};
    return c;
}

}  // namespace

class TestDashboardLive : public QObject {
    Q_OBJECT

private:
    struct Rig {
        SettingsFiles files;
        settings::Settings settings;
        FakeEngine engine;
        FakeContainers containers{engine.calls};
        DashboardWindow window;

        Rig()
            : settings(settings::Settings::load(files.paths)),
              engine(files.paths),
              window(engine, settings, containers)
        {}
        // The fake says the containers changed; the table follows once the list has arrived.
        void changed()
        {
            emit containers.changed();
            QTRY_VERIFY(!window.refreshing());
        }
        QString cell(int row, int column) const { return window.containersTable()->item(row, column)->text(); }
        int rowOf(const QString& name) const
        {
            for (int row = 0; row < window.containersTable()->rowCount(); ++row) {
                if (cell(row, DashboardWindow::NameColumn) == name) { return row; }
            }
            return -1;
        }
        void select(const QString& name)
        {
            const int row = rowOf(name);
            QVERIFY2(row >= 0, qPrintable(name));
            window.containersTable()->selectRow(row);
            QCOMPARE(window.selectedContainer()->name, name);
        }
        bool enabled(Command command) const { return window.containerCommand(command)->isEnabled(); }
        // Triggers the command and waits for its answer and the list after it.
        void run(Command command)
        {
            window.containerCommand(command)->trigger();
            QTRY_VERIFY(!window.containerActionPending());
            QTRY_VERIFY(!window.refreshing());
        }
    };

private slots:
    void aContainerAppearsChangesAndGoes()
    {
        Rig rig;
        QTableWidget* t = rig.window.containersTable();
        QTRY_VERIFY(!rig.window.refreshing());
        QCOMPARE(t->rowCount(), 0);

        rig.containers.containers
            = {containerNamed(QStringLiteral("web"), QStringLiteral("running"), QStringLiteral("Up 5 minutes"))};
        rig.changed();
        QCOMPARE(t->rowCount(), 1);
        QCOMPARE(rig.cell(0, DashboardWindow::NameColumn), QStringLiteral("web"));
        QCOMPARE(rig.cell(0, DashboardWindow::StatusColumn), QStringLiteral("running"));
        QCOMPARE(rig.cell(0, DashboardWindow::PortsColumn), QStringLiteral("127.0.0.1:8080->80/tcp"));
        QCOMPARE(rig.cell(0, DashboardWindow::CreatedColumn), QStringLiteral("5 minutes ago"));
        QCOMPARE(rig.cell(0, DashboardWindow::RuntimeColumn), QStringLiteral("runc"));

        rig.containers.containers[0].state = QStringLiteral("exited");
        rig.containers.containers[0].status = QStringLiteral("Exited (137) 2 seconds ago");
        rig.changed();
        QCOMPARE(rig.cell(0, DashboardWindow::StatusColumn), QStringLiteral("exited (137)"));
        QCOMPARE(t->item(0, DashboardWindow::StatusColumn)->toolTip(), QStringLiteral("Exited (137) 2 seconds ago"));

        rig.containers.containers[0].state = QStringLiteral("paused");
        rig.changed();
        QCOMPARE(rig.cell(0, DashboardWindow::StatusColumn), QStringLiteral("paused"));

        rig.containers.containers.clear();
        rig.changed();
        QCOMPARE(t->rowCount(), 0);
    }

    void columnsAreNotCollapsedAndTheSelectionStays()
    {
        Rig rig;
        rig.window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&rig.window));
        QTableWidget* t = rig.window.containersTable();
        QHeaderView* header = t->horizontalHeader();
        rig.containers.containers
            = {containerNamed(QStringLiteral("a-container-with-a-long-name"), QStringLiteral("running"),
                              QStringLiteral("Up 1 second")),
               containerNamed(QStringLiteral("db"), QStringLiteral("running"), QStringLiteral("Up 1 second"))};
        rig.changed();
        QCOMPARE(t->rowCount(), 2);
        const int nameWidth = header->sectionSize(DashboardWindow::NameColumn);
        const int imageWidth = header->sectionSize(DashboardWindow::ImageColumn);
        const int portsWidth = header->sectionSize(DashboardWindow::PortsColumn);
        QVERIFY(nameWidth >= static_cast<QAbstractItemView*>(t)->sizeHintForColumn(DashboardWindow::NameColumn));
        QVERIFY(imageWidth > header->sectionSizeHint(DashboardWindow::ImageColumn));
        QVERIFY(portsWidth > header->sectionSizeHint(DashboardWindow::PortsColumn));

        t->selectRow(1);
        // A new container comes first; "db" is still there and stays selected.
        rig.containers.containers.prepend(
            containerNamed(QStringLiteral("new"), QStringLiteral("created"), QStringLiteral("Created")));
        rig.changed();
        QCOMPARE(t->rowCount(), 3);
        const auto selected = t->selectionModel()->selectedRows();
        QCOMPARE(selected.size(), 1);
        QCOMPARE(rig.cell(selected.first().row(), DashboardWindow::NameColumn), QStringLiteral("db"));
        QCOMPARE(header->sectionSize(DashboardWindow::NameColumn), nameWidth);
        QCOMPARE(header->sectionSize(DashboardWindow::ImageColumn), imageWidth);

        // An empty list (the engine restarting) does not collapse the columns either.
        rig.containers.containers.clear();
        rig.changed();
        QCOMPARE(t->rowCount(), 0);
        QCOMPARE(header->sectionSize(DashboardWindow::NameColumn), nameWidth);
        QCOMPARE(header->sectionSize(DashboardWindow::PortsColumn), portsWidth);
    }

    void changesWhileAListIsOnItsWayMakeOneMore()
    {
        Rig rig;
        QTRY_VERIFY(!rig.window.refreshing());
        rig.containers.containers
            = {containerNamed(QStringLiteral("web"), QStringLiteral("running"), QStringLiteral("Up 1 second"))};
        emit rig.containers.changed();
        QVERIFY(rig.window.refreshing());  // asynchronous: nothing yet
        QCOMPARE(rig.window.containersTable()->rowCount(), 0);
        rig.containers.containers << containerNamed(QStringLiteral("db"), QStringLiteral("running"),
                                                    QStringLiteral("Up 1 second"));
        emit rig.containers.changed();
        QTRY_VERIFY(!rig.window.refreshing());
        QCOMPARE(rig.window.containersTable()->rowCount(), 2);
    }

    void actionsFollowTheSelectedContainersState()
    {
        Rig rig;
        rig.containers.containers
            = {containerNamed(QStringLiteral("web"), QStringLiteral("running"), QStringLiteral("Up 5 minutes"))};
        rig.changed();
        QVERIFY(!rig.enabled(Command::Stop));  // nothing selected
        rig.select(QStringLiteral("web"));
        QVERIFY(rig.enabled(Command::Stop));
        QVERIFY(rig.enabled(Command::Pause));
        QVERIFY(rig.enabled(Command::Terminal));
        QVERIFY(rig.enabled(Command::OpenPort));
        QVERIFY(!rig.enabled(Command::Start));
        QVERIFY(!rig.enabled(Command::Resume));

        // Asynchronous: the window says what it is doing and takes no second action meanwhile.
        rig.window.containerCommand(Command::Stop)->trigger();
        QVERIFY(rig.window.containerActionPending());
        QCOMPARE(rig.window.containerMessage(), QStringLiteral("Stopping web…"));
        QVERIFY(!rig.enabled(Command::Restart));
        QVERIFY(!rig.enabled(Command::Remove));
        QTRY_VERIFY(!rig.window.containerActionPending());
        QTRY_VERIFY(!rig.window.refreshing());
        QCOMPARE(rig.engine.calls.last(), QStringLiteral("stop web-id"));
        QCOMPARE(rig.cell(0, DashboardWindow::StatusColumn), QStringLiteral("exited (0)"));
        QCOMPARE(rig.window.containerMessage(), QString());
        QCOMPARE(rig.window.selectedContainer()->name, QStringLiteral("web"));  // still selected
        QVERIFY(rig.enabled(Command::Start));
        QVERIFY(!rig.enabled(Command::Stop));
        QVERIFY(!rig.enabled(Command::Terminal));

        rig.run(Command::Start);
        QCOMPARE(rig.engine.calls.last(), QStringLiteral("start web-id"));
        QCOMPARE(rig.cell(0, DashboardWindow::StatusColumn), QStringLiteral("running"));
        rig.run(Command::Pause);
        QCOMPARE(rig.engine.calls.last(), QStringLiteral("pause web-id"));
        QCOMPARE(rig.cell(0, DashboardWindow::StatusColumn), QStringLiteral("paused"));
        QVERIFY(rig.enabled(Command::Resume));
        QVERIFY(!rig.enabled(Command::Pause));
        rig.run(Command::Resume);
        QCOMPARE(rig.engine.calls.last(), QStringLiteral("unpause web-id"));
        rig.run(Command::Restart);
        QCOMPARE(rig.engine.calls.last(), QStringLiteral("restart web-id"));
        QCOMPARE(rig.cell(0, DashboardWindow::StatusColumn), QStringLiteral("running"));
    }

    void aFailedActionSaysWhatFailed()
    {
        Rig rig;
        rig.containers.containers
            = {containerNamed(QStringLiteral("web"), QStringLiteral("running"), QStringLiteral("Up 5 minutes"))};
        rig.changed();
        rig.select(QStringLiteral("web"));
        rig.containers.actionError = QStringLiteral("HTTP 500: cannot pause container: permission denied");
        rig.run(Command::Pause);
        QCOMPARE(rig.window.containerMessage(),
                 QStringLiteral("Could not pause web: HTTP 500: cannot pause container: permission denied"));
        QCOMPARE(rig.cell(0, DashboardWindow::StatusColumn), QStringLiteral("running"));
        QVERIFY(rig.enabled(Command::Pause));  // it can be tried again
    }

    void removeAsksFirst()
    {
        Rig rig;
        rig.containers.containers
            = {containerNamed(QStringLiteral("web"), QStringLiteral("running"), QStringLiteral("Up 5 minutes")),
               containerNamed(QStringLiteral("db"), QStringLiteral("exited"), QStringLiteral("Exited (0)"))};
        rig.changed();
        QStringList asked;
        bool answer = false;
        DashboardWindow::DesktopHooks hooks;
        hooks.confirm = [&](QWidget*, const QString& question) {
            asked << question;
            return answer;
        };
        rig.window.setDesktopHooks(hooks);
        rig.select(QStringLiteral("web"));
        rig.window.containerCommand(Command::Remove)->trigger();
        QCOMPARE(asked,
                 QStringList{QStringLiteral("Remove the container web? It is running: it is stopped first, "
                                            "and what it wrote outside its volumes is lost.")});
        QVERIFY(!rig.window.containerActionPending());
        QVERIFY(!rig.engine.calls.contains(QStringLiteral("remove web-id")));

        answer = true;
        rig.run(Command::Remove);
        QCOMPARE(rig.engine.calls.last(), QStringLiteral("remove web-id"));
        QCOMPARE(rig.window.containersTable()->rowCount(), 1);
        QCOMPARE(rig.cell(0, DashboardWindow::NameColumn), QStringLiteral("db"));
    }

    void aTerminalAndTheBrowser()
    {
        Rig rig;
        rig.containers.containers
            = {containerNamed(QStringLiteral("web"), QStringLiteral("running"), QStringLiteral("Up 5 minutes"))};
        rig.changed();
        QStringList launched;
        QUrl opened;
        bool launchWorks = true;
        DashboardWindow::DesktopHooks hooks;
        hooks.launch = [&](const QString& program, const QStringList& arguments) {
            launched = QStringList{program} + arguments;
            return launchWorks;
        };
        hooks.openUrl = [&](const QUrl& url) {
            opened = url;
            return true;
        };
        rig.window.setDesktopHooks(hooks);
        QTemporaryDir bin;
        const QString terminal = bin.filePath(QStringLiteral("my-terminal"));
        QFile script(terminal);
        QVERIFY(script.open(QIODevice::WriteOnly));
        script.write("#!/bin/sh\n");
        script.close();
        QVERIFY(script.setPermissions(QFile::ReadOwner | QFile::ExeOwner));
        qputenv("TERMINAL", terminal.toUtf8());

        rig.select(QStringLiteral("web"));
        rig.window.containerCommand(Command::Terminal)->trigger();
        QCOMPARE(launched.join(QLatin1Char(' ')),
                 terminal + QStringLiteral(" -e docker --context berth exec -it web-id sh"));
        QCOMPARE(rig.window.containerMessage(), QString());

        launchWorks = false;
        rig.window.containerCommand(Command::Terminal)->trigger();
        QVERIFY2(rig.window.containerMessage().contains(QStringLiteral("docker --context berth exec -it web sh")),
                 qPrintable(rig.window.containerMessage()));
        qunsetenv("TERMINAL");

        // The first port forwarded to the host; a double-click on the ports opens it too.
        rig.window.containerCommand(Command::OpenPort)->trigger();
        QCOMPARE(opened, QUrl(QStringLiteral("http://localhost:8080")));
        opened.clear();
        emit rig.window.containersTable()->cellDoubleClicked(0, DashboardWindow::PortsColumn);
        QCOMPARE(opened, QUrl(QStringLiteral("http://localhost:8080")));
    }

    void logsFollowAndSearch()
    {
        Rig rig;
        rig.containers.containers
            = {containerNamed(QStringLiteral("web"), QStringLiteral("running"), QStringLiteral("Up 5 minutes"))};
        rig.changed();
        rig.select(QStringLiteral("web"));
        rig.window.containerCommand(Command::Logs)->trigger();
        QCOMPARE(rig.engine.calls.last(), QStringLiteral("logs web-id"));
        QPointer<gui::ContainerLogWindow> logs = rig.containers.logWindows.value(QStringLiteral("web-id"));
        QVERIFY(logs);
        QVERIFY(logs->isVisible());
        QCOMPARE(logs->windowTitle(), QStringLiteral("Logs: web"));

        // Lines as they come, whatever the pieces; stdout and stderr interleaved.
        logs->append("GET / 200\nGET /fav", false);
        QCOMPARE(logs->text(), QStringLiteral("GET / 200"));
        logs->append("icon.ico 404\r\n", false);
        logs->append("error: upstream timed out\n", true);
        QCOMPARE(logs->text(), QStringLiteral("GET / 200\nGET /favicon.ico 404\nerror: upstream timed out"));
        QVERIFY(logs->follow()->isChecked());

        logs->search()->setText(QStringLiteral("404"));  // finds as it is typed
        QCOMPARE(logs->view()->textCursor().selectedText(), QStringLiteral("404"));
        QVERIFY(!logs->follow()->isChecked());  // stays on the match
        logs->search()->setText(QStringLiteral("GET"));
        QCOMPARE(logs->view()->textCursor().blockNumber(), 0);
        QVERIFY(logs->find());
        QCOMPARE(logs->view()->textCursor().blockNumber(), 1);
        QVERIFY(logs->find());  // wraps around
        QCOMPARE(logs->view()->textCursor().blockNumber(), 0);
        QVERIFY(logs->find(/*backwards=*/true));
        QCOMPARE(logs->view()->textCursor().blockNumber(), 1);
        logs->search()->setText(QStringLiteral("nowhere"));
        QVERIFY(!logs->find());

        logs->append("last words", false);
        logs->ended(QStringLiteral("the engine closed the container's logs"));
        QVERIFY(logs->text().endsWith(QStringLiteral("\nlast words")));
        QCOMPARE(logs->statusText(), QStringLiteral("Not following: the engine closed the container's logs"));
        logs->close();  // deleted on close
        QTRY_VERIFY(!logs);
    }

    // Reading back stops following: new lines do not pull the view down until Follow is on again.
    void scrollingUpStopsFollowing()
    {
        gui::ContainerLogWindow logs(QStringLiteral("web"));
        logs.show();
        QVERIFY(QTest::qWaitForWindowExposed(&logs));
        QByteArray many;
        for (int i = 0; i < 300; ++i) { many += "line " + QByteArray::number(i) + '\n'; }
        logs.append(many, false);
        QScrollBar* scroll = logs.view()->verticalScrollBar();
        QVERIFY(scroll->maximum() > 0);
        QCOMPARE(scroll->value(), scroll->maximum());
        scroll->setValue(10);  // the user scrolls up
        QVERIFY(!logs.follow()->isChecked());
        logs.append("more\n", false);
        QCOMPARE(scroll->value(), 10);
        logs.follow()->setChecked(true);
        QCOMPARE(scroll->value(), scroll->maximum());
        logs.append("and more\n", false);
        QCOMPARE(scroll->value(), scroll->maximum());
        QVERIFY(logs.follow()->isChecked());
    }

    void composeProjectsAreGroupedAndTheFilterHides()
    {
        Rig rig;
        auto front = containerNamed(QStringLiteral("shop-front-1"), QStringLiteral("running"), QStringLiteral("Up"));
        auto db = containerNamed(QStringLiteral("shop-db-1"), QStringLiteral("exited"), QStringLiteral("Exited (0)"));
        front.composeProject = db.composeProject = QStringLiteral("shop");
        db.image = QStringLiteral("postgres:16");
        auto loose = containerNamed(QStringLiteral("scratch"), QStringLiteral("running"), QStringLiteral("Up"));
        // The engine's order, newest first: a project's containers come together where its newest is.
        rig.containers.containers = {front, loose, db};
        rig.changed();
        QTableWidget* t = rig.window.containersTable();
        QCOMPARE(t->rowCount(), 4);
        QCOMPARE(rig.cell(0, DashboardWindow::NameColumn), QStringLiteral("shop (compose: 1 of 2 running)"));
        QCOMPARE(t->columnSpan(0, 0), static_cast<int>(DashboardWindow::ContainerColumnCount));
        QCOMPARE(rig.cell(1, DashboardWindow::NameColumn), QStringLiteral("shop-front-1"));
        QCOMPARE(rig.cell(2, DashboardWindow::NameColumn), QStringLiteral("shop-db-1"));
        QCOMPARE(rig.cell(3, DashboardWindow::NameColumn), QStringLiteral("scratch"));
        t->selectRow(0);  // a group is not a container
        QVERIFY(!rig.window.selectedContainer());
        QVERIFY(!rig.enabled(Command::Remove));

        const auto visible = [t] {
            QStringList names;
            for (int row = 0; row < t->rowCount(); ++row) {
                if (!t->isRowHidden(row)) { names << t->item(row, DashboardWindow::NameColumn)->text(); }
            }
            return names;
        };
        rig.window.containerFilter()->setText(QStringLiteral("POSTGRES"));  // by image, any case
        QCOMPARE(visible(),
                 (QStringList{QStringLiteral("shop (compose: 1 of 2 running)"), QStringLiteral("shop-db-1")}));
        rig.window.containerFilter()->setText(QStringLiteral("scr"));
        QCOMPARE(visible(), QStringList{QStringLiteral("scratch")});
        rig.window.containerFilter()->setText(QStringLiteral("shop"));  // by project
        QCOMPARE(visible().size(), 3);
        // The filter holds across a new list.
        rig.containers.containers.removeAt(1);
        rig.changed();
        QCOMPARE(visible().size(), 3);
        rig.window.containerFilter()->clear();
        QCOMPARE(visible().size(), 3);
    }

    void cpuAndMemoryOfRunningContainers()
    {
        Rig rig;
        rig.engine.start();
        rig.engine.finish(engine::EngineOperation::Start, true);
        rig.containers.containers
            = {containerNamed(QStringLiteral("web"), QStringLiteral("running"), QStringLiteral("Up 5 minutes")),
               containerNamed(QStringLiteral("db"), QStringLiteral("exited"), QStringLiteral("Exited (0)"))};
        rig.changed();
        endpoint::ContainerStats first;
        first.cpuNanoseconds = 1'000'000'000;
        first.systemNanoseconds = 10'000'000'000;
        first.onlineCpus = 2;
        endpoint::ContainerStats second = first;
        second.cpuNanoseconds = 2'000'000'000;
        second.systemNanoseconds = 20'000'000'000;
        second.memoryBytes = 20'000'000;
        rig.containers.samples[QStringLiteral("web-id")] = {first, second};
        const int web = rig.rowOf(QStringLiteral("web"));
        const int db = rig.rowOf(QStringLiteral("db"));

        rig.window.sampleStats();  // one sample says nothing yet
        QCOMPARE(rig.containers.samples[QStringLiteral("web-id")].size(), 1);
        QCoreApplication::processEvents();  // its answer
        QCOMPARE(rig.cell(web, DashboardWindow::UsageColumn), QString());
        rig.window.sampleStats();
        const QString expected = QStringLiteral("20.0 % · %1").arg(gui::humanSize(20'000'000));
        QTRY_COMPARE(rig.cell(web, DashboardWindow::UsageColumn), expected);
        QCOMPARE(rig.cell(db, DashboardWindow::UsageColumn), QString());  // only running ones
        QVERIFY(!rig.containers.samples.contains(QStringLiteral("db-id")));  // never asked

        rig.changed();  // a new list keeps what was measured
        QCOMPARE(rig.cell(rig.rowOf(QStringLiteral("web")), DashboardWindow::UsageColumn), expected);
    }

    void imagesVolumesAndCleanUp()
    {
        Rig rig;
        QStringList asked;
        DashboardWindow::DesktopHooks hooks;
        hooks.confirm = [&asked](QWidget*, const QString& question) {
            asked << question;
            return true;
        };
        rig.window.setDesktopHooks(hooks);
        rig.containers.usage.images
            = {{QStringLiteral("sha256:4f1c0e7a9b2d33"), {QStringLiteral("nginx:1.27")}, 48'300'000, 1'700'000'000, 1},
               {QStringLiteral("sha256:77aa88bb99cc00"), {}, 2'000, 1'700'000'000, 0}};
        rig.containers.usage.volumes = {{QStringLiteral("pgdata"), QStringLiteral("local"), 61'400'000, 1},
                                        {QStringLiteral("old-cache"), QStringLiteral("local"), -1, 0}};
        rig.containers.usage.imagesSize = 48'302'000;

        rig.window.tabs()->setCurrentWidget(rig.window.imagesView());  // opening the tab asks the engine
        QVERIFY(rig.window.diskUsageLoading());
        QTRY_VERIFY(!rig.window.diskUsageLoading());
        QVERIFY2(rig.window.diskUsageLine().startsWith(QStringLiteral("Disk: Images ")),
                 qPrintable(rig.window.diskUsageLine()));
        QTableWidget* images = rig.window.imagesView()->table();
        QCOMPARE(images->rowCount(), 2);
        const auto text = [](QTableWidget* t, int row, int col) { return t->item(row, col)->text(); };
        QCOMPARE(text(images, 0, 0), QStringLiteral("nginx"));
        QCOMPARE(text(images, 0, 1), QStringLiteral("1.27"));
        QCOMPARE(text(images, 0, 2), QStringLiteral("4f1c0e7a9b2d"));
        QCOMPARE(text(images, 0, 3), gui::humanSize(48'300'000));
        QCOMPARE(text(images, 0, 5), QStringLiteral("1 container"));
        QCOMPARE(text(images, 1, 0), QStringLiteral("<none>"));
        QCOMPARE(text(images, 1, 5), QStringLiteral("No"));
        QTableWidget* volumes = rig.window.volumesView()->table();
        QCOMPARE(volumes->rowCount(), 2);
        QCOMPARE(text(volumes, 1, 2), QStringLiteral("unknown"));

        QVERIFY(!rig.window.imagesView()->removeButton()->isEnabled());
        images->selectRow(0);
        rig.window.imagesView()->removeButton()->click();
        QCOMPARE(asked.last(), QStringLiteral("Remove the image nginx:1.27?"));
        QVERIFY(rig.window.imagesView()->busy());
        QTRY_VERIFY(!rig.window.imagesView()->busy());
        QTRY_VERIFY(!rig.window.diskUsageLoading());
        QCOMPARE(rig.engine.calls.last(), QStringLiteral("remove image nginx:1.27"));
        QCOMPARE(images->rowCount(), 1);

        rig.window.tabs()->setCurrentWidget(rig.window.volumesView());
        rig.window.volumesView()->pruneButton()->click();
        QTRY_VERIFY(!rig.window.volumesView()->busy());
        QTRY_VERIFY(!rig.window.diskUsageLoading());
        QCOMPARE(rig.engine.calls.last(),
                 QStringLiteral("prune %1").arg(static_cast<int>(endpoint::Prune::UnusedVolumes)));
        QCOMPARE(volumes->rowCount(), 1);
        QCOMPARE(rig.window.volumesView()->message(), QStringLiteral("%1 reclaimed").arg(gui::humanSize(1000)));

        // A refusal is said where it happened.
        rig.containers.actionError = QStringLiteral("HTTP 409: volume is in use");
        volumes->selectRow(0);
        rig.window.volumesView()->removeButton()->click();
        QTRY_VERIFY(!rig.window.volumesView()->busy());
        QCOMPARE(rig.window.volumesView()->message(),
                 QStringLiteral("Could not remove pgdata: HTTP 409: volume is in use"));
        rig.containers.actionError.clear();

        // Clean up: stopped containers, then dangling images, then the build cache.
        const qsizetype before = rig.engine.calls.size();
        rig.window.cleanUpButton()->click();
        QTRY_VERIFY(rig.window.cleanUpButton()->isEnabled());
        QCOMPARE(rig.engine.calls.mid(before),
                 (QStringList{QStringLiteral("prune %1").arg(static_cast<int>(endpoint::Prune::StoppedContainers)),
                              QStringLiteral("prune %1").arg(static_cast<int>(endpoint::Prune::DanglingImages)),
                              QStringLiteral("prune %1").arg(static_cast<int>(endpoint::Prune::BuildCache))}));
        QCOMPARE(rig.window.statusBar()->currentMessage(),
                 QStringLiteral("Clean up: %1 reclaimed").arg(gui::humanSize(3000)));
    }

    // The tray's notifications: a crash or a power-off while running, a failed start or restart;
    // nothing for a stop someone asked for.
    void noticesWhenTheEngineStopsUnexpectedly()
    {
        SettingsFiles files;
        FakeEngine engine(files.paths);
        gui::EngineNotices notices(engine);
        QStringList said;
        connect(&notices, &gui::EngineNotices::notice, this, [&said](const QString& title, const QString& message) {
            said << title + QStringLiteral(": ") + message;
        });

        engine.start();
        engine.finish(engine::EngineOperation::Start, true);
        QCOMPARE(engine.status().state, engine::EngineState::Running);
        engine.stop(false);
        engine.finish(engine::EngineOperation::Stop, true);
        QCOMPARE(said, QStringList());

        engine.start();
        engine.finish(engine::EngineOperation::Start, true);
        engine.moveTo(engine::EngineState::Error, QStringLiteral("QEMU exited with status 1"));
        QCOMPARE(said, QStringList{QStringLiteral("The engine stopped unexpectedly: QEMU exited with status 1")});
        said.clear();

        engine.start();
        engine.finish(engine::EngineOperation::Start, true);
        engine.moveTo(engine::EngineState::Stopped);
        QCOMPARE(said, QStringList{QStringLiteral("The engine stopped unexpectedly: The VM shut down.")});
        said.clear();

        engine.start();
        engine.finish(engine::EngineOperation::Start, false, QStringLiteral("no guest image"));
        QCOMPARE(said, QStringList{QStringLiteral("The engine did not start: no guest image")});
        said.clear();

        engine.start();
        engine.finish(engine::EngineOperation::Start, true);
        engine.restart();
        engine.finish(engine::EngineOperation::Restart, false, QStringLiteral("dockerd did not answer"));
        QCOMPARE(said, QStringList{QStringLiteral("The engine did not restart: dockerd did not answer")});
    }

    void ageText()
    {
        const QDateTime now = QDateTime::fromSecsSinceEpoch(1'800'000'000, Qt::UTC);
        QCOMPARE(gui::containerAgeText(now.addSecs(-10), now), QStringLiteral("less than a minute ago"));
        QCOMPARE(gui::containerAgeText(now.addSecs(-60), now), QStringLiteral("1 minute ago"));
        QCOMPARE(gui::containerAgeText(now.addSecs(-3 * 3600), now), QStringLiteral("3 hours ago"));
        QCOMPARE(gui::containerAgeText(now.addDays(-2), now), QStringLiteral("2 days ago"));
        QCOMPARE(gui::containerAgeText(QDateTime(), now), QString());
    }
};

QTEST_MAIN(TestDashboardLive)
#include "tst_dashboard_live.moc"
