#include "dashboard_window.h"

#include <QAction>
#include <QApplication>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMenuBar>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

#include "berth/settings/settings.h"
#include "container_source.h"

namespace berth::gui {

QString engineStateText(vm::EngineState state)
{
    switch (state) {
    case vm::EngineState::Stopped: return DashboardWindow::tr("Stopped");
    case vm::EngineState::Starting: return DashboardWindow::tr("Starting");
    case vm::EngineState::WaitingForEngine: return DashboardWindow::tr("Waiting for engine");
    case vm::EngineState::Running: return DashboardWindow::tr("Running");
    case vm::EngineState::Stopping: return DashboardWindow::tr("Stopping");
    case vm::EngineState::Error: return DashboardWindow::tr("Error");
    case vm::EngineState::Unknown: break;
    }
    return DashboardWindow::tr("Unknown");
}

DashboardWindow::DashboardWindow(vm::EngineHandle& engine, const settings::Settings& settings,
                                 ContainerSource& containers, QWidget* parent)
    : QMainWindow(parent),
      engine_(engine),
      settings_(settings),
      containers_(containers),
      state_(new QLabel(this)),
      detail_(new QLabel(this)),
      accelerator_(new QLabel(this)),
      endpoint_(new QLabel(this)),
      start_(new QPushButton(tr("&Start"), this)),
      stop_(new QPushButton(tr("S&top"), this)),
      restart_(new QPushButton(tr("&Restart"), this)),
      showLog_(new QPushButton(tr("Show &log"), this)),
      containersTable_(new QTableWidget(this))
{
    setWindowTitle(tr("Berth"));
    setObjectName(QStringLiteral("dashboard"));

    QMenu* fileMenu = menuBar()->addMenu(tr("&Berth"));
    QAction* settingsAction = fileMenu->addAction(tr("&Settings…"), this, &DashboardWindow::settingsRequested);
    settingsAction->setShortcut(QKeySequence::Preferences);
    QAction* quitAction = fileMenu->addAction(tr("&Quit Berth"), this, &DashboardWindow::quitRequested);
    quitAction->setShortcut(QKeySequence::Quit);

    QFont big = state_->font();
    big.setPointSizeF(big.pointSizeF() * 1.6);
    big.setBold(true);
    state_->setFont(big);
    state_->setObjectName(QStringLiteral("engineState"));
    detail_->setObjectName(QStringLiteral("engineDetail"));
    detail_->setWordWrap(true);
    detail_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    accelerator_->setObjectName(QStringLiteral("accelerator"));
    accelerator_->setWordWrap(true);
    endpoint_->setObjectName(QStringLiteral("engineEndpoint"));
    endpoint_->setWordWrap(true);
    endpoint_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    start_->setAccessibleName(tr("Start the engine"));
    stop_->setAccessibleName(tr("Stop the engine"));
    restart_->setAccessibleName(tr("Restart the engine"));
    showLog_->setAccessibleName(tr("Show the engine log"));
    auto* settingsButton = new QPushButton(tr("S&ettings…"), this);
    settingsButton->setAccessibleName(tr("Open settings"));

    auto* engineBox = new QGroupBox(tr("Engine"), this);
    auto* buttons = new QHBoxLayout;
    for (auto* b : {start_, stop_, restart_, showLog_}) { buttons->addWidget(b); }
    buttons->addStretch(1);
    buttons->addWidget(settingsButton);
    auto* engineColumn = new QVBoxLayout(engineBox);
    engineColumn->addWidget(state_);
    engineColumn->addWidget(detail_);
    engineColumn->addWidget(accelerator_);
    engineColumn->addWidget(endpoint_);
    engineColumn->addLayout(buttons);

    auto* containersBox = new QGroupBox(tr("Containers"), this);
    containersTable_->setObjectName(QStringLiteral("containersTable"));
    containersTable_->setAccessibleName(tr("Containers"));
    containersTable_->setColumnCount(ContainerColumnCount);
    containersTable_->setHorizontalHeaderLabels({tr("Name"), tr("Image"), tr("Runtime"), tr("Isolation")});
    containersTable_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    containersTable_->setSelectionBehavior(QAbstractItemView::SelectRows);
    containersTable_->verticalHeader()->hide();
    containersTable_->horizontalHeader()->setStretchLastSection(true);
    auto* containersColumn = new QVBoxLayout(containersBox);
    containersColumn->addWidget(containersTable_);

    auto* central = new QWidget(this);
    auto* column = new QVBoxLayout(central);
    column->addWidget(engineBox);
    column->addWidget(containersBox, 1);
    setCentralWidget(central);

    connect(start_, &QPushButton::clicked, &engine_, [this] { engine_.start(); });
    connect(stop_, &QPushButton::clicked, &engine_, [this] { engine_.stop(); });
    connect(restart_, &QPushButton::clicked, &engine_, [this] { engine_.restart(); });
    connect(showLog_, &QPushButton::clicked, this, &DashboardWindow::showLogRequested);
    connect(settingsButton, &QPushButton::clicked, this, &DashboardWindow::settingsRequested);
    connect(&engine_, &vm::EngineHandle::statusChanged, this, &DashboardWindow::showStatus);

    showStatus(engine_.status());
    resize(760, 520);
}

QString DashboardWindow::stateText() const
{
    return state_->text();
}
QString DashboardWindow::acceleratorText() const
{
    return accelerator_->text();
}

void DashboardWindow::showStatus(const vm::EngineStatus& status)
{
    const bool policyAllowsStart = settings_.engineStartAllowed();
    state_->setText(engineStateText(status.state));
    if (status.state == vm::EngineState::Error) {
        detail_->setText(tr("Error: %1").arg(status.detail));
    } else if (!policyAllowsStart) {
        detail_->setText(tr("%1 is invalid: the engine will not start until your administrator fixes it.")
                             .arg(QString::fromStdString(settings_.adminPolicy().file)));
    } else {
        detail_->setText(status.detail);
    }
    if (status.accelerator.isEmpty()) {
        accelerator_->setText(tr("Accelerator: not chosen yet"));
    } else {
        accelerator_->setText(tr("Accelerator: %1 (%2)").arg(status.accelerator.toUpper(), status.acceleratorReason));
    }
    QString endpoint;
    if (status.state == vm::EngineState::Running && status.enginePort != 0) {
        endpoint = tr("Docker: docker --context berth … (tcp://127.0.0.1:%1, TLS with a client certificate)")
                       .arg(status.enginePort);
        if (status.guestConfig.is_object() && status.guestConfig.value("exposeDockerAPIOnTCP2375", false) == true) {
            endpoint += QStringLiteral("\n")
                + tr("Unsafe: tcp://127.0.0.1:2375 answers without TLS or authentication (exposeDockerAPIOnTCP2375)");
        }
    }
    endpoint_->setText(endpoint);
    endpoint_->setVisible(!endpoint.isEmpty());
    const bool idle = !status.busy;
    const bool down = status.state == vm::EngineState::Stopped || status.state == vm::EngineState::Error
        || status.state == vm::EngineState::Unknown;
    start_->setEnabled(idle && down && policyAllowsStart);
    stop_->setEnabled(!down && status.state != vm::EngineState::Stopping);
    restart_->setEnabled(idle && status.state == vm::EngineState::Running);
    showLog_->setEnabled(!status.serialLog.isEmpty() || status.state == vm::EngineState::Error);
    if (status.state == vm::EngineState::Running) { refreshContainers(); }
}

void DashboardWindow::refreshContainers()
{
    const bool isolationOn = settings_.get(settings::keys::kEnhancedContainerIsolation).value == true;
    const QVector<ContainerInfo> list = containers_.list();
    containersTable_->setRowCount(0);
    for (const ContainerInfo& c : list) {
        const int row = containersTable_->rowCount();
        containersTable_->insertRow(row);
        // With ECI on, the guest puts sysbox-runc in place of runc, so a container created before
        // ECI (runtime "runc") runs isolated too; what it missed are the checks made at creation.
        QString isolation;
        QString detail;
        QString icon;
        if (c.isolated()) {
            isolation = tr("Isolated");
        } else if (isolationOn) {
            isolation = tr("Created before Enhanced Container Isolation: isolated when it runs");
            detail = tr("This container was created before Enhanced Container Isolation was turned on, or with "
                        "--runtime=runc. While ECI is on it runs in its own user namespace like every other "
                        "container; if it shares a host namespace or mounts a VM path or the engine socket, it "
                        "fails to start. Re-create it to have ECI check it when it is created.");
            icon = QStringLiteral(":/icons/state-warning.svg");
        } else {
            isolation = tr("Not isolated");
            icon = QStringLiteral(":/icons/state-error.svg");
        }
        const QStringList cells{c.name, c.image, c.runtime, isolation};
        for (int col = 0; col < cells.size(); ++col) {
            containersTable_->setItem(row, col, new QTableWidgetItem(cells[col]));
        }
        QTableWidgetItem* isolationItem = containersTable_->item(row, IsolationColumn);
        if (!icon.isEmpty()) { isolationItem->setIcon(QIcon(icon)); }
        if (!detail.isEmpty()) { isolationItem->setToolTip(detail); }
    }
    containersTable_->resizeColumnsToContents();
}

}  // namespace berth::gui
