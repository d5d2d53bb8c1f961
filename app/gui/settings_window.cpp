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

SettingsWindow::SettingsWindow(SettingsDraft& draft, ApplyRestart& applier, engine::EngineHandle& engine,
                               QWidget* parent)
    : QWidget(parent, Qt::Window),
      m_draft(draft),
      m_applier(applier),
      m_sidebar(new QListWidget(this)),
      m_pages(new QStackedWidget(this)),
      m_proposal(new QLabel(this)),
      m_progress(new RestartProgress(engine, this)),
      m_cancel(new QPushButton(tr("Cancel"), this)),
      m_apply(new QPushButton(tr("Apply && restart"), this))
{
    setWindowTitle(tr("Berth Settings"));
    setObjectName(QStringLiteral("settingsWindow"));
    m_sidebar->setObjectName(QStringLiteral("settingsSidebar"));
    m_sidebar->setAccessibleName(tr("Settings pages"));
    m_sidebar->setFixedWidth(180);
    m_sidebar->setSpacing(3);
    m_apply->setObjectName(QStringLiteral("applyButton"));
    m_apply->setAccessibleName(tr("Apply and restart"));
    m_apply->setDefault(true);
    m_cancel->setObjectName(QStringLiteral("cancelButton"));
    m_cancel->setAccessibleName(tr("Cancel"));
    m_proposal->setObjectName(QStringLiteral("proposal"));
    m_proposal->setWordWrap(true);

    for (auto page :
         {settings::Page::General, settings::Page::Resources, settings::Page::Proxies, settings::Page::DockerEngine}) {
        auto* p = new SettingsPage(page, m_draft, m_pages);
        addPage(p, p->title());
    }
    m_managed = new ManagedSettingsPage(m_draft.settings(), m_pages);
    addPage(m_managed, m_managed->title());

    auto* content = new QVBoxLayout;
    if (!m_draft.settings().engineStartAllowed()) {
        const auto& policy = m_draft.settings().adminPolicy();
        m_policyError = makeBanner(tr("%1 is invalid: settings cannot be changed and the engine will not start. "
                                      "See Managed settings for what to fix.")
                                       .arg(QString::fromStdString(policy.file)),
                                   QStringLiteral(":/icons/state-error.svg"), this);
        m_policyError->setObjectName(QStringLiteral("invalidPolicyBanner"));
        content->addWidget(m_policyError);
    }
    content->addWidget(m_pages, 1);
    content->addWidget(m_proposal);
    content->addWidget(m_progress);
    auto* buttons = new QHBoxLayout;
    buttons->addStretch(1);
    buttons->addWidget(m_cancel);
    buttons->addWidget(m_apply);
    content->addLayout(buttons);

    auto* row = new QHBoxLayout(this);
    row->addWidget(m_sidebar);
    row->addLayout(content, 1);

    connect(m_sidebar, &QListWidget::currentRowChanged, m_pages, &QStackedWidget::setCurrentIndex);
    connect(m_apply, &QPushButton::clicked, &m_applier, &ApplyRestart::apply);
    connect(m_cancel, &QPushButton::clicked, this, [this] {
        m_draft.discard();
        close();
    });
    connect(&m_applier, &ApplyRestart::availabilityChanged, this, &SettingsWindow::updateApplyState);
    connect(&m_applier, &ApplyRestart::applyFailed, m_proposal, &QLabel::setText);
    connect(&m_applier, &ApplyRestart::restartStarted, m_progress, &RestartProgress::begin);
    connect(&m_applier, &ApplyRestart::restartFinished, m_progress, &RestartProgress::finish);
    connect(m_progress, &RestartProgress::retryRequested, &m_applier, &ApplyRestart::retry);
    connect(m_progress, &RestartProgress::showLogRequested, this, &SettingsWindow::showLogRequested);

    setTabOrder(m_sidebar, m_pages);
    setTabOrder(m_cancel, m_apply);
    m_sidebar->setCurrentRow(0);
    updateApplyState();
    resize(820, 560);
}

void SettingsWindow::addPage(QWidget* page, const QString& title)
{
    auto* scroll = new QScrollArea(m_pages);
    scroll->setWidget(page);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    m_pages->addWidget(scroll);
    m_sidebar->addItem(title);
}

void SettingsWindow::showPage(int index)
{
    m_sidebar->setCurrentRow(index);
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
    return m_proposal->text();
}

void SettingsWindow::updateApplyState()
{
    m_apply->setEnabled(m_applier.canApply());
    if (m_applier.isRestarting() || !m_draft.isDirty()) {
        m_proposal->clear();
        return;
    }
    const settings::Proposal p = m_draft.proposal();
    if (!p.ok()) {
        QStringList errors;
        for (const auto& e : p.errors) { errors << QString::fromStdString(e); }
        m_proposal->setText(errors.join(QLatin1Char('\n')));
        return;
    }
    QStringList restarting;
    for (const auto& change : p.changes) {
        if (change.restartNeeded) { restarting << settingLabel(*settings::findSpec(change.key)); }
    }
    m_proposal->setText(restarting.isEmpty() ? tr("Applying takes effect at once; the VM keeps running.")
                                             : tr("Applying restarts the VM (a full quit and relaunch) for: %1")
                                                   .arg(restarting.join(QStringLiteral(", "))));
}

}  // namespace berth::gui
