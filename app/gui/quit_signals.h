#pragma once

#include <QObject>

class QSocketNotifier;

namespace berth::gui {

// SIGTERM and SIGINT (logout, Ctrl-C) become a normal full quit, so the VM is shut down instead
// of being left behind with its engine host. One instance per process.
class QuitSignals : public QObject {
    Q_OBJECT
public:
    explicit QuitSignals(QObject* parent = nullptr);
    ~QuitSignals() override;

    [[nodiscard]] bool isInstalled() const { return m_notifier != nullptr; }

signals:
    void quitRequested();

private:
    QSocketNotifier* m_notifier = nullptr;
};

}  // namespace berth::gui
