#include "qemu/qemu_backend.h"

#include "berth/contracts/agent_protocol.h"
#include "berth/contracts/names.h"
#include "berth/vm/instance_dir.h"
#include "data_disk.h"
#include "qemu/qmp_client.h"
#include "virtual_machine_base.h"

#include <QFile>
#include <QFileInfo>
#include <QTimer>

#include <spdlog/spdlog.h>

namespace berth::vm {

// The user network's -netdev id: on the command line, and in the monitor's hostfwd commands.
constexpr const char* kQemuNetdevId = "net0";

QString toString(Accelerator accelerator)
{
    return accelerator == Accelerator::Kvm ? QStringLiteral("kvm") : QStringLiteral("tcg");
}

QString qemuOptionValue(const QString& value)
{
    QString escaped = value;
    return escaped.replace(QLatin1Char(','), QStringLiteral(",,"));
}

QStringList qemuArguments(const VmSpec& spec)
{
    const InstanceDir dir(spec.instanceDir);
    QStringList args = {
        QStringLiteral("-name"),       QStringLiteral("berth,debug-threads=on"),
        QStringLiteral("-nodefaults"), QStringLiteral("-no-user-config"),
        QStringLiteral("-no-reboot"),  QStringLiteral("-display"),
        QStringLiteral("none"),        QStringLiteral("-machine"),
        QStringLiteral("q35"),
    };
    if (spec.accelerator == Accelerator::Kvm) {
        args << QStringLiteral("-accel") << QStringLiteral("kvm") << QStringLiteral("-cpu") << QStringLiteral("host");
    } else {
        QString cpu = QStringLiteral("max");
        for (const char* feature : kTcgCpuFeaturesOff) { cpu += QStringLiteral(",%1=off").arg(QLatin1String(feature)); }
        args << QStringLiteral("-accel") << QStringLiteral("tcg,thread=multi") << QStringLiteral("-cpu") << cpu;
    }
    if (const QString firmware = guestFirmware(spec); !firmware.isEmpty()) {
        args << QStringLiteral("-bios") << firmware;
    }
    args << QStringLiteral("-smp") << QString::number(spec.resources.cpus) << QStringLiteral("-m")
         << QStringLiteral("%1M").arg(spec.resources.memoryMiB);
    if (!spec.sharedDirectories.isEmpty()) {
        // virtiofsd reads and writes the guest's buffers in place: the RAM must be a shared memfd.
        args << QStringLiteral("-object")
             << QStringLiteral("memory-backend-memfd,id=mem,size=%1M,share=on").arg(spec.resources.memoryMiB)
             << QStringLiteral("-machine") << QStringLiteral("memory-backend=mem");
    }
    args << QStringLiteral("-pidfile")
         << dir.pidFile()
         // QMP: QEMU listens, the host connects (and a later Berth can reach a stale QEMU).
         << QStringLiteral("-chardev")
         << QStringLiteral("socket,id=qmp,path=%1,server=on,wait=off").arg(qemuOptionValue(dir.qmpSocket()))
         << QStringLiteral("-mon") << QStringLiteral("chardev=qmp,mode=control") << QStringLiteral("-chardev")
         << QStringLiteral("file,id=serial0,path=%1").arg(qemuOptionValue(dir.serialLog())) << QStringLiteral("-serial")
         << QStringLiteral("chardev:serial0") << QStringLiteral("-kernel") << spec.kernel;
    if (!spec.initrd.isEmpty()) { args << QStringLiteral("-initrd") << spec.initrd; }
    args << QStringLiteral("-append") << guestKernelCmdline(spec);
    if (!spec.rootImage.isEmpty()) {
        args << QStringLiteral("-drive")
             << QStringLiteral("if=none,id=root,format=raw,readonly=on,file=%1").arg(qemuOptionValue(spec.rootImage))
             << QStringLiteral("-device") << QStringLiteral("virtio-blk-pci,drive=root,serial=berth-root");
    }
    if (!spec.dataDisk.isEmpty()) {
        args << QStringLiteral("-drive")
             << QStringLiteral("if=none,id=data,format=qcow2,discard=unmap,file=%1").arg(qemuOptionValue(spec.dataDisk))
             << QStringLiteral("-device")
             << QStringLiteral("virtio-blk-pci,drive=data,serial=%1").arg(QLatin1String(kDataDiskSerial));
    }
    if (!spec.guestConfigFile.isEmpty()) {
        args << QStringLiteral("-fw_cfg")
             << QStringLiteral("name=%1,file=%2")
                    .arg(QLatin1String(contracts::kGuestConfigFwCfg), qemuOptionValue(spec.guestConfigFile));
    }
    for (const auto& entry : spec.extraFwCfg) {
        args << QStringLiteral("-fw_cfg")
             << QStringLiteral("name=%1,file=%2").arg(qemuOptionValue(entry.name), qemuOptionValue(entry.file));
    }
    args << QStringLiteral("-device") << QStringLiteral("virtio-serial-pci") << QStringLiteral("-chardev")
         << QStringLiteral("socket,id=agent,path=%1,server=on,wait=off").arg(qemuOptionValue(dir.agentSocket()))
         << QStringLiteral("-device")
         << (QStringLiteral("virtserialport,chardev=agent,name=") + QLatin1String(contracts::agent::kPortName));
    args << QStringLiteral("-netdev") << userNetdev(spec, QLatin1String(kQemuNetdevId)) << QStringLiteral("-device")
         << QStringLiteral("virtio-net-pci,netdev=%1").arg(QLatin1String(kQemuNetdevId)) << QStringLiteral("-device")
         << QStringLiteral("virtio-rng-pci");
    for (int index = 0; index < spec.sharedDirectories.size(); ++index) {
        args << QStringLiteral("-chardev")
             << QStringLiteral("socket,id=fs%1,path=%2")
                    .arg(index)
                    .arg(qemuOptionValue(dir.sharedDirectorySocket(index)))
             << QStringLiteral("-device")
             << QStringLiteral("vhost-user-fs-pci,chardev=fs%1,tag=%2,queue-size=1024")
                    .arg(index)
                    .arg(qemuOptionValue(spec.sharedDirectories[index].tag));
    }
    // The guest reports the memory it frees and QEMU gives it back to the host, so an idle engine
    // does not keep what its containers once used.
    args << QStringLiteral("-device") << QStringLiteral("virtio-balloon-pci,free-page-reporting=on");
    return args;
}

namespace {

constexpr qsizetype kStderrTailBytes = 8 * 1024;

class QemuVirtualMachine final : public VirtualMachineBase {
public:
    QemuVirtualMachine(const VmSpec& spec, std::shared_ptr<ProcessFactory> processes,
                       std::chrono::milliseconds qmpTimeout)
        : VirtualMachineBase(spec.instanceDir),
          m_spec(spec),
          m_processes(std::move(processes)),
          m_qmpTimeout(qmpTimeout),
          m_qmp(new QmpClient(this))
    {
        connect(m_qmp, &QmpClient::ready, this, [this] {
            if (state() != State::Launching) { return; }
            // QEMU created its sockets under umask 077 (0700); read-write for the owner is all
            // a socket needs. The 0700 instance directory is what keeps others out.
            for (const auto& socket : {m_dir.qmpSocket(), m_dir.agentSocket()}) {
                QFile::setPermissions(socket, QFile::ReadOwner | QFile::WriteOwner);
            }
            becomeRunning();
        });
        connect(m_qmp, &QmpClient::failed, this, [this](const QString& reason) {
            if (!m_process || !m_process->isRunning()) { return; }
            spdlog::error("qemu: {}; killing QEMU", reason.toStdString());
            m_stderr += QStringLiteral("berth: %1\n").arg(reason);
            m_process->kill();
        });
        connect(m_qmp, &QmpClient::qmpEvent, this, [this](const QString& name, const QByteArray& data) {
            spdlog::info("qemu: event {} {}", name.toStdString(), data.toStdString());
            if (name == QLatin1String("SHUTDOWN")) {
                const auto json = nlohmann::json::parse(data.constData(), nullptr, false);
                if (json.is_object() && json.contains("reason") && json["reason"].is_string()) {
                    m_shutdownReason = QString::fromStdString(json["reason"].get<std::string>());
                } else {
                    m_shutdownReason = QStringLiteral("shutdown");
                }
            }
            emit guestEvent(name, data);
        });
    }

