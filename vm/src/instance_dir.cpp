#include "berth/vm/instance_dir.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QStandardPaths>

#include <filesystem>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace berth::vm {

InstanceDir::InstanceDir(QString root) : m_root(std::move(root))
{}

QString InstanceDir::defaultRoot()
{
    return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) + QStringLiteral("/berth/vm/default");
}

QString InstanceDir::path(const char* name) const
{
    return m_root + QLatin1Char('/') + QLatin1String(name);
}

QString InstanceDir::sharedDirectorySocket(int index) const
{
    return m_root + QStringLiteral("/fs-%1.sock").arg(index);
}

bool InstanceDir::ensure(QString* error) const
{
    const auto fail = [&](const QString& why) {
        if (error) { *error = QStringLiteral("instance directory %1: %2").arg(m_root, why); }
        return false;
    };
    if (m_root.isEmpty()) { return fail(QStringLiteral("no path given")); }
    // sockaddr_un holds 108 bytes; a longer socket path would fail deep inside QEMU.
    if (qmpSocket().toLocal8Bit().size() >= static_cast<qsizetype>(sizeof(sockaddr_un::sun_path))) {
        return fail(
            QStringLiteral("path too long for unix sockets (limit %1 bytes)").arg(sizeof(sockaddr_un::sun_path) - 1));
    }
    std::error_code made;
    std::filesystem::create_directories(QFile::encodeName(m_root).toStdString(), made);
    if (made) {
        return fail(QStringLiteral("cannot create it: %1").arg(QString::fromLocal8Bit(made.message().c_str())));
    }
    if (::chmod(QFile::encodeName(m_root).constData(), 0700) != 0) {
        return fail(
            QStringLiteral("cannot make it private (chmod 0700): %1").arg(QString::fromLocal8Bit(strerror(errno))));
    }
    return true;
}

QString InstanceDir::serialLogTail(int maxLines) const
{
    return fileTail(serialLog(), maxLines);
}

InstanceLock::InstanceLock(const InstanceDir& dir) : m_path(dir.lockFile())
{}

InstanceLock::~InstanceLock()
{
    release();
}

void InstanceLock::release()
{
    if (m_fd >= 0) {
        ::close(m_fd);  // releases the flock
        m_fd = -1;
    }
}

bool InstanceLock::acquire(QString* error)
{
    if (m_fd >= 0) { return true; }
    const int fd = ::open(QFile::encodeName(m_path).constData(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (error) {
            *error = QStringLiteral("cannot open %1: %2").arg(m_path, QString::fromLocal8Bit(strerror(errno)));
        }
        return false;
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        char holder[32] = {};
        const auto n = ::pread(fd, holder, sizeof holder - 1, 0);
        ::close(fd);
        if (error) {
            const QString pid = n > 0 ? QString::fromLatin1(holder).trimmed() : QStringLiteral("unknown");
            *error = QStringLiteral("The VM in %1 is managed by another Berth process (pid %2)")
                         .arg(QFileInfo(m_path).path(), pid);
        }
        return false;
    }
    const QByteArray pid = QByteArray::number(static_cast<qint64>(::getpid())) + '\n';
    if (::ftruncate(fd, 0) == 0 && ::pwrite(fd, pid.constData(), static_cast<size_t>(pid.size()), 0) < 0) {
        // The pid is only for the message above; the lock itself is what matters.
    }
    m_fd = fd;
    return true;
}

QString fileTail(const QString& path, int maxLines)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) { return {}; }
    constexpr qint64 kWindow = 16 * 1024;
    if (file.size() > kWindow) { file.seek(file.size() - kWindow); }
    QString text = QString::fromUtf8(file.readAll());
    text.remove(QLatin1Char('\r'));
    QStringList lines = text.split(QLatin1Char('\n'));
    while (!lines.isEmpty() && lines.last().trimmed().isEmpty()) { lines.removeLast(); }
    if (lines.size() > maxLines) { lines = lines.mid(lines.size() - maxLines); }
    return lines.join(QLatin1Char('\n'));
}

}  // namespace berth::vm
