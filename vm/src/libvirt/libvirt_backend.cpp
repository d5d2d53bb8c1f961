#include "libvirt/libvirt_backend.h"

#include "berth/contracts/agent_protocol.h"
#include "berth/contracts/names.h"
#include "berth/vm/instance_dir.h"
#include "data_disk.h"
#include "durations.h"
#include "virtual_machine_base.h"

#include <QCryptographicHash>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QStandardPaths>
#include <QTimer>
#include <QUuid>
#include <QXmlStreamWriter>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

namespace berth::vm {

namespace {

// The user network's -netdev id (passed through libvirt's qemu:commandline), for hostfwd too.
constexpr const char* kLibvirtNetdevId = "berthnet0";

// Namespace for the name-based domain UUIDs (a fixed random UUID, never change it).
const QUuid kDomainUuidNamespace(QStringLiteral("{5b0d3f4e-8c1a-4a57-9e0b-2f6c3d7a9e41}"));

QString absolute(const QString& path)
{
    return path.isEmpty() ? path : QFileInfo(path).absoluteFilePath();
}

}  // namespace

QString libvirtDomainUuid(const QString& instanceDir)
{
    return QUuid::createUuidV5(kDomainUuidNamespace, QDir::cleanPath(absolute(instanceDir)))
        .toString(QUuid::WithoutBraces);
}

QString libvirtDomainName(const QString& instanceDir)
{
    if (QDir::cleanPath(absolute(instanceDir)) == QDir::cleanPath(InstanceDir::defaultRoot())) {
        return QStringLiteral("berth");
    }
    return QStringLiteral("berth-") + libvirtDomainUuid(instanceDir).left(8);
}

QString libvirtKvmAccessProblem(const QString& kvmDevice, unsigned permissions, const QString& owner,
                                const QString& group)
{
    const bool othersMay = (permissions & (S_IROTH | S_IWOTH)) == (S_IROTH | S_IWOTH);
    const bool kvmGroupMay
        = group == QLatin1String("kvm") && (permissions & (S_IRGRP | S_IWGRP)) == (S_IRGRP | S_IWGRP);
    if (othersMay || kvmGroupMay) { return {}; }
    return QStringLiteral(
               "%1 is %2 %3:%4, so libvirt's QEMU user (libvirt-qemu, of the kvm group) cannot open it, while "
               "libvirt's QEMU probe, which keeps root's file access, finds KVM: libvirt then deems its cached QEMU "
               "capabilities stale at every use and examines QEMU again, several times per start. Give the kvm group "
               "access, as udev's rules do: sudo chown root:kvm %1 && sudo chmod 0660 %1")
        .arg(kvmDevice, QStringLiteral("0%1").arg(permissions, 3, 8, QLatin1Char('0')), owner, group);
}

QString libvirtKvmAccessProblem(const QString& kvmDevice)
{
    struct stat st {};
    if (::stat(kvmDevice.toLocal8Bit().constData(), &st) != 0) {
        return {};  // no KVM: libvirt's probe finds none either
    }
    const passwd* user = ::getpwuid(st.st_uid);
    const group* grp = ::getgrgid(st.st_gid);
    return libvirtKvmAccessProblem(kvmDevice, st.st_mode & 0777,
                                   user ? QString::fromLocal8Bit(user->pw_name) : QString::number(st.st_uid),
                                   grp ? QString::fromLocal8Bit(grp->gr_name) : QString::number(st.st_gid));
}

QString libvirtDomainXml(const VmSpec& spec, bool privilegedDaemon)
{
    const InstanceDir dir(absolute(spec.instanceDir));
    QString xml;
    QXmlStreamWriter w(&xml);
    w.setAutoFormatting(true);
    w.setAutoFormattingIndent(2);
    const auto element = [&w](const QString& name, const QString& text) { w.writeTextElement(name, text); };

    w.writeStartElement(QStringLiteral("domain"));
    w.writeAttribute(QStringLiteral("type"),
                     spec.accelerator == Accelerator::Kvm ? QStringLiteral("kvm") : QStringLiteral("qemu"));
    w.writeNamespace(QStringLiteral("http://libvirt.org/schemas/domain/qemu/1.0"), QStringLiteral("qemu"));
    element(QStringLiteral("name"), libvirtDomainName(dir.root()));
    element(QStringLiteral("uuid"), libvirtDomainUuid(dir.root()));
    element(QStringLiteral("title"), QStringLiteral("Berth"));
    element(QStringLiteral("description"),
            QStringLiteral("Berth's Docker Engine VM for %1. Berth redefines it at every start: change its "
                           "settings in Berth, not here.")
                .arg(dir.root()));
    w.writeStartElement(QStringLiteral("memory"));
    w.writeAttribute(QStringLiteral("unit"), QStringLiteral("MiB"));
    w.writeCharacters(QString::number(spec.resources.memoryMiB));
    w.writeEndElement();
    element(QStringLiteral("vcpu"), QString::number(spec.resources.cpus));

    if (!spec.sharedDirectories.isEmpty()) {
        // virtiofsd reads and writes the guest's buffers in place: the RAM must be a shared memfd.
        w.writeStartElement(QStringLiteral("memoryBacking"));
        w.writeEmptyElement(QStringLiteral("source"));
        w.writeAttribute(QStringLiteral("type"), QStringLiteral("memfd"));
        w.writeEmptyElement(QStringLiteral("access"));
        w.writeAttribute(QStringLiteral("mode"), QStringLiteral("shared"));
        w.writeEndElement();
    }

    w.writeStartElement(QStringLiteral("os"));
    w.writeStartElement(QStringLiteral("type"));
    w.writeAttribute(QStringLiteral("arch"), QStringLiteral("x86_64"));
    w.writeAttribute(QStringLiteral("machine"), QStringLiteral("q35"));
    w.writeCharacters(QStringLiteral("hvm"));
    w.writeEndElement();
    if (const QString firmware = guestFirmware(spec); !firmware.isEmpty()) {
        w.writeStartElement(QStringLiteral("loader"));
        w.writeAttribute(QStringLiteral("readonly"), QStringLiteral("yes"));
        w.writeAttribute(QStringLiteral("type"), QStringLiteral("rom"));
        w.writeCharacters(firmware);
        w.writeEndElement();
    }
    element(QStringLiteral("kernel"), absolute(spec.kernel));
    if (!spec.initrd.isEmpty()) { element(QStringLiteral("initrd"), absolute(spec.initrd)); }
    element(QStringLiteral("cmdline"), guestKernelCmdline(spec));
    w.writeEndElement();  // os

    // fw_cfg files, read in the guest under /sys/firmware/qemu_fw_cfg/by_name/.
    if (!spec.guestConfigFile.isEmpty() || !spec.extraFwCfg.isEmpty()) {
        w.writeStartElement(QStringLiteral("sysinfo"));
        w.writeAttribute(QStringLiteral("type"), QStringLiteral("fwcfg"));
        const auto entry = [&w](const QString& name, const QString& file) {
            w.writeStartElement(QStringLiteral("entry"));
            w.writeAttribute(QStringLiteral("name"), name);
            w.writeAttribute(QStringLiteral("file"), file);
            w.writeEndElement();
        };
        if (!spec.guestConfigFile.isEmpty()) {
            entry(QLatin1String(contracts::kGuestConfigFwCfg), absolute(spec.guestConfigFile));
        }
        for (const auto& extra : spec.extraFwCfg) { entry(extra.name, absolute(extra.file)); }
        w.writeEndElement();
    }

    w.writeStartElement(QStringLiteral("features"));
    w.writeEmptyElement(QStringLiteral("acpi"));  // without it there is no power button to press
    w.writeEmptyElement(QStringLiteral("apic"));
    w.writeEndElement();
    w.writeStartElement(QStringLiteral("cpu"));
    if (spec.accelerator == Accelerator::Kvm) {
        w.writeAttribute(QStringLiteral("mode"), QStringLiteral("host-passthrough"));
    } else {
        w.writeAttribute(QStringLiteral("mode"), QStringLiteral("maximum"));
        for (const char* feature : kTcgCpuFeaturesOff) {
            w.writeEmptyElement(QStringLiteral("feature"));
            w.writeAttribute(QStringLiteral("policy"), QStringLiteral("disable"));
            w.writeAttribute(QStringLiteral("name"), QLatin1String(feature));
        }
    }
    w.writeEndElement();  // cpu
    w.writeEmptyElement(QStringLiteral("clock"));
    w.writeAttribute(QStringLiteral("offset"), QStringLiteral("utc"));
    // Like QEMU's -no-reboot: a reboot or crash ends the domain, and the controller decides.
    element(QStringLiteral("on_poweroff"), QStringLiteral("destroy"));
    element(QStringLiteral("on_reboot"), QStringLiteral("destroy"));
    element(QStringLiteral("on_crash"), QStringLiteral("destroy"));

    w.writeStartElement(QStringLiteral("devices"));
    const QString emulator
        = QFileInfo(spec.qemuBinary).isAbsolute() ? spec.qemuBinary : QStandardPaths::findExecutable(spec.qemuBinary);
    if (!emulator.isEmpty()) { element(QStringLiteral("emulator"), emulator); }
    const auto disk
        = [&](const QString& file, const QString& format, const QString& target, const QString& serial, bool readOnly) {
              w.writeStartElement(QStringLiteral("disk"));
              w.writeAttribute(QStringLiteral("type"), QStringLiteral("file"));
              w.writeAttribute(QStringLiteral("device"), QStringLiteral("disk"));
              w.writeEmptyElement(QStringLiteral("driver"));
              w.writeAttribute(QStringLiteral("name"), QStringLiteral("qemu"));
              w.writeAttribute(QStringLiteral("type"), format);
              if (!readOnly) { w.writeAttribute(QStringLiteral("discard"), QStringLiteral("unmap")); }
              w.writeEmptyElement(QStringLiteral("source"));
              w.writeAttribute(QStringLiteral("file"), absolute(file));
              w.writeEmptyElement(QStringLiteral("target"));
              w.writeAttribute(QStringLiteral("dev"), target);
              w.writeAttribute(QStringLiteral("bus"), QStringLiteral("virtio"));
              if (readOnly) { w.writeEmptyElement(QStringLiteral("readonly")); }
              element(QStringLiteral("serial"), serial);
              w.writeEndElement();
          };
    if (!spec.rootImage.isEmpty()) {
        disk(spec.rootImage, QStringLiteral("raw"), QStringLiteral("vda"), QStringLiteral("berth-root"), true);
    }
    if (!spec.dataDisk.isEmpty()) {
        disk(spec.dataDisk, QStringLiteral("qcow2"), QStringLiteral("vdb"), QLatin1String(kDataDiskSerial), false);
    }

    // Each shared directory's virtiofsd, started by the VM before the domain (type "mount" with a
    // socket: libvirt connects QEMU to it and starts no daemon of its own).
    for (int index = 0; index < spec.sharedDirectories.size(); ++index) {
        w.writeStartElement(QStringLiteral("filesystem"));
        w.writeAttribute(QStringLiteral("type"), QStringLiteral("mount"));
        w.writeEmptyElement(QStringLiteral("driver"));
        w.writeAttribute(QStringLiteral("type"), QStringLiteral("virtiofs"));
        w.writeAttribute(QStringLiteral("queue"), QStringLiteral("1024"));
        w.writeEmptyElement(QStringLiteral("source"));
        w.writeAttribute(QStringLiteral("socket"), dir.sharedDirectorySocket(index));
        w.writeEmptyElement(QStringLiteral("target"));
        w.writeAttribute(QStringLiteral("dir"), spec.sharedDirectories[index].tag);
        w.writeEndElement();
    }

    w.writeStartElement(QStringLiteral("serial"));
    w.writeAttribute(QStringLiteral("type"), QStringLiteral("file"));
    w.writeEmptyElement(QStringLiteral("source"));
    w.writeAttribute(QStringLiteral("path"), dir.serialLog());
    w.writeEmptyElement(QStringLiteral("target"));
    w.writeAttribute(QStringLiteral("port"), QStringLiteral("0"));
    w.writeEndElement();

    w.writeStartElement(QStringLiteral("channel"));
    w.writeAttribute(QStringLiteral("type"), QStringLiteral("unix"));
    w.writeEmptyElement(QStringLiteral("source"));
    w.writeAttribute(QStringLiteral("mode"), QStringLiteral("bind"));
    w.writeAttribute(QStringLiteral("path"), dir.agentSocket());
    w.writeEmptyElement(QStringLiteral("target"));
    w.writeAttribute(QStringLiteral("type"), QStringLiteral("virtio"));
    w.writeAttribute(QStringLiteral("name"), QLatin1String(contracts::agent::kPortName));
    w.writeEndElement();

    w.writeEmptyElement(QStringLiteral("controller"));
    w.writeAttribute(QStringLiteral("type"), QStringLiteral("usb"));
    w.writeAttribute(QStringLiteral("model"), QStringLiteral("none"));
    // As with QEMU run directly: freed guest memory goes back to the host.
    w.writeEmptyElement(QStringLiteral("memballoon"));
    w.writeAttribute(QStringLiteral("model"), QStringLiteral("virtio"));
    w.writeAttribute(QStringLiteral("freePageReporting"), QStringLiteral("on"));
    w.writeStartElement(QStringLiteral("rng"));
    w.writeAttribute(QStringLiteral("model"), QStringLiteral("virtio"));
    w.writeStartElement(QStringLiteral("backend"));
    w.writeAttribute(QStringLiteral("model"), QStringLiteral("random"));
    w.writeCharacters(QStringLiteral("/dev/urandom"));
    w.writeEndElement();
    w.writeEndElement();
    w.writeEndElement();  // devices

    if (privilegedDaemon) {
        // QEMU runs as the user who owns the instance; relabel="no" so libvirt never hands the
        // user's files to another owner when the domain stops.
        w.writeStartElement(QStringLiteral("seclabel"));
        w.writeAttribute(QStringLiteral("type"), QStringLiteral("static"));
        w.writeAttribute(QStringLiteral("model"), QStringLiteral("dac"));
        w.writeAttribute(QStringLiteral("relabel"), QStringLiteral("no"));
        element(QStringLiteral("label"), QStringLiteral("+%1:+%2").arg(::getuid()).arg(::getgid()));
        w.writeEndElement();
    }

    // User networking with a loopback-only forward, as the QEMU backend has it. libvirt 9.0's
    // <interface type="user"> forwards ports only through passt, which Debian 12 does not install
    // with libvirt, so the netdev goes on QEMU's command line (libvirt marks the domain
    // "custom-argv" in its log for this). The NIC is given in QEMU's JSON -device syntax: QEMU 7.2
    // creates those in command-line order, after libvirt's own devices and their fixed PCI
    // addresses; a plain "-device virtio-net-pci" would be created first and take a slot libvirt
    // assigned to one of its root ports.
    const QString nic = QString::fromStdString(
        nlohmann::json{{"driver", "virtio-net-pci"}, {"netdev", kLibvirtNetdevId}, {"id", "berthnic0"}}.dump());
    const QString netdev = userNetdev(spec, QLatin1String(kLibvirtNetdevId));
    const QString qemuNs = QStringLiteral("http://libvirt.org/schemas/domain/qemu/1.0");
    w.writeStartElement(qemuNs, QStringLiteral("commandline"));
    for (const auto& arg : {QStringLiteral("-netdev"), netdev, QStringLiteral("-device"), nic}) {
        w.writeEmptyElement(qemuNs, QStringLiteral("arg"));
        w.writeAttribute(QStringLiteral("value"), arg);
    }
    w.writeEndElement();

    w.writeEndElement();  // domain
    return xml;
}

namespace {

constexpr int kLogTailLines = 20;

class LibvirtVirtualMachine final : public VirtualMachineBase {
public:
    LibvirtVirtualMachine(const VmSpec& spec, const LibvirtBackend::Options& options,
                          std::shared_ptr<LibvirtConnector> libvirt, std::shared_ptr<ProcessFactory> processes)
        : VirtualMachineBase(spec.instanceDir),
          m_spec(spec),
          m_options(options),
          m_name(libvirtDomainName(spec.instanceDir)),
          m_uuid(libvirtDomainUuid(spec.instanceDir)),
          m_libvirt(std::move(libvirt)),
          m_processes(std::move(processes)),
          m_leftoverTimer(new QTimer(this)),
          m_startTimer(new QTimer(this))
    {
        m_startTimer->setSingleShot(true);
        connect(m_startTimer, &QTimer::timeout, this, &LibvirtVirtualMachine::startIsSlow);
        m_leftoverTimer->setSingleShot(true);
        connect(m_leftoverTimer, &QTimer::timeout, this, [this] {
            spdlog::warn("libvirt: the leftover domain {} did not power off; destroying it", m_name.toStdString());
            QString error;
            if (!m_connection->destroy(m_name, &error)) {
                leftoverGone(error);  // already gone, or destroy failed: defining will tell
            }
        });
    }

