#pragma once

// ContainerWatch: follows the engine's container events (GET /events through EngineEvents) and
// says `changed()` when the containers may differ from the last listing: once the stream is open
// (so the first listing sees everything from then on), and after each burst of events (several
// in a row, as with compose up, make one). A stream that dockerd closes while the engine runs is
// opened again shortly. What to do on `changed()` (list the containers) is the user's.

#include <QByteArray>
#include <QObject>
#include <QSslConfiguration>
#include <QString>

#include <chrono>

class QTimer;

namespace berth::endpoint {

class EngineEvents;

class ContainerWatch : public QObject {
    Q_OBJECT
public:
    // `filters`: the Engine API's JSON for the events that matter, e.g.
    // {"type":["container"],"event":["start","die"]}. `purpose` names the user in the log.
    ContainerWatch(QString purpose, QByteArray filters, QObject* parent = nullptr);
    ~ContainerWatch() override;

    // The engine is up at 127.0.0.1:<port>: follow it (a watch already up starts over).
    void engineUp(quint16 port, const QSslConfiguration& tls);
    // The engine is gone: stop following it; no `changed()` until the next engineUp.
    void engineDown();
    [[nodiscard]] bool isUp() const { return m_events != nullptr; }

    void setDebounce(std::chrono::milliseconds interval);
    void setReopenDelay(std::chrono::milliseconds delay);

signals:
    void changed();

private:
    void open();

    QString m_purpose;
    QByteArray m_filters;
    EngineEvents* m_events = nullptr;
    QTimer* m_debounce;
    QTimer* m_reopen;
};

}  // namespace berth::endpoint
