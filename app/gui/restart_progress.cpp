#include "restart_progress.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>

namespace berth::gui {

RestartProgress::RestartProgress(vm::EngineHandle& engine, QWidget* parent)
    : QWidget(parent),
      engine_(engine),
      phase_(new QLabel(this)),
      detail_(new QLabel(this)),
      bar_(new QProgressBar(this)),
      error_(new QLabel(this)),
      showLog_(new QPushButton(tr("Show log"), this)),
      retry_(new QPushButton(tr("Retry"), this))
{
    phase_->setObjectName(QStringLiteral("restartPhase"));
    detail_->setObjectName(QStringLiteral("restartDetail"));
    detail_->setWordWrap(true);
    detail_->setForegroundRole(QPalette::PlaceholderText);
    bar_->setRange(0, stepCount());
    bar_->setAccessibleName(tr("Restart progress"));
    error_->setObjectName(QStringLiteral("restartError"));
    error_->setWordWrap(true);
    error_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    error_->setStyleSheet(QStringLiteral("color: #c62828;"));
    retry_->setObjectName(QStringLiteral("retryButton"));
    showLog_->setObjectName(QStringLiteral("restartShowLogButton"));

    auto* buttons = new QHBoxLayout;
    buttons->addStretch(1);
    buttons->addWidget(showLog_);
    buttons->addWidget(retry_);
    auto* column = new QVBoxLayout(this);
    column->setContentsMargins(0, 0, 0, 0);
    column->addWidget(phase_);
    column->addWidget(bar_);
    column->addWidget(detail_);
    column->addWidget(error_);
    column->addLayout(buttons);

    connect(&engine_, &vm::EngineHandle::statusChanged, this, &RestartProgress::onStatus);
    connect(&engine_, &vm::EngineHandle::progress, detail_, &QLabel::setText);
    connect(retry_, &QPushButton::clicked, this, &RestartProgress::retryRequested);
    connect(showLog_, &QPushButton::clicked, this, &RestartProgress::showLogRequested);
    hide();
}

QString RestartProgress::phaseText() const
{
    return phase_->text();
}
int RestartProgress::step() const
{
    return bar_->value();
}
bool RestartProgress::showsFailure() const
{
    return !error_->isHidden();
}

void RestartProgress::begin()
{
    active_ = true;
    error_->hide();
    showLog_->hide();
    retry_->hide();
    bar_->setValue(0);
    phase_->setText(tr("Restarting…"));
    detail_->clear();
    show();
}

void RestartProgress::onStatus(const vm::EngineStatus& status)
{
    if (!active_) { return; }
    switch (status.state) {
    case vm::EngineState::Stopping:
        bar_->setValue(1);
        phase_->setText(tr("Stopping engine…"));
        break;
    case vm::EngineState::Stopped:
        bar_->setValue(2);
        phase_->setText(tr("VM stopped"));
        break;
    case vm::EngineState::Starting:
        bar_->setValue(3);
        phase_->setText(tr("Starting VM…"));
        break;
    case vm::EngineState::WaitingForEngine:
        bar_->setValue(4);
        phase_->setText(tr("Waiting for engine…"));
        break;
    case vm::EngineState::Running:
        bar_->setValue(5);
        phase_->setText(tr("Running"));
        break;
    case vm::EngineState::Error:
    case vm::EngineState::Unknown: break;  // finish() reports failures with the engine's message
    }
}

void RestartProgress::finish(bool ok, const QString& message)
{
    active_ = false;
    if (ok) {
        bar_->setValue(stepCount());
        phase_->setText(tr("Running"));
        detail_->setText(tr("The engine restarted with the new settings."));
        return;
    }
    phase_->setText(tr("The restart failed"));
    error_->setText(message.isEmpty() ? engine_.status().detail : message);
    error_->show();
    showLog_->show();
    retry_->show();
}

}  // namespace berth::gui
