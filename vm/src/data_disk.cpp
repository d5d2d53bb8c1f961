#include "data_disk.h"

#include <QFile>
#include <QFileInfo>
#include <QtEndian>

#include <limits>

namespace berth::vm {

namespace {

QString gib(qint64 bytes)
{
    return QStringLiteral("%1 GiB").arg(QString::number(static_cast<double>(bytes) / (1024.0 * 1024 * 1024), 'g', 4));
}

}  // namespace

qint64 qcow2VirtualSize(const QString& path)
{
    // qcow2 header: magic "QFI\xfb" at 0, the virtual size as a big-endian u64 at 24.
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) { return -1; }
    const QByteArray header = file.read(32);
    if (header.size() < 32 || !header.startsWith(QByteArray("QFI\xfb", 4))) { return -1; }
    const auto size = qFromBigEndian<quint64>(header.constData() + 24);
    return size > static_cast<quint64>(std::numeric_limits<qint64>::max()) ? -1 : static_cast<qint64>(size);
}

DataDiskSizing planDataDiskSize(const QString& path, qint64 requestedBytes)
{
    DataDiskSizing plan;
    plan.requestedBytes = requestedBytes;
    if (path.isEmpty() || requestedBytes <= 0) { return plan; }
    if (!QFileInfo::exists(path)) {
        plan.action = DataDiskSizing::Action::Create;
        return plan;
    }
    plan.currentBytes = qcow2VirtualSize(path);
    if (plan.currentBytes < 0) {
        return plan;  // not qcow2 (or unreadable): QEMU will say what is wrong with it
    }
    if (requestedBytes > plan.currentBytes) {
        plan.action = DataDiskSizing::Action::Grow;
        plan.message
            = QStringLiteral("Growing the data disk from %1 to %2").arg(gib(plan.currentBytes), gib(requestedBytes));
    } else if (requestedBytes < plan.currentBytes) {
        plan.action = DataDiskSizing::Action::KeepLarger;
        plan.message
            = QStringLiteral("The data disk stays at %1: the smaller setting (%2) is not applied, because shrinking "
                             "it would destroy images, containers and volumes. To start over with a smaller "
                             "disk, use berthctl reset --data.")
                  .arg(gib(plan.currentBytes), gib(requestedBytes));
    }
    return plan;
}

QString qemuImgFor(const QString& qemuBinary)
{
    const QString dir = QFileInfo(qemuBinary).path();
    return dir == QLatin1String(".") ? QStringLiteral("qemu-img") : dir + QStringLiteral("/qemu-img");
}

}  // namespace berth::vm
