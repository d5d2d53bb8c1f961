#include "single_instance.h"

#include <QLocalServer>
#include <QLocalSocket>

#include <unistd.h>

namespace berth::gui {

namespace {
constexpr int kConnectTimeoutMs = 500;
// One line a request.
const QByteArray kRaise = QByteArrayLiteral("raise");
const QByteArray kSettings = QByteArrayLiteral("settings");
}  // namespace

SingleInstance::SingleInstance(QString name, QObject* parent) : QObject(parent), m_name(std::move(name))
{}

QString SingleInstance::defaultName()
{
    return QStringLiteral("berth-gui-%1").arg(::getuid());
}

bool SingleInstance::claim(Window window)
{
    QLocalSocket probe;
    probe.connectToServer(m_name);
    if (probe.waitForConnected(kConnectTimeoutMs)) {
        probe.write((window == Window::Settings ? kSettings : kRaise) + '\n');
        probe.waitForBytesWritten(kConnectTimeoutMs);
        probe.disconnectFromServer();
        return false;
    }
    // Nobody answers: a socket left by a crashed instance is stale.
    QLocalServer::removeServer(m_name);
    m_server = new QLocalServer(this);
    m_server->setSocketOptions(QLocalServer::UserAccessOption);
    if (!m_server->listen(m_name)) { return true; }  // still run; only raising will not work
    connect(m_server, &QLocalServer::newConnection, this, [this] {
        while (QLocalSocket* client = m_server->nextPendingConnection()) {
            connect(client, &QLocalSocket::disconnected, client, &QObject::deleteLater);
            connect(client, &QLocalSocket::readyRead, this, [this, client] {
                while (client->canReadLine()) {
                    const QByteArray request = client->readLine().trimmed();
                    if (request == kRaise) { emit raiseRequested(); }
                    if (request == kSettings) { emit settingsRequested(); }
                }
            });
        }
    });
    return true;
}

}  // namespace berth::gui
