#include "dashboard_window.h"

#include <QAction>
#include <QApplication>
#include <QDesktopServices>
#include <QDir>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMenuBar>
#include <QMessageBox>
#include <QProcess>
#include <QPushButton>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableWidget>
#include <QTimer>
#include <QToolBar>
#include <QVBoxLayout>

#include <algorithm>
#include <chrono>
#include <memory>

#include "berth/endpoint/docker_context.h"
#include "berth/settings/settings.h"
#include "container_log_window.h"
#include "storage_view.h"

namespace berth::gui {

QString engineStateText(const engine::EngineStatus& status)
{
    switch (status.state) {
    case engine::EngineState::Stopped:
        return status.resourceSaverPaused ? DashboardWindow::tr("Paused by Resource Saver")
                                          : DashboardWindow::tr("Stopped");
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
    if (seconds < kHour) {
        const qint64 minutes = seconds / kMinute;
        return minutes == 1 ? DashboardWindow::tr("1 minute ago") : DashboardWindow::tr("%1 minutes ago").arg(minutes);
    }
    if (seconds < kDay) {
        const qint64 hours = seconds / kHour;
        return hours == 1 ? DashboardWindow::tr("1 hour ago") : DashboardWindow::tr("%1 hours ago").arg(hours);
    }
    if (seconds < 60 * kDay) {
        const qint64 days = seconds / kDay;
        return days == 1 ? DashboardWindow::tr("1 day ago") : DashboardWindow::tr("%1 days ago").arg(days);
    }
    if (seconds < 365 * kDay) { return DashboardWindow::tr("%1 months ago").arg(seconds / (30 * kDay)); }
    const qint64 years = seconds / (365 * kDay);
    return years == 1 ? DashboardWindow::tr("1 year ago") : DashboardWindow::tr("%1 years ago").arg(years);
}

EngineControls engineControls(const engine::EngineStatus& status, bool startAllowed)
{
    const bool idle = !status.busy;
    const bool down = status.state == engine::EngineState::Stopped || status.state == engine::EngineState::Error
        || status.state == engine::EngineState::Unknown;
    return {idle && down && startAllowed, !down && status.state != engine::EngineState::Stopping,
            idle && status.state == engine::EngineState::Running};
}

QUrl containerWebUrl(const ContainerInfo& container)
{
    for (const auto& port : container.ports) {
        if (port.protocol != QLatin1String("tcp")) { continue; }
        if (!port.hostIp.isEmpty() && port.hostIp != QLatin1String("0.0.0.0") && port.hostIp != QLatin1String("::")) {
            continue;  // only on the VM's loopback: not forwarded to the host
        }
        QUrl url;
        url.setScheme(port.containerPort == 443 || port.containerPort == 8443 ? QStringLiteral("https")
                                                                              : QStringLiteral("http"));
        url.setHost(QStringLiteral("localhost"));
        url.setPort(port.hostPort);
        return url;
    }
    return {};
}

QStringList terminalCommand(const QString& containerId)
{
    const QStringList shell{
        QStringLiteral("docker"), QStringLiteral("--context"), QString::fromLatin1(endpoint::kDockerContextName),
        QStringLiteral("exec"),   QStringLiteral("-it"),       containerId,
        QStringLiteral("sh")};
    QStringList candidates;
    if (const QString chosen = qEnvironmentVariable("TERMINAL"); !chosen.isEmpty()) { candidates << chosen; }
    candidates << QStringLiteral("x-terminal-emulator") << QStringLiteral("xterm");
    for (const QString& candidate : candidates) {
        const QString program = QStandardPaths::findExecutable(candidate);
        if (!program.isEmpty()) { return QStringList{program, QStringLiteral("-e")} + shell; }
    }
    return {};
}

namespace {

// How often a visible Containers tab samples the running containers' CPU and memory.
constexpr std::chrono::seconds kStatsInterval{5};

// The container's index in the shown list, on its row's name item (group rows have none).
constexpr int kContainerIndexRole = Qt::UserRole + 1;
QString containerKey(const ContainerInfo& container)
{
    return container.id.isEmpty() ? container.name : container.id;
}

// The compose project a group row stands for.
constexpr int kProjectRole = Qt::UserRole + 2;

// The containers in the engine's order (newest first), each compose project's together where its
// newest container is.
QVector<int> groupedOrder(const QVector<ContainerInfo>& list)
{
    QVector<int> order;
    QSet<QString> placed;
    for (int i = 0; i < list.size(); ++i) {
        const QString& project = list[i].composeProject;
        if (project.isEmpty()) {
            order << i;
            continue;
        }
        if (placed.contains(project)) { continue; }
        placed.insert(project);
        for (int j = i; j < list.size(); ++j) {
            if (list[j].composeProject == project) { order << j; }
        }
    }
    return order;
}

DashboardWindow::DesktopHooks desktopHooks()
{
    DashboardWindow::DesktopHooks hooks;
    hooks.confirm = [](QWidget* parent, const QString& question) {
        return QMessageBox::question(parent, DashboardWindow::tr("Berth"), question,
                                     QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel)
            == QMessageBox::Yes;
    };
    hooks.launch = [](const QString& program, const QStringList& arguments) {
        return QProcess::startDetached(program, arguments, QDir::homePath());
    };
    hooks.openUrl = [](const QUrl& url) { return QDesktopServices::openUrl(url); };
    return hooks;
}

}  // namespace

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
      m_containersTable(new QTableWidget(this)),
      m_filter(new QLineEdit(this)),
      m_containerMessage(new QLabel(this)),
      m_tabs(new QTabWidget(this)),
      m_images(new StorageView(StorageView::Kind::Images, containers, this)),
      m_volumes(new StorageView(StorageView::Kind::Volumes, containers, this)),
      m_usage(new QLabel(this)),
      m_cleanUp(new QPushButton(tr("Clean &up…"), this)),
      m_statsTimer(new QTimer(this)),
      m_desktop()
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

    auto* containersBox = new QWidget(this);
    m_containersTable->setObjectName(QStringLiteral("containersTable"));
    m_containersTable->setAccessibleName(tr("Containers"));
    m_containersTable->setColumnCount(ContainerColumnCount);
    m_containersTable->setHorizontalHeaderLabels({tr("Name"), tr("Image"), tr("Status"), tr("Ports"), tr("Created"),
                                                  tr("CPU · Memory"), tr("Runtime"), tr("Isolation")});
    m_containersTable->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_containersTable->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_containersTable->verticalHeader()->hide();
    m_containersTable->setWordWrap(false);
    m_containersTable->horizontalHeader()->setStretchLastSection(true);
    m_filter->setObjectName(QStringLiteral("containerFilter"));
    m_filter->setPlaceholderText(tr("Filter by name, image or compose project"));
    m_filter->setAccessibleName(tr("Filter containers"));
    m_filter->setClearButtonEnabled(true);
    m_containerMessage->setObjectName(QStringLiteral("containerMessage"));
    m_containerMessage->setWordWrap(true);
    m_containerMessage->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_containerMessage->hide();
    auto* containersColumn = new QVBoxLayout(containersBox);
    auto* containerBar = new QHBoxLayout;
    containerBar->addWidget(m_filter, 1);
    containerBar->addWidget(makeContainerCommands());
    containersColumn->addLayout(containerBar);
    containersColumn->addWidget(m_containerMessage);
    containersColumn->addWidget(m_containersTable);

    auto* central = new QWidget(this);
    auto* column = new QVBoxLayout(central);
    column->addWidget(engineBox);
    auto* usageRow = new QHBoxLayout;
    usageRow->addWidget(m_usage, 1);
    usageRow->addWidget(m_cleanUp);
    column->addLayout(usageRow);
    m_tabs->addTab(containersBox, tr("Containers"));
    m_tabs->addTab(m_images, tr("Images"));
    m_tabs->addTab(m_volumes, tr("Volumes"));
    column->addWidget(m_tabs, 1);
    setCentralWidget(central);

    connect(m_start, &QPushButton::clicked, &m_engine, [this] { m_engine.start(); });
    connect(m_stop, &QPushButton::clicked, &m_engine, [this] { m_engine.stop(); });
    connect(m_restart, &QPushButton::clicked, &m_engine, [this] { m_engine.restart(); });
    connect(m_showLog, &QPushButton::clicked, this, &DashboardWindow::showLogRequested);
    connect(settingsButton, &QPushButton::clicked, this, &DashboardWindow::settingsRequested);
    connect(&m_engine, &engine::EngineHandle::statusChanged, this, &DashboardWindow::showStatus);
    connect(&m_containers, &ContainerSource::changed, this, &DashboardWindow::refreshContainers);
    connect(m_filter, &QLineEdit::textChanged, this, &DashboardWindow::applyFilter);
    m_tabs->setObjectName(QStringLiteral("dashboardTabs"));
    m_usage->setObjectName(QStringLiteral("diskUsage"));
    m_usage->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_cleanUp->setToolTip(tr("Remove stopped containers, dangling images and the build cache"));
    connect(m_tabs, &QTabWidget::currentChanged, this, [this] {
        if (m_tabs->currentIndex() != 0) { refreshUsage(); }
    });
    connect(m_images, &StorageView::changed, this, &DashboardWindow::refreshUsage);
    connect(m_volumes, &StorageView::changed, this, &DashboardWindow::refreshUsage);
    connect(m_cleanUp, &QPushButton::clicked, this, &DashboardWindow::cleanUp);
    // CPU and memory change without events: sampled, but only while someone can see them.
    m_statsTimer->setInterval(kStatsInterval);
    connect(m_statsTimer, &QTimer::timeout, this, [this] {
        if (isVisible() && !isMinimized() && m_tabs->currentIndex() == 0) { sampleStats(); }
    });
    m_statsTimer->start();
    connect(m_containersTable, &QTableWidget::itemSelectionChanged, this, &DashboardWindow::updateContainerCommands);
    connect(m_containersTable, &QTableWidget::cellDoubleClicked, this, [this](int, int column) {
        if (column == PortsColumn) { runContainerCommand(ContainerCommand::OpenPort); }
    });

    setDesktopHooks(desktopHooks());
    showStatus(m_engine.status());
    updateContainerCommands();
    resize(900, 560);
}

QWidget* DashboardWindow::makeContainerCommands()
{
    auto* bar = new QToolBar(this);
    bar->setObjectName(QStringLiteral("containerCommands"));
    bar->setToolButtonStyle(Qt::ToolButtonTextOnly);
    const auto add = [&](ContainerCommand command, const QString& text, const QString& tip) {
        auto* action = bar->addAction(text);
        action->setToolTip(tip);
        connect(action, &QAction::triggered, this, [this, command] { runContainerCommand(command); });
        m_commands.insert(static_cast<int>(command), action);
        m_containersTable->addAction(action);  // the same in the table's context menu
    };
    add(ContainerCommand::Start, tr("Start"), tr("Start the selected container"));
    add(ContainerCommand::Stop, tr("Stop"), tr("Stop the selected container"));
    add(ContainerCommand::Restart, tr("Restart"), tr("Restart the selected container"));
    add(ContainerCommand::Pause, tr("Pause"), tr("Pause the selected container's processes"));
    add(ContainerCommand::Resume, tr("Resume"), tr("Resume the selected container's processes"));
    add(ContainerCommand::Remove, tr("Remove…"), tr("Remove the selected container"));
    add(ContainerCommand::Logs, tr("Logs"), tr("Show the selected container's output as it comes"));
    add(ContainerCommand::Terminal, tr("Terminal"), tr("Open a shell in the selected container in a terminal"));
    add(ContainerCommand::OpenPort, tr("Open in browser"), tr("Open the selected container's web port"));
    m_containersTable->setContextMenuPolicy(Qt::ActionsContextMenu);
    return bar;
}

QAction* DashboardWindow::containerCommand(ContainerCommand command) const
{
    return m_commands.value(static_cast<int>(command));
}

QString DashboardWindow::diskUsageLine() const
{
    return m_usage->text();
}

QString DashboardWindow::containerMessage() const
{
    return m_containerMessage->isVisibleTo(this) ? m_containerMessage->text() : QString();
}

std::optional<ContainerInfo> DashboardWindow::selectedContainer() const
{
    const auto rows = m_containersTable->selectionModel()->selectedRows();
    if (rows.isEmpty()) { return std::nullopt; }
    const auto* item = m_containersTable->item(rows.first().row(), NameColumn);
    const QVariant index = item ? item->data(kContainerIndexRole) : QVariant();
    if (!index.isValid() || index.toInt() < 0 || index.toInt() >= m_shown.size()) { return std::nullopt; }
    return m_shown[index.toInt()];
}

void DashboardWindow::updateContainerCommands()
{
    const auto container = selectedContainer();
    const bool idle = container && !m_busyContainers.contains(container->id);
    const QString state = container ? container->state : QString();
    const bool running = state == QLatin1String("running") || state == QLatin1String("restarting");
    containerCommand(ContainerCommand::Start)
        ->setEnabled(idle && (state == QLatin1String("exited") || state == QLatin1String("created")));
    containerCommand(ContainerCommand::Stop)->setEnabled(idle && (running || state == QLatin1String("paused")));
    containerCommand(ContainerCommand::Restart)->setEnabled(idle && state != QLatin1String("removing"));
    containerCommand(ContainerCommand::Pause)->setEnabled(idle && state == QLatin1String("running"));
    containerCommand(ContainerCommand::Resume)->setEnabled(idle && state == QLatin1String("paused"));
    containerCommand(ContainerCommand::Remove)->setEnabled(idle && state != QLatin1String("removing"));
    containerCommand(ContainerCommand::Logs)->setEnabled(container.has_value());
    containerCommand(ContainerCommand::Terminal)->setEnabled(idle && state == QLatin1String("running"));
    containerCommand(ContainerCommand::OpenPort)
        ->setEnabled(container && state == QLatin1String("running") && !containerWebUrl(*container).isEmpty());
}

void DashboardWindow::runContainerCommand(ContainerCommand command)
{
    const auto container = selectedContainer();
    if (!container || (m_busyContainers.contains(container->id) && command != ContainerCommand::Logs)) { return; }
    using endpoint::ContainerAction;
    switch (command) {
    case ContainerCommand::Start: actOnContainer(*container, ContainerAction::Start); return;
    case ContainerCommand::Stop: actOnContainer(*container, ContainerAction::Stop); return;
    case ContainerCommand::Restart: actOnContainer(*container, ContainerAction::Restart); return;
    case ContainerCommand::Pause: actOnContainer(*container, ContainerAction::Pause); return;
    case ContainerCommand::Resume: actOnContainer(*container, ContainerAction::Unpause); return;
    case ContainerCommand::Remove: removeContainer(*container); return;
    case ContainerCommand::Logs: {
        auto* window = new ContainerLogWindow(container->name, this);
        window->setAttribute(Qt::WA_DeleteOnClose);
        window->show();
        m_containers.followLogs(container->id, window);
        return;
    }
    case ContainerCommand::Terminal: {
        const QStringList command = terminalCommand(container->id);
        if (command.isEmpty() || !m_desktop.launch(command.first(), command.mid(1))) {
            showContainerMessage(tr("No terminal emulator could be started (set TERMINAL, or install one). In a "
                                    "terminal, run: docker --context %1 exec -it %2 sh")
                                     .arg(QString::fromLatin1(endpoint::kDockerContextName), container->name),
                                 true);
        }
        return;
    }
    case ContainerCommand::OpenPort: {
        const QUrl url = containerWebUrl(*container);
        if (!url.isEmpty() && !m_desktop.openUrl(url)) {
            showContainerMessage(tr("Could not open %1 in a browser").arg(url.toString()), true);
        }
        return;
    }
    }
}

void DashboardWindow::actOnContainer(const ContainerInfo& container, endpoint::ContainerAction action)
{
    using endpoint::ContainerAction;
    QString doing;
    QString failed;
    switch (action) {
    case ContainerAction::Start:
        doing = tr("Starting %1…");
        failed = tr("Could not start %1: %2");
        break;
    case ContainerAction::Stop:
        doing = tr("Stopping %1…");
        failed = tr("Could not stop %1: %2");
        break;
    case ContainerAction::Restart:
        doing = tr("Restarting %1…");
        failed = tr("Could not restart %1: %2");
        break;
    case ContainerAction::Pause:
        doing = tr("Pausing %1…");
        failed = tr("Could not pause %1: %2");
        break;
    case ContainerAction::Unpause:
        doing = tr("Resuming %1…");
        failed = tr("Could not resume %1: %2");
        break;
    }
    m_containers.act(container.id, action, this, afterContainerAction(container, doing, failed));
}

void DashboardWindow::removeContainer(const ContainerInfo& container)
{
    const QString question = container.state == QLatin1String("running")
        ? tr("Remove the container %1? It is running: it is stopped first, and what it wrote outside its volumes "
             "is lost.")
        : tr("Remove the container %1? What it wrote outside its volumes is lost.");
    if (!m_desktop.confirm(this, question.arg(container.name))) { return; }
    m_containers.remove(container.id, this,
                        afterContainerAction(container, tr("Removing %1…"), tr("Could not remove %1: %2")));
}

ContainerSource::Acted DashboardWindow::afterContainerAction(const ContainerInfo& container, const QString& doing,
                                                             const QString& failed)
{
    m_busyContainers.insert(container.id);
    showContainerMessage(doing.arg(container.name), false);
    updateContainerCommands();
    return [this, id = container.id, name = container.name, failed](const QString& error) {
        m_busyContainers.remove(id);
        if (error.isEmpty()) {
            if (m_busyContainers.isEmpty()) { showContainerMessage({}, false); }
        } else {
            showContainerMessage(failed.arg(name, error), true);
        }
        updateContainerCommands();
        refreshContainers();  // the events say so too; this covers an engine that missed one
    };
}

void DashboardWindow::showContainerMessage(const QString& text, bool error)
{
    m_containerMessage->setText(text);
    m_containerMessage->setStyleSheet(error ? QStringLiteral("color: #c62828;") : QString());
    m_containerMessage->setVisible(!text.isEmpty());
}

void DashboardWindow::applyFilter()
{
    const QString needle = m_filter->text().trimmed();
    const auto matches = [&needle](const ContainerInfo& c) {
        if (needle.isEmpty()) { return true; }
        for (const QString& field : {c.name, c.image, c.composeProject}) {
            if (field.contains(needle, Qt::CaseInsensitive)) { return true; }
        }
        return c.id.startsWith(needle, Qt::CaseInsensitive);
    };
    QSet<QString> shownProjects;  // a project's row shows when one of its containers does
    QList<int> projectRows;
    for (int row = 0; row < m_containersTable->rowCount(); ++row) {
        const QVariant index = m_containersTable->item(row, NameColumn)->data(kContainerIndexRole);
        if (!index.isValid()) {
            projectRows << row;
            continue;
        }
        const ContainerInfo& container = m_shown[index.toInt()];
        const bool shown = matches(container);
        m_containersTable->setRowHidden(row, !shown);
        if (shown) { shownProjects.insert(container.composeProject); }
    }
    for (const int row : projectRows) {
        const QString project = m_containersTable->item(row, NameColumn)->data(kProjectRole).toString();
        m_containersTable->setRowHidden(row, !shownProjects.contains(project));
    }
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
    m_state->setText(engineStateText(status));
    if (status.state == engine::EngineState::Error) {
        m_detail->setText(tr("Error: %1").arg(status.detail));
    } else if (status.resourceSaverPaused) {
        m_detail->setText(tr("No container ran for the Resource Saver's idle time. The next docker command, or "
                             "Start, starts the engine again."));
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
    const EngineControls controls = engineControls(status, policyAllowsStart);
    m_start->setEnabled(controls.start);
    m_stop->setEnabled(controls.stop);
    m_restart->setEnabled(controls.restart);
    m_showLog->setEnabled(!status.serialLog.isEmpty() || status.state == engine::EngineState::Error);
    if (status.state != m_shownState) {
        m_shownState = status.state;
        refreshContainers();
        if (status.state == engine::EngineState::Running) { refreshUsage(); }
    }
}

void DashboardWindow::setDesktopHooks(DesktopHooks hooks)
{
    m_desktop = std::move(hooks);
    m_images->setConfirm(m_desktop.confirm);
    m_volumes->setConfirm(m_desktop.confirm);
}

void DashboardWindow::fitColumns()
{
    // Each column as wide as its contents and header, never narrower than it was: a refresh (an
    // empty list while the engine restarts) does not collapse what the user saw or widened.
    QHeaderView* header = m_containersTable->horizontalHeader();
    for (int col = 0; col < ContainerColumnCount - 1; ++col) {
        const int wanted = std::max(static_cast<QAbstractItemView*>(m_containersTable)->sizeHintForColumn(col),
                                    header->sectionSizeHint(col));
        if (wanted > header->sectionSize(col)) { header->resizeSection(col, wanted); }
    }
}

void DashboardWindow::sampleStats()
{
    if (m_engine.status().state != engine::EngineState::Running) { return; }
    QSet<QString> running;
    for (const ContainerInfo& c : std::as_const(m_shown)) {
        if (c.state != QLatin1String("running") || c.id.isEmpty()) { continue; }
        running.insert(c.id);
        m_containers.stats(c.id, this, [this, id = c.id](const endpoint::ContainerStats& stats, const QString& error) {
            if (!error.isEmpty()) { return; }  // gone meanwhile, or not answered: the next sample tells
            const auto last = m_lastStats.constFind(id);
            const double cpu = last == m_lastStats.cend() ? -1 : endpoint::cpuPercent(*last, stats);
            m_lastStats.insert(id, stats);
            if (cpu < 0) { return; }
            const QString text = tr("%1 % · %2").arg(QLocale().toString(cpu, 'f', 1), humanSize(stats.memoryBytes));
            m_usageTexts.insert(id, text);
            for (int row = 0; row < m_containersTable->rowCount(); ++row) {
                if (m_containersTable->item(row, NameColumn)->data(Qt::UserRole).toString() == id) {
                    m_containersTable->item(row, UsageColumn)->setText(text);
                }
            }
            fitColumns();
        });
    }
    // What stopped or went is forgotten, so a restart starts its samples afresh.
    for (const QString& id : m_lastStats.keys()) {
        if (!running.contains(id)) {
            m_lastStats.remove(id);
            m_usageTexts.remove(id);
        }
    }
}

void DashboardWindow::refreshUsage()
{
    if (m_usageLoading) {
        m_usageAgain = true;
        return;
    }
    m_usageLoading = true;
    m_containers.diskUsage(this, [this](const endpoint::DiskUsage& usage, const QString& error) {
        m_usageLoading = false;
        m_images->showUsage(usage);
        m_volumes->showUsage(usage);
        if (!error.isEmpty() && m_engine.status().state != engine::EngineState::Running) {
            m_usage->clear();  // nothing to say while the engine is not there
        } else {
            m_usage->setText(error.isEmpty() ? tr("Disk: %1").arg(diskUsageText(usage))
                                             : tr("Disk usage unknown: %1").arg(error));
        }
        emit diskUsageShown();
        if (m_usageAgain) {
            m_usageAgain = false;
            refreshUsage();
        }
    });
}

void DashboardWindow::cleanUp()
{
    if (!m_desktop.confirm(this, tr("Remove the stopped containers, the dangling images and the build cache?"))) {
        return;
    }
    m_cleanUp->setEnabled(false);
    m_usage->setText(tr("Cleaning up…"));
    auto reclaimed = std::make_shared<qint64>(0);
    auto errors = std::make_shared<QStringList>();
    // One after the other: containers first, so their images become dangling.
    const QList<endpoint::Prune> steps{endpoint::Prune::StoppedContainers, endpoint::Prune::DanglingImages,
                                       endpoint::Prune::BuildCache};
    // Each step's answer holds the chain (through `self`); the chain holds only a weak reference
    // to itself, so it ends with the last answer, or with this window.
    auto chain = std::make_shared<std::function<void(int)>>();
    *chain = [this, steps, reclaimed, errors, weak = std::weak_ptr(chain)](int step) {
        if (step == steps.size()) {
            m_cleanUp->setEnabled(true);
            statusBar()->showMessage(errors->isEmpty()
                                         ? tr("Clean up: %1 reclaimed").arg(humanSize(*reclaimed))
                                         : tr("Clean up failed: %1").arg(errors->join(QStringLiteral("; "))));
            refreshUsage();
            return;
        }
        m_containers.prune(steps[step], this,
                           [reclaimed, errors, self = weak.lock(), step](qint64 bytes, const QString& error) {
                               *reclaimed += bytes;
                               if (!error.isEmpty()) { *errors << error; }
                               (*self)(step + 1);
                           });
    };
    (*chain)(0);
}

void DashboardWindow::refreshContainers()
{
    if (m_tabs->currentIndex() != 0) { refreshUsage(); }
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
    const auto selected = selectedContainer();
    const QString selectedKey = selected ? containerKey(*selected) : QString();
    m_shown = list;
    const bool isolationOn = m_settings.get(settings::keys::kEnhancedContainerIsolation).value == true;
    const QDateTime now = QDateTime::currentDateTimeUtc();
    m_containersTable->clearSelection();
    m_containersTable->clearSpans();
    m_containersTable->setRowCount(0);
    int selectedRow = -1;
    QString project;  // the group the rows now belong to
    for (const int index : groupedOrder(list)) {
        const ContainerInfo& c = list[index];
        if (!c.composeProject.isEmpty() && c.composeProject != project) {
            const int row = m_containersTable->rowCount();
            m_containersTable->insertRow(row);
            const auto members = std::count_if(list.cbegin(), list.cend(), [&c](const ContainerInfo& o) {
                return o.composeProject == c.composeProject;
            });
            const auto running = std::count_if(list.cbegin(), list.cend(), [&c](const ContainerInfo& o) {
                return o.composeProject == c.composeProject && o.state == QLatin1String("running");
            });
            auto* group = new QTableWidgetItem(
                tr("%1 (compose: %2 of %3 running)").arg(c.composeProject).arg(running).arg(members));
            group->setData(kProjectRole, c.composeProject);
            group->setFlags(Qt::ItemIsEnabled);
            QFont bold = group->font();
            bold.setBold(true);
            group->setFont(bold);
            m_containersTable->setItem(row, NameColumn, group);
            for (int col = 1; col < ContainerColumnCount; ++col) {
                auto* filler = new QTableWidgetItem;
                filler->setFlags(Qt::ItemIsEnabled);
                m_containersTable->setItem(row, col, filler);
            }
            m_containersTable->setSpan(row, 0, 1, ContainerColumnCount);
        }
        project = c.composeProject;
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
        const QString usage = c.state == QLatin1String("running") ? m_usageTexts.value(c.id) : QString();
        const QStringList cells{
            c.name,    c.image,  containerStatusText(c), containerPortsText(c), containerAgeText(c.created, now), usage,
            c.runtime, isolation};
        for (int col = 0; col < cells.size(); ++col) {
            m_containersTable->setItem(row, col, new QTableWidgetItem(cells[col]));
        }
        QTableWidgetItem* nameItem = m_containersTable->item(row, NameColumn);
        nameItem->setData(Qt::UserRole, containerKey(c));
        nameItem->setData(kContainerIndexRole, index);
        if (!c.composeProject.isEmpty()) {
            nameItem->setToolTip(tr("Part of the compose project %1").arg(c.composeProject));
        }
        const QUrl web = containerWebUrl(c);
        if (!web.isEmpty()) {
            m_containersTable->item(row, PortsColumn)->setToolTip(tr("Double-click to open %1").arg(web.toString()));
        }
        m_containersTable->item(row, StatusColumn)->setToolTip(c.status);
        if (c.created.isValid()) {
            m_containersTable->item(row, CreatedColumn)->setToolTip(QLocale().toString(c.created.toLocalTime()));
        }
        if (!selectedKey.isEmpty() && containerKey(c) == selectedKey) { selectedRow = row; }
        QTableWidgetItem* isolationItem = m_containersTable->item(row, IsolationColumn);
        if (!icon.isEmpty()) { isolationItem->setIcon(QIcon(icon)); }
        if (!detail.isEmpty()) { isolationItem->setToolTip(detail); }
    }
    if (selectedRow >= 0) { m_containersTable->selectRow(selectedRow); }
    applyFilter();
    updateContainerCommands();
    fitColumns();
    emit containersShown();
}

}  // namespace berth::gui
