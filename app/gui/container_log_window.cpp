#include "container_log_window.h"

#include <QApplication>
#include <QCheckBox>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QScrollBar>
#include <QTextCursor>
#include <QVBoxLayout>

namespace berth::gui {

namespace {

// Lines kept; the oldest go first (a chatty container would otherwise fill the memory).
constexpr int kMaxLines = 20000;

}  // namespace

ContainerLogWindow::ContainerLogWindow(const QString& containerName, QWidget* parent)
    : QDialog(parent),
      m_view(new QPlainTextEdit(this)),
      m_search(new QLineEdit(this)),
      m_follow(new QCheckBox(tr("&Follow"), this)),
      m_status(new QLabel(this))
{
    setWindowTitle(tr("Logs: %1").arg(containerName));
    setObjectName(QStringLiteral("containerLogs"));
    m_view->setReadOnly(true);
    m_view->setMaximumBlockCount(kMaxLines);
    m_view->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_view->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_view->setAccessibleName(tr("Container output"));
    m_search->setPlaceholderText(tr("Search (Enter: next, Shift+Enter: previous)"));
    m_search->setAccessibleName(tr("Search the logs"));
    m_search->setClearButtonEnabled(true);
    m_follow->setChecked(true);
    m_follow->setToolTip(tr("Keep showing the newest lines"));
    m_status->setText(tr("Connecting…"));

    auto* bar = new QHBoxLayout;
    bar->addWidget(m_search, 1);
    bar->addWidget(m_follow);
    auto* column = new QVBoxLayout(this);
    column->addLayout(bar);
    column->addWidget(m_view, 1);
    column->addWidget(m_status);

    connect(m_search, &QLineEdit::returnPressed, this,
            [this] { find(QApplication::keyboardModifiers().testFlag(Qt::ShiftModifier)); });
    connect(m_search, &QLineEdit::textChanged, this, [this] {
        m_view->moveCursor(QTextCursor::Start);
        find();
    });
    // Scrolling up to read (wheel, keys, the bar) stops following; back at the end, it follows again.
    QScrollBar* scroll = m_view->verticalScrollBar();
    connect(scroll, &QScrollBar::valueChanged, this, [this, scroll](int value) {
        if (!m_appending) { m_follow->setChecked(value == scroll->maximum()); }
    });
    connect(m_follow, &QCheckBox::toggled, this, [scroll](bool on) {
        if (on) { scroll->setValue(scroll->maximum()); }
    });
    resize(900, 560);
}

void ContainerLogWindow::append(const QByteArray& bytes, bool fromStderr)
{
    Q_UNUSED(fromStderr);  // interleaved as the container wrote them, as `docker logs` shows them
    m_status->setText(tr("Following"));
    m_partial += bytes;
    const qsizetype lastNewline = m_partial.lastIndexOf('\n');
    if (lastNewline < 0) { return; }
    QString lines = QString::fromUtf8(m_partial.left(lastNewline));
    m_partial.remove(0, lastNewline + 1);
    lines.remove(QLatin1Char('\r'));
    QScrollBar* scroll = m_view->verticalScrollBar();
    const int kept = scroll->value();
    m_appending = true;  // the moves below are not the user's
    m_view->appendPlainText(lines);  // keeps the cursor, hence a search's selection
    scroll->setValue(m_follow->isChecked() ? scroll->maximum() : kept);
    m_appending = false;
}

void ContainerLogWindow::ended(const QString& reason)
{
    if (!m_partial.isEmpty()) {
        m_view->appendPlainText(QString::fromUtf8(m_partial));
        m_partial.clear();
    }
    m_status->setText(tr("Not following: %1").arg(reason));
}

QString ContainerLogWindow::text() const
{
    return m_view->toPlainText();
}

QString ContainerLogWindow::statusText() const
{
    return m_status->text();
}

bool ContainerLogWindow::find(bool backwards)
{
    const QString needle = m_search->text();
    if (needle.isEmpty()) { return false; }
    const QTextDocument::FindFlags flags = backwards ? QTextDocument::FindBackward : QTextDocument::FindFlags();
    if (m_view->find(needle, flags)) {
        m_follow->setChecked(false);  // stay on the match
        return true;
    }
    // Wrap around once.
    const QTextCursor kept = m_view->textCursor();
    m_view->moveCursor(backwards ? QTextCursor::End : QTextCursor::Start);
    if (m_view->find(needle, flags)) {
        m_follow->setChecked(false);
        return true;
    }
    m_view->setTextCursor(kept);
    return false;
}

}  // namespace berth::gui
