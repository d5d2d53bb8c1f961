#include "shared_directory_servers.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace berth::vm {

namespace {

constexpr qsizetype kServerOutputBytes = 4 * 1024;

// A listening unix socket at `path` (close-on-exec; the child keeps it through
// ProcessSpec::inheritedFd), or -1 with why.
int listenOn(const QString& path, QString* error)
{
    const QByteArray name = QFile::encodeName(path);
    sockaddr_un address{};
    if (static_cast<size_t>(name.size()) >= sizeof(address.sun_path)) {
        *error = QStringLiteral("the socket path %1 is longer than the %2 bytes a unix socket may have")
                     .arg(path)
                     .arg(sizeof(address.sun_path) - 1);
        return -1;
    }
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, name.constData(), static_cast<size_t>(name.size()));
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *error = QStringLiteral("socket(): %1").arg(QString::fromLocal8Bit(std::strerror(errno)));
        return -1;
    }
    ::unlink(name.constData());  // a leftover of a run that was killed
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0
        || ::chmod(name.constData(), 0600) != 0 || ::listen(fd, 1) != 0) {
        *error = QStringLiteral("listening on %1: %2").arg(path, QString::fromLocal8Bit(std::strerror(errno)));
        ::close(fd);
        return -1;
    }
    return fd;
}

}  // namespace

QStringList virtiofsdArguments(const SharedDirectory& share, int fd, uint uid, uint gid)
{
    const QString user = QString::number(uid);
    const QString group = QString::number(gid);
    return {
        QStringLiteral("--fd=%1").arg(fd),
        QStringLiteral("--shared-dir=%1").arg(share.path),
        // Its own user, mount, PID and network namespaces, pivoted into the share: no privilege needed.
        QStringLiteral("--sandbox=namespace"),
        QStringLiteral("--cache=auto"),
        // Whatever ID writes in the guest (the VM's root, a container's root in its own block),
        // the file on the host belongs to the user; the user's files show as 1000:1000, the usual
        // container user, so such a process may change what it made.
        QStringLiteral("--translate-uid=squash-guest:0:%1:4294967295").arg(user),
        QStringLiteral("--translate-gid=squash-guest:0:%1:4294967295").arg(group),
        QStringLiteral("--translate-uid=host:%1:1000:1").arg(user),
        QStringLiteral("--translate-gid=host:%1:1000:1").arg(group),
    };
}

SharedDirectoryServers::SharedDirectoryServers(std::shared_ptr<ProcessFactory> processes, QObject* parent)
    : QObject(parent),
      m_processes(std::move(processes))
{}

SharedDirectoryServers::~SharedDirectoryServers()
{
    stop();
}

bool SharedDirectoryServers::start(const VmSpec& spec, QString* error)
{
    stop();
    m_endedOutput.clear();
    const InstanceDir dir(spec.instanceDir);
    for (int index = 0; index < spec.sharedDirectories.size(); ++index) {
        const SharedDirectory& share = spec.sharedDirectories[index];
        if (!QFileInfo(share.path).isDir()) {
            *error = QStringLiteral("the shared directory %1 does not exist or is not a directory").arg(share.path);
            stop();
            return false;
        }
        auto server = std::make_unique<Server>();
        server->share = share;
        server->socket = dir.sharedDirectorySocket(index);
        const int fd = listenOn(server->socket, error);
        if (fd < 0) {
            stop();
            return false;
        }
        ProcessSpec processSpec{spec.virtiofsdBinary, virtiofsdArguments(share, fd, ::getuid(), ::getgid()),
                                spec.instanceDir};
        processSpec.dieWithParent = spec.dieWithParent;
        processSpec.inheritedFd = fd;
        server->process = m_processes->create(processSpec);
        Server* raw = server.get();
        connect(raw->process.get(), &Process::readyReadStandardError, this, [raw] {
            raw->output += QString::fromLocal8Bit(raw->process->readAllStandardError());
            if (raw->output.size() > kServerOutputBytes) { raw->output = raw->output.right(kServerOutputBytes); }
        });
        connect(raw->process.get(), &Process::finished, this, [this, raw](const ProcessExit& exit) {
            raw->output += QString::fromLocal8Bit(raw->process->readAllStandardError());
            const QString why = QStringLiteral("virtiofsd serving %1 %2").arg(raw->share.path, exit.describe());
            raw->output += QStringLiteral("berth: %1\n").arg(why);
            emit exited(why);
        });
        spdlog::info("virtiofs: sharing {} as {} on {}", share.path.toStdString(), share.tag.toStdString(),
                     server->socket.toStdString());
        server->process->start();
        ::close(fd);  // the child has its copy; QEMU connects to the socket's path
        m_servers.push_back(std::move(server));
    }
    return true;
}

void SharedDirectoryServers::stop()
{
    m_endedOutput = diagnostics();
    for (auto& server : m_servers) {
        if (server->process) {
            server->process->disconnect(this);
            server->process.reset();  // kills and reaps it if it still runs
        }
        QFile::remove(server->socket);
    }
    m_servers.clear();
}

QString SharedDirectoryServers::diagnostics() const
{
    QString text = m_endedOutput;
    for (const auto& server : m_servers) {
        const QString output = server->output.trimmed();
        if (!output.isEmpty()) {
            text += QStringLiteral("virtiofsd serving %1 said:\n%2\n").arg(server->share.path, output);
        }
    }
    return text;
}

}  // namespace berth::vm
