#pragma once

#include <QObject>

#include "berth/engine/engine_handle.h"
#include "berth/settings/settings.h"

namespace berth::gui {

class ContainerSource;
class SettingsDraft;
class UserPrompts;

// Apply & restart: persist the draft through the settings library, then ask the engine for one
// full restart (the engine host derives the new guest config from the settings itself).
// While a restart runs, further applies do nothing: they merge into the running one.
class ApplyRestart : public QObject {
    Q_OBJECT
public:
    enum class Outcome {
        Applied,  // persisted; nothing needed a restart
        Restarting,  // persisted, one restart requested
        Merged,  // a restart is already running: nothing sent
        Cancelled,  // the user cancelled at the containers question
        Refused,  // nothing to apply, the library rejected the draft, or removal failed
    };
    Q_ENUM(Outcome)

    ApplyRestart(SettingsDraft& draft, engine::EngineHandle& engine, ContainerSource& containers, UserPrompts& prompts,
                 QObject* parent = nullptr);

    [[nodiscard]] bool isRestarting() const { return m_restartInFlight || m_engine.status().busy; }
    [[nodiscard]] bool canApply() const;

    Outcome apply();
    // After a failed restart: the same restart again.
    void retry();

signals:
    void availabilityChanged();  // canApply() or isRestarting() may have changed
    void applied(const berth::settings::Proposal& proposal);
    void applyFailed(const QString& message);
    void restartStarted();
    void restartFinished(bool ok, const QString& message);

private:
    // True to go on, false when the user cancelled or removal failed.
    bool settleUnprotectedContainers(const settings::Proposal& proposal);
    void requestRestart();
    void onOperationFinished(engine::EngineOperation operation, bool ok, const QString& message);

    SettingsDraft& m_draft;
    engine::EngineHandle& m_engine;
    ContainerSource& m_containers;
    UserPrompts& m_prompts;
    bool m_restartInFlight = false;
};

}  // namespace berth::gui
