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
    SettingsWindow(SettingsDraft& draft, ApplyRestart& applier, engine::EngineHandle& engine,
                   QWidget* parent = nullptr);

    [[nodiscard]] SettingsPage* page(settings::Page page) const;
    [[nodiscard]] ManagedSettingsPage* managedPage() const { return m_managed; }
    [[nodiscard]] SettingEditor* editor(std::string_view key) const;
    [[nodiscard]] QPushButton* applyButton() const { return m_apply; }
    [[nodiscard]] QPushButton* cancelButton() const { return m_cancel; }
    [[nodiscard]] QListWidget* sidebar() const { return m_sidebar; }
    [[nodiscard]] RestartProgress* restartProgress() const { return m_progress; }
    [[nodiscard]] QString proposalText() const;
    void showPage(int index);

signals:
    void showLogRequested();

private:
    void addPage(QWidget* page, const QString& title);
    void updateApplyState();

    SettingsDraft& m_draft;
    ApplyRestart& m_applier;
    QListWidget* m_sidebar;
    QStackedWidget* m_pages;
    QFrame* m_policyError = nullptr;
    ManagedSettingsPage* m_managed = nullptr;
    QLabel* m_proposal;
    RestartProgress* m_progress;
    QPushButton* m_cancel;
    QPushButton* m_apply;
};

}  // namespace berth::gui
