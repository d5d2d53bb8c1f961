#include "app_controller.h"

#include <QCloseEvent>

#include "apply_restart.h"
#include "dashboard_window.h"
#include "log_viewer.h"
#include "settings_draft.h"
#include "settings_window.h"
#include "theme.h"
#include "tray_icon.h"
#include "user_prompts.h"

namespace berth::gui {

namespace {

// Nothing to stop: no VM process is left behind if we quit now. Unknown is not down: a VM may run.
bool engineIsDown(const vm::EngineStatus& s)
{
    return !s.busy && (s.state == vm::EngineState::Stopped || (s.state == vm::EngineState::Error && s.qemuPid == 0));
}

// Start at launch unless the engine already runs or is on its way.
bool engineNeedsStart(const vm::EngineStatus& s)
{
    return engineIsDown(s) || (!s.busy && s.state == vm::EngineState::Unknown);
}

// Without a tray, closing the dashboard is the only way out: make it a full quit.
class QuitOnClose : public QObject {
public:
    QuitOnClose(AppController& app, QObject* parent) : QObject(parent), app_(app) {}

protected:
    bool eventFilter(QObject* watched, QEvent* event) override
    {
        if (event->type() == QEvent::Close && !app_.hasTray() && !app_.isQuitting()) { app_.requestQuit(); }
        return QObject::eventFilter(watched, event);
    }

private:
    AppController& app_;
};

}  // namespace

AppController::AppController(Parts parts, QObject* parent)
    : QObject(parent),
      parts_(std::move(parts)),
      draft_(new SettingsDraft(parts_.settings, this)),
      applier_(new ApplyRestart(*draft_, parts_.engine, parts_.containers, parts_.prompts, this)),
      dashboard_(new DashboardWindow(parts_.engine, parts_.settings, parts_.containers)),
      tray_(new TrayIcon(parts_.engine, this))
{
    dashboard_->installEventFilter(new QuitOnClose(*this, this));
    connect(dashboard_, &DashboardWindow::settingsRequested, this, &AppController::showSettings);
    connect(dashboard_, &DashboardWindow::showLogRequested, this, &AppController::showLog);
    connect(dashboard_, &DashboardWindow::quitRequested, this, &AppController::requestQuit);
    connect(tray_, &TrayIcon::dashboardRequested, this, &AppController::showDashboard);
    connect(tray_, &TrayIcon::settingsRequested, this, &AppController::showSettings);
    connect(tray_, &TrayIcon::quitRequested, this, &AppController::requestQuit);
    connect(applier_, &ApplyRestart::applied, this, &AppController::applySideEffects);
    connect(&parts_.engine, &vm::EngineHandle::operationFinished, this, &AppController::onOperationFinished);
    applyTheme(QString::fromStdString(parts_.settings.get(settings::keys::kTheme).value.get<std::string>()));
}

AppController::~AppController()
{
    delete settingsWindow_;
    delete logViewer_;
    delete dashboard_;
}

bool AppController::hasTray() const
{
    return tray_->isAvailable();
}

void AppController::startUp(bool background)
{
    parts_.engine.refresh();
    const bool openDashboard = parts_.settings.get(settings::keys::kOpenDashboardAtStart).value == true;
    if (!background && (openDashboard || !hasTray())) { showDashboard(); }
    if (!parts_.settings.engineStartAllowed()) {
        parts_.prompts.showInvalidAdminPolicy(parts_.settings.adminPolicy());
        return;  // fail closed: the engine host would refuse too, but we do not even ask
    }
    if (engineNeedsStart(parts_.engine.status())) { parts_.engine.start(); }
}

void AppController::requestQuit()
{
    if (quitting_) { return; }
    quitting_ = true;
    if (engineIsDown(parts_.engine.status())) {
        emit quitReady();
        return;
    }
    parts_.engine.stop();
}

void AppController::onOperationFinished(vm::EngineHandle::Operation operation, bool ok, const QString&)
{
    if (!quitting_ || operation != vm::EngineHandle::Operation::Stop) { return; }
    if (!ok && !forcedStop_) {
        forcedStop_ = true;  // the graceful stop failed: do not leave the VM behind
        parts_.engine.stop(true);
        return;
    }
    emit quitReady();
}

void AppController::showDashboard()
{
    dashboard_->show();
    dashboard_->raise();
    dashboard_->activateWindow();
}

void AppController::showSettings()
{
    if (settingsWindow_ == nullptr) {
        settingsWindow_ = new SettingsWindow(*draft_, *applier_, parts_.engine);
        settingsWindow_->setAttribute(Qt::WA_DeleteOnClose, false);
        connect(settingsWindow_, &SettingsWindow::showLogRequested, this, &AppController::showLog);
    }
    settingsWindow_->show();
    settingsWindow_->raise();
    settingsWindow_->activateWindow();
}

void AppController::showLog()
{
    if (logViewer_ == nullptr) { logViewer_ = new LogViewer; }
    logViewer_->showLog(parts_.engine.status().serialLog);
}

void AppController::applySideEffects(const settings::Proposal& proposal)
{
    for (const auto& change : proposal.changes) {
        if (change.key == settings::keys::kStartAtLogin) {
            const QString error = parts_.autostart.sync(change.desired == true, parts_.executable);
            if (!error.isEmpty()) { parts_.prompts.showError(tr("Could not change the autostart entry"), error); }
        } else if (change.key == settings::keys::kTheme) {
            applyTheme(QString::fromStdString(change.desired.get<std::string>()));
        }
    }
}

}  // namespace berth::gui
