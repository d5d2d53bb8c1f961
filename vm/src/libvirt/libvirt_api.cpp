#include "libvirt/libvirt_api.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QPointer>
#include <QStandardPaths>
#include <QTimer>
#include <QUrl>

#include <cstdlib>

#include <libvirt/libvirt-qemu.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include <spdlog/spdlog.h>

#include <mutex>
#include <thread>

#include <unistd.h>

namespace berth::vm {

namespace {

// Where a session daemon keeps its runtime state: $XDG_RUNTIME_DIR/libvirt, or its cache
// directory when the login has no runtime directory (libvirt's own fallback: su, ssh without
// a session manager).
QString sessionRuntimeDir()
{
    const QString runtime = qEnvironmentVariable("XDG_RUNTIME_DIR");
    if (!runtime.isEmpty()) { return runtime + QStringLiteral("/libvirt"); }
    return QStandardPaths::writableLocation(QStandardPaths::GenericCacheLocation) + QStringLiteral("/libvirt");
}

}  // namespace

QString explainConnectFailure(const QString& uri, const QString& libvirtMessage)
{
    // As root even qemu:///session goes to the system daemon's socket.
    const bool system = QUrl(uri).path() == QLatin1String("/system")
        || libvirtMessage.contains(QLatin1String("/run/libvirt/libvirt-sock"));
    const QString said = QStringLiteral("Cannot connect to libvirt at %1: %2").arg(uri, libvirtMessage);
    const auto has
        = [&](const char* text) { return libvirtMessage.contains(QLatin1String(text), Qt::CaseInsensitive); };

    if (has("no connection driver available")) {
        return said
            + QStringLiteral("\nlibvirt's QEMU driver is not installed: install libvirt-daemon-driver-qemu "
                             "(on Debian and Ubuntu: sudo apt install libvirt-daemon-system).");
    }
    if (has("Permission denied") || has("authentication unavailable") || has("authentication failed")
        || has("not authorized") || has("access denied")) {
        return said
            + (system ? QStringLiteral("\nYou may not manage the system's VMs: join the libvirt group "
                                       "(sudo adduser $USER libvirt), then sign out and in again; or use "
                                       "the URI qemu:///session.")
                      : QStringLiteral("\nlibvirt refused access to your own session: check the permissions "
                                       "of %1.")
                            .arg(sessionRuntimeDir()));
    }
    if (has("Cannot find") || has("binary") || has("spawn") || has("No such file or directory")
        || has("Connection refused")) {
        return said
            + (system ? QStringLiteral("\nlibvirtd is not running: start it (sudo systemctl start libvirtd), "
                                       "or install it (sudo apt install libvirt-daemon-system).")
                      : QStringLiteral("\nlibvirt could not start your session daemon: install libvirt "
                                       "(sudo apt install libvirt-daemon-system)."));
    }
    return said;
}

void LibvirtConnection::defineAndStart(const QString& xml, const QString& name, bool autoDestroy, QObject* context,
                                       StartDone done)
{
    QTimer::singleShot(0, context,
                       [self = QPointer<LibvirtConnection>(this), xml, name, autoDestroy, done = std::move(done)] {
                           DomainStartResult result;
                           if (!self) {
                               result.error = QStringLiteral("the libvirt connection is closed");
                               done(result);
                               return;
                           }
                           result.defined = self->define(xml, &result.error);
                           result.started = result.defined && self->start(name, autoDestroy, &result.error);
                           done(result);
                       });
}

namespace {

QString lastError()
{
    const char* message = virGetLastErrorMessage();
    return message ? QString::fromUtf8(message) : QStringLiteral("unknown libvirt error");
}

QString stoppedReason(int detail)
{
    switch (detail) {
    case VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN: return QStringLiteral("shutdown");
    case VIR_DOMAIN_EVENT_STOPPED_DESTROYED: return QStringLiteral("destroyed");
    case VIR_DOMAIN_EVENT_STOPPED_CRASHED: return QStringLiteral("crashed");
    case VIR_DOMAIN_EVENT_STOPPED_MIGRATED: return QStringLiteral("migrated");
    case VIR_DOMAIN_EVENT_STOPPED_SAVED: return QStringLiteral("saved");
    case VIR_DOMAIN_EVENT_STOPPED_FAILED: return QStringLiteral("failed");
    case VIR_DOMAIN_EVENT_STOPPED_FROM_SNAPSHOT: return QStringLiteral("from-snapshot");
    default: return QStringLiteral("unknown");
    }
}

QString suspendedReason(int detail)
{
    switch (detail) {
    case VIR_DOMAIN_EVENT_SUSPENDED_PAUSED: return QStringLiteral("paused");
    case VIR_DOMAIN_EVENT_SUSPENDED_IOERROR: return QStringLiteral("io-error");
    case VIR_DOMAIN_EVENT_SUSPENDED_WATCHDOG: return QStringLiteral("watchdog");
    case VIR_DOMAIN_EVENT_SUSPENDED_API_ERROR: return QStringLiteral("api-error");
    default: return QStringLiteral("other");
    }
}

QString shutdownReason(int detail)
{
    switch (detail) {
    case VIR_DOMAIN_EVENT_SHUTDOWN_GUEST: return QStringLiteral("guest-shutdown");
    case VIR_DOMAIN_EVENT_SHUTDOWN_HOST: return QStringLiteral("host-shutdown");
    default: return QStringLiteral("shutdown");
    }
}

// libvirt's events need an event loop registered before the first connection. We use libvirt's
// own poll() loop in a thread of its own rather than virEventRegisterImpl over QSocketNotifier and
// QTimer: the default loop is the one libvirt tests (timeouts of 0 firing every iteration, handles
// updated and removed from inside callbacks, deferred frees), while a Qt-backed implementation
// would have to reproduce those semantics. The thread only runs libvirt's callbacks, which do
// nothing but post a queued signal to the Qt thread.
void initializeOnce()
{
    static std::once_flag once;
    std::call_once(once, [] {
        virInitialize();
        // libvirt prints every error to stderr by default; we report them ourselves.
        virSetErrorFunc(nullptr, [](void*, virErrorPtr) {});
        if (virEventRegisterDefaultImpl() < 0) {
            spdlog::error("libvirt: cannot register the event loop: {}", lastError().toStdString());
            return;
        }
        std::thread([] {
            for (;;) {
                if (virEventRunDefaultImpl() < 0) {
                    spdlog::warn("libvirt: event loop iteration failed: {}", lastError().toStdString());
                }
            }
        }).detach();
    });
}

// Receives libvirt's callbacks on the event thread; its signals reach the connection queued.
// libvirt owns it once registered and frees it through the callback's free function.
class EventRelay : public QObject {
    Q_OBJECT
signals:
    void lifecycle(const QString& domain, berth::vm::DomainEvent event, const QString& reason);
    void closed(const QString& reason);
};

int onLifecycle(virConnectPtr, virDomainPtr domain, int event, int detail, void* opaque)
{
    auto* relay = static_cast<EventRelay*>(opaque);
    const QString name = QString::fromUtf8(virDomainGetName(domain));
    switch (event) {
    case VIR_DOMAIN_EVENT_STARTED: emit relay->lifecycle(name, DomainEvent::Started, {}); break;
    case VIR_DOMAIN_EVENT_SUSPENDED:
        emit relay->lifecycle(name, DomainEvent::Suspended, suspendedReason(detail));
        break;
    case VIR_DOMAIN_EVENT_RESUMED: emit relay->lifecycle(name, DomainEvent::Resumed, {}); break;
    case VIR_DOMAIN_EVENT_SHUTDOWN: emit relay->lifecycle(name, DomainEvent::Shutdown, shutdownReason(detail)); break;
    case VIR_DOMAIN_EVENT_STOPPED: emit relay->lifecycle(name, DomainEvent::Stopped, stoppedReason(detail)); break;
    case VIR_DOMAIN_EVENT_CRASHED: emit relay->lifecycle(name, DomainEvent::Crashed, QStringLiteral("panicked")); break;
    default: emit relay->lifecycle(name, DomainEvent::Other, QString::number(event)); break;
    }
    return 0;
}

void onClose(virConnectPtr, int reason, void* opaque)
{
    auto* relay = static_cast<EventRelay*>(opaque);
    switch (reason) {
    case VIR_CONNECT_CLOSE_REASON_ERROR: emit relay->closed(QStringLiteral("a socket error")); break;
    case VIR_CONNECT_CLOSE_REASON_EOF: emit relay->closed(QStringLiteral("libvirtd closed the connection")); break;
    case VIR_CONNECT_CLOSE_REASON_KEEPALIVE: emit relay->closed(QStringLiteral("libvirtd stopped answering")); break;
    default: emit relay->closed(QStringLiteral("the connection was closed")); break;
    }
}

class Domain {
public:
    Domain(virConnectPtr conn, const QString& name) : m_ptr(virDomainLookupByName(conn, name.toUtf8().constData())) {}
    ~Domain()
    {
        if (m_ptr) { virDomainFree(m_ptr); }
    }
    Domain(const Domain&) = delete;
    Domain& operator=(const Domain&) = delete;
    virDomainPtr get() const { return m_ptr; }
    explicit operator bool() const { return m_ptr != nullptr; }

private:
    virDomainPtr m_ptr;
};

class SystemConnection final : public LibvirtConnection {
public:
    SystemConnection(virConnectPtr conn, QString uri) : m_conn(conn), m_uri(std::move(uri))
    {
        auto* relay = new EventRelay;
        connect(relay, &EventRelay::lifecycle, this, &LibvirtConnection::lifecycleEvent, Qt::QueuedConnection);
        connect(relay, &EventRelay::closed, this, &LibvirtConnection::closed, Qt::QueuedConnection);
        m_callback = virConnectDomainEventRegisterAny(
            m_conn, nullptr, VIR_DOMAIN_EVENT_ID_LIFECYCLE, VIR_DOMAIN_EVENT_CALLBACK(onLifecycle), relay,
            [](void* opaque) { static_cast<EventRelay*>(opaque)->deleteLater(); });
        if (m_callback < 0) {
            spdlog::error("libvirt: cannot subscribe to domain events: {}", lastError().toStdString());
            delete relay;
            return;
        }
        m_relay = relay;
        virConnectRegisterCloseCallback(m_conn, onClose, relay, nullptr);
        // Notices a daemon that died without closing the socket (5 s interval, 3 missed answers).
        virConnectSetKeepAlive(m_conn, 5, 3);
    }

