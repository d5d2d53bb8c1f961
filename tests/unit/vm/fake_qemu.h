#pragma once

// A fake qemu-system-x86_64 for unit tests (Multipass's mock-process pattern, but with real
// sockets): it reads its command line, listens on the QMP and agent sockets named there, writes
// the pidfile and serial log, answers QMP (with noise and interleaved events) and plays the guest
// agent, reading the guest config from the -fw_cfg file. Behaviour switches simulate bad guests.
// A program named ...virtiofsd just runs until it is killed or crash()es.

#include "berth/vm/engine_controller.h"
#include "berth/vm/process.h"

#include <QByteArray>
#include <QHash>
#include <QStringList>

#include <functional>
#include <vector>

class QLocalServer;
class QLocalSocket;

namespace berth::vm::testing {

struct FakeQemuBehaviour {
    bool failToStart = false;  // exec fails (missing binary, no permission)
    bool qmpGreets = true;  // false: QMP accepts connections but never says hello
    bool qmpNoise = true;  // non-JSON lines before the greeting
    bool qmpInterleaveEvents = true;  // an event between every command and its reply
    bool agent = true;  // the guest agent connects and reports
    int agentHelloDelayMs = 5;  // from the host connecting to the agent's hello
    int agentVersion = 1;
    bool agentKeepsTime = false;  // the hello lists the "time" feature
    bool failBoot = false;  // agent reports an error instead of ready
    bool ignoreAgentShutdown = false;
    bool ignoreAcpi = false;
    bool ignoreQuit = false;  // QMP quit hangs (QEMU stuck in I/O): only SIGKILL ends it
    // KVM probe runs (recognised by their kernel command line)
    enum class Probe { Boots, Hangs, Fails } probe = Probe::Boots;
};

class FakeProcessFactory;

class FakeQemuProcess final : public Process {
    friend class FakeProcessFactory;

public:
    FakeQemuProcess(ProcessSpec spec, FakeQemuBehaviour behaviour, FakeProcessFactory* factory, qint64 pid);
    ~FakeQemuProcess() override;

    const ProcessSpec& spec() const override { return m_spec; }
    void start() override;
    void terminate() override;
    void kill() override;
    qint64 pid() const override { return m_running ? m_pid : 0; }
    bool isRunning() const override { return m_running; }
    QByteArray readAllStandardOutput() override { return std::exchange(m_stdout, {}); }
    QByteArray readAllStandardError() override { return std::exchange(m_stderr, {}); }

    // Test controls
    void crash(const QByteArray& lastSerialLine, int exitCode = 1);
    // A QMP event line as QEMU sends it, e.g. {"event": "STOP"}, to the connected client.
    void sendQmpEvent(const QByteArray& eventJson);
    QString argument(const QString& option) const;  // value after `option`
    QString chardevPath(const QString& id) const;  // path= of -chardev ...,id=<id>,...

    bool killed = false;
    bool terminated = false;
    QStringList qmpCommands;
    QStringList agentRequests;

private:
    void exitWith(int code, bool crashed, bool removePidFile);
    void powerOff(const QString& reason);
    void onQmpLine(QLocalSocket* client, const QByteArray& line);
    void onAgentLine(const QByteArray& line);
    void sendAgent(const QByteArray& json);
    void startAsProbe();
    void noteRunningChanged();

    ProcessSpec m_spec;
    FakeQemuBehaviour m_behaviour;
    FakeProcessFactory* m_factory;
    qint64 m_pid;
    bool m_running = false;
    QByteArray m_stdout;
    QByteArray m_stderr;
    QLocalServer* m_qmpServer = nullptr;
    QLocalServer* m_agentServer = nullptr;
    QLocalSocket* m_qmpClient = nullptr;
    QLocalSocket* m_agentClient = nullptr;
    QByteArray m_qmpBuffer;
    QByteArray m_agentBuffer;
};

class FakeProcessFactory final : public ProcessFactory {
public:
    FakeProcessFactory() = default;
    FakeProcessFactory(const FakeProcessFactory&) = delete;
    FakeProcessFactory& operator=(const FakeProcessFactory&) = delete;
    ~FakeProcessFactory() override;

    std::unique_ptr<Process> create(const ProcessSpec& spec) const override;

    FakeQemuBehaviour behaviour;  // for processes created from now on
    // Every process ever created, in order (pointers go stale once the owner deletes them).
    mutable std::vector<ProcessSpec> launched;
    mutable std::vector<FakeQemuProcess*> alive;
    int runningCount() const;
    int maxRunningAtOnce = 0;
    int qemuLaunches() const;  // not counting probes and qemu-img
    FakeQemuProcess* lastQemu() const;
    FakeQemuProcess* lastProgram(const QString& name) const;  // the last one whose program ends in `name`

private:
    friend class FakeQemuProcess;
    void noteRunningChanged();
    mutable qint64 m_nextPid = 3'900'000;
};

// Options for a controller over the fake QEMU: an empty kernel made in `dir`, TCG, and every
// timeout short enough for unit tests.
EngineOptions fakeEngineOptions(const QString& dir);

}  // namespace berth::vm::testing