    ~LibvirtVirtualMachine() override
    {
        if (m_connection) {
            m_connection->disconnect(this);
            if (m_domainStarted && state() != State::Off) {
                QString error;
                m_connection->destroy(m_name, &error);
                QFile::remove(m_dir.agentSocket());
            }
        }
    }

    void start() override
    {
        if (state() != State::Off) { return; }
        m_domainStarted = false;
        m_leftover = false;
        m_abortBeforeStart = false;
        m_messages.clear();
        beginLaunch();
        // Asynchronous like QEMU's launch: stopped() never fires inside start().
        QTimer::singleShot(0, this, [this] { connectAndCheck(); });
    }

    void forceStop() override
    {
        if (state() == State::Off) { return; }
        m_requested = true;
        if (m_helper) {
            m_helper->kill();  // its finished handler ends the start
            return;
        }
        if (m_leftover) {
            m_leftoverTimer->stop();
            QString error;
            m_connection->destroy(m_name, &error);
            finish({}, QStringLiteral("stopped while a leftover domain was shutting down"));
            return;
        }
        if (m_starting) {
            // Not waiting for libvirt, which may take minutes: its late answer destroys the domain.
            stopWaitingForStart();
            finish({}, QStringLiteral("stopped while libvirt was starting the domain"));
            return;
        }
        if (!m_domainStarted) {
            m_abortBeforeStart = true;
            return;
        }
        spdlog::warn("libvirt: destroying domain {}", m_name.toStdString());
        QString error;
        if (!m_connection->destroy(m_name, &error)) { domainMayBeGone(error); }
    }

