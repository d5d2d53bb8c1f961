#include "tray_icon.h"

#include <QMenu>
#include <QSystemTrayIcon>

#include "berth/settings/settings.h"
#include "dashboard_window.h"

namespace berth::gui {

QString stateIconPath(engine::EngineState state, bool busy)
{
    if (state == engine::EngineState::Error) { return QStringLiteral(":/icons/state-error.svg"); }
    if (busy || state == engine::EngineState::Starting || state == engine::EngineState::WaitingForEngine
        || state == engine::EngineState::Stopping) {
        return QStringLiteral(":/icons/state-busy.svg");
    }
    if (state == engine::EngineState::Running) { return QStringLiteral(":/icons/state-running.svg"); }
    return QStringLiteral(":/icons/state-stopped.svg");
}

EngineNotices::EngineNotices(engine::EngineHandle& engine, QObject* parent)
    : QObject(parent),
      m_last(engine.status().state)
{
    connect(&engine, &engine::EngineHandle::statusChanged, this, [this](const engine::EngineStatus& status) {
        // From Running straight to Stopped or Error: nobody asked (a stop goes through Stopping).
        const bool wasRunning = m_last == engine::EngineState::Running;
        m_last = status.state;
        if (!wasRunning || status.busy) { return; }
        if (status.state == engine::EngineState::Error) {
            emit notice(tr("The engine stopped unexpectedly"), status.detail);
        } else if (status.state == engine::EngineState::Stopped) {
            emit notice(tr("The engine stopped unexpectedly"), tr("The VM shut down."));
        }
    });
    connect(&engine, &engine::EngineHandle::operationFinished, this,
            [this](engine::EngineOperation operation, bool ok, const QString& message) {
                if (ok) { return; }
                if (operation == engine::EngineOperation::Restart) {
                    emit notice(tr("The engine did not restart"), message);
                } else if (operation == engine::EngineOperation::Start) {
                    emit notice(tr("The engine did not start"), message);
                }
            });
}

TrayIcon::TrayIcon(engine::EngineHandle& engine, const settings::Settings& settings, QObject* parent)
    : QObject(parent),
      m_settings(settings)
{
    if (!QSystemTrayIcon::isSystemTrayAvailable()) { return; }
    m_menu = new QMenu;
    m_state = m_menu->addAction(QString());
    m_state->setEnabled(false);
    m_start = m_menu->addAction(tr("Start"), &engine, [&engine] { engine.start(); });
    m_stop = m_menu->addAction(tr("Stop"), &engine, [&engine] { engine.stop(); });
    m_restart = m_menu->addAction(tr("Restart"), &engine, [&engine] { engine.restart(); });
    m_menu->addSeparator();
    m_menu->addAction(tr("Open dashboard"), this, &TrayIcon::dashboardRequested);
    m_menu->addAction(tr("Settings…"), this, &TrayIcon::settingsRequested);
    m_menu->addSeparator();
    m_menu->addAction(tr("Quit Berth"), this, &TrayIcon::quitRequested);

    m_tray = new QSystemTrayIcon(this);
    m_tray->setContextMenu(m_menu);
    connect(m_tray, &QSystemTrayIcon::activated, this, [this](QSystemTrayIcon::ActivationReason reason) {
        if (reason == QSystemTrayIcon::Trigger) { emit dashboardRequested(); }
    });
    connect(&engine, &engine::EngineHandle::statusChanged, this, &TrayIcon::showStatus);
    auto* notices = new EngineNotices(engine, this);
    connect(notices, &EngineNotices::notice, m_tray, [this](const QString& title, const QString& message) {
        m_tray->showMessage(title, message, QSystemTrayIcon::Warning);
    });
    showStatus(engine.status());
    m_tray->show();
}

TrayIcon::~TrayIcon()
{
    delete m_menu;  // a context menu has no parent
}

void TrayIcon::showStatus(const engine::EngineStatus& status)
{
    const QString text = tr("Berth: %1").arg(engineStateText(status));
    m_state->setText(text);
    m_tray->setToolTip(text);
    m_tray->setIcon(QIcon(stateIconPath(status.state, status.busy)));
    const EngineControls controls = engineControls(status, m_settings.engineStartAllowed());
    m_start->setEnabled(controls.start);
    m_stop->setEnabled(controls.stop);
    m_restart->setEnabled(controls.restart);
}

}  // namespace berth::gui