    ~QemuVirtualMachine() override
    {
        m_qmp->close();
        if (m_process) {
            m_process->disconnect(this);
            m_process.reset();  // kills and reaps a running child
            cleanupFiles();
        }
    }

    void start() override
    {
        if (state() != State::Off) { return; }
        m_quitSent = false;
        m_stderr.clear();
        beginLaunch();
        // QEMU recreates these; a leftover from a crash must not be mistaken for the new ones.
        QFile::remove(m_dir.qmpSocket());
        QFile::remove(m_dir.agentSocket());
        QFile::remove(m_dir.pidFile());
        switch (planDataDiskSize(m_spec.dataDisk, m_spec.resources.dataDiskSizeBytes).action) {
        case DataDiskSizing::Action::Create:
            runQemuImg({QStringLiteral("create"), QStringLiteral("-q"), QStringLiteral("-f"), QStringLiteral("qcow2"),
                        m_spec.dataDisk, QString::number(m_spec.resources.dataDiskSizeBytes)},
                       QStringLiteral("creating"));
            break;
        case DataDiskSizing::Action::Grow:
            // The guest's resize2fs at boot grows the file system into the new space.
            runQemuImg({QStringLiteral("resize"), QStringLiteral("-q"), QStringLiteral("-f"), QStringLiteral("qcow2"),
                        m_spec.dataDisk, QString::number(m_spec.resources.dataDiskSizeBytes)},
                       QStringLiteral("growing"));
            break;
        case DataDiskSizing::Action::None:
        case DataDiskSizing::Action::KeepLarger:  // never shrink; the controller tells the user
            launch();
            break;
        }
    }