    qint64 pid() const override { return m_pid; }

    QString diagnostics() const override
    {
        QString text;
        if (!m_messages.trimmed().isEmpty()) {
            text += QStringLiteral("libvirt said:\n%1\n").arg(m_messages.trimmed());
        }
        if (m_connection) {
            const QString log = m_connection->domainLogPath(m_name);
            const QString logTail = log.isEmpty() ? QString() : fileTail(log, kLogTailLines).trimmed();
            if (!logTail.isEmpty()) {
                text += QStringLiteral("last lines of libvirt's domain log %1:\n%2\n").arg(log, logTail);
            }
        }
        return text + serialLogDiagnostics();
    }

private:
    void note(const QString& message)
    {
        spdlog::warn("libvirt: {}", message.toStdString());
        m_messages += message + QLatin1Char('\n');
    }

    void connectAndCheck()
    {
        if (state() != State::Launching) { return; }
        QString error;
        if (!m_connection) {
            m_connection = m_libvirt->open(m_options.uri, &error);
            if (!m_connection) {
                failToStart(error);
                return;
            }
            connect(m_connection.get(), &LibvirtConnection::lifecycleEvent, this, &LibvirtVirtualMachine::onEvent);
            connect(m_connection.get(), &LibvirtConnection::closed, this, &LibvirtVirtualMachine::onClosed);
        }
        if (m_connection->isPrivileged()) {
            m_kvmProblem = libvirtKvmAccessProblem();
            if (!m_kvmProblem.isEmpty()) {
                spdlog::warn("libvirt: starts will be slow: {}", m_kvmProblem.toStdString());
            }
        }
        const auto existing = m_connection->lookup(m_name, &error);
        if (!error.isEmpty()) {
            failToStart(
                QStringLiteral("Cannot look up the libvirt domain %1 at %2: %3").arg(m_name, m_options.uri, error));
            return;
        }
        if (existing && existing->uuid != m_uuid) {
            failToStart(QStringLiteral(
                            "A libvirt domain named %1 already exists at %2 and is not the VM of %3 (its UUID is %4, "
                            "Berth's would be %5). Rename or remove it (virsh -c %2 undefine %1).")
                            .arg(m_name, m_options.uri, m_dir.root(), existing->uuid, m_uuid));
            return;
        }
        if (existing && existing->active) {
            // Nothing of ours runs (the controller holds the instance lock), so an active domain
            // was left by a Berth that crashed or was killed without autodestroy.
            spdlog::warn("libvirt: domain {} is running from an earlier run; shutting it down", m_name.toStdString());
            note(QStringLiteral("The domain %1 was left running by an earlier run; it was shut down").arg(m_name));
            m_leftover = true;
            if (!m_connection->shutdown(m_name, &error)) {
                m_leftoverTimer->start(0);
                return;
            }
            m_leftoverTimer->start(m_options.leftoverShutdown);
            return;
        }
        prepareDataDisk();
    }

