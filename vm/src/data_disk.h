#pragma once

// The persistent data disk (qcow2, /var/lib/docker in the guest): what to do with its size before
// a launch. It grows when the setting grows and is never shrunk: shrinking the image under an
// ext4 file system would destroy data, so a smaller setting is reported and not applied.

#include <QString>

namespace berth::vm {

// The virtual size recorded in a qcow2 header; -1 when the file is missing or not qcow2.
qint64 qcow2VirtualSize(const QString& path);

struct DataDiskSizing {
    enum class Action { None, Create, Grow, KeepLarger };
    Action action = Action::None;
    qint64 currentBytes = -1;
    qint64 requestedBytes = 0;
    QString message;  // for Grow and KeepLarger: what happens and why
};

// `requestedBytes` 0 means "no size wish": nothing is created or resized.
DataDiskSizing planDataDiskSize(const QString& path, qint64 requestedBytes);

// The qemu-img that goes with `qemuBinary`: beside it when it is a path, else from PATH.
QString qemuImgFor(const QString& qemuBinary);

}  // namespace berth::vm
