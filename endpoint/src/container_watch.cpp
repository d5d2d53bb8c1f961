#include "berth/endpoint/container_watch.h"

#include "berth/endpoint/engine_events.h"

#include <QTimer>

#include <spdlog/spdlog.h>

namespace berth::endpoint {

namespace {

// Several events in a row (compose up) make one `changed()`.
constexpr std::chrono::milliseconds kWatchDebounce{150};
// A stream that ended while the engine runs (dockerd restarting its API) is opened again.
constexpr std::chrono::milliseconds kWatchReopen{2000};

}  // namespace

ContainerWatch::ContainerWatch(QString purpose, QByteArray filters, QObject* parent)
    : QObject(parent),
      m_purpose(std::move(purpose)),
      m_filters(std::move(filters)),
      m_debounce(new QTimer(this)),
      m_reopen(new QTimer(this))
{
    m_debounce->setSingleShot(true);
    m_debounce->setInterval(kWatchDebounce);
    connect(m_debounce, &QTimer::timeout, this, &ContainerWatch::changed);
    m_reopen->setSingleShot(true);
    m_reopen->setInterval(kWatchReopen);
    connect(m_reopen, &QTimer::timeout, this, &ContainerWatch::open);
}

ContainerWatch::~ContainerWatch()
{
    engineDown();
}

void ContainerWatch::setDebounce(std::chrono::milliseconds interval)
{
    m_debounce->setInterval(interval);
}

void ContainerWatch::setReopenDelay(std::chrono::milliseconds delay)
{
    m_reopen->setInterval(delay);
}

void ContainerWatch::engineUp(quint16 port, const QSslConfiguration& tls)
{
    engineDown();
    m_events = new EngineEvents(port, tls, this);
    connect(m_events, &EngineEvents::opened, this, &ContainerWatch::changed);
    connect(m_events, &EngineEvents::eventReceived, m_debounce, qOverload<>(&QTimer::start));
    connect(m_events, &EngineEvents::ended, this, [this](const QString& reason) {
        spdlog::info("{}: the engine's events stopped ({}); listening again shortly", m_purpose.toStdString(),
                     reason.toStdString());
        m_debounce->stop();
        m_reopen->start();
    });
    open();
}

void ContainerWatch::engineDown()
{
    m_debounce->stop();
    m_reopen->stop();
    delete m_events;
    m_events = nullptr;
}

void ContainerWatch::open()
{
    if (m_events) { m_events->start(m_filters); }
}

}  // namespace berth::endpoint
