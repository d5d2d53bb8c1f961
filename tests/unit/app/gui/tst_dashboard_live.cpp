// The dashboard's Containers table follows the container source's change notifications: a
// container the fake adds appears, its status changes show, a removed one goes; the columns keep
// their widths and the selection stays on the same container.
#include <QHeaderView>
#include <QTableWidget>
#include <QtTest>

#include "dashboard_window.h"
#include "gui_test_support.h"

using namespace berth;
using berth::test::FakeContainers;
using berth::test::FakeEngine;
using berth::test::SettingsFiles;
using gui::DashboardWindow;

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
