#include "e2e_support.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QProcess>
#include <QStandardPaths>
#include <QTcpSocket>
#include <QTest>

#include <cstdio>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace berth::e2e {

QString Run::describe() const
{
    return QStringLiteral("%1\n  exit %2 after %3 s\n%4")
        .arg(command)
        .arg(exitCode)
        .arg(seconds, 0, 'f', 1)
        .arg(QString::fromUtf8(output.right(6000)));
}

bool Environment::setUp(QString* why)
{
    const auto env = QProcessEnvironment::systemEnvironment();
    // as-ordinary-user.sh names the account it runs the test as; root there would hide what users meet.
    if (const QString account = env.value("BERTH_E2E_RUN_AS"); !account.isEmpty() && ::geteuid() == 0) {
        qFatal("this test must run as the ordinary user %s, not as root", qPrintable(account));
    }
    m_binDir = env.value("BERTH_E2E_BIN_DIR");
    const QString imageDir = env.value("BERTH_GUEST_IMAGE_DIR");
    if (!QFileInfo(m_binDir + "/berthctl").isExecutable()) {
        *why = "BERTH_E2E_BIN_DIR has no berthctl: " + m_binDir;
        return false;
    }
    if (!QFileInfo::exists(imageDir + "/root.squashfs")) {
        *why = "no guest image in BERTH_GUEST_IMAGE_DIR (" + imageDir + "); build target berth_guest_image";
        return false;
    }
    if (QFileInfo::exists("/etc/berth/admin-settings.json")) {
        *why = "this machine has an admin policy (/etc/berth/admin-settings.json) that would steer the engine";
        return false;
    }
    // The image's client is the one these tests are written against (Debian 12's docker.io).
    m_docker = imageDir + "/docker";

    m_home = std::make_unique<QTemporaryDir>(QDir::tempPath() + "/berth-e2e-XXXXXX");
    if (!m_home->isValid()) {
        *why = "cannot create a temporary home";
        return false;
    }
    m_env = env;
    const QString home = m_home->path();
    m_env.insert("HOME", home);
    m_env.insert("XDG_CONFIG_HOME", home + "/config");
    m_env.insert("XDG_DATA_HOME", home + "/data");
    m_env.insert("XDG_STATE_HOME", home + "/state");
    m_env.insert("XDG_CACHE_HOME", home + "/cache");
    m_env.insert("DOCKER_CONFIG", home + "/docker-config");
    m_env.remove("DOCKER_HOST");
    m_env.remove("DOCKER_CONTEXT");
    // berth-engine's docker context set-up finds the client on PATH first: make it this one.
    m_env.insert("PATH", imageDir + ":" + env.value("PATH"));
    return true;
}

void Environment::tearDown()
{
    if (!m_home) { return; }
    if (engineState() != "stopped") {
        const Run stop = berthctl({"stop"}, std::chrono::minutes(1));
        if (stop.exitCode != 0) { berthctl({"stop", "--force"}, std::chrono::minutes(1)); }
    }
    if (qgetenv("BERTH_E2E_KEEP") == "1") {
        m_home->setAutoRemove(false);
        qInfo("kept the e2e home: %s", qPrintable(m_home->path()));
    }
    m_home.reset();
}

Run Environment::run(const QString& program, const QStringList& args, std::chrono::milliseconds timeout) const
{
    Run result;
    result.command = program + " " + args.join(' ');
    QProcess process;
    process.setProcessEnvironment(m_env);
    process.setProcessChannelMode(QProcess::MergedChannels);
    QElapsedTimer clock;
    clock.start();
    process.start(program, args);
    if (!process.waitForStarted(10000)) {
        result.output = process.errorString().toUtf8();
        return result;
    }
    process.closeWriteChannel();
    const bool finished = process.waitForFinished(static_cast<int>(timeout.count()));
    result.seconds = static_cast<double>(clock.elapsed()) / 1000.0;
    result.output = process.readAll();
    if (!finished) {
        process.kill();
        process.waitForFinished(5000);
        result.output += "\n(timed out)";
        return result;
    }
    result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    return result;
}

Run Environment::berthctl(const QStringList& args, std::chrono::milliseconds timeout) const
{
    return run(m_binDir + "/berthctl", args, timeout);
}

std::unique_ptr<QProcess> Environment::startBerthctl(const QStringList& args) const
{
    auto process = std::make_unique<QProcess>();
    process->setProcessEnvironment(m_env);
    process->setProcessChannelMode(QProcess::MergedChannels);
    process->start(m_binDir + "/berthctl", args);
    process->closeWriteChannel();
    return process;
}

