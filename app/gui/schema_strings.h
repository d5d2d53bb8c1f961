#pragma once

#include <QString>

#include "berth/settings/schema.h"

namespace berth::gui {

// The schema's labels, descriptions and choices in the user's language (context "Setting").
// schema_strings.cpp lists them for lupdate; a test checks the list covers the schema.
QString settingLabel(const settings::SettingSpec& spec);
QString settingDescription(const settings::SettingSpec& spec);
QString choiceLabel(const std::string& choice);

// Every schema text the translations must carry.
QStringList schemaSourceTexts();

}  // namespace berth::gui
