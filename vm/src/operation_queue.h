#pragma once

// OperationQueue: the controller's operations, the one in progress and those waiting, with the
// rules that merge requests so repeated clicks never pile up (engine_controller.h lists them).
// It only decides; the controller runs what it says and emits the signals.

#include "berth/vm/engine_state.h"
#include "berth/vm/launch_plan.h"

#include <QString>

#include <deque>
#include <optional>
#include <vector>

namespace berth::vm {

struct QueuedOperation {
    EngineOperation kind;
    LaunchPlan plan;
    bool force = false;  // for a stop: straight to SIGKILL
    bool launched = false;  // QEMU is already running with `plan`
};

// An operation that ends without running (merged away, superseded, cancelled): what its
// operationFinished says.
struct DroppedOperation {
    EngineOperation kind;
    bool ok = false;
    QString message;
};

class OperationQueue {
public:
    using Op = QueuedOperation;
    using Dropped = DroppedOperation;

    struct LaunchMerge {
        QString progress;  // what to tell the user, if anything
        std::vector<Dropped> dropped;
        bool queued = false;  // a new operation waits: schedule it
    };

    // A start or restart. `runningIdle`: the plan the VM runs with when it is Running and no
    // operation is in progress or waiting, else null.
    LaunchMerge requestLaunch(EngineOperation kind, const LaunchPlan& plan, const LaunchPlan* runningIdle);

    // The first half of a stop: every waiting start or restart is cancelled; true when a stop
    // already waits (it then takes `force` too).
    bool mergeStopIntoWaiting(bool force, std::vector<Dropped>* cancelled);

    void push(Op op) { m_waiting.push_back(std::move(op)); }
    // Makes the next waiting operation current; false when one is in progress or none waits.
    bool beginNext();
    // Ends the current operation and returns it.
    std::optional<Op> finishCurrent();

    std::optional<Op>& current() { return m_current; }
    const std::optional<Op>& current() const { return m_current; }
    bool isBusy() const { return m_current.has_value() || !m_waiting.empty(); }
    // A start or restart waits (behind the current operation).
    bool launchWaits() const;

private:
    bool lastWaitingIsLaunch() const;
    LaunchMerge requestRestart(const LaunchPlan& plan);

    std::optional<Op> m_current;
    std::deque<Op> m_waiting;
};

}  // namespace berth::vm
