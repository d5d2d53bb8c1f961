#include "managed_settings_page.h"

#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QVBoxLayout>

#include "berth/settings/settings.h"
#include "settings_page.h"

namespace berth::gui {

namespace {

QString qs(const std::string& s)
{
    return QString::fromStdString(s);
}

QString located(const std::string& file, int line, int column)
{
    if (line <= 0) { return qs(file); }
    return QStringLiteral("%1:%2:%3").arg(qs(file)).arg(line).arg(column);
}

QString problemText(const settings::Diagnostic& d)
{
    QString text = qs(d.message);
    if (!d.fix.empty()) {
        text += QStringLiteral(" (") + ManagedSettingsPage::tr("fix: %1").arg(qs(d.fix)) + QLatin1Char(')');
    }
    return text;
}

}  // namespace

ManagedSettingsPage::ManagedSettingsPage(const settings::Settings& settings, QWidget* parent)
    : QWidget(parent),
      m_settings(settings),
      m_summary(new QLabel(this)),
      m_table(new QTableWidget(this))
{
    auto* column = new QVBoxLayout(this);
    column->addWidget(makePageHeading(title(), this));
    m_summary->setObjectName(QStringLiteral("managedSummary"));
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    column->addWidget(m_summary);

    m_table->setObjectName(QStringLiteral("managedTable"));
    m_table->setAccessibleName(tr("Settings managed by your administrator"));
    m_table->setColumnCount(ColumnCount);
    m_table->setHorizontalHeaderLabels({tr("Key"), tr("Value"), tr("Status"), tr("Source"), tr("Problems")});
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setWordWrap(true);
    column->addWidget(m_table, 1);
    refresh();
}

QString ManagedSettingsPage::summary() const
{
    return m_summary->text();
}

void ManagedSettingsPage::refresh()
{
    const settings::AdminPolicy& policy = m_settings.adminPolicy();
    const QString file = qs(policy.file.empty() ? std::string(settings::kAdminSettingsPath) : policy.file);
    switch (policy.state) {
    case settings::AdminPolicy::State::Absent:
        m_summary->setText(tr("No settings are managed: %1 does not exist.").arg(file));
        break;
    case settings::AdminPolicy::State::Valid:
        m_summary->setText(tr("%n setting(s) from %1.", nullptr, static_cast<int>(policy.settings.size())).arg(file));
        break;
    case settings::AdminPolicy::State::Invalid:
        m_summary->setText(tr("%1 is invalid, so the engine will not start until it is fixed.").arg(file));
        break;
    }

    m_table->setRowCount(0);
    const auto addRow = [this](const QStringList& cells) {
        const int row = m_table->rowCount();
        m_table->insertRow(row);
        for (int c = 0; c < cells.size(); ++c) { m_table->setItem(row, c, new QTableWidgetItem(cells[c])); }
    };
    for (const auto& [key, setting] : policy.settings) {
        QStringList problems;
        for (const auto& d : policy.diagnostics) {
            if (d.key == key) { problems << problemText(d); }
        }
        addRow({qs(key), qs(settings::displayValue(setting.value)), setting.locked ? tr("Locked") : tr("Default"),
                located(policy.file, setting.at.line, setting.at.column), problems.join(QLatin1Char('\n'))});
    }
    // Problems not tied to an applied setting: ignored keys, and errors of an invalid file.
    for (const auto& d : policy.diagnostics) {
        if (!d.key.empty() && policy.settings.count(d.key) != 0) { continue; }
        const QString status = d.severity == settings::Diagnostic::Severity::Error ? tr("Error")
            : d.severity == settings::Diagnostic::Severity::Warning                ? tr("Warning")
                                                                                   : tr("Note");
        addRow({qs(d.key), QString(), status, located(d.file, d.line, d.column), problemText(d)});
    }
    m_table->resizeColumnsToContents();
}

}  // namespace berth::gui
