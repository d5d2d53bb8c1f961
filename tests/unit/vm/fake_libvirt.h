#pragma once

// A fake libvirt daemon behind the LibvirtConnector interface: it keeps domains (name, UUID,
// XML, running or not), records every call, sends lifecycle events queued like the real event
// thread does, and plays the guest agent on the channel socket named in the domain XML (hello,
// ready with the fw_cfg config, power off on "shutdown"). Switches simulate bad guests and
// daemons.

#include "libvirt/libvirt_api.h"

#include <QHash>
#include <QPointer>
#include <QStringList>

#include <vector>

class QLocalServer;
class QLocalSocket;

namespace berth::vm::testing {

struct FakeDomain {
    QString uuid;
    QString xml;
    bool active = false;
};

class FakeLibvirt;

class FakeLibvirtConnection final : public LibvirtConnection {
public:
    FakeLibvirtConnection(FakeLibvirt* daemon, QString uri) : m_daemon(daemon), m_uri(std::move(uri)) {}
    QString uri() const override { return m_uri; }
    bool isPrivileged() const override { return m_uri.endsWith(QLatin1String("/system")); }
    std::optional<DomainInfo> lookup(const QString& name, QString* error) override;
    bool define(const QString& xml, QString* error) override;
    bool start(const QString& name, bool autoDestroy, QString* error) override;
    void defineAndStart(const QString& xml, const QString& name, bool autoDestroy, QObject* context,
                        StartDone done) override;
    bool shutdown(const QString& name, QString* error) override;
    bool destroy(const QString& name, QString* error) override;
    qint64 qemuPid(const QString& name) const override;
    QString domainLogPath(const QString&) const override { return {}; }

    // Test control: what the daemon does when this connection goes away.
    void dropConnection(const QString& reason) { emit closed(reason); }

private:
    FakeLibvirt* m_daemon;
    QString m_uri;
};

class FakeLibvirt : public QObject, public LibvirtConnector {
    Q_OBJECT
public:
    std::shared_ptr<LibvirtConnection> open(const QString& uri, QString* error) override;

    // Behaviour switches
    QString openError;  // open() fails with this (already explained)
    QString startError;  // virDomainCreate fails with this
    bool agent = true;  // the guest agent connects and reports ready
    bool ignoreAgentShutdown = false;
    bool ignoreAcpi = false;
    bool holdStarts = false;  // defineAndStart answers only at releaseStarts(), as a busy libvirt

    // Defines and starts the domains whose defineAndStart was held, and answers those still asked.
    void releaseStarts();
    int heldStarts() const { return static_cast<int>(m_heldStarts.size()); }

    QHash<QString, FakeDomain> domains;
    QStringList calls;  // "define NAME", "start NAME autodestroy", "shutdown NAME", "destroy NAME", "open URI"
    QPointer<FakeLibvirtConnection> lastConnection;
    int startedDomains = 0;

    // The guest powers off (ACPI, agent) or the domain dies (reason: "crashed", "destroyed", ...).
    void powerOff(const QString& name, const QString& stopReason, const QString& shutdownReason = {});
    // Value of attribute `attribute` on the element in the domain XML that has `marker` in it.
    static QString xmlAttribute(const QString& xml, const QString& marker, const QString& attribute);

private:
    friend class FakeLibvirtConnection;
    void emitEvent(const QString& name, DomainEvent event, const QString& reason);
    void bootGuest(const QString& name);
    void stopGuest(const QString& name);

    QHash<QString, QLocalServer*> m_agents;
    struct HeldStart {
        QPointer<FakeLibvirtConnection> connection;
        QString xml;
        QString name;
        bool autoDestroy;
        QPointer<QObject> context;
        LibvirtConnection::StartDone done;
    };
    std::vector<HeldStart> m_heldStarts;
};

}  // namespace berth::vm::testing
