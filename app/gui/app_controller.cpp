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
bool engineIsDown(const engine::EngineStatus& s)
{
    return !s.busy
        && (s.state == engine::EngineState::Stopped || (s.state == engine::EngineState::Error && s.qemuPid == 0));
}

// Start at launch unless the engine already runs or is on its way.
bool engineNeedsStart(const engine::EngineStatus& s)
{
    return engineIsDown(s) || (!s.busy && s.state == engine::EngineState::Unknown);
}

// Without a tray, closing the dashboard is the only way out: make it a full quit.
class QuitOnClose : public QObject {
public:
    QuitOnClose(AppController& app, QObject* parent) : QObject(parent), m_app(app) {}

protected:
    bool eventFilter(QObject* watched, QEvent* event) override
    {
        if (event->type() == QEvent::Close && !m_app.hasTray() && !m_app.isQuitting()) { m_app.requestQuit(); }
        return QObject::eventFilter(watched, event);
    }

private:
    AppController& m_app;
};

}  // namespace

AppController::AppController(Parts parts, QObject* parent)
    : QObject(parent),
      m_parts(std::move(parts)),
      m_draft(new SettingsDraft(m_parts.settings, this)),
      m_applier(new ApplyRestart(*m_draft, m_parts.engine, m_parts.containers, m_parts.prompts, this)),
      m_dashboard(new DashboardWindow(m_parts.engine, m_parts.settings, m_parts.containers)),
      m_tray(new TrayIcon(m_parts.engine, m_parts.settings, this))
{
    m_dashboard->installEventFilter(new QuitOnClose(*this, this));
    connect(m_dashboard, &DashboardWindow::settingsRequested, this, &AppController::showSettings);
    connect(m_dashboard, &DashboardWindow::showLogRequested, this, &AppController::showLog);
    connect(m_dashboard, &DashboardWindow::quitRequested, this, &AppController::requestQuit);
    connect(m_tray, &TrayIcon::dashboardRequested, this, &AppController::showDashboard);
    connect(m_tray, &TrayIcon::settingsRequested, this, &AppController::showSettings);
    connect(m_tray, &TrayIcon::quitRequested, this, &AppController::requestQuit);
    connect(m_applier, &ApplyRestart::applied, this, &AppController::applySideEffects);
    connect(&m_parts.engine, &engine::EngineHandle::operationFinished, this, &AppController::onOperationFinished);
    applyTheme(QString::fromStdString(m_parts.settings.get(settings::keys::kTheme).value.get<std::string>()));
}

AppController::~AppController()
{
    delete m_settingsWindow;
    delete m_logViewer;
    delete m_dashboard;
}

bool AppController::hasTray() const
{
    return m_tray->isAvailable();
}

void AppController::startUp(bool background)
{
    m_parts.engine.refresh();
    const bool openDashboard = m_parts.settings.get(settings::keys::kOpenDashboardAtStart).value == true;
    if (!background && (openDashboard || !hasTray())) { showDashboard(); }
    if (!m_parts.settings.engineStartAllowed()) {
        m_parts.prompts.showInvalidAdminPolicy(m_parts.settings.adminPolicy());
        return;  // fail closed: the engine host would refuse too, but we do not even ask
    }
    if (engineNeedsStart(m_parts.engine.status())) { m_parts.engine.start(); }
}

void AppController::requestQuit()
{
    if (m_quitting) { return; }
    m_quitting = true;
    if (engineIsDown(m_parts.engine.status())) {
        emit quitReady();
        return;
    }
    m_parts.engine.stop();
}

void AppController::onOperationFinished(engine::EngineOperation operation, bool ok, const QString&)
{
    if (!m_quitting || operation != engine::EngineOperation::Stop) { return; }
    if (!ok && !m_forcedStop) {
        m_forcedStop = true;  // the graceful stop failed: do not leave the VM behind
        m_parts.engine.stop(true);
        return;
    }
    emit quitReady();
}

void AppController::showDashboard()
{
    m_dashboard->show();
    m_dashboard->raise();
    m_dashboard->activateWindow();
}

void AppController::showSettings()
{
    if (m_settingsWindow == nullptr) {
        m_settingsWindow = new SettingsWindow(*m_draft, *m_applier, m_parts.engine);
        m_settingsWindow->setAttribute(Qt::WA_DeleteOnClose, false);
        connect(m_settingsWindow, &SettingsWindow::showLogRequested, this, &AppController::showLog);
    }
    m_settingsWindow->show();
    m_settingsWindow->raise();
    m_settingsWindow->activateWindow();
}

void AppController::showLog()
{
    if (m_logViewer == nullptr) { m_logViewer = new LogViewer; }
    m_logViewer->showLog(m_parts.engine.status().serialLog);
}

void AppController::applySideEffects(const settings::Proposal& proposal)
{
    for (const auto& change : proposal.changes) {
        if (change.key == settings::keys::kStartAtLogin) {
            const QString error = m_parts.autostart.sync(change.desired == true, m_parts.executable);
            if (!error.isEmpty()) { m_parts.prompts.showError(tr("Could not change the autostart entry"), error); }
        } else if (change.key == settings::keys::kTheme) {
            applyTheme(QString::fromStdString(change.desired.get<std::string>()));
        }
    }
}

}  // namespace berth::gui
