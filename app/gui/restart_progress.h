#pragma once

#include <QWidget>

#include "berth/engine/engine_handle.h"

class QLabel;
class QProgressBar;
class QPushButton;

namespace berth::gui {

// The restart in front of the user: each phase (stopping engine, VM stopped, starting VM,
// waiting for engine, running) with a progress bar, the engine's progress text, and on failure
// the error with "Show log" and "Retry".
class RestartProgress : public QWidget {
    Q_OBJECT
public:
    explicit RestartProgress(engine::EngineHandle& engine, QWidget* parent = nullptr);

    [[nodiscard]] QString phaseText() const;
    [[nodiscard]] int step() const;
    [[nodiscard]] static int stepCount() { return 5; }
    [[nodiscard]] bool showsFailure() const;
    [[nodiscard]] QPushButton* retryButton() const { return m_retry; }
    [[nodiscard]] QPushButton* showLogButton() const { return m_showLog; }

public slots:
    void begin();
    void finish(bool ok, const QString& message);

signals:
    void retryRequested();
    void showLogRequested();

private:
    void onStatus(const engine::EngineStatus& status);

    engine::EngineHandle& m_engine;
    bool m_active = false;
    QLabel* m_phase;
    QLabel* m_detail;
    QProgressBar* m_bar;
    QLabel* m_error;
    QPushButton* m_showLog;
    QPushButton* m_retry;
};

}  // namespace berth::gui