Run Environment::docker(const QStringList& args, std::chrono::milliseconds timeout) const
{
    return run(m_docker, args, timeout);
}

bool Environment::importTinyImage()
{
    if (docker({"--context", "berth", "image", "inspect", kTinyImage}).exitCode == 0) { return true; }
    QString busybox;
    for (const QString& candidate : {QStringLiteral("/bin/busybox"), QStringLiteral("/usr/bin/busybox")}) {
        if (QFileInfo(candidate).isExecutable()) { busybox = candidate; }
    }
    if (busybox.isEmpty()) {
        qWarning("busybox-static is not installed: no image can be made");
        return false;
    }
    const QString rootfs = m_home->path() + "/tiny-rootfs";
    QDir().mkpath(rootfs + "/bin");
    QDir().mkpath(rootfs + "/tmp");
    QFile::copy(busybox, rootfs + "/bin/busybox");
    for (const char* applet : {"sh", "echo", "cat", "ls", "id", "true", "sleep", "touch", "stat", "mkdir"}) {
        QFile::link("busybox", rootfs + "/bin/" + applet);
    }
    const QString tarball = m_home->path() + "/tiny.tar";
    const Run tar = run("tar", {"-C", rootfs, "-cf", tarball, "."}, std::chrono::minutes(1));
    if (tar.exitCode != 0) {
        qWarning("%s", qPrintable(tar.describe()));
        return false;
    }
    const Run import = docker({"--context", "berth", "import", "--change", "CMD [\"sh\"]", tarball, kTinyImage});
    if (import.exitCode != 0) { qWarning("%s", qPrintable(import.describe())); }
    return import.exitCode == 0;
}

QByteArray Environment::httpGetFromHost(quint16 port)
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, port);
    if (!socket.waitForConnected(2000)) { return {}; }
    socket.write("GET / HTTP/1.0\r\nHost: localhost\r\n\r\n");
    QByteArray answer;
    while (socket.state() == QAbstractSocket::ConnectedState && socket.waitForReadyRead(5000)) {
        answer += socket.readAll();
    }
    return answer + socket.readAll();
}

bool Environment::waitForHostPort(quint16 port, const QByteArray& expected, std::chrono::milliseconds timeout)
{
    return QTest::qWaitFor(
        [&] {
            const QByteArray answer = httpGetFromHost(port);
            return expected.isEmpty() ? answer.isEmpty() : answer.contains(expected);
        },
        static_cast<int>(timeout.count()));
}

QString Environment::guestSuite() const
{
    QFile manifest(guestImageDir() + "/manifest.txt");
    if (!manifest.open(QIODevice::ReadOnly)) { return {}; }
    while (!manifest.atEnd()) {
        const QByteArray line = manifest.readLine().trimmed();
        if (line.startsWith("suite ")) { return QString::fromUtf8(line.mid(6)); }
    }
    return {};
}

nlohmann::json Environment::status() const
{
    const Run status = berthctl({"status", "--json"}, std::chrono::seconds(30));
    auto parsed = nlohmann::json::parse(status.output.toStdString(), nullptr, false);
    return parsed.is_discarded() ? nlohmann::json::object() : parsed;
}

QString Environment::engineState() const
{
    const auto s = status();
    return QString::fromStdString(s.contains("engine") ? s["engine"].value("state", "") : "");
}

qint64 Environment::qemuPid() const
{
    const auto s = status();
    return s.contains("engine") ? s["engine"].value("qemuPid", qint64{0}) : 0;
}

quint16 Environment::enginePort() const
{
    const auto s = status();
    return s.contains("engine") ? static_cast<quint16>(s["engine"].value("enginePort", 0)) : 0;
}

QString Environment::certsDir() const
{
    return m_home->path() + "/data/berth/certs";
}

QString Environment::instanceDir() const
{
    return m_home->path() + "/data/berth/vm/default";
}

QByteArray Environment::serialLog() const
{
    QFile log(instanceDir() + "/serial.log");
    return log.open(QIODevice::ReadOnly) ? log.readAll() : QByteArray();
}