    ~SystemConnection() override
    {
        if (m_relay) { virConnectUnregisterCloseCallback(m_conn, onClose); }
        if (m_callback >= 0) { virConnectDomainEventDeregisterAny(m_conn, m_callback); }
        virConnectClose(m_conn);
    }

    bool callbackRegistered() const { return m_callback >= 0; }

    QString uri() const override { return m_uri; }
    bool isPrivileged() const override
    {
        // As root, qemu:///session is served by the system daemon too (QEMU runs as libvirt-qemu).
        const QUrl url(m_uri);
        return url.path() == QLatin1String("/system") || (::geteuid() == 0 && url.host().isEmpty());
    }

    std::optional<DomainInfo> lookup(const QString& name, QString* error) override
    {
        Domain domain(m_conn, name);
        if (!domain) {
            if (virGetLastErrorCode() != VIR_ERR_NO_DOMAIN && error) { *error = lastError(); }
            return std::nullopt;
        }
        char uuid[VIR_UUID_STRING_BUFLEN] = {};
        const int active = virDomainIsActive(domain.get());
        if (virDomainGetUUIDString(domain.get(), uuid) < 0 || active < 0) {
            if (error) { *error = lastError(); }
            return std::nullopt;
        }
        return DomainInfo{QString::fromLatin1(uuid).toLower(), active == 1};
    }

