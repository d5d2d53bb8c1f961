#include "settings_window.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QScrollArea>
#include <QStackedWidget>
#include <QVBoxLayout>

#include "apply_restart.h"
#include "managed_settings_page.h"
#include "restart_progress.h"
#include "schema_strings.h"
#include "settings_draft.h"
#include "settings_page.h"

namespace berth::gui {

SettingsWindow::SettingsWindow(SettingsDraft& draft, ApplyRestart& applier, vm::EngineHandle& engine, QWidget* parent)
    : QWidget(parent, Qt::Window),
      draft_(draft),
      applier_(applier),
      sidebar_(new QListWidget(this)),
      pages_(new QStackedWidget(this)),
      proposal_(new QLabel(this)),
      progress_(new RestartProgress(engine, this)),
      cancel_(new QPushButton(tr("Cancel"), this)),
      apply_(new QPushButton(tr("Apply && restart"), this))
{
    setWindowTitle(tr("Berth Settings"));
    setObjectName(QStringLiteral("settingsWindow"));
    sidebar_->setObjectName(QStringLiteral("settingsSidebar"));
    sidebar_->setAccessibleName(tr("Settings pages"));
    sidebar_->setFixedWidth(180);
    sidebar_->setSpacing(3);
    apply_->setObjectName(QStringLiteral("applyButton"));
    apply_->setAccessibleName(tr("Apply and restart"));
    apply_->setDefault(true);
    cancel_->setObjectName(QStringLiteral("cancelButton"));
    cancel_->setAccessibleName(tr("Cancel"));
    proposal_->setObjectName(QStringLiteral("proposal"));
    proposal_->setWordWrap(true);

    for (auto page : {settings::Page::General, settings::Page::Resources, settings::Page::DockerEngine}) {
        auto* p = new SettingsPage(page, draft_, pages_);
        addPage(p, p->title());
    }
    managed_ = new ManagedSettingsPage(draft_.settings(), pages_);
    addPage(managed_, managed_->title());

    auto* content = new QVBoxLayout;
    if (!draft_.settings().engineStartAllowed()) {
        const auto& policy = draft_.settings().adminPolicy();
        policyError_ = makeBanner(tr("%1 is invalid: settings cannot be changed and the engine will not start. "
                                     "See Managed settings for what to fix.")
                                      .arg(QString::fromStdString(policy.file)),
                                  QStringLiteral(":/icons/state-error.svg"), this);
        policyError_->setObjectName(QStringLiteral("invalidPolicyBanner"));
        content->addWidget(policyError_);
    }
    content->addWidget(pages_, 1);
    content->addWidget(proposal_);
    content->addWidget(progress_);
    auto* buttons = new QHBoxLayout;
    buttons->addStretch(1);
    buttons->addWidget(cancel_);
    buttons->addWidget(apply_);
    content->addLayout(buttons);

    auto* row = new QHBoxLayout(this);
    row->addWidget(sidebar_);
    row->addLayout(content, 1);

    connect(sidebar_, &QListWidget::currentRowChanged, pages_, &QStackedWidget::setCurrentIndex);
    connect(apply_, &QPushButton::clicked, &applier_, &ApplyRestart::apply);
    connect(cancel_, &QPushButton::clicked, this, [this] {
        draft_.discard();
        close();
    });
    connect(&applier_, &ApplyRestart::availabilityChanged, this, &SettingsWindow::updateApplyState);
    connect(&applier_, &ApplyRestart::applyFailed, proposal_, &QLabel::setText);
    connect(&applier_, &ApplyRestart::restartStarted, progress_, &RestartProgress::begin);
    connect(&applier_, &ApplyRestart::restartFinished, progress_, &RestartProgress::finish);
    connect(progress_, &RestartProgress::retryRequested, &applier_, &ApplyRestart::retry);
    connect(progress_, &RestartProgress::showLogRequested, this, &SettingsWindow::showLogRequested);

    setTabOrder(sidebar_, pages_);
    setTabOrder(cancel_, apply_);
    sidebar_->setCurrentRow(0);
    updateApplyState();
    resize(820, 560);
}

void SettingsWindow::addPage(QWidget* page, const QString& title)
{
    auto* scroll = new QScrollArea(pages_);
    scroll->setWidget(page);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    pages_->addWidget(scroll);
    sidebar_->addItem(title);
}

void SettingsWindow::showPage(int index)
{
    sidebar_->setCurrentRow(index);
}

SettingsPage* SettingsWindow::page(settings::Page page) const
{
    for (auto* p : findChildren<SettingsPage*>()) {
        if (p->page() == page) { return p; }
    }
    return nullptr;
}

SettingEditor* SettingsWindow::editor(std::string_view key) const
{
    for (auto* p : findChildren<SettingsPage*>()) {
        if (auto* e = p->editor(key)) { return e; }
    }
    return nullptr;
}

QString SettingsWindow::proposalText() const
{
    return proposal_->text();
}

void SettingsWindow::updateApplyState()
{
    apply_->setEnabled(applier_.canApply());
    if (applier_.isRestarting() || !draft_.isDirty()) {
        proposal_->clear();
        return;
    }
    const settings::Proposal p = draft_.proposal();
    if (!p.ok()) {
        QStringList errors;
        for (const auto& e : p.errors) { errors << QString::fromStdString(e); }
        proposal_->setText(errors.join(QLatin1Char('\n')));
        return;
    }
    QStringList restarting;
    for (const auto& change : p.changes) {
        if (change.restartNeeded) { restarting << settingLabel(*settings::findSpec(change.key)); }
    }
    proposal_->setText(restarting.isEmpty() ? tr("Applying takes effect at once; the VM keeps running.")
                                            : tr("Applying restarts the VM (a full quit and relaunch) for: %1")
                                                  .arg(restarting.join(QStringLiteral(", "))));
}

}  // namespace berth::gui
