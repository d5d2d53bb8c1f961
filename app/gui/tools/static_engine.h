#pragma once

// An engine that stays in one state, for the screenshot tool and the start-up benchmark, which
// show windows without a VM.

#include "berth/vm/engine_handle.h"

namespace berth::gui {

class StaticEngine final : public vm::EngineHandle {
public:
    explicit StaticEngine(vm::EngineState state = vm::EngineState::Running, QObject* parent = nullptr)
        : EngineHandle(parent)
    {
        m_status.state = state;
        m_status.accelerator = QStringLiteral("tcg");
        m_status.acceleratorReason = QStringLiteral("KVM is not usable on this machine");
    }
    void start() override {}
    void stop(bool) override { emit operationFinished(Operation::Stop, true, {}); }
    void restart() override {}
    void refresh() override { emit statusChanged(m_status); }
    vm::EngineStatus status() const override { return m_status; }

private:
    vm::EngineStatus m_status;
};

}  // namespace berth::gui
