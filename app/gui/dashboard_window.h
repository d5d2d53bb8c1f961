#pragma once

#include <QMainWindow>

#include "berth/endpoint/docker_api.h"
#include "berth/engine/engine_handle.h"
#include "container_source.h"

#include <QHash>
#include <QSet>
#include <QStringList>
#include <QUrl>
#include <QVector>

#include <functional>
#include <optional>

class QAction;
class QLabel;
class QLineEdit;
class QPushButton;
class QTabWidget;
class QTimer;
class QTableWidget;

namespace berth::settings {
class Settings;
}

namespace berth::gui {

class StorageView;

// The dashboard: engine state (with the error reason and "Show log"), the accelerator and why,
// Start / Stop / Restart, and the containers with whether each runs isolated, grouped by compose
// project, filtered, and what can be done to the selected one (start, stop, restart, pause,
// resume, remove, a terminal, its web port in the browser). Container actions never block: the
// table follows when the engine's events say the container changed.
class DashboardWindow : public QMainWindow {
    Q_OBJECT
public:
    enum ContainerColumn {
        NameColumn,
        ImageColumn,
        StatusColumn,
        PortsColumn,
        CreatedColumn,
        UsageColumn,  // CPU and memory of a running container
        RuntimeColumn,
        IsolationColumn,
        ContainerColumnCount
    };

    enum class ContainerCommand { Start, Stop, Restart, Pause, Resume, Remove, Logs, Terminal, OpenPort };

    // What the desktop does for the dashboard; tests put their own in place.
    struct DesktopHooks {
        // Asked before anything is removed: the question, true to go on.
        std::function<bool(QWidget* parent, const QString& question)> confirm;
        // Starts a program detached from Berth; false when it could not start.
        std::function<bool(const QString& program, const QStringList& arguments)> launch;
        std::function<bool(const QUrl&)> openUrl;
    };

    DashboardWindow(engine::EngineHandle& engine, const settings::Settings& settings, ContainerSource& containers,
                    QWidget* parent = nullptr);

    [[nodiscard]] QString stateText() const;
    [[nodiscard]] QString acceleratorText() const;
    [[nodiscard]] QPushButton* startButton() const { return m_start; }
    [[nodiscard]] QPushButton* stopButton() const { return m_stop; }
    [[nodiscard]] QPushButton* restartButton() const { return m_restart; }
    [[nodiscard]] QPushButton* showLogButton() const { return m_showLog; }
    [[nodiscard]] QTableWidget* containersTable() const { return m_containersTable; }
    [[nodiscard]] QAction* containerCommand(ContainerCommand command) const;
    [[nodiscard]] QLineEdit* containerFilter() const { return m_filter; }
    // What the last container action is doing, or why it failed; empty when all went well.
    [[nodiscard]] QString containerMessage() const;
    [[nodiscard]] std::optional<ContainerInfo> selectedContainer() const;
    void setDesktopHooks(DesktopHooks hooks);
    [[nodiscard]] QTabWidget* tabs() const { return m_tabs; }
    [[nodiscard]] StorageView* imagesView() const { return m_images; }
    [[nodiscard]] StorageView* volumesView() const { return m_volumes; }
    [[nodiscard]] QString diskUsageLine() const;
    [[nodiscard]] QPushButton* cleanUpButton() const { return m_cleanUp; }
    [[nodiscard]] bool diskUsageLoading() const { return m_usageLoading; }

public slots:
    void showStatus(const berth::engine::EngineStatus& status);
    // Lists the containers without blocking; the table follows when the list arrives.
    void refreshContainers();

public:
    // True while a list asked for has not arrived yet (tests wait on it).
    [[nodiscard]] bool refreshing() const { return m_refreshing; }
    // Samples every running container's CPU and memory once (a timer does it every few seconds
    // while the Containers tab shows); the usage column follows from the second sample on.
    void sampleStats();
    // True while a container action has not been answered yet.
    [[nodiscard]] bool containerActionPending() const { return !m_busyContainers.isEmpty(); }

signals:
    void settingsRequested();
    void showLogRequested();
    void quitRequested();
    // The table shows a new list.
    void containersShown();
    // The Images and Volumes tabs and the usage line show a new disk usage.
    void diskUsageShown();

private:
    void showContainers(const QVector<ContainerInfo>& list);
    QWidget* makeContainerCommands();
    void runContainerCommand(ContainerCommand command);
    void actOnContainer(const ContainerInfo& container, endpoint::ContainerAction action);
    void removeContainer(const ContainerInfo& container);
    // Marks the container busy and says `doing`; once `done` answers, says what failed, if anything.
    ContainerSource::Acted afterContainerAction(const ContainerInfo& container, const QString& doing,
                                                const QString& failed);
    void showContainerMessage(const QString& text, bool error);
    void updateContainerCommands();
    void applyFilter();
    void fitColumns();
    // Asks for the disk usage again (the Images and Volumes tabs, the usage line).
    void refreshUsage();
    void cleanUp();

    engine::EngineHandle& m_engine;
    const settings::Settings& m_settings;
    ContainerSource& m_containers;
    QLabel* m_state;
    QLabel* m_detail;
    QLabel* m_accelerator;
    QLabel* m_endpoint;  // how to reach the engine; the unsafe 2375 listener when it is on
    QPushButton* m_start;
    QPushButton* m_stop;
    QPushButton* m_restart;
    QPushButton* m_showLog;
    QTableWidget* m_containersTable;
    QLineEdit* m_filter;
    QLabel* m_containerMessage;
    QTabWidget* m_tabs;
    StorageView* m_images;
    StorageView* m_volumes;
    QLabel* m_usage;
    QPushButton* m_cleanUp;
    bool m_usageLoading = false;
    bool m_usageAgain = false;
    QTimer* m_statsTimer;
    QHash<QString, endpoint::ContainerStats> m_lastStats;  // by container id
    QHash<QString, QString> m_usageTexts;  // by container id: "3.2 % · 45.1 MB"
    QHash<int, QAction*> m_commands;  // by ContainerCommand
    QVector<ContainerInfo> m_shown;  // what the table shows; a row's name item holds its index
    QSet<QString> m_busyContainers;  // ids with an action on its way
    DesktopHooks m_desktop;
    engine::EngineState m_shownState = engine::EngineState::Unknown;
    bool m_refreshing = false;
    bool m_refreshAgain = false;  // changed while a list was on its way
};

// How the dashboard shows a container's state: "running", "exited (137)", "paused", ...
QString containerStatusText(const ContainerInfo& container);
// The published ports as reached from the host: "127.0.0.1:8080->80/tcp, ...".
QString containerPortsText(const ContainerInfo& container);
// "5 minutes ago", relative to `now`.
QString containerAgeText(const QDateTime& created, const QDateTime& now);

// http://localhost:<port> for the container's first TCP port published to the host (https for a
// container port 443 or 8443); empty when it publishes none.
QUrl containerWebUrl(const ContainerInfo& container);
// The terminal emulator command that opens a shell in the container through the berth context:
// $TERMINAL or x-terminal-emulator (Debian's alternative), else xterm. Empty when none is found.
QStringList terminalCommand(const QString& containerId);

// Which of Start, Stop and Restart apply to the engine now (the dashboard's buttons, the tray's
// menu). Start also needs the admin policy to allow a start.
struct EngineControls {
    bool start = false;
    bool stop = false;
    bool restart = false;
};
EngineControls engineControls(const engine::EngineStatus& status, bool startAllowed);

// The engine state in the user's language ("Paused by Resource Saver" for its stop).
QString engineStateText(const engine::EngineStatus& status);

}  // namespace berth::gui
