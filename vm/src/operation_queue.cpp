#include "operation_queue.h"

#include <algorithm>

namespace berth::vm {

bool OperationQueue::lastWaitingIsLaunch() const
{
    return !m_waiting.empty() && m_waiting.back().kind != EngineOperation::Stop;
}

OperationQueue::LaunchMerge OperationQueue::requestLaunch(EngineOperation kind, const LaunchPlan& plan,
                                                          const LaunchPlan* runningIdle)
{
    if (kind == EngineOperation::Restart) { return requestRestart(plan); }
    LaunchMerge merge;
    if (m_current && m_current->kind != EngineOperation::Stop) {
        if (!m_current->launched) {
            m_current->plan = plan;
            merge.progress = QStringLiteral("A start is already in progress; it will use this configuration");
            return merge;
        }
        if (sameLaunch(m_current->plan, plan)) {
            merge.progress = QStringLiteral("A start is already in progress");
            return merge;
        }
        return requestRestart(plan);
    }
    if (lastWaitingIsLaunch()) {
        m_waiting.back().plan = plan;
        return merge;
    }
    if (runningIdle != nullptr) {
        if (sameLaunch(*runningIdle, plan)) {
            merge.dropped.push_back({EngineOperation::Start, true, QStringLiteral("Already running")});
            return merge;
        }
        kind = EngineOperation::Restart;
    }
    push({kind, plan});
    merge.queued = true;
    return merge;
}

bool OperationQueue::launchWaits() const
{
    return std::any_of(m_waiting.begin(), m_waiting.end(),
                       [](const Op& op) { return op.kind != EngineOperation::Stop; });
}

OperationQueue::LaunchMerge OperationQueue::requestRestart(const LaunchPlan& plan)
{
    LaunchMerge merge;
    if (m_current && m_current->kind != EngineOperation::Stop) {
        if (!m_current->launched) {
            m_current->plan = plan;
            merge.progress = QStringLiteral("Merged into the restart in progress");
            return merge;
        }
        if (sameLaunch(m_current->plan, plan)) {
            // The latest wish is what is being launched: a restart queued since is obsolete.
            if (lastWaitingIsLaunch()) {
                merge.dropped.push_back(
                    {m_waiting.back().kind, true,
                     QStringLiteral("Superseded: the restart in progress applies the latest configuration")});
                m_waiting.pop_back();
            }
            merge.progress = QStringLiteral("The restart in progress already applies this configuration");
            return merge;
        }
    }
    if (lastWaitingIsLaunch()) {
        m_waiting.back().kind = EngineOperation::Restart;
        m_waiting.back().plan = plan;
        merge.progress = QStringLiteral("Merged into the pending restart");
        return merge;
    }
    push({EngineOperation::Restart, plan});
    merge.queued = true;
    return merge;
}

bool OperationQueue::mergeStopIntoWaiting(bool force, std::vector<Dropped>* cancelled)
{
    for (auto it = m_waiting.begin(); it != m_waiting.end();) {
        if (it->kind == EngineOperation::Stop) {
            ++it;
            continue;
        }
        cancelled->push_back({it->kind, false, QStringLiteral("Cancelled by a stop request")});
        it = m_waiting.erase(it);
    }
    for (auto& waiting : m_waiting) {
        if (waiting.kind == EngineOperation::Stop) {
            waiting.force = waiting.force || force;
            return true;
        }
    }
    return false;
}

bool OperationQueue::beginNext()
{
    if (m_current || m_waiting.empty()) { return false; }
    m_current = std::move(m_waiting.front());
    m_waiting.pop_front();
    return true;
}

std::optional<OperationQueue::Op> OperationQueue::finishCurrent()
{
    auto finished = std::move(m_current);
    m_current.reset();
    return finished;
}

}  // namespace berth::vm
