#include "settings_draft.h"

namespace berth::gui {

SettingsDraft::SettingsDraft(settings::Settings& settings, QObject* parent) : QObject(parent), m_settings(settings)
{}

settings::EffectiveValue SettingsDraft::effective(std::string_view key) const
{
    return m_settings.get(key);
}

nlohmann::json SettingsDraft::value(std::string_view key) const
{
    const auto it = m_edits.find(key);
    return it != m_edits.end() ? it->second : m_settings.get(key).value;
}

void SettingsDraft::set(std::string_view key, const nlohmann::json& value)
{
    const auto it = m_edits.find(key);
    if (m_settings.get(key).value == value) {
        if (it == m_edits.end()) { return; }
        m_edits.erase(it);
    } else if (it != m_edits.end()) {
        if (it->second == value) { return; }
        it->second = value;
    } else {
        m_edits.emplace(std::string(key), value);
    }
    emit edited();
}

void SettingsDraft::discard()
{
    m_edits.clear();
    emit reloaded();
}

bool SettingsDraft::isApplicable() const
{
    if (m_edits.empty()) { return false; }
    const settings::Proposal p = proposal();
    return p.ok() && !p.changes.empty();
}

settings::Proposal SettingsDraft::commit()
{
    settings::Proposal result = m_settings.apply(m_edits);
    if (result.ok()) {
        m_edits.clear();
        emit reloaded();
    }
    return result;
}

}  // namespace berth::gui
