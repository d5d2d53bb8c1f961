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
        status_.state = state;
        status_.accelerator = QStringLiteral("tcg");
        status_.acceleratorReason = QStringLiteral("KVM is not usable on this machine");
    }
    void start() override {}
    void stop(bool) override { emit operationFinished(Operation::Stop, true, {}); }
    void restart() override {}
    void refresh() override { emit statusChanged(status_); }
    vm::EngineStatus status() const override { return status_; }

private:
    vm::EngineStatus status_;
};

}  // namespace berth::gui
