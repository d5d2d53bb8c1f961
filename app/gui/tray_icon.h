#pragma once

#include <QObject>

#include "berth/engine/engine_handle.h"

class QAction;
class QMenu;
class QSystemTrayIcon;

namespace berth::settings {
class Settings;
}

namespace berth::gui {

// What the desktop should be told about the engine without being asked: it stopped while it ran
// (QEMU died, the guest powered off), or a start or restart failed. Words only; the tray shows them.
class EngineNotices : public QObject {
    Q_OBJECT
public:
    explicit EngineNotices(engine::EngineHandle& engine, QObject* parent = nullptr);

signals:
    void notice(const QString& title, const QString& message);

private:
    engine::EngineState m_last = engine::EngineState::Unknown;
};

// The tray icon with the engine state, Start / Stop / Restart, the dashboard, Settings and Quit,
// and EngineNotices as desktop notifications. Where the desktop has
// no tray (or offscreen) it creates nothing and isAvailable() is false; the app then quits when
// the dashboard closes instead of staying in the background.
class TrayIcon : public QObject {
    Q_OBJECT
public:
    TrayIcon(engine::EngineHandle& engine, const settings::Settings& settings, QObject* parent = nullptr);
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
    const settings::Settings& m_settings;
    QAction* m_state = nullptr;
    QAction* m_start = nullptr;
    QAction* m_stop = nullptr;
    QAction* m_restart = nullptr;
};

// The icon for a state: running, busy, stopped, error.
QString stateIconPath(engine::EngineState state, bool busy);

}  // namespace berth::gui