    void leftoverGone(const QString& why)
    {
        if (!m_leftover) { return; }
        m_leftover = false;
        m_leftoverTimer->stop();
        if (!why.isEmpty()) { spdlog::info("libvirt: leftover domain: {}", why.toStdString()); }
        prepareDataDisk();
    }

    void prepareDataDisk()
    {
        if (m_abortBeforeStart) {
            finish({}, QStringLiteral("stopped before the domain started"));
            return;
        }
        if (m_spec.dataDisk.isEmpty() || m_spec.resources.dataDiskSizeBytes <= 0
            || QFileInfo::exists(m_spec.dataDisk)) {
            defineAndStart();
            return;
        }
        spdlog::info("libvirt: creating data disk {}", m_spec.dataDisk.toStdString());
        m_helper = m_processes->create(
            {qemuImgFor(m_spec.qemuBinary),
             {QStringLiteral("create"), QStringLiteral("-q"), QStringLiteral("-f"), QStringLiteral("qcow2"),
              m_spec.dataDisk, QString::number(m_spec.resources.dataDiskSizeBytes)},
             {}});
        connect(m_helper.get(), &Process::finished, this, [this](const ProcessExit& exit) {
            const QString stderrText = QString::fromLocal8Bit(m_helper->readAllStandardError()).trimmed();
            m_helper.release()->deleteLater();
            if (exit.failedToStart || exit.crashed || exit.exitCode != 0 || m_requested) {
                failToStart(QStringLiteral("creating the data disk %1 failed: %2 %3")
                                .arg(m_spec.dataDisk, exit.describe(), stderrText));
                return;
            }
            defineAndStart();
        });
        m_helper->start();
    }

