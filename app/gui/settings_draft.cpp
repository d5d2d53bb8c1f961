#include "settings_draft.h"

namespace berth::gui {

SettingsDraft::SettingsDraft(settings::Settings& settings, QObject* parent) : QObject(parent), settings_(settings)
{}

settings::EffectiveValue SettingsDraft::effective(std::string_view key) const
{
    return settings_.get(key);
}

nlohmann::json SettingsDraft::value(std::string_view key) const
{
    const auto it = edits_.find(key);
    return it != edits_.end() ? it->second : settings_.get(key).value;
}

void SettingsDraft::set(std::string_view key, const nlohmann::json& value)
{
    const auto it = edits_.find(key);
    if (settings_.get(key).value == value) {
        if (it == edits_.end()) { return; }
        edits_.erase(it);
    } else if (it != edits_.end()) {
        if (it->second == value) { return; }
        it->second = value;
    } else {
        edits_.emplace(std::string(key), value);
    }
    emit edited();
}

void SettingsDraft::discard()
{
    edits_.clear();
    emit reloaded();
}

bool SettingsDraft::isApplicable() const
{
    if (edits_.empty()) { return false; }
    const settings::Proposal p = proposal();
    return p.ok() && !p.changes.empty();
}

settings::Proposal SettingsDraft::commit()
{
    settings::Proposal result = settings_.apply(edits_);
    if (result.ok()) {
        edits_.clear();
        emit reloaded();
    }
    return result;
}

}  // namespace berth::gui
