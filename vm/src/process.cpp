#include "berth/vm/process.h"

#include <QProcess>

#include <csignal>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace berth::vm {

QString ProcessExit::describe() const
{
    if (failedToStart) { return QStringLiteral("failed to start: %1").arg(errorString); }
    if (crashed) {
        return QStringLiteral("killed by signal %1 (%2)")
            .arg(exitCode)
            .arg(QString::fromLocal8Bit(strsignal(exitCode)));
    }
    return QStringLiteral("exited with code %1").arg(exitCode);
}

namespace {

class SystemProcess final : public Process {
public:
    explicit SystemProcess(ProcessSpec spec) : m_spec(std::move(spec))
    {
        m_process.setProgram(m_spec.program);
        m_process.setArguments(m_spec.arguments);
        if (!m_spec.workingDirectory.isEmpty()) { m_process.setWorkingDirectory(m_spec.workingDirectory); }

        const pid_t parent = getpid();
        const bool dieWithParent = m_spec.dieWithParent;
        const bool ownGroup = m_spec.ownProcessGroup;
        const bool privateUmask = m_spec.privateUmask;
        const int inheritedFd = m_spec.inheritedFd;
        // Runs in the child between fork and exec: only async-signal-safe calls here.
        m_process.setChildProcessModifier([=] {
            if (ownGroup) { setpgid(0, 0); }
            if (privateUmask) { umask(077); }
            if (inheritedFd >= 0) { fcntl(inheritedFd, F_SETFD, 0); }
            if (dieWithParent) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                // The parent may have died before prctl took effect.
                if (getppid() != parent) { _exit(127); }
            }
        });

        connect(&m_process, &QProcess::started, this, &Process::started);
        connect(&m_process, &QProcess::readyReadStandardOutput, this, &Process::readyReadStandardOutput);
        connect(&m_process, &QProcess::readyReadStandardError, this, &Process::readyReadStandardError);
        connect(&m_process, &QProcess::finished, this, [this](int code, QProcess::ExitStatus status) {
            ProcessExit exit;
            exit.crashed = status == QProcess::CrashExit;
            // QProcess reports the signal number as the exit code of a crashed child.
            exit.exitCode = code;
            emit finished(exit);
        });
        connect(&m_process, &QProcess::errorOccurred, this, [this](QProcess::ProcessError error) {
            if (error != QProcess::FailedToStart) { return; }
            ProcessExit exit;
            exit.failedToStart = true;
            exit.exitCode = -1;
            exit.errorString = QStringLiteral("%1: %2").arg(m_spec.program, m_process.errorString());
            emit finished(exit);
        });
    }

    ~SystemProcess() override
    {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.blockSignals(true);
            m_process.kill();
            m_process.waitForFinished(5000);
        }
    }

    const ProcessSpec& spec() const override { return m_spec; }
    void start() override { m_process.start(); }
    void terminate() override { m_process.terminate(); }
    void kill() override { m_process.kill(); }
    qint64 pid() const override { return m_process.processId(); }
    bool isRunning() const override { return m_process.state() != QProcess::NotRunning; }
    QByteArray readAllStandardOutput() override { return m_process.readAllStandardOutput(); }
    QByteArray readAllStandardError() override { return m_process.readAllStandardError(); }

private:
    ProcessSpec m_spec;
    QProcess m_process;
};

class SystemProcessFactory final : public ProcessFactory {
public:
    std::unique_ptr<Process> create(const ProcessSpec& spec) const override
    {
        return std::make_unique<SystemProcess>(spec);
    }
};

}  // namespace

std::shared_ptr<ProcessFactory> systemProcessFactory()
{
    static const auto factory = std::make_shared<SystemProcessFactory>();
    return factory;
}

}  // namespace berth::vm
