#include "tray_icon.h"

#include <QMenu>
#include <QSystemTrayIcon>

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

TrayIcon::TrayIcon(engine::EngineHandle& engine, QObject* parent) : QObject(parent)
{
    if (!QSystemTrayIcon::isSystemTrayAvailable()) { return; }
    m_menu = new QMenu;
    m_state = m_menu->addAction(QString());
    m_state->setEnabled(false);
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
    showStatus(engine.status());
    m_tray->show();
}

TrayIcon::~TrayIcon()
{
    delete m_menu;  // a context menu has no parent
}

void TrayIcon::showStatus(const engine::EngineStatus& status)
{
    const QString text = tr("Berth: %1").arg(engineStateText(status.state));
    m_state->setText(text);
    m_tray->setToolTip(text);
    m_tray->setIcon(QIcon(stateIconPath(status.state, status.busy)));
}

}  // namespace berth::gui
