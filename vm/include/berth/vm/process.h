#pragma once

// A child process behind a small interface, so the VM code never touches QProcess directly and
// tests can inject a fake QEMU through a ProcessFactory (the shape of Multipass's Process).

#include <QObject>
#include <QString>
#include <QStringList>

#include <memory>

namespace berth::vm {

struct ProcessSpec {
    QString program;
    QStringList arguments;
    QString workingDirectory;
    // The kernel SIGKILLs the child when the launching process dies (even by SIGKILL), so an app
    // crash never leaves a QEMU behind.
    bool dieWithParent = true;
    // Own process group: a terminal's Ctrl-C reaches the app only, which then stops QEMU in order.
    bool ownProcessGroup = true;
    // umask 077 in the child: the sockets, logs and pidfile QEMU creates are private to the user.
    bool privateUmask = true;
    // A descriptor of the parent's the child keeps under the same number (virtiofsd's listening
    // socket, --fd=N); every other one is closed on exec as usual. -1: none.
    int inheritedFd = -1;
};

struct ProcessExit {
    int exitCode = 0;  // exit status, or the signal number when crashed
    bool crashed = false;  // ended by a signal
    bool failedToStart = false;
    QString errorString;  // why it failed to start, if it did

    QString describe() const;
};

class Process : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;

    virtual const ProcessSpec& spec() const = 0;
    virtual void start() = 0;
    virtual void terminate() = 0;  // SIGTERM
    virtual void kill() = 0;  // SIGKILL
    virtual qint64 pid() const = 0;
    virtual bool isRunning() const = 0;
    virtual QByteArray readAllStandardOutput() = 0;
    virtual QByteArray readAllStandardError() = 0;

signals:
    void started();
    // Emitted once the child is reaped (or failed to start); nothing of it is left afterwards.
    void finished(const berth::vm::ProcessExit& exit);
    void readyReadStandardOutput();
    void readyReadStandardError();
};

class ProcessFactory {
public:
    virtual ~ProcessFactory() = default;
    virtual std::unique_ptr<Process> create(const ProcessSpec& spec) const = 0;
};

// The real thing: QProcess with the spec's parent-death signal, process group and umask.
std::shared_ptr<ProcessFactory> systemProcessFactory();

}  // namespace berth::vm

Q_DECLARE_METATYPE(berth::vm::ProcessExit)
