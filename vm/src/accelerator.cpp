#include "accelerator.h"

#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>
#include <QStandardPaths>
#include <QTimer>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <unistd.h>

namespace berth::vm {

QString kvmDeviceProblem(const QString& devicePath)
{
    const int fd = ::open(QFile::encodeName(devicePath).constData(), O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        return QStringLiteral("%1 is not usable: %2").arg(devicePath, QString::fromLocal8Bit(strerror(errno)));
    }
    const int version = ::ioctl(fd, KVM_GET_API_VERSION, 0);
    ::close(fd);
    if (version != KVM_API_VERSION) {
        return QStringLiteral("%1 does not answer as KVM (API version %2)").arg(devicePath).arg(version);
    }
    return {};
}

namespace {

QString fileIdentity(const QString& path)
{
    const QFileInfo info(path);
    if (!info.exists()) { return path + QStringLiteral(":missing"); }
    return QStringLiteral("%1:%2:%3")
        .arg(info.canonicalFilePath())
        .arg(info.size())
        .arg(info.lastModified().toMSecsSinceEpoch());
}

}  // namespace

AcceleratorProbe::AcceleratorProbe(Options options, std::shared_ptr<ProcessFactory> processes, QObject* parent)
    : QObject(parent),
      m_options(std::move(options)),
      m_processes(std::move(processes)),
      m_deviceCheck(kvmDeviceProblem),
      m_timer(new QTimer(this))
{
    m_timer->setSingleShot(true);
    m_timer->setTimerType(Qt::PreciseTimer);  // grace periods are promises: never cut them short
}

AcceleratorProbe::~AcceleratorProbe()
{
    if (m_process) { m_process->disconnect(this); }
}

QString AcceleratorProbe::cacheKey() const
{
    QFile bootId(QStringLiteral("/proc/sys/kernel/random/boot_id"));
    QString boot = QStringLiteral("unknown-boot");
    if (bootId.open(QIODevice::ReadOnly)) { boot = QString::fromLatin1(bootId.readAll().trimmed()); }
    QString qemu = QStandardPaths::findExecutable(m_options.qemuBinary);
    if (qemu.isEmpty()) { qemu = m_options.qemuBinary; }
    return QStringList{boot, fileIdentity(qemu), fileIdentity(m_options.kernel), m_options.kvmDevice}.join(
        QLatin1Char('|'));
}

void AcceleratorProbe::run()
{
    m_done = false;
    if (const QString problem = m_deviceCheck(m_options.kvmDevice); !problem.isEmpty()) {
        conclude({Accelerator::Tcg, problem, false}, false);
        return;
    }

    if (!m_options.cacheFile.isEmpty()) {
        QFile cache(m_options.cacheFile);
        if (cache.open(QIODevice::ReadOnly)) {
            const auto json = nlohmann::json::parse(cache.readAll().toStdString(), nullptr, false);
            if (json.is_object() && json.value("key", std::string()) == cacheKey().toStdString()) {
                const auto accel = json.value("accelerator", std::string());
                const auto reason = QString::fromStdString(json.value("reason", std::string()));
                if (accel == "kvm" || accel == "tcg") {
                    conclude({accel == "kvm" ? Accelerator::Kvm : Accelerator::Tcg, reason, true}, false);
                    return;
                }
            }
        }
    }

    const auto seconds = QString::number(m_options.timeout.count() / 1000.0, 'g', 3);
    ProcessSpec spec{m_options.qemuBinary,
                     {QStringLiteral("-nodefaults"), QStringLiteral("-no-user-config"), QStringLiteral("-no-reboot"),
                      QStringLiteral("-display"), QStringLiteral("none"), QStringLiteral("-machine"),
                      QStringLiteral("q35"), QStringLiteral("-accel"), QStringLiteral("kvm"), QStringLiteral("-cpu"),
                      QStringLiteral("host"), QStringLiteral("-m"), QStringLiteral("256M"), QStringLiteral("-serial"),
                      QStringLiteral("stdio"), QStringLiteral("-kernel"), m_options.kernel, QStringLiteral("-append"),
                      // No init and no root: the kernel panics right after booting, panic=-1 reboots,
                      // -no-reboot turns that into QEMU exiting.
                      QStringLiteral("console=ttyS0 panic=-1 root=/dev/berth-probe-none rdinit=/berth-probe-none")},
                     {}};
    spdlog::info("accelerator: probing KVM with a {} s test boot", seconds.toStdString());
    m_output.clear();
    m_process = m_processes->create(spec);
    connect(m_process.get(), &Process::readyReadStandardOutput, this,
            [this] { m_output += m_process->readAllStandardOutput(); });
    connect(m_process.get(), &Process::finished, this, [this](const ProcessExit& exit) {
        m_timer->stop();
        m_output += m_process->readAllStandardOutput();
        const QString stderrText = QString::fromLocal8Bit(m_process->readAllStandardError()).trimmed();
        m_process.release()->deleteLater();
        if (m_done) { return; }
        if (!exit.failedToStart && !exit.crashed && exit.exitCode == 0 && m_output.contains("Kernel panic")) {
            conclude({Accelerator::Kvm, QStringLiteral("KVM probe guest booted"), false}, true);
            return;
        }
        QString why = QStringLiteral("KVM probe guest failed (%1)").arg(exit.describe());
        if (!stderrText.isEmpty()) { why += QStringLiteral(": ") + stderrText.left(300); }
        conclude({Accelerator::Tcg, why, false}, true);
    });
    connect(m_timer, &QTimer::timeout, this, [this, seconds] {
        // KVM is present but the guest hangs (seen with MSR errors): fall back, and end the probe.
        conclude({Accelerator::Tcg,
                  QStringLiteral("/dev/kvm is present but a KVM probe guest did not boot within %1 s").arg(seconds),
                  false},
                 true);
        if (m_process) { m_process->kill(); }
    });
    m_timer->start(m_options.timeout);
    m_process->start();
}

void AcceleratorProbe::conclude(AcceleratorVerdict verdict, bool store)
{
    if (m_done) { return; }
    m_done = true;
    spdlog::info("accelerator: {} ({}{})", toString(verdict.accelerator).toStdString(), verdict.reason.toStdString(),
                 verdict.fromCache ? ", cached" : "");
    if (store && !m_options.cacheFile.isEmpty()) {
        QSaveFile cache(m_options.cacheFile);
        if (cache.open(QIODevice::WriteOnly)) {
            const nlohmann::json json = {{"key", cacheKey().toStdString()},
                                         {"accelerator", toString(verdict.accelerator).toStdString()},
                                         {"reason", verdict.reason.toStdString()}};
            cache.write(QByteArray::fromStdString(json.dump(2)));
            cache.commit();
        }
    }
    emit finished(verdict);
}

}  // namespace berth::vm