    void defineAndStart()
    {
        // libvirt creates the agent socket; one left by a crash would be in its way.
        QFile::remove(m_dir.agentSocket());
        // libvirt 9.0 does not start virtiofsd in session mode, but takes one that listens already.
        QString sharingError;
        if (!startSharedDirectories(m_spec, m_processes, &sharingError)) {
            failToStart(sharingError);
            return;
        }
        const QString xml = libvirtDomainXml(m_spec, m_connection->isPrivileged());
        spdlog::info("libvirt: defining domain {} at {}", m_name.toStdString(), m_options.uri.toStdString());
        m_starting = true;
        m_slowNoticeGiven = false;
        m_startClock.start();
        m_startTimer->start(std::min(m_options.slowStartNotice, m_options.startTimeout));
        const quint64 attempt = ++m_startAttempt;
        m_connection->defineAndStart(
            xml, m_name, m_spec.dieWithParent, this,
            [this, attempt](const DomainStartResult& result) { startAnswered(attempt, result); });
    }

    // libvirt has not answered defineAndStart yet: first say so, then give up.
    void startIsSlow()
    {
        if (!m_starting) { return; }
        const QString why = m_kvmProblem.isEmpty()
            ? QStringLiteral("libvirt examines the QEMU binary before its first use, and whenever its cached "
                             "capabilities are stale, by launching it a few times")
            : m_kvmProblem;
        if (!m_slowNoticeGiven && m_startClock.elapsed() < m_options.startTimeout.count()) {
            m_slowNoticeGiven = true;
            emit launchProgress(
                QStringLiteral("Waiting for libvirt to start the domain %1 (%2 s so far, up to %3 s): %4")
                    .arg(m_name, secondsText(std::chrono::seconds((m_startClock.elapsed() + 500) / 1000)),
                         secondsText(m_options.startTimeout), why));
            m_startTimer->start(std::max<qint64>(0, m_options.startTimeout.count() - m_startClock.elapsed()));
            return;
        }
        stopWaitingForStart();
        failToStart(
            QStringLiteral("libvirt at %1 did not start the domain %2 within %3 s: %4\nlibvirtd's log (journalctl -u "
                           "libvirtd, or /var/log/libvirt/libvirtd.log) tells what it was doing.")
                .arg(m_options.uri, m_name, secondsText(m_options.startTimeout), why));
    }

