#pragma once

#include <QByteArray>
#include <QDialog>
#include <QString>

class QCheckBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;

namespace berth::gui {

// A container's logs as they come (the dashboard's "Logs"): the last lines, then what it writes,
// kept scrolled to the end while "Follow" is on; a search box that finds the next match (Enter)
// or the previous (Shift+Enter), wrapping around. Whoever feeds it calls append() and ended().
class ContainerLogWindow : public QDialog {
    Q_OBJECT
public:
    explicit ContainerLogWindow(const QString& containerName, QWidget* parent = nullptr);

    void append(const QByteArray& bytes, bool fromStderr);
    // The stream is over: the container stopped, or the engine went away.
    void ended(const QString& reason);

    [[nodiscard]] QString text() const;
    [[nodiscard]] QPlainTextEdit* view() const { return m_view; }
    [[nodiscard]] QLineEdit* search() const { return m_search; }
    [[nodiscard]] QCheckBox* follow() const { return m_follow; }
    [[nodiscard]] QString statusText() const;
    // Selects the next (or previous) match of the search text; false when there is none.
    bool find(bool backwards = false);

private:
    QPlainTextEdit* m_view;
    QLineEdit* m_search;
    QCheckBox* m_follow;
    QLabel* m_status;
    bool m_appending = false;
    QByteArray m_partial;  // a line not ended yet, or a character cut between two reads
};

}  // namespace berth::gui
