#include "apply_restart.h"

#include <algorithm>

#include "container_source.h"
#include "settings_draft.h"
#include "user_prompts.h"

namespace berth::gui {

ApplyRestart::ApplyRestart(SettingsDraft& draft, engine::EngineHandle& engine, ContainerSource& containers,
                           UserPrompts& prompts, QObject* parent)
    : QObject(parent),
      m_draft(draft),
      m_engine(engine),
      m_containers(containers),
      m_prompts(prompts)
{
    connect(&m_draft, &SettingsDraft::edited, this, &ApplyRestart::availabilityChanged);
    connect(&m_draft, &SettingsDraft::reloaded, this, &ApplyRestart::availabilityChanged);
    connect(&m_engine, &engine::EngineHandle::statusChanged, this, &ApplyRestart::availabilityChanged);
    connect(&m_engine, &engine::EngineHandle::operationFinished, this, &ApplyRestart::onOperationFinished);
}

bool ApplyRestart::canApply() const
{
    return !isRestarting() && m_draft.isApplicable();
}

ApplyRestart::Outcome ApplyRestart::apply()
{
    if (isRestarting()) { return Outcome::Merged; }
    const settings::Proposal proposal = m_draft.proposal();
    if (!proposal.ok() || proposal.changes.empty()) { return Outcome::Refused; }
    if (!settleUnprotectedContainers(proposal)) { return Outcome::Cancelled; }
    const settings::Proposal result = m_draft.commit();
    if (!result.ok()) {
        QStringList errors;
        for (const auto& e : result.errors) { errors << QString::fromStdString(e); }
        emit applyFailed(errors.join(QLatin1Char('\n')));
        return Outcome::Refused;
    }
    emit applied(result);
    if (!result.needsRestart()) {
        emit availabilityChanged();
        return Outcome::Applied;
    }
    requestRestart();
    return Outcome::Restarting;
}

void ApplyRestart::retry()
{
    if (!isRestarting()) { requestRestart(); }
}

bool ApplyRestart::settleUnprotectedContainers(const settings::Proposal& proposal)
{
    const bool turnsIsolationOn = std::any_of(proposal.changes.begin(), proposal.changes.end(), [](const auto& c) {
        return c.key == settings::keys::kEnhancedContainerIsolation && c.desired == true;
    });
    if (!turnsIsolationOn) { return true; }
    QVector<ContainerInfo> unprotected = m_containers.list();
    unprotected.removeIf([](const ContainerInfo& c) { return c.isolated(); });
    if (unprotected.isEmpty()) { return true; }

    switch (m_prompts.askAboutUnprotectedContainers(unprotected)) {
    case UserPrompts::ExistingContainersChoice::Cancel: return false;
    case UserPrompts::ExistingContainersChoice::KeepThem: return true;
    case UserPrompts::ExistingContainersChoice::RemoveThem: break;
    }
    const QString error = m_containers.removeAll();
    if (!error.isEmpty()) {
        m_prompts.showError(tr("Could not remove the containers"), error);
        return false;
    }
    return true;
}

void ApplyRestart::requestRestart()
{
    m_restartInFlight = true;
    emit restartStarted();
    emit availabilityChanged();
    m_engine.restart();
}

void ApplyRestart::onOperationFinished(engine::EngineOperation operation, bool ok, const QString& message)
{
    if (operation != engine::EngineOperation::Restart || !m_restartInFlight) { return; }
    m_restartInFlight = false;
    emit restartFinished(ok, message);
    emit availabilityChanged();
}

}  // namespace berth::gui
