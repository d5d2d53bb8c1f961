#pragma once

#include <QObject>
#include <QPointer>

#include "autostart.h"
#include "berth/engine/engine_handle.h"
#include "berth/settings/settings.h"
#include "log_viewer.h"
#include "settings_window.h"

namespace berth::gui {

class ApplyRestart;
class ContainerSource;
class DashboardWindow;
class SettingsDraft;
class TrayIcon;
class UserPrompts;

// Wires the app together: settings, engine, windows, tray; the start-up checks and the full quit.
class AppController : public QObject {
    Q_OBJECT
public:
    struct Parts {
        settings::Settings& settings;
        engine::EngineHandle& engine;
        ContainerSource& containers;
        UserPrompts& prompts;
        AutostartEntry autostart = AutostartEntry();
        QString executable;  // for the autostart entry
    };

    explicit AppController(Parts parts, QObject* parent = nullptr);
    ~AppController() override;

    // Shows the dashboard unless told otherwise by app.openDashboardAtStart or `background`,
    // then starts the engine, unless the admin policy is invalid: then an error, and no start.
    void startUp(bool background = false);
    // Full quit: the VM is shut down first; quitReady() follows once it has stopped.
    void requestQuit();

    void showDashboard();
    void showSettings();
    void showLog();

    [[nodiscard]] DashboardWindow* dashboard() const { return m_dashboard; }
    [[nodiscard]] SettingsWindow* settingsWindow() const { return m_settingsWindow; }
    [[nodiscard]] SettingsDraft& draft() const { return *m_draft; }
    [[nodiscard]] ApplyRestart& applier() const { return *m_applier; }
    [[nodiscard]] bool hasTray() const;
    [[nodiscard]] bool isQuitting() const { return m_quitting; }

signals:
    void quitReady();

private:
    void applySideEffects(const settings::Proposal& proposal);
    void onOperationFinished(engine::EngineOperation operation, bool ok, const QString& message);

    Parts m_parts;
    SettingsDraft* m_draft;
    ApplyRestart* m_applier;
    DashboardWindow* m_dashboard;
    QPointer<SettingsWindow> m_settingsWindow;
    QPointer<LogViewer> m_logViewer;
    TrayIcon* m_tray;
    bool m_quitting = false;
    bool m_forcedStop = false;
};

}  // namespace berth::gui
