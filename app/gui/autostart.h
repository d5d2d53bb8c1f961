#pragma once

#include <QString>

namespace berth::gui {

// The XDG autostart entry ($XDG_CONFIG_HOME/autostart/berth.desktop) behind "Start Berth when
// you sign in".
class AutostartEntry {
public:
    explicit AutostartEntry(QString directory = defaultDirectory());

    static QString defaultDirectory();
    [[nodiscard]] QString path() const;
    [[nodiscard]] bool exists() const;
    // Writes or removes the entry; returns an error message, empty on success.
    QString sync(bool enabled, const QString& executable) const;

private:
    QString m_directory;
};

}  // namespace berth::gui
