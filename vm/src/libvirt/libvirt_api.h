#pragma once

// The few libvirt calls the libvirt backend makes, behind a small interface (Multipass's
// pattern), so the backend's lifecycle logic is tested against a fake and only
// libvirt_api.cpp touches the C API. Domains are named, not handed around as virDomainPtr, which
// keeps the fake trivial.
//
// Calls are synchronous and take milliseconds (virDomainDestroy waits briefly for QEMU to die),
// except defining and starting a domain: libvirt examines a QEMU binary (launching it a few
// times) before its first use and whenever it finds its cached capabilities stale, which can take
// from seconds to minutes, so defineAndStart() answers later and the real connection makes those
// calls on a thread of their own. Events arrive as Qt signals on the connection's thread.

#include <QObject>
#include <QString>

#include <functional>
#include <memory>
#include <optional>

namespace berth::vm {

// The lifecycle events the backend cares about (virDomainEventType, folded).
enum class DomainEvent { Started, Suspended, Resumed, Shutdown, Stopped, Crashed, Other };

struct DomainInfo {
    QString uuid;  // lower case, with dashes
    bool active = false;
};

struct DomainStartResult {
    bool defined = false;
    bool started = false;
    QString error;  // libvirt's message when defining or starting failed
};

class LibvirtConnection : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;

    virtual QString uri() const = 0;
    // True for a connection to a privileged daemon (qemu:///system, or any local URI as root),
    // where QEMU runs as another user unless the domain says otherwise.
    virtual bool isPrivileged() const = 0;

    // nullopt and an empty error when no such domain exists; nullopt and an error if asking failed.
    virtual std::optional<DomainInfo> lookup(const QString& name, QString* error) = 0;
    // virDomainDefineXML: creates the persistent domain or replaces its definition.
    virtual bool define(const QString& xml, QString* error) = 0;
    // virDomainCreateWithFlags; autoDestroy: libvirt destroys the domain when this connection
    // closes (our process died), as QEMU's parent-death signal does for the QEMU backend.
    virtual bool start(const QString& name, bool autoDestroy, QString* error) = 0;
    // define(), then start() when that succeeded, answered through `done` on `context`'s thread:
    // never inside this call, and not at all once `context` is gone. This default makes the calls
    // from the caller's event loop; the real connection makes them on a thread of their own, so
    // the caller's event loop runs on while libvirt examines QEMU.
    using StartDone = std::function<void(const DomainStartResult& result)>;
    virtual void defineAndStart(const QString& xml, const QString& name, bool autoDestroy, QObject* context,
                                StartDone done);
    // virDomainShutdownFlags with the ACPI power button.
    virtual bool shutdown(const QString& name, QString* error) = 0;
    // virDomainDestroy: SIGTERM, then SIGKILL, to QEMU.
    virtual bool destroy(const QString& name, QString* error) = 0;
    // The QEMU process of a running domain, if this host can tell (local URIs only); 0 otherwise.
    virtual qint64 qemuPid(const QString& name) const = 0;
    // libvirt's own log of the domain (QEMU's stderr), if readable.
    virtual QString domainLogPath(const QString& name) const = 0;
    // virDomainQemuMonitorCommand with an HMP line (the domain's QEMU monitor, which libvirt owns):
    // QEMU's text in `output`, or false with libvirt's error.
    virtual bool monitorCommand(const QString& name, const QString& line, QString* output, QString* error)
    {
        Q_UNUSED(name);
        Q_UNUSED(line);
        Q_UNUSED(output);
        *error = QStringLiteral("this libvirt connection cannot pass monitor commands");
        return false;
    }

signals:
    // virConnectDomainEventRegisterAny(VIR_DOMAIN_EVENT_ID_LIFECYCLE), for every domain.
    // `reason` is libvirt's detail in words: "shutdown", "destroyed", "crashed", "failed", ...
    void lifecycleEvent(const QString& domain, berth::vm::DomainEvent event, const QString& reason);
    // The daemon went away (keepalive timeout, libvirtd stopped); no more events will come.
    void closed(const QString& reason);
};

class LibvirtConnector {
public:
    virtual ~LibvirtConnector() = default;
    // nullptr and a message that says what to install, start or join when it fails.
    virtual std::shared_ptr<LibvirtConnection> open(const QString& uri, QString* error) = 0;
};

// The real thing: libvirt's C API with its default event loop in a thread of its own.
std::shared_ptr<LibvirtConnector> systemLibvirt();

// Turns libvirt's connection error into advice: libvirtd absent or stopped, permission denied,
// no QEMU driver. Pure, so it is tested with the messages libvirt 9.0 gives.
QString explainConnectFailure(const QString& uri, const QString& libvirtMessage);

}  // namespace berth::vm

Q_DECLARE_METATYPE(berth::vm::DomainEvent)
