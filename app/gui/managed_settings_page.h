#pragma once

#include <QWidget>

class QLabel;
class QTableWidget;

namespace berth::settings {
class Settings;
}

namespace berth::gui {

// A read-only view of the admin policy, like a browser's policy page: every admin setting with
// its value, whether it is locked or a default, the file it comes from, and every problem
// (ignored keys, errors) the library reported.
class ManagedSettingsPage : public QWidget {
    Q_OBJECT
public:
    enum Column { KeyColumn, ValueColumn, StatusColumn, SourceColumn, ProblemColumn, ColumnCount };

    explicit ManagedSettingsPage(const settings::Settings& settings, QWidget* parent = nullptr);

    [[nodiscard]] QString title() const { return tr("Managed settings"); }
    [[nodiscard]] QTableWidget* table() const { return m_table; }
    [[nodiscard]] QString summary() const;

    void refresh();

private:
    const settings::Settings& m_settings;
    QLabel* m_summary;
    QTableWidget* m_table;
};

}  // namespace berth::gui
