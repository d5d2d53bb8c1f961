#include "tray_icon.h"

#include <QMenu>
#include <QSystemTrayIcon>

#include "dashboard_window.h"

namespace berth::gui {

QString stateIconPath(vm::EngineState state, bool busy)
{
    if (state == vm::EngineState::Error) { return QStringLiteral(":/icons/state-error.svg"); }
    if (busy || state == vm::EngineState::Starting || state == vm::EngineState::WaitingForEngine
        || state == vm::EngineState::Stopping) {
        return QStringLiteral(":/icons/state-busy.svg");
    }
    if (state == vm::EngineState::Running) { return QStringLiteral(":/icons/state-running.svg"); }
    return QStringLiteral(":/icons/state-stopped.svg");
}

TrayIcon::TrayIcon(vm::EngineHandle& engine, QObject* parent) : QObject(parent)
{
    if (!QSystemTrayIcon::isSystemTrayAvailable()) { return; }
    menu_ = new QMenu;
    state_ = menu_->addAction(QString());
    state_->setEnabled(false);
    menu_->addSeparator();
    menu_->addAction(tr("Open dashboard"), this, &TrayIcon::dashboardRequested);
    menu_->addAction(tr("Settings…"), this, &TrayIcon::settingsRequested);
    menu_->addSeparator();
    menu_->addAction(tr("Quit Berth"), this, &TrayIcon::quitRequested);

    tray_ = new QSystemTrayIcon(this);
    tray_->setContextMenu(menu_);
    connect(tray_, &QSystemTrayIcon::activated, this, [this](QSystemTrayIcon::ActivationReason reason) {
        if (reason == QSystemTrayIcon::Trigger) { emit dashboardRequested(); }
    });
    connect(&engine, &vm::EngineHandle::statusChanged, this, &TrayIcon::showStatus);
    showStatus(engine.status());
    tray_->show();
}

TrayIcon::~TrayIcon()
{
    delete menu_;  // a context menu has no parent
}

void TrayIcon::showStatus(const vm::EngineStatus& status)
{
    const QString text = tr("Berth: %1").arg(engineStateText(status.state));
    state_->setText(text);
    tray_->setToolTip(text);
    tray_->setIcon(QIcon(stateIconPath(status.state, status.busy)));
}

}  // namespace berth::gui
