#pragma once

// EngineClient: EngineHandle over the engine host's socket. The first start() or restart()
// launches the host program (berth-engine) when none is running; stop() and status() never do.

#include <QByteArray>
#include <QStringList>

#include <chrono>
#include <deque>
#include <memory>
#include <vector>

#include "berth/engine/engine_handle.h"

class QLocalSocket;
class QTemporaryFile;
class QTimer;

namespace berth::engine {

struct EngineClientOptions {
    QString instanceDir;  // empty: InstanceDir::defaultRoot()
    QString hostProgram;  // empty: berth-engine next to this program (or in ../libexec/berth)
    QStringList hostArguments;
    std::chrono::milliseconds hostStartTimeout = std::chrono::seconds(10);
};

class EngineClient : public EngineHandle {
    Q_OBJECT
public:
    explicit EngineClient(QObject* parent = nullptr);
    explicit EngineClient(EngineClientOptions options, QObject* parent = nullptr);
    ~EngineClient() override;

    void start() override;
    void stop(bool force = false) override;
    void restart() override;
    EngineStatus status() const override { return m_status; }

    // Connects without launching a host; Stopped when none runs.
    void refresh() override;

    static QString defaultHostProgram();

private:
    struct Request {
        QByteArray line;
        bool needsHost;  // launch a host when none answers
        EngineOperation operation;
        bool isStatus;
    };

    void submit(Request request);
    void connectNow();
    void onConnected();
    void onConnectFailed();
    void onReadyRead();
    void onDisconnected();
    void flush();
    void failPending(const QString& why);
    void setStatus(EngineStatus status);

    EngineClientOptions m_options;
    QLocalSocket* m_socket = nullptr;
    QTimer* m_retry = nullptr;
    std::deque<Request> m_pending;
    std::vector<Request> m_inFlight;  // sent, outcome not heard yet
    // On this connection: whether the host said anything (it greets every client with its status),
    // and whether it said it is exiting. Either way, what it never took goes to the next host.
    bool m_heardFromHost = false;
    bool m_hostClosing = false;
    int m_silentHosts = 0;  // hosts in a row that closed this connection without a word
    EngineStatus m_status;
    QByteArray m_buffer;
    bool m_hostLaunched = false;
    qint64 m_hostPid = 0;
    // The launched host's stderr until it answers: where it says why it could not start.
    std::unique_ptr<QTemporaryFile> m_hostStderr;
    std::chrono::steady_clock::time_point m_launchDeadline;
};

}  // namespace berth::engine
