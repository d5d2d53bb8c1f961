#pragma once

#include <QMainWindow>

#include "berth/engine/engine_handle.h"

#include <QVector>

class QLabel;
class QPushButton;
class QTableWidget;

namespace berth::settings {
class Settings;
}

namespace berth::gui {

class ContainerSource;
struct ContainerInfo;

// The dashboard: engine state (with the error reason and "Show log"), the accelerator and why,
// Start / Stop / Restart, and the containers with whether each runs isolated.
class DashboardWindow : public QMainWindow {
    Q_OBJECT
public:
    enum ContainerColumn {
        NameColumn,
        ImageColumn,
        StatusColumn,
        PortsColumn,
        CreatedColumn,
        RuntimeColumn,
        IsolationColumn,
        ContainerColumnCount
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

public slots:
    void showStatus(const berth::engine::EngineStatus& status);
    // Lists the containers without blocking; the table follows when the list arrives.
    void refreshContainers();

public:
    // True while a list asked for has not arrived yet (tests wait on it).
    [[nodiscard]] bool refreshing() const { return m_refreshing; }

signals:
    void settingsRequested();
    void showLogRequested();
    void quitRequested();

private:
    void showContainers(const QVector<ContainerInfo>& list);

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

// The engine state in the user's language.
QString engineStateText(engine::EngineState state);

}  // namespace berth::gui
