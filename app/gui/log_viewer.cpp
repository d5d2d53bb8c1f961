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

LogViewer::LogViewer(QWidget* parent) : QDialog(parent), text_(new QPlainTextEdit(this))
{
    setWindowTitle(tr("Engine log"));
    text_->setReadOnly(true);
    text_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    text_->setAccessibleName(tr("Engine log"));
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto* column = new QVBoxLayout(this);
    column->addWidget(text_);
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
    text_->setPlainText(content);
    text_->moveCursor(QTextCursor::End);
    show();
    raise();
}

QString LogViewer::text() const
{
    return text_->toPlainText();
}

}  // namespace berth::gui
