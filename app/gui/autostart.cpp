#include "autostart.h"

#include <QDir>
#include <QFile>
#include <QSaveFile>
#include <QStandardPaths>

namespace berth::gui {

AutostartEntry::AutostartEntry(QString directory) : m_directory(std::move(directory))
{}

QString AutostartEntry::defaultDirectory()
{
    return QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation) + QStringLiteral("/autostart");
}

QString AutostartEntry::path() const
{
    return m_directory + QStringLiteral("/berth.desktop");
}

bool AutostartEntry::exists() const
{
    return QFile::exists(path());
}

QString AutostartEntry::sync(bool enabled, const QString& executable) const
{
    if (!enabled) {
        if (exists() && !QFile::remove(path())) { return QStringLiteral("cannot remove %1").arg(path()); }
        return {};
    }
    if (!QDir().mkpath(m_directory)) { return QStringLiteral("cannot create %1").arg(m_directory); }
    QSaveFile file(path());
    if (!file.open(QIODevice::WriteOnly)) { return file.errorString(); }
    const QString entry = QStringLiteral("[Desktop Entry]\n"
                                         "Type=Application\n"
                                         "Name=Berth\n"
                                         "Exec=%1 --background\n"
                                         "Icon=berth\n"
                                         "X-GNOME-Autostart-enabled=true\n")
                              .arg(executable);
    file.write(entry.toUtf8());
    if (!file.commit()) { return file.errorString(); }
    return {};
}

}  // namespace berth::gui
