#pragma once

#include <QWidget>

#include "berth/settings/schema.h"

class QLabel;
class QListWidget;
class QPushButton;
class QStackedWidget;
class QFrame;

namespace berth::vm {
class EngineHandle;
}

namespace berth::gui {

class ApplyRestart;
class ManagedSettingsPage;
class RestartProgress;
class SettingEditor;
class SettingsDraft;
class SettingsPage;

// Settings: a sidebar of pages (General, Resources, Docker Engine, Managed settings), the draft's
// proposal ("applying restarts the VM: ..."), the restart's progress, Cancel and Apply & restart.
class SettingsWindow : public QWidget {
    Q_OBJECT
public:
    SettingsWindow(SettingsDraft& draft, ApplyRestart& applier, vm::EngineHandle& engine, QWidget* parent = nullptr);

    [[nodiscard]] SettingsPage* page(settings::Page page) const;
    [[nodiscard]] ManagedSettingsPage* managedPage() const { return managed_; }
    [[nodiscard]] SettingEditor* editor(std::string_view key) const;
    [[nodiscard]] QPushButton* applyButton() const { return apply_; }
    [[nodiscard]] QPushButton* cancelButton() const { return cancel_; }
    [[nodiscard]] QListWidget* sidebar() const { return sidebar_; }
    [[nodiscard]] RestartProgress* restartProgress() const { return progress_; }
    [[nodiscard]] QString proposalText() const;
    void showPage(int index);

signals:
    void showLogRequested();

private:
    void addPage(QWidget* page, const QString& title);
    void updateApplyState();

    SettingsDraft& draft_;
    ApplyRestart& applier_;
    QListWidget* sidebar_;
    QStackedWidget* pages_;
    QFrame* policyError_ = nullptr;
    ManagedSettingsPage* managed_ = nullptr;
    QLabel* proposal_;
    RestartProgress* progress_;
    QPushButton* cancel_;
    QPushButton* apply_;
};

}  // namespace berth::gui
