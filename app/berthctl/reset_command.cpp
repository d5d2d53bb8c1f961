#include <QDateTime>
#include <QFile>
#include <QFileInfo>

#include <istream>
#include <ostream>

#include "berth/vm/instance_dir.h"
#include "cli.h"

namespace berth::cli {

// The data disk holds /var/lib/docker: images, containers, volumes. Resetting never deletes it:
// it is renamed next to the new one, and the user decides when it goes.
int resetCommand(const std::vector<std::string>& args, Context& c)
{
    bool data = false;
    bool yes = false;
    for (const auto& arg : args) {
        if (arg == "--data") {
            data = true;
        } else if (arg == "--yes") {
            yes = true;
        } else {
            c.err << "berthctl: unknown option " << arg << " for reset\n";
            return kUsage;
        }
    }
    if (!data) {
        c.err << "berthctl: reset needs --data (to reset settings: berthctl settings reset)\n";
        return kUsage;
    }
    const vm::InstanceDir instance(c.instanceDir.empty() ? vm::InstanceDir::defaultRoot()
                                                         : QString::fromStdString(c.instanceDir));
    const QString disk = instance.dataDisk();
    if (!QFileInfo::exists(disk)) {
        c.out << "There is no data disk at " << disk.toStdString() << ": nothing to reset.\n";
        return kOk;
    }
    c.out << "This stops the engine and sets its data disk aside: every image, container and volume\n"
          << "will be gone from the engine. The disk is kept as a backup you can restore.\n";
    if (!yes) {
        c.out << "Type yes to continue: " << std::flush;
        std::string answer;
        if (c.in == nullptr || !std::getline(*c.in, answer) || answer != "yes") {
            c.err << "berthctl: not reset (the answer was not \"yes\"; use --yes in scripts)\n";
            return kFailed;
        }
    }
    // QEMU must be gone: the disk is open read-write while the VM runs.
    auto engine = c.connectEngine();
    if (runEngineOperation(
            *engine, engine::EngineOperation::Stop, [&] { engine->stop(); }, c)
        != kOk) {
        c.err << "berthctl: the engine did not stop, so the data disk was left as it is\n";
        return kFailed;
    }
    const QString stamp = QDateTime::currentDateTimeUtc().toString(QStringLiteral("yyyyMMdd-HHmmss"));
    const QString backup = disk + QStringLiteral(".backup-") + stamp;
    if (QFileInfo::exists(backup) || !QFile::rename(disk, backup)) {
        c.err << "berthctl: cannot move " << disk.toStdString() << " to " << backup.toStdString() << "\n";
        return kFailed;
    }
    c.out << "The data disk is now " << backup.toStdString() << ".\n"
          << "The next start creates an empty one.\n"
          << "To restore the old one: berthctl stop && mv '" << backup.toStdString() << "' '" << disk.toStdString()
          << "'\n"
          << "To delete it and free the space: rm '" << backup.toStdString() << "'\n";
    return kOk;
}

}  // namespace berth::cli
