#include "apply_restart.h"

#include <algorithm>

#include "container_source.h"
#include "settings_draft.h"
#include "user_prompts.h"

namespace berth::gui {

ApplyRestart::ApplyRestart(SettingsDraft& draft, vm::EngineHandle& engine, ContainerSource& containers,
                           UserPrompts& prompts, QObject* parent)
    : QObject(parent),
      draft_(draft),
      engine_(engine),
      containers_(containers),
      prompts_(prompts)
{
    connect(&draft_, &SettingsDraft::edited, this, &ApplyRestart::availabilityChanged);
    connect(&draft_, &SettingsDraft::reloaded, this, &ApplyRestart::availabilityChanged);
    connect(&engine_, &vm::EngineHandle::statusChanged, this, &ApplyRestart::availabilityChanged);
    connect(&engine_, &vm::EngineHandle::operationFinished, this, &ApplyRestart::onOperationFinished);
}

bool ApplyRestart::canApply() const
{
    return !isRestarting() && draft_.isApplicable();
}

ApplyRestart::Outcome ApplyRestart::apply()
{
    if (isRestarting()) { return Outcome::Merged; }
    const settings::Proposal proposal = draft_.proposal();
    if (!proposal.ok() || proposal.changes.empty()) { return Outcome::Refused; }
    if (!settleUnprotectedContainers(proposal)) { return Outcome::Cancelled; }
    const settings::Proposal result = draft_.commit();
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
    QVector<ContainerInfo> unprotected = containers_.list();
    unprotected.removeIf([](const ContainerInfo& c) { return c.isolated(); });
    if (unprotected.isEmpty()) { return true; }

    switch (prompts_.askAboutUnprotectedContainers(unprotected)) {
    case UserPrompts::ExistingContainersChoice::Cancel: return false;
    case UserPrompts::ExistingContainersChoice::KeepThem: return true;
    case UserPrompts::ExistingContainersChoice::RemoveThem: break;
    }
    const QString error = containers_.removeAll();
    if (!error.isEmpty()) {
        prompts_.showError(tr("Could not remove the containers"), error);
        return false;
    }
    return true;
}

void ApplyRestart::requestRestart()
{
    restartInFlight_ = true;
    emit restartStarted();
    emit availabilityChanged();
    engine_.restart();
}

void ApplyRestart::onOperationFinished(vm::EngineHandle::Operation operation, bool ok, const QString& message)
{
    if (operation != vm::EngineHandle::Operation::Restart || !restartInFlight_) { return; }
    restartInFlight_ = false;
    emit restartFinished(ok, message);
    emit availabilityChanged();
}

}  // namespace berth::gui
