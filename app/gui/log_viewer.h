#pragma once

#include <QDialog>

class QPlainTextEdit;

namespace berth::gui {

// "Show log": the guest's serial console log (the last part of it), read-only.
class LogViewer : public QDialog {
    Q_OBJECT
public:
    explicit LogViewer(QWidget* parent = nullptr);
    // `source` is the log file the engine reports; text that is not a file is shown as it is.
    void showLog(const QString& source);
    [[nodiscard]] QString text() const;

private:
    QPlainTextEdit* m_text;
};

}  // namespace berth::gui
