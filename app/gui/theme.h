#pragma once

#include <QString>

namespace berth::gui {

// app.theme: "system" follows the desktop's palette (light or dark); "light" and "dark" force one.
void applyTheme(const QString& theme);

}  // namespace berth::gui