    // Stops waiting for libvirt's answer: when it comes, a domain it started is destroyed.
    void stopWaitingForStart()
    {
        m_starting = false;
        m_startTimer->stop();
    }

    void startAnswered(quint64 attempt, const DomainStartResult& result)
    {
        if (attempt != m_startAttempt || !m_starting) {
            if (result.started) {
                spdlog::warn("libvirt: the domain {} started after Berth stopped waiting; destroying it",
                             m_name.toStdString());
                QString error;
                m_connection->destroy(m_name, &error);
            }
            return;
        }
        stopWaitingForStart();
        spdlog::info("libvirt: defining and starting took {} ms", m_startClock.elapsed());
        if (!result.defined) {
            failToStart(QStringLiteral("libvirt refused the domain definition: %1").arg(result.error));
            return;
        }
        if (!result.started) {
            failToStart(QStringLiteral("libvirt could not start the domain %1: %2").arg(m_name, result.error));
            return;
        }
        m_domainStarted = true;
        // libvirt creates the socket 0775; the 0700 directory keeps others out, and like the QEMU
        // backend we leave no more on the socket than its owner needs (a no-op when not ours).
        QFile::setPermissions(m_dir.agentSocket(), QFile::ReadOwner | QFile::WriteOwner);
        m_pid = m_connection->qemuPid(m_name);
        spdlog::info("libvirt: domain {} started (QEMU pid {})", m_name.toStdString(), m_pid);
        becomeRunning();
    }

