#pragma once

#include <QVector>
#include <QWidget>

#include "berth/settings/schema.h"

class QLabel;
class QFrame;

namespace berth::gui {

class SettingEditor;
class SettingsDraft;

// One sidebar page of the Settings window: an editor for every schema key on `page`, and the
// "managed by your administrator" banner whenever one of them is locked.
class SettingsPage : public QWidget {
    Q_OBJECT
public:
    SettingsPage(settings::Page page, SettingsDraft& draft, QWidget* parent = nullptr);

    [[nodiscard]] settings::Page page() const { return m_page; }
    [[nodiscard]] QString title() const;
    [[nodiscard]] SettingEditor* editor(std::string_view key) const;
    [[nodiscard]] const QVector<SettingEditor*>& editors() const { return m_editors; }
    [[nodiscard]] bool showsManagedBanner() const;

    // Shows the draft's values and the current locks.
    void refresh();

private:
    settings::Page m_page;
    SettingsDraft& m_draft;
    QFrame* m_banner = nullptr;
    QVector<SettingEditor*> m_editors;
};

// The banner pages show when a control is locked (also used by the Managed settings page).
QFrame* makeBanner(const QString& text, const QString& iconPath, QWidget* parent);

// A Settings page's title, larger and bold, the same on every page.
QLabel* makePageHeading(const QString& text, QWidget* parent);

}  // namespace berth::gui
