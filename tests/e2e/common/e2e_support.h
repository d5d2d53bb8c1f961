#pragma once

// Shared by the end-to-end tests: a throw-away home for one engine, driven through the shipped
// binaries (berthctl, which launches berth-engine) and the docker CLI from the guest image.
//
// Environment (set by CMake): BERTH_E2E_BIN_DIR (berthctl and berth-engine),
// BERTH_GUEST_IMAGE_DIR (the image, whose `docker` client is used when the host has none).

#include <QByteArray>
#include <QProcess>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>

#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <thread>

#include <signal.h>

namespace berth::e2e {

// An HTTP proxy on the host's loopback that only takes notes: it records each request's first
// line (GET http://..., CONNECT host:443) and answers 502, so no registry has to exist behind it.
// Served from a thread of its own, since the tests block in QProcess while the guest connects.
class RecordingProxy {
public:
    RecordingProxy();
    ~RecordingProxy();
    RecordingProxy(const RecordingProxy&) = delete;
    RecordingProxy& operator=(const RecordingProxy&) = delete;

    [[nodiscard]] quint16 port() const { return m_port; }  // 0 when it could not listen
    [[nodiscard]] QList<QByteArray> requestLines() const;

private:
    void serve();

    int m_listener = -1;
    quint16 m_port = 0;
    mutable std::mutex m_mutex;
    QList<QByteArray> m_lines;
    std::thread m_thread;
};

// A tiny image made locally (no registry is reachable): busybox-static, imported with docker import.
inline constexpr const char* kTinyImage = "berth-e2e/tiny:1";

struct Run {
    int exitCode = -1;  // -1: did not start or timed out
    QByteArray output;  // stdout and stderr
    double seconds = 0;
    QString command;
    QString describe() const;  // for failure messages: the command, its exit and its output
};

class Environment {
public:
    // False (with the reason) when the e2e prerequisites are missing, e.g. no guest image.
    bool setUp(QString* why);
    // Stops the engine (force if need be) and removes the temporary home.
    void tearDown();

    Run berthctl(const QStringList& args, std::chrono::milliseconds timeout = std::chrono::minutes(2)) const;
    Run docker(const QStringList& args, std::chrono::milliseconds timeout = std::chrono::minutes(3)) const;
    Run run(const QString& program, const QStringList& args, std::chrono::milliseconds timeout) const;
    // berthctl in the background (output merged), for what must happen while it runs.
    std::unique_ptr<QProcess> startBerthctl(const QStringList& args) const;

    // Imports kTinyImage once per engine (idempotent).
    bool importTinyImage();
    // GET / from the host's 127.0.0.1:<port> (a container's published port): the whole answer,
    // empty when nothing answered.
    static QByteArray httpGetFromHost(quint16 port);
    // Waits until the host's 127.0.0.1:<port> answers with `expected` in its page (or, with an
    // empty `expected`, until nothing listens there any more).
    static bool waitForHostPort(quint16 port, const QByteArray& expected,
                                std::chrono::milliseconds timeout = std::chrono::seconds(30));

    nlohmann::json status() const;  // berthctl status --json
    QString engineState() const;  // status().engine.state
    qint64 qemuPid() const;
    quint16 enginePort() const;
    QString certsDir() const;  // the client's ca.pem, cert.pem, key.pem
    QString home() const { return m_home ? m_home->path() : QString(); }
    QString instanceDir() const;  // the engine's VM instance (its default one under the temporary home)
    QByteArray serialLog() const;  // the guest console
    // What a failure report needs to tell a stalled guest from a stalled dockerd or client: the
    // end of the guest console, QEMU's threads, the engine's answers (version, containers, info)
    // and the end of berth-engine's log. Printed to
    // stdout (a failure message is cut at about a kilobyte); returns a line that says so. It runs
    // docker: call it only on failure (QFAIL), never inside QVERIFY2, which evaluates it always.
    QString diagnostics() const;
    QString settingsFile() const;  // the user's settings-store.json
    QString guestImageDir() const { return m_env.value("BERTH_GUEST_IMAGE_DIR"); }
    QString guestSuite() const;  // the Debian release the image was built from (its manifest's "suite")
    // How that release's dockerd version begins: "20.10." (bookworm), "26." (trixie).
    QByteArray engineVersionPrefix() const { return guestSuite() == "bookworm" ? "20.10." : "26."; }
    QProcessEnvironment environment() const { return m_env; }
    // For every process started from here on.
    void setVariable(const QString& name, const QString& value) { m_env.insert(name, value); }
    // For what every process started from here on must find first (a test's wrapper of a tool).
    void prependToPath(const QString& dir) { m_env.insert("PATH", dir + ":" + m_env.value("PATH")); }

private:
    std::unique_ptr<QTemporaryDir> m_home;
    QProcessEnvironment m_env;
    QString m_binDir;
    QString m_docker;
};

}  // namespace berth::e2e