    QString netdevId() const override { return QLatin1String(kLibvirtNetdevId); }
    void humanMonitorCommand(const QString& line, MonitorDone done) override
    {
        QString output;
        QString error;
        const bool ok = m_connection && m_connection->monitorCommand(m_name, line, &output, &error);
        QTimer::singleShot(0, this, [done, ok, text = ok ? output : error] { done(ok, text); });
    }

    void pressPowerButton() override
    {
        QString error;
        if (!m_connection->shutdown(m_name, &error)) {
            domainMayBeGone(error);
            return;
        }
        emit guestEvent(QStringLiteral("POWERDOWN"), QByteArrayLiteral("{}"));
    }

    // A call failed: if the domain is no longer running, its STOPPED event may have been lost
    // with the connection, so this ends the VM; otherwise the controller's timeouts escalate.
    void domainMayBeGone(const QString& error)
    {
        note(error);
        QString lookupError;
        const auto info = m_connection->lookup(m_name, &lookupError);
        if (lookupError.isEmpty() && (!info || !info->active)) { finish({}, QStringLiteral("not running")); }
    }

    void onEvent(const QString& domain, DomainEvent event, const QString& reason)
    {
        if (domain != m_name || state() == State::Off) { return; }
        spdlog::info("libvirt: domain {} event {} {}", m_name.toStdString(), static_cast<int>(event),
                     reason.toStdString());
        const auto data = [&reason] {
            return QByteArray::fromStdString(nlohmann::json{{"reason", reason.toStdString()}}.dump());
        };
        switch (event) {
        case DomainEvent::Stopped:
            if (m_leftover) {
                leftoverGone(QStringLiteral("stopped (%1)").arg(reason));
                return;
            }
            if (m_domainStarted) { finish({}, reason); }
            return;
        case DomainEvent::Shutdown:
            m_shutdownReason = reason;
            emit guestEvent(QStringLiteral("SHUTDOWN"), data());
            return;
        case DomainEvent::Suspended: emit guestEvent(QStringLiteral("STOP"), data()); return;
        case DomainEvent::Resumed: emit guestEvent(QStringLiteral("RESUME"), QByteArrayLiteral("{}")); return;
        case DomainEvent::Crashed: emit guestEvent(QStringLiteral("GUEST_PANICKED"), data()); return;
        case DomainEvent::Started:  // virDomainCreate returning is what moves us to Running
        case DomainEvent::Other: return;
        }
    }

