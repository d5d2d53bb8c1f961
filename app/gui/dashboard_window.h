#pragma once

#include <QMainWindow>

#include "berth/vm/engine_handle.h"

class QLabel;
class QPushButton;
class QTableWidget;

namespace berth::settings {
class Settings;
}

namespace berth::gui {

class ContainerSource;

// The dashboard: engine state (with the error reason and "Show log"), the accelerator and why,
// Start / Stop / Restart, and the containers with whether each runs isolated.
class DashboardWindow : public QMainWindow {
    Q_OBJECT
public:
    enum ContainerColumn { NameColumn, ImageColumn, RuntimeColumn, IsolationColumn, ContainerColumnCount };

    DashboardWindow(vm::EngineHandle& engine, const settings::Settings& settings, ContainerSource& containers,
                    QWidget* parent = nullptr);

    [[nodiscard]] QString stateText() const;
    [[nodiscard]] QString acceleratorText() const;
    [[nodiscard]] QPushButton* startButton() const { return start_; }
    [[nodiscard]] QPushButton* stopButton() const { return stop_; }
    [[nodiscard]] QPushButton* restartButton() const { return restart_; }
    [[nodiscard]] QPushButton* showLogButton() const { return showLog_; }
    [[nodiscard]] QTableWidget* containersTable() const { return containersTable_; }

public slots:
    void showStatus(const berth::vm::EngineStatus& status);
    void refreshContainers();

signals:
    void settingsRequested();
    void showLogRequested();
    void quitRequested();

private:
    vm::EngineHandle& engine_;
    const settings::Settings& settings_;
    ContainerSource& containers_;
    QLabel* state_;
    QLabel* detail_;
    QLabel* accelerator_;
    QLabel* endpoint_;  // how to reach the engine; the unsafe 2375 listener when it is on
    QPushButton* start_;
    QPushButton* stop_;
    QPushButton* restart_;
    QPushButton* showLog_;
    QTableWidget* containersTable_;
};

// The engine state in the user's language.
QString engineStateText(vm::EngineState state);

}  // namespace berth::gui
