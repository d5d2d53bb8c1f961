#include "log_viewer.h"

#include <QDialogButtonBox>
#include <QFile>
#include <QFileInfo>
#include <QFontDatabase>
#include <QPlainTextEdit>
#include <QVBoxLayout>

namespace berth::gui {

namespace {
constexpr qint64 kTailBytes = 256 * 1024;  // enough for a boot; a log can grow without bound
}

LogViewer::LogViewer(QWidget* parent) : QDialog(parent), m_text(new QPlainTextEdit(this))
{
    setWindowTitle(tr("Engine log"));
    m_text->setReadOnly(true);
    m_text->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_text->setAccessibleName(tr("Engine log"));
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto* column = new QVBoxLayout(this);
    column->addWidget(m_text);
    column->addWidget(buttons);
    resize(800, 500);
}

void LogViewer::showLog(const QString& source)
{
    QString content;
    if (source.isEmpty()) {
        content = tr("No log yet: the engine has not been started.");
    } else if (QFileInfo(source).isFile()) {
        QFile file(source);
        if (file.open(QIODevice::ReadOnly)) {
            file.seek(std::max<qint64>(0, file.size() - kTailBytes));
            content = QString::fromUtf8(file.readAll());
        } else {
            content = tr("Cannot read %1: %2").arg(source, file.errorString());
        }
    } else {
        content = source;
    }
    m_text->setPlainText(content);
    m_text->moveCursor(QTextCursor::End);
    show();
    raise();
}

QString LogViewer::text() const
{
    return m_text->toPlainText();
}

}  // namespace berth::gui
