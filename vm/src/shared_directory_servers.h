#pragma once

// The virtiofsd processes that serve one run of the VM its shared directories. virtiofsd serves
// one QEMU connection and exits when QEMU goes, so each run starts its own; and QEMU 7.2 cannot
// reconnect a vhost-user-fs device, so a virtiofsd that dies under a running guest leaves every
// later access to that share hanging: the VM must be stopped, which the owner does on exited().

#include "berth/vm/instance_dir.h"
#include "berth/vm/process.h"
#include "berth/vm/virtual_machine.h"

#include <QObject>

#include <memory>
#include <vector>

namespace berth::vm {

// virtiofsd's command line for one shared directory, listening on descriptor `fd`: its own
// namespaces (it needs no privilege), every guest ID written as the user who runs Berth, and the
// user's own files shown to the guest as 1000:1000.
QStringList virtiofsdArguments(const SharedDirectory& share, int fd, uint uid, uint gid);

class SharedDirectoryServers : public QObject {
    Q_OBJECT
public:
    SharedDirectoryServers(std::shared_ptr<ProcessFactory> processes, QObject* parent = nullptr);
    ~SharedDirectoryServers() override;

    // Listens on each shared directory's socket (InstanceDir::sharedDirectorySocket) and starts
    // its virtiofsd on that socket, so QEMU may connect at once: there is nothing to wait for.
    // False, with why, when a directory or socket is unusable; nothing is left running then.
    bool start(const VmSpec& spec, QString* error);
    // Ends every virtiofsd of this run and removes the sockets; exited() is not emitted for them.
    void stop();
    // What the virtiofsd processes of this run said, also once stopped, for the VM's diagnostics.
    QString diagnostics() const;

signals:
    // A virtiofsd ended while its share was in use; `why` names the directory and the exit.
    void exited(const QString& why);

private:
    struct Server {
        SharedDirectory share;
        QString socket;
        std::unique_ptr<Process> process;
        QString output;
    };
    std::shared_ptr<ProcessFactory> m_processes;
    std::vector<std::unique_ptr<Server>> m_servers;
    QString m_endedOutput;  // what those of this run said before stop()
};

}  // namespace berth::vm
