#pragma once

#include <QLocale>

namespace berth::gui {

// Loads Berth's translation (and Qt's own, for standard buttons) for `locale` into the
// application; English needs none. Returns whether Berth's translation was found.
bool installTranslations(const QLocale& locale = QLocale());

}  // namespace berth::gui