    bool define(const QString& xml, QString* error) override
    {
        virDomainPtr domain = virDomainDefineXML(m_conn, xml.toUtf8().constData());
        if (!domain) { return fail(error); }
        virDomainFree(domain);
        return true;
    }

    bool start(const QString& name, bool autoDestroy, QString* error) override
    {
        Domain domain(m_conn, name);
        if (!domain || virDomainCreateWithFlags(domain.get(), autoDestroy ? VIR_DOMAIN_START_AUTODESTROY : 0) < 0) {
            return fail(error);
        }
        return true;
    }

    void defineAndStart(const QString& xml, const QString& /*name: the definition's*/, bool autoDestroy,
                        QObject* context, StartDone done) override
    {
        // The thread holds a reference of its own: a connection closed meanwhile stays open until
        // the calls return, and then closes (autodestroy applies then).
        virConnectRef(m_conn);
        QPointer<QObject> receiver(context);
        std::thread([conn = m_conn, xml = xml.toUtf8(), autoDestroy, receiver, done = std::move(done)] {
            DomainStartResult result;
            virDomainPtr domain = virDomainDefineXML(conn, xml.constData());
            result.defined = domain != nullptr;
            if (domain) {
                result.started = virDomainCreateWithFlags(domain, autoDestroy ? VIR_DOMAIN_START_AUTODESTROY : 0) == 0;
                virDomainFree(domain);
            }
            if (!result.started) {
                result.error = lastError();  // libvirt's errors are per thread
            }
            virConnectClose(conn);
            if (QCoreApplication* app = QCoreApplication::instance()) {
                QMetaObject::invokeMethod(
                    app,
                    [receiver, result, done] {
                        if (receiver) { done(result); }
                    },
                    Qt::QueuedConnection);
            }
        }).detach();
    }

