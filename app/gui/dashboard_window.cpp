#include "dashboard_window.h"

#include <QAction>
#include <QApplication>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QMenuBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>

#include "berth/settings/settings.h"
#include "container_source.h"

namespace berth::gui {

QString engineStateText(engine::EngineState state)
{
    switch (state) {
    case engine::EngineState::Stopped: return DashboardWindow::tr("Stopped");
    case engine::EngineState::Starting: return DashboardWindow::tr("Starting");
    case engine::EngineState::WaitingForEngine: return DashboardWindow::tr("Waiting for engine");
    case engine::EngineState::Running: return DashboardWindow::tr("Running");
    case engine::EngineState::Stopping: return DashboardWindow::tr("Stopping");
    case engine::EngineState::Error: return DashboardWindow::tr("Error");
    case engine::EngineState::Unknown: break;
    }
    return DashboardWindow::tr("Unknown");
}

QString containerStatusText(const ContainerInfo& container)
{
    if (container.state == QLatin1String("exited")) {
        static const QRegularExpression code(QStringLiteral(R"(\((-?\d+)\))"));
        const auto match = code.match(container.status);
        if (match.hasMatch()) { return DashboardWindow::tr("exited (%1)").arg(match.captured(1)); }
        return DashboardWindow::tr("exited");
    }
    if (container.state == QLatin1String("running")) { return DashboardWindow::tr("running"); }
    if (container.state == QLatin1String("paused")) { return DashboardWindow::tr("paused"); }
    return container.state;
}

QString containerPortsText(const ContainerInfo& container)
{
    // Berth forwards the ports published on every address of the VM to the host's 127.0.0.1.
    QStringList shown;
    for (const auto& port : container.ports) {
        if (!port.hostIp.isEmpty() && port.hostIp != QLatin1String("0.0.0.0") && port.hostIp != QLatin1String("::")) {
            continue;
        }
        const QString text
            = QStringLiteral("127.0.0.1:%1->%2/%3").arg(port.hostPort).arg(port.containerPort).arg(port.protocol);
        if (!shown.contains(text)) { shown << text; }
    }
    return shown.join(QStringLiteral(", "));
}

QString containerAgeText(const QDateTime& created, const QDateTime& now)
{
    if (!created.isValid()) { return {}; }
    const qint64 seconds = std::max<qint64>(0, created.secsTo(now));
    constexpr qint64 kMinute = 60;
    constexpr qint64 kHour = 60 * kMinute;
    constexpr qint64 kDay = 24 * kHour;
    if (seconds < kMinute) { return DashboardWindow::tr("less than a minute ago"); }
    // One and many told apart here: English needs no plural forms from a translation.
    using W = DashboardWindow;
    if (seconds < kHour) {
        const qint64 minutes = seconds / kMinute;
        return minutes == 1 ? W::tr("1 minute ago") : W::tr("%1 minutes ago").arg(minutes);
    }
    if (seconds < kDay) {
        const qint64 hours = seconds / kHour;
        return hours == 1 ? W::tr("1 hour ago") : W::tr("%1 hours ago").arg(hours);
    }
    if (seconds < 60 * kDay) {
        const qint64 days = seconds / kDay;
        return days == 1 ? W::tr("1 day ago") : W::tr("%1 days ago").arg(days);
    }
    if (seconds < 365 * kDay) { return W::tr("%1 months ago").arg(seconds / (30 * kDay)); }
    const qint64 years = seconds / (365 * kDay);
    return years == 1 ? W::tr("1 year ago") : W::tr("%1 years ago").arg(years);
}

DashboardWindow::DashboardWindow(engine::EngineHandle& engine, const settings::Settings& settings,
                                 ContainerSource& containers, QWidget* parent)
    : QMainWindow(parent),
      m_engine(engine),
      m_settings(settings),
      m_containers(containers),
      m_state(new QLabel(this)),
      m_detail(new QLabel(this)),
      m_accelerator(new QLabel(this)),
      m_endpoint(new QLabel(this)),
      m_start(new QPushButton(tr("&Start"), this)),
      m_stop(new QPushButton(tr("S&top"), this)),
      m_restart(new QPushButton(tr("&Restart"), this)),
      m_showLog(new QPushButton(tr("Show &log"), this)),
      m_containersTable(new QTableWidget(this))
{
    setWindowTitle(tr("Berth"));
    setObjectName(QStringLiteral("dashboard"));

    QMenu* fileMenu = menuBar()->addMenu(tr("&Berth"));
    QAction* settingsAction = fileMenu->addAction(tr("&Settings…"), this, &DashboardWindow::settingsRequested);
    settingsAction->setShortcut(QKeySequence::Preferences);
    QAction* quitAction = fileMenu->addAction(tr("&Quit Berth"), this, &DashboardWindow::quitRequested);
    quitAction->setShortcut(QKeySequence::Quit);

    QFont big = m_state->font();
    big.setPointSizeF(big.pointSizeF() * 1.6);
    big.setBold(true);
    m_state->setFont(big);
    m_state->setObjectName(QStringLiteral("engineState"));
    m_detail->setObjectName(QStringLiteral("engineDetail"));
    m_detail->setWordWrap(true);
    m_detail->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_accelerator->setObjectName(QStringLiteral("accelerator"));
    m_accelerator->setWordWrap(true);
    m_endpoint->setObjectName(QStringLiteral("engineEndpoint"));
    m_endpoint->setWordWrap(true);
    m_endpoint->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_start->setAccessibleName(tr("Start the engine"));
    m_stop->setAccessibleName(tr("Stop the engine"));
    m_restart->setAccessibleName(tr("Restart the engine"));
    m_showLog->setAccessibleName(tr("Show the engine log"));
    auto* settingsButton = new QPushButton(tr("S&ettings…"), this);
    settingsButton->setAccessibleName(tr("Open settings"));

    auto* engineBox = new QGroupBox(tr("Engine"), this);
    auto* buttons = new QHBoxLayout;
    for (auto* b : {m_start, m_stop, m_restart, m_showLog}) { buttons->addWidget(b); }
    buttons->addStretch(1);
    buttons->addWidget(settingsButton);
    auto* engineColumn = new QVBoxLayout(engineBox);
    engineColumn->addWidget(m_state);
    engineColumn->addWidget(m_detail);
    engineColumn->addWidget(m_accelerator);
    engineColumn->addWidget(m_endpoint);
    engineColumn->addLayout(buttons);

    auto* containersBox = new QGroupBox(tr("Containers"), this);
    m_containersTable->setObjectName(QStringLiteral("containersTable"));
    m_containersTable->setAccessibleName(tr("Containers"));
    m_containersTable->setColumnCount(ContainerColumnCount);
    m_containersTable->setHorizontalHeaderLabels(
        {tr("Name"), tr("Image"), tr("Status"), tr("Ports"), tr("Created"), tr("Runtime"), tr("Isolation")});
    m_containersTable->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_containersTable->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_containersTable->verticalHeader()->hide();
    m_containersTable->horizontalHeader()->setStretchLastSection(true);
    auto* containersColumn = new QVBoxLayout(containersBox);
    containersColumn->addWidget(m_containersTable);

    auto* central = new QWidget(this);
    auto* column = new QVBoxLayout(central);
    column->addWidget(engineBox);
    column->addWidget(containersBox, 1);
    setCentralWidget(central);

    connect(m_start, &QPushButton::clicked, &m_engine, [this] { m_engine.start(); });
    connect(m_stop, &QPushButton::clicked, &m_engine, [this] { m_engine.stop(); });
    connect(m_restart, &QPushButton::clicked, &m_engine, [this] { m_engine.restart(); });
    connect(m_showLog, &QPushButton::clicked, this, &DashboardWindow::showLogRequested);
    connect(settingsButton, &QPushButton::clicked, this, &DashboardWindow::settingsRequested);
    connect(&m_engine, &engine::EngineHandle::statusChanged, this, &DashboardWindow::showStatus);
    connect(&m_containers, &ContainerSource::changed, this, &DashboardWindow::refreshContainers);

    showStatus(m_engine.status());
    resize(760, 520);
}

QString DashboardWindow::stateText() const
{
    return m_state->text();
}
QString DashboardWindow::acceleratorText() const
{
    return m_accelerator->text();
}

void DashboardWindow::showStatus(const engine::EngineStatus& status)
{
    const bool policyAllowsStart = m_settings.engineStartAllowed();
    m_state->setText(engineStateText(status.state));
    if (status.state == engine::EngineState::Error) {
        m_detail->setText(tr("Error: %1").arg(status.detail));
    } else if (!policyAllowsStart) {
        m_detail->setText(tr("%1 is invalid: the engine will not start until your administrator fixes it.")
                              .arg(QString::fromStdString(m_settings.adminPolicy().file)));
    } else {
        m_detail->setText(status.detail);
    }
    if (status.accelerator.isEmpty()) {
        m_accelerator->setText(tr("Accelerator: not chosen yet"));
    } else {
        m_accelerator->setText(tr("Accelerator: %1 (%2)").arg(status.accelerator.toUpper(), status.acceleratorReason));
    }
    QString endpoint;
    if (status.state == engine::EngineState::Running && status.enginePort != 0) {
        endpoint = tr("Docker: docker --context berth … (tcp://127.0.0.1:%1, TLS with a client certificate)")
                       .arg(status.enginePort);
        if (status.guestConfig && status.guestConfig->exposeDockerApiOnTcp2375) {
            endpoint += QStringLiteral("\n")
                + tr("Unsafe: tcp://127.0.0.1:2375 answers without TLS or authentication (exposeDockerAPIOnTCP2375)");
        }
    }
    m_endpoint->setText(endpoint);
    m_endpoint->setVisible(!endpoint.isEmpty());
    const bool idle = !status.busy;
    const bool down = status.state == engine::EngineState::Stopped || status.state == engine::EngineState::Error
        || status.state == engine::EngineState::Unknown;
    m_start->setEnabled(idle && down && policyAllowsStart);
    m_stop->setEnabled(!down && status.state != engine::EngineState::Stopping);
    m_restart->setEnabled(idle && status.state == engine::EngineState::Running);
    m_showLog->setEnabled(!status.serialLog.isEmpty() || status.state == engine::EngineState::Error);
    if (status.state != m_shownState) {
        m_shownState = status.state;
        refreshContainers();
    }
}

void DashboardWindow::refreshContainers()
{
    if (m_refreshing) {
        m_refreshAgain = true;
        return;
    }
    m_refreshing = true;
    m_containers.listLater(this, [this](const QVector<ContainerInfo>& list) {
        showContainers(list);
        m_refreshing = false;
        if (m_refreshAgain) {
            m_refreshAgain = false;
            refreshContainers();
        }
    });
}

void DashboardWindow::showContainers(const QVector<ContainerInfo>& list)
{
    // The selected container stays selected while it is there.
    QString selectedId;
    if (const auto rows = m_containersTable->selectionModel()->selectedRows(); !rows.isEmpty()) {
        if (const auto* item = m_containersTable->item(rows.first().row(), NameColumn)) {
            selectedId = item->data(Qt::UserRole).toString();
        }
    }
    const bool isolationOn = m_settings.get(settings::keys::kEnhancedContainerIsolation).value == true;
    const QDateTime now = QDateTime::currentDateTimeUtc();
    m_containersTable->clearSelection();
    m_containersTable->setRowCount(0);
    int selectedRow = -1;
    for (const ContainerInfo& c : list) {
        const int row = m_containersTable->rowCount();
        m_containersTable->insertRow(row);
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
        const QStringList cells{
            c.name,    c.image,  containerStatusText(c), containerPortsText(c), containerAgeText(c.created, now),
            c.runtime, isolation};
        for (int col = 0; col < cells.size(); ++col) {
            m_containersTable->setItem(row, col, new QTableWidgetItem(cells[col]));
        }
        m_containersTable->item(row, NameColumn)->setData(Qt::UserRole, c.id.isEmpty() ? c.name : c.id);
        m_containersTable->item(row, StatusColumn)->setToolTip(c.status);
        if (c.created.isValid()) {
            m_containersTable->item(row, CreatedColumn)->setToolTip(QLocale().toString(c.created.toLocalTime()));
        }
        if (!selectedId.isEmpty() && (c.id.isEmpty() ? c.name : c.id) == selectedId) { selectedRow = row; }
        QTableWidgetItem* isolationItem = m_containersTable->item(row, IsolationColumn);
        if (!icon.isEmpty()) { isolationItem->setIcon(QIcon(icon)); }
        if (!detail.isEmpty()) { isolationItem->setToolTip(detail); }
    }
    if (selectedRow >= 0) { m_containersTable->selectRow(selectedRow); }
    // Each column as wide as its contents and header, never narrower than it was: a refresh (an
    // empty list while the engine restarts) does not collapse what the user saw or widened.
    QHeaderView* header = m_containersTable->horizontalHeader();
    for (int col = 0; col < ContainerColumnCount - 1; ++col) {
        const int wanted = std::max(static_cast<QAbstractItemView*>(m_containersTable)->sizeHintForColumn(col),
                                    header->sectionSizeHint(col));
        if (wanted > header->sectionSize(col)) { header->resizeSection(col, wanted); }
    }
}

}  // namespace berth::gui