    void onClosed(const QString& reason)
    {
        if (state() == State::Off) { return; }
        note(QStringLiteral(
                 "Lost the connection to libvirt at %1: %2. The domain %3 may still run; the next start shuts it down.")
                 .arg(m_options.uri, reason, m_name));
        ProcessExit exit;
        exit.failedToStart = !m_domainStarted;
        exit.errorString = reason;
        finish(exit, QStringLiteral("connection lost"));
    }

    void failToStart(const QString& message)
    {
        note(message);
        ProcessExit exit;
        exit.failedToStart = true;
        exit.errorString = message;
        finish(exit, {});
    }

    void finish(const ProcessExit& exit, const QString& libvirtReason)
    {
        if (state() == State::Off) { return; }
        stopWaitingForStart();
        m_leftoverTimer->stop();
        m_leftover = false;
        m_domainStarted = false;
        QFile::remove(m_dir.agentSocket());
        if (m_shutdownReason.isEmpty() && !libvirtReason.isEmpty()) { m_shutdownReason = libvirtReason; }
        spdlog::info("libvirt: domain {} is off: {} (requested: {}, reason: {})", m_name.toStdString(),
                     exit.describe().toStdString(), m_requested,
                     m_shutdownReason.isEmpty() ? "none" : m_shutdownReason.toStdString());
        m_pid = 0;
        endRun(exit);
    }

    VmSpec m_spec;
    LibvirtBackend::Options m_options;
    QString m_name;
    QString m_uuid;
    std::shared_ptr<LibvirtConnector> m_libvirt;
    std::shared_ptr<ProcessFactory> m_processes;
    std::shared_ptr<LibvirtConnection> m_connection;
    std::unique_ptr<Process> m_helper;
    QTimer* m_leftoverTimer;
    QTimer* m_startTimer;  // the slow-start notice, then the start timeout
    QElapsedTimer m_startClock;
    quint64 m_startAttempt = 0;
    bool m_starting = false;  // waiting for defineAndStart's answer
    bool m_slowNoticeGiven = false;
    QString m_kvmProblem;
    bool m_domainStarted = false;
    bool m_leftover = false;
    bool m_abortBeforeStart = false;
    qint64 m_pid = 0;
    QString m_messages;
};

}  // namespace

LibvirtBackend::LibvirtBackend(Options options, std::shared_ptr<LibvirtConnector> libvirt,
                               std::shared_ptr<ProcessFactory> processes)
    : m_options(std::move(options)),
      m_libvirt(std::move(libvirt)),
      m_processes(std::move(processes))
{
    qRegisterMetaType<berth::vm::DomainEvent>();
}

std::unique_ptr<VirtualMachine> LibvirtBackend::create(const VmSpec& spec)
{
    return std::make_unique<LibvirtVirtualMachine>(spec, m_options, m_libvirt, m_processes);
}

}  // namespace berth::vm
