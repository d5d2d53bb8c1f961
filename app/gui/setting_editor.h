#pragma once

#include <QWidget>

#include <nlohmann/json.hpp>

#include "berth/settings/settings.h"

class QLabel;

namespace berth::gui {

// The generic binding of one setting key to a control (Qt Creator's aspects, KConfig kiosk):
// the control comes from the spec's type, and present() shows an EffectiveValue the same way for
// every type, including the lock (disabled control, lock icon, tooltip naming the admin file).
// Subclasses only convert between the control and a JSON value; none has lock code of its own.
class SettingEditor : public QWidget {
    Q_OBJECT
public:
    // The editor for the spec's value type.
    static SettingEditor* create(const settings::SettingSpec& spec, QWidget* parent = nullptr);

    [[nodiscard]] const settings::SettingSpec& spec() const { return m_spec; }
    [[nodiscard]] QString key() const
    {
        return QString::fromUtf8(m_spec.key.data(), static_cast<qsizetype>(m_spec.key.size()));
    }
    [[nodiscard]] bool isLocked() const { return m_locked; }
    // The focusable control, for tests, labels and keyboard navigation.
    [[nodiscard]] virtual QWidget* control() const = 0;
    // Whether the control carries its own label (a check box does).
    [[nodiscard]] virtual bool labelsItself() const { return false; }

    // Shows `shown` (the draft's value) with the effective value's lock state.
    void present(const settings::EffectiveValue& effective, const nlohmann::json& shown);

signals:
    void edited(const nlohmann::json& value);

protected:
    SettingEditor(const settings::SettingSpec& spec, QWidget* parent);
    // Puts the control into the editor's row; call once from the subclass constructor.
    void install(QWidget* control);
    // Shows the value without emitting edited().
    virtual void display(const nlohmann::json& value) = 0;
    // Called by subclasses when the user changed the control.
    void userEdited(const nlohmann::json& value);
    // A live validation message under the control (empty hides it), from the library's typeError.
    void showProblem(const QString& problem);

private:
    const settings::SettingSpec& m_spec;
    QLabel* m_lockIcon = nullptr;
    QLabel* m_problem = nullptr;
    bool m_locked = false;
    bool m_presenting = false;
};

}  // namespace berth::gui