    bool shutdown(const QString& name, QString* error) override
    {
        Domain domain(m_conn, name);
        if (!domain || virDomainShutdownFlags(domain.get(), VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN) < 0) {
            return fail(error);
        }
        return true;
    }

    bool destroy(const QString& name, QString* error) override
    {
        Domain domain(m_conn, name);
        if (!domain || virDomainDestroy(domain.get()) < 0) { return fail(error); }
        return true;
    }

    qint64 qemuPid(const QString& name) const override
    {
        // libvirt keeps QEMU's pid where its daemon keeps runtime state; only local URIs have it.
        if (!QUrl(m_uri).host().isEmpty()) { return 0; }
        const QString file = isPrivileged() ? QStringLiteral("/run/libvirt/qemu/%1.pid").arg(name)
                                            : sessionRuntimeDir() + QStringLiteral("/qemu/run/%1.pid").arg(name);
        QFile pidFile(file);
        if (!pidFile.open(QIODevice::ReadOnly)) { return 0; }
        return pidFile.readAll().trimmed().toLongLong();
    }

    bool monitorCommand(const QString& name, const QString& line, QString* output, QString* error) override
    {
        Domain domain(m_conn, name);
        char* result = nullptr;
        if (!domain
            || virDomainQemuMonitorCommand(domain.get(), line.toUtf8().constData(), &result,
                                           VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP)
                < 0) {
            return fail(error);
        }
        *output = QString::fromUtf8(result);
        std::free(result);  // libvirt allocated it
        return true;
    }

    QString domainLogPath(const QString& name) const override
    {
        if (!QUrl(m_uri).host().isEmpty()) { return {}; }
        return isPrivileged() ? QStringLiteral("/var/log/libvirt/qemu/%1.log").arg(name)
                              : QStandardPaths::writableLocation(QStandardPaths::GenericCacheLocation)
                + QStringLiteral("/libvirt/qemu/log/%1.log").arg(name);
    }

private:
    static bool fail(QString* error)
    {
        if (error) { *error = lastError(); }
        return false;
    }

    virConnectPtr m_conn;
    QString m_uri;
    int m_callback = -1;
    EventRelay* m_relay = nullptr;
};

class SystemConnector final : public LibvirtConnector {
public:
    std::shared_ptr<LibvirtConnection> open(const QString& uri, QString* error) override
    {
        initializeOnce();
        virConnectPtr conn = virConnectOpen(uri.toUtf8().constData());
        if (!conn) {
            if (error) { *error = explainConnectFailure(uri, lastError()); }
            return nullptr;
        }
        auto connection = std::make_shared<SystemConnection>(conn, uri);
        if (!connection->callbackRegistered()) {
            if (error) {
                *error = QStringLiteral("Cannot subscribe to libvirt's domain events at %1: %2").arg(uri, lastError());
            }
            return nullptr;
        }
        return connection;
    }
};

}  // namespace

std::shared_ptr<LibvirtConnector> systemLibvirt()
{
    static const auto connector = std::make_shared<SystemConnector>();
    return connector;
}

}  // namespace berth::vm

#include "libvirt_api.moc"