QString Environment::diagnostics() const
{
    const auto tail = [](const QByteArray& text, int lines) {
        QList<QByteArray> all = text.split('\n');
        return QString::fromUtf8(all.mid(std::max<qsizetype>(0, all.size() - lines)).join('\n'));
    };
    // CPU seconds each QEMU thread used so far: a guest stalled with its vCPUs idle reads
    // differently from one whose vCPUs spin.
    const auto qemuThreads = [this] {
        QString out;
        const qint64 pid = qemuPid();
        const long ticks = ::sysconf(_SC_CLK_TCK);
        for (const QString& tid :
             QDir(QStringLiteral("/proc/%1/task").arg(pid)).entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
            QFile stat(QStringLiteral("/proc/%1/task/%2/stat").arg(pid).arg(tid));
            if (!stat.open(QIODevice::ReadOnly)) { continue; }
            const QByteArray text = stat.readAll();
            const int open = text.indexOf('('), close = text.lastIndexOf(')');
            const QList<QByteArray> fields = text.mid(close + 2).split(' ');
            if (open < 0 || close < 0 || fields.size() < 13) { continue; }
            const double cpu
                = static_cast<double>(fields[11].toLongLong() + fields[12].toLongLong()) / static_cast<double>(ticks);
            out += QStringLiteral("  %1 %2 (state %3): %4 s\n")
                       .arg(tid, QString::fromUtf8(text.mid(open + 1, close - open - 1)), QString::fromUtf8(fields[0]))
                       .arg(cpu, 0, 'f', 2);
        }
        return out.isEmpty() ? QStringLiteral("  (no QEMU)\n") : out;
    };
    // The guest console first: a report that is cut short keeps the kernel's own words (hung
    // tasks, stalls) rather than the docker commands below.
    QString out = "\n--- diagnostics ---\nserial.log (end):\n" + tail(serialLog(), 40) + "\n";
    out += "QEMU threads, CPU time:\n" + qemuThreads();
    const auto quick = std::chrono::seconds(20);
    // `version` answers without touching dockerd's stores: it tells a stalled transport or guest
    // from a stalled dockerd.
    out += docker({"--context", "berth", "version", "--format", "server {{.Server.Version}}"}, quick).describe() + "\n";
    out += docker({"--context", "berth", "ps", "-a"}, quick).describe() + "\n";
    out += docker({"--context", "berth", "info", "--format",
                   "{{.Containers}} containers, {{.ContainersRunning}} running, "
                   "driver {{.Driver}}, {{.SystemTime}}"},
                  quick)
               .describe()
        + "\n";
    QFile engineLog(m_home->path() + "/state/berth/logs/berth-engine.log");
    if (engineLog.open(QIODevice::ReadOnly)) {
        out += "berth-engine.log (end):\n" + tail(engineLog.readAll(), 25) + "\n";
    }
    // Printed, not returned: QtTest cuts a failure message at about a kilobyte.
    std::fputs(qPrintable(out), stdout);
    std::fflush(stdout);
    return QStringLiteral("\n(diagnostics printed above)");
}

QString Environment::settingsFile() const
{
    return m_home->path() + "/config/berth/settings-store.json";
}

RecordingProxy::RecordingProxy()
{
    m_listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (m_listener < 0 || ::bind(m_listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0
        || ::listen(m_listener, 16) != 0
        || ::getsockname(m_listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        return;
    }
    m_port = ntohs(address.sin_port);
    m_thread = std::thread([this] { serve(); });
}

RecordingProxy::~RecordingProxy()
{
    if (m_listener >= 0) { ::shutdown(m_listener, SHUT_RDWR); }  // wakes accept() with an error
    if (m_thread.joinable()) { m_thread.join(); }
    if (m_listener >= 0) { ::close(m_listener); }
}

QList<QByteArray> RecordingProxy::requestLines() const
{
    std::lock_guard lock(m_mutex);
    return m_lines;
}

void RecordingProxy::serve()
{
    for (;;) {
        const int client = ::accept4(m_listener, nullptr, nullptr, SOCK_CLOEXEC);
        if (client < 0) { return; }
        const timeval limit{10, 0};  // a client that sends nothing does not hold the proxy up
        ::setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
        QByteArray head;
        char buffer[4096];
        while (!head.contains("\r\n\r\n") && head.size() < 65536) {
            const ssize_t n = ::recv(client, buffer, sizeof buffer, 0);
            if (n <= 0) { break; }
            head.append(buffer, static_cast<qsizetype>(n));
        }
        if (const qsizetype end = head.indexOf("\r\n"); end > 0) {
            std::lock_guard lock(m_mutex);
            m_lines << head.left(end);
        }
        static constexpr char kAnswer[] = "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        ::send(client, kAnswer, sizeof kAnswer - 1, MSG_NOSIGNAL);
        ::close(client);
    }
}

}  // namespace berth::e2e
