#pragma once

#include <QObject>
#include <QPointer>

#include "autostart.h"
#include "berth/settings/settings.h"
#include "berth/vm/engine_handle.h"
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
        vm::EngineHandle& engine;
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

    [[nodiscard]] DashboardWindow* dashboard() const { return dashboard_; }
    [[nodiscard]] SettingsWindow* settingsWindow() const { return settingsWindow_; }
    [[nodiscard]] SettingsDraft& draft() const { return *draft_; }
    [[nodiscard]] ApplyRestart& applier() const { return *applier_; }
    [[nodiscard]] bool hasTray() const;
    [[nodiscard]] bool isQuitting() const { return quitting_; }

signals:
    void quitReady();

private:
    void applySideEffects(const settings::Proposal& proposal);
    void onOperationFinished(vm::EngineHandle::Operation operation, bool ok, const QString& message);

    Parts parts_;
    SettingsDraft* draft_;
    ApplyRestart* applier_;
    DashboardWindow* dashboard_;
    QPointer<SettingsWindow> settingsWindow_;
    QPointer<LogViewer> logViewer_;
    TrayIcon* tray_;
    bool quitting_ = false;
    bool forcedStop_ = false;
};

}  // namespace berth::gui