    void forceStop() override
    {
        if (state() == State::Off) { return; }
        m_requested = true;
        if (m_helper) { m_helper->kill(); }
        if (!m_process) { return; }
        // QMP quit ends QEMU without the guest's cooperation but after flushing its block
        // layer, so the qcow2 data disk stays consistent; SIGKILL if even that hangs.
        if (!m_quitSent && (state() == State::Running || state() == State::ShuttingDown)) {
            m_quitSent = true;
            spdlog::warn("qemu: asking pid {} to quit (SIGKILL in {} ms)", m_process->pid(), m_spec.quitGrace.count());
            m_qmp->execute(QStringLiteral("quit"));
            QTimer::singleShot(m_spec.quitGrace, this, [this] { killNow(); });
            return;
        }
        killNow();
    }

    qint64 pid() const override { return m_process ? m_process->pid() : 0; }

    QString diagnostics() const override
    {
        QString text;
        const QString stderrText = m_stderr.trimmed();
        if (!stderrText.isEmpty()) { text += QStringLiteral("QEMU said:\n%1\n").arg(stderrText); }
        return text + serialLogDiagnostics();
    }

private:
    void killNow()
    {
        if (!m_process || !m_process->isRunning()) { return; }
        spdlog::warn("qemu: sending SIGKILL to pid {}", m_process->pid());
        m_process->kill();
    }

    void pressPowerButton() override { m_qmp->execute(QStringLiteral("system_powerdown")); }
    QString netdevId() const override { return QLatin1String(kQemuNetdevId); }
    void humanMonitorCommand(const QString& line, MonitorDone done) override
    {
        m_qmp->execute(QStringLiteral("human-monitor-command"), {{"command-line", line.toStdString()}},
                       [done](bool ok, const nlohmann::json& result) {
                           if (ok) {
                               done(true, QString::fromStdString(result.is_string() ? result.get<std::string>() : ""));
                           } else {
                               done(false, QString::fromStdString(result.dump()));
                           }
                       });
    }

