#include "restart_progress.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>

namespace berth::gui {

RestartProgress::RestartProgress(engine::EngineHandle& engine, QWidget* parent)
    : QWidget(parent),
      m_engine(engine),
      m_phase(new QLabel(this)),
      m_detail(new QLabel(this)),
      m_bar(new QProgressBar(this)),
      m_error(new QLabel(this)),
      m_showLog(new QPushButton(tr("Show log"), this)),
      m_retry(new QPushButton(tr("Retry"), this))
{
    m_phase->setObjectName(QStringLiteral("restartPhase"));
    m_detail->setObjectName(QStringLiteral("restartDetail"));
    m_detail->setWordWrap(true);
    m_detail->setForegroundRole(QPalette::PlaceholderText);
    m_bar->setRange(0, stepCount());
    m_bar->setAccessibleName(tr("Restart progress"));
    m_error->setObjectName(QStringLiteral("restartError"));
    m_error->setWordWrap(true);
    m_error->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_error->setStyleSheet(QStringLiteral("color: #c62828;"));
    m_retry->setObjectName(QStringLiteral("retryButton"));
    m_showLog->setObjectName(QStringLiteral("restartShowLogButton"));

    auto* buttons = new QHBoxLayout;
    buttons->addStretch(1);
    buttons->addWidget(m_showLog);
    buttons->addWidget(m_retry);
    auto* column = new QVBoxLayout(this);
    column->setContentsMargins(0, 0, 0, 0);
    column->addWidget(m_phase);
    column->addWidget(m_bar);
    column->addWidget(m_detail);
    column->addWidget(m_error);
    column->addLayout(buttons);

    connect(&m_engine, &engine::EngineHandle::statusChanged, this, &RestartProgress::onStatus);
    connect(&m_engine, &engine::EngineHandle::progress, m_detail, &QLabel::setText);
    connect(m_retry, &QPushButton::clicked, this, &RestartProgress::retryRequested);
    connect(m_showLog, &QPushButton::clicked, this, &RestartProgress::showLogRequested);
    hide();
}

QString RestartProgress::phaseText() const
{
    return m_phase->text();
}
int RestartProgress::step() const
{
    return m_bar->value();
}
bool RestartProgress::showsFailure() const
{
    return !m_error->isHidden();
}

void RestartProgress::begin()
{
    m_active = true;
    m_error->hide();
    m_showLog->hide();
    m_retry->hide();
    m_bar->setValue(0);
    m_phase->setText(tr("Restarting…"));
    m_detail->clear();
    show();
}

void RestartProgress::onStatus(const engine::EngineStatus& status)
{
    if (!m_active) { return; }
    switch (status.state) {
    case engine::EngineState::Stopping:
        m_bar->setValue(1);
        m_phase->setText(tr("Stopping engine…"));
        break;
    case engine::EngineState::Stopped:
        m_bar->setValue(2);
        m_phase->setText(tr("VM stopped"));
        break;
    case engine::EngineState::Starting:
        m_bar->setValue(3);
        m_phase->setText(tr("Starting VM…"));
        break;
    case engine::EngineState::WaitingForEngine:
        m_bar->setValue(4);
        m_phase->setText(tr("Waiting for engine…"));
        break;
    case engine::EngineState::Running:
        m_bar->setValue(5);
        m_phase->setText(tr("Running"));
        break;
    case engine::EngineState::Error:
    case engine::EngineState::Unknown: break;  // finish() reports failures with the engine's message
    }
}

void RestartProgress::finish(bool ok, const QString& message)
{
    m_active = false;
    if (ok) {
        m_bar->setValue(stepCount());
        m_phase->setText(tr("Running"));
        m_detail->setText(tr("The engine restarted with the new settings."));
        return;
    }
    m_phase->setText(tr("The restart failed"));
    m_error->setText(message.isEmpty() ? m_engine.status().detail : message);
    m_error->show();
    m_showLog->show();
    m_retry->show();
}

}  // namespace berth::gui
