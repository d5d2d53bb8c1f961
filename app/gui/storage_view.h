#pragma once

#include <QWidget>

#include "berth/endpoint/docker_api.h"
#include "container_source.h"

#include <functional>

class QLabel;
class QPushButton;
class QTableWidget;

namespace berth::gui {

// The dashboard's Images or Volumes tab: the engine's images (repository, tag, ID, size, created,
// in use) or volumes (name, driver, size, in use) from its disk usage, with Remove… for the
// selected one and a prune (dangling images; volumes no container uses). Actions never block;
// `changed()` asks the dashboard for a new disk usage once one is done.
class StorageView : public QWidget {
    Q_OBJECT
public:
    enum class Kind { Images, Volumes };
    // Asked before a removal or prune: the question, true to go on.
    using Confirm = std::function<bool(QWidget* parent, const QString& question)>;

    StorageView(Kind kind, ContainerSource& engine, QWidget* parent = nullptr);

    void showUsage(const endpoint::DiskUsage& usage);
    void setConfirm(Confirm confirm) { m_confirm = std::move(confirm); }

    [[nodiscard]] QTableWidget* table() const { return m_table; }
    [[nodiscard]] QPushButton* removeButton() const { return m_remove; }
    [[nodiscard]] QPushButton* pruneButton() const { return m_prune; }
    // What the last action is doing or why it failed; empty when all went well.
    [[nodiscard]] QString message() const;
    [[nodiscard]] bool busy() const { return m_busy; }

signals:
    void changed();

private:
    void removeSelected();
    void pruneAll();
    void finished(const QString& error, const QString& failed);
    void updateButtons();

    Kind m_kind;
    ContainerSource& m_engine;
    QTableWidget* m_table;
    QPushButton* m_remove;
    QPushButton* m_prune;
    QLabel* m_message;
    Confirm m_confirm;
    bool m_busy = false;
};

// "1.2 GB", "340 MB", "12 kB", "0 B": decimal units, as docker's CLI shows sizes.
QString humanSize(qint64 bytes);
// The disk-usage line: "Images 1.2 GB · Containers 3 MB · Volumes 40 MB · Build cache 0 B".
QString diskUsageText(const endpoint::DiskUsage& usage);

}  // namespace berth::gui
