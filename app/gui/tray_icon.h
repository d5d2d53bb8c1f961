#pragma once

#include <QObject>

#include "berth/engine/engine_handle.h"

class QAction;
class QMenu;
class QSystemTrayIcon;

namespace berth::gui {

// The tray icon with the engine state, the dashboard, Settings and Quit. Where the desktop has
// no tray (or offscreen) it creates nothing and isAvailable() is false; the app then quits when
// the dashboard closes instead of staying in the background.
class TrayIcon : public QObject {
    Q_OBJECT
public:
    explicit TrayIcon(engine::EngineHandle& engine, QObject* parent = nullptr);
    ~TrayIcon() override;

    [[nodiscard]] bool isAvailable() const { return m_tray != nullptr; }

signals:
    void dashboardRequested();
    void settingsRequested();
    void quitRequested();

private:
    void showStatus(const engine::EngineStatus& status);

    QSystemTrayIcon* m_tray = nullptr;
    QMenu* m_menu = nullptr;
    QAction* m_state = nullptr;
};

// The icon for a state: running, busy, stopped, error.
QString stateIconPath(engine::EngineState state, bool busy);

}  // namespace berth::gui
