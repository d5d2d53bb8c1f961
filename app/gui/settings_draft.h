#pragma once

#include <QObject>

#include <string_view>

#include "berth/settings/settings.h"

namespace berth::gui {

// The Settings window's edits, kept apart from the effective settings until Apply. All rules
// (types, locks, what restarts) are the settings library's: this only holds desired values.
class SettingsDraft : public QObject {
    Q_OBJECT
public:
    explicit SettingsDraft(settings::Settings& settings, QObject* parent = nullptr);

    [[nodiscard]] settings::Settings& settings() { return m_settings; }
    [[nodiscard]] const settings::Settings& settings() const { return m_settings; }
    [[nodiscard]] settings::EffectiveValue effective(std::string_view key) const;
    // The draft value when edited, the effective one otherwise.
    [[nodiscard]] nlohmann::json value(std::string_view key) const;
    [[nodiscard]] const settings::Draft& edits() const { return m_edits; }

    // Records an edit; setting a key back to its effective value forgets the edit.
    void set(std::string_view key, const nlohmann::json& value);
    void discard();

    [[nodiscard]] bool isDirty() const { return !m_edits.empty(); }
    [[nodiscard]] settings::Proposal proposal() const { return m_settings.propose(m_edits); }
    // The draft changes something and the library accepts it.
    [[nodiscard]] bool isApplicable() const;

    // Persists the draft through the library; on success the draft is empty again.
    settings::Proposal commit();

signals:
    void edited();  // a value of the draft changed
    void reloaded();  // the draft was discarded or committed: show the effective values again

private:
    settings::Settings& m_settings;
    settings::Draft m_edits;
};

}  // namespace berth::gui
