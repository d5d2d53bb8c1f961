#pragma once

// An engine that stays in one state, for the screenshot tool and the start-up benchmark, which
// show windows without a VM.

#include "berth/engine/engine_handle.h"

namespace berth::gui {

class StaticEngine final : public engine::EngineHandle {
public:
    explicit StaticEngine(engine::EngineState state = engine::EngineState::Running, QObject* parent = nullptr)
        : EngineHandle(parent)
    {
        m_status.state = state;
        m_status.accelerator = QStringLiteral("tcg");
        m_status.acceleratorReason = QStringLiteral("KVM is not usable on this machine");
    }
    void start() override {}
    void stop(bool) override { emit operationFinished(engine::EngineOperation::Stop, true, {}); }
    void restart() override {}
    void refresh() override { emit statusChanged(m_status); }
    engine::EngineStatus status() const override { return m_status; }
    void setEnginePort(quint16 port) { m_status.enginePort = port; }

private:
    engine::EngineStatus m_status;
};

}  // namespace berth::gui