    // Prepares the data disk with qemu-img, then launches QEMU.
    void runQemuImg(const QStringList& arguments, const QString& what)
    {
        spdlog::info("qemu: {} data disk {} ({} bytes)", what.toStdString(), m_spec.dataDisk.toStdString(),
                     m_spec.resources.dataDiskSizeBytes);
        m_helper = m_processes->create({qemuImgFor(m_spec.qemuBinary), arguments, {}});
        connect(m_helper.get(), &Process::finished, this, [this, what](const ProcessExit& exit) {
            m_stderr += QString::fromLocal8Bit(m_helper->readAllStandardError());
            m_helper.release()->deleteLater();
            if (exit.failedToStart || exit.crashed || exit.exitCode != 0 || m_requested) {
                m_stderr += QStringLiteral("berth: %1 the data disk %2 failed: %3\n")
                                .arg(what, m_spec.dataDisk, exit.describe());
                finish(exit);
                return;
            }
            launch();
        });
        m_helper->start();
    }

    void launch()
    {
        QString sharingError;
        if (!startSharedDirectories(m_spec, m_processes, &sharingError)) {
            m_stderr += QStringLiteral("berth: %1\n").arg(sharingError);
            ProcessExit exit;
            exit.failedToStart = true;
            exit.errorString = sharingError;
            // As when QEMU fails to start: stopped() never fires inside start().
            QTimer::singleShot(0, this, [this, exit] { finish(exit); });
            return;
        }
        ProcessSpec spec{m_spec.qemuBinary, qemuArguments(m_spec), m_spec.instanceDir};
        spec.dieWithParent = m_spec.dieWithParent;
        spdlog::info("qemu: launching {} {}", spec.program.toStdString(),
                     spec.arguments.join(QLatin1Char(' ')).toStdString());
        m_process = m_processes->create(spec);
        connect(m_process.get(), &Process::started, this, [this] {
            spdlog::info("qemu: started, pid {}", m_process->pid());
            m_qmp->connectToSocket(m_dir.qmpSocket(), m_qmpTimeout);
        });
        connect(m_process.get(), &Process::readyReadStandardError, this, [this] { collectStderr(); });
        connect(m_process.get(), &Process::readyReadStandardOutput, this, [this] { collectStderr(); });
        connect(m_process.get(), &Process::finished, this, [this](const ProcessExit& exit) {
            collectStderr();
            finish(exit);
        });
        m_process->start();
    }

    void collectStderr()
    {
        if (!m_process) { return; }
        const QString text
            = QString::fromLocal8Bit(m_process->readAllStandardError() + m_process->readAllStandardOutput());
        if (text.isEmpty()) { return; }
        for (const auto& line : text.split(QLatin1Char('\n'), Qt::SkipEmptyParts)) {
            spdlog::warn("qemu: {}", line.toStdString());
        }
        m_stderr += text;
        if (m_stderr.size() > kStderrTailBytes) { m_stderr = m_stderr.right(kStderrTailBytes); }
    }

    void cleanupFiles()
    {
        // QEMU removes its pidfile on a clean exit; after SIGKILL it is left for us.
        QFile::remove(m_dir.pidFile());
        QFile::remove(m_dir.qmpSocket());
        QFile::remove(m_dir.agentSocket());
    }

    void finish(const ProcessExit& exit)
    {
        m_qmp->close();
        cleanupFiles();
        spdlog::info("qemu: {} (requested: {}, shutdown reason: {})", exit.describe().toStdString(), m_requested,
                     m_shutdownReason.isEmpty() ? "none" : m_shutdownReason.toStdString());
        if (m_process) {
            m_process.release()->deleteLater();  // we are inside its signal
        }
        endRun(exit);
    }

    VmSpec m_spec;
    std::shared_ptr<ProcessFactory> m_processes;
    std::chrono::milliseconds m_qmpTimeout;
    QmpClient* m_qmp;
    std::unique_ptr<Process> m_process;
    std::unique_ptr<Process> m_helper;
    bool m_quitSent = false;
    QString m_stderr;
};

}  // namespace

QemuBackend::QemuBackend(std::shared_ptr<ProcessFactory> processes, std::chrono::milliseconds qmpConnectTimeout)
    : m_processes(std::move(processes)),
      m_qmpConnectTimeout(qmpConnectTimeout)
{}

std::unique_ptr<VirtualMachine> QemuBackend::create(const VmSpec& spec)
{
    return std::make_unique<QemuVirtualMachine>(spec, m_processes, m_qmpConnectTimeout);
}

}  // namespace berth::vm
