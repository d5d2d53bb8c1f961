#pragma once

#include <QObject>

class QLocalServer;

namespace berth::gui {

// One Berth window per user: the first launch listens on a per-user local socket; a second
// launch connects, asks the first to raise its window (the dashboard, or with `--settings` the
// Settings window), and exits.
class SingleInstance : public QObject {
    Q_OBJECT
public:
    explicit SingleInstance(QString name = defaultName(), QObject* parent = nullptr);

    enum class Window { Dashboard, Settings };

    // True when this process is the first; false after asking the running one to bring `window`
    // forward.
    bool claim(Window window = Window::Dashboard);
    static QString defaultName();

signals:
    void raiseRequested();  // the dashboard
    void settingsRequested();

private:
    QString m_name;
    QLocalServer* m_server = nullptr;
};

}  // namespace berth::gui
