#include "setting_editor.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QIcon>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QSpinBox>
#include <QStyle>
#include <QVBoxLayout>

#include <limits>

#include "schema_strings.h"

namespace berth::gui {

namespace {

using nlohmann::json;
using settings::SettingSpec;

class BoolEditor final : public SettingEditor {
public:
    BoolEditor(const SettingSpec& spec, QWidget* parent) : SettingEditor(spec, parent), box_(new QCheckBox(this))
    {
        box_->setText(settingLabel(spec));
        install(box_);
        connect(box_, &QCheckBox::toggled, this, [this](bool on) { userEdited(on); });
    }
    QWidget* control() const override { return box_; }
    bool labelsItself() const override { return true; }

protected:
    void display(const json& value) override { box_->setChecked(value.is_boolean() && value.get<bool>()); }

private:
    QCheckBox* box_;
};

class IntegerEditor final : public SettingEditor {
public:
    IntegerEditor(const SettingSpec& spec, QWidget* parent) : SettingEditor(spec, parent), spin_(new QSpinBox(this))
    {
        constexpr auto kIntMax = static_cast<std::int64_t>(std::numeric_limits<int>::max());
        spin_->setRange(static_cast<int>(std::min(spec.minimum, kIntMax)),
                        static_cast<int>(std::min(spec.maximum, kIntMax)));
        spin_->setKeyboardTracking(false);  // one edit per finished number, not per digit
        install(spin_);
        connect(spin_, &QSpinBox::valueChanged, this, [this](int v) { userEdited(v); });
    }
    QWidget* control() const override { return spin_; }

protected:
    void display(const json& value) override
    {
        if (value.is_number_integer()) { spin_->setValue(static_cast<int>(value.get<std::int64_t>())); }
    }

private:
    QSpinBox* spin_;
};

class EnumEditor final : public SettingEditor {
public:
    EnumEditor(const SettingSpec& spec, QWidget* parent) : SettingEditor(spec, parent), combo_(new QComboBox(this))
    {
        for (const auto& choice : spec.choices) {
            combo_->addItem(choiceLabel(choice), QString::fromStdString(choice));
        }
        install(combo_);
        connect(combo_, &QComboBox::currentIndexChanged, this,
                [this](int index) { userEdited(combo_->itemData(index).toString().toStdString()); });
    }
    QWidget* control() const override { return combo_; }

protected:
    void display(const json& value) override
    {
        if (value.is_string()) {
            combo_->setCurrentIndex(combo_->findData(QString::fromStdString(value.get<std::string>())));
        }
    }

private:
    QComboBox* combo_;
};

// Strings and string lists: one line of text, parsed by the library as `berthctl settings set` is.
class TextEditor final : public SettingEditor {
public:
    TextEditor(const SettingSpec& spec, QWidget* parent) : SettingEditor(spec, parent), line_(new QLineEdit(this))
    {
        install(line_);
        connect(line_, &QLineEdit::textEdited, this, [this](const QString& text) {
            auto parsed = settings::parseValueText(this->spec(), text.toStdString());
            showProblem(QString::fromStdString(parsed.error));
            if (parsed.error.empty()) { userEdited(parsed.value); }
        });
    }
    QWidget* control() const override { return line_; }

protected:
    void display(const json& value) override { line_->setText(QString::fromStdString(settings::displayValue(value))); }

private:
    QLineEdit* line_;
};

// Docker Engine's daemon options: a JSON editor validated as the user types.
class JsonObjectEditor final : public SettingEditor {
public:
    JsonObjectEditor(const SettingSpec& spec, QWidget* parent)
        : SettingEditor(spec, parent),
          text_(new QPlainTextEdit(this))
    {
        text_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
        text_->setTabChangesFocus(true);  // keep Tab for keyboard navigation
        text_->setMinimumHeight(200);
        install(text_);
        connect(text_, &QPlainTextEdit::textChanged, this, [this] {
            const json value = text_->toPlainText().toStdString();
            const auto problem = settings::typeError(this->spec(), value);
            showProblem(problem ? QString::fromStdString(*problem) : QString());
            userEdited(value);  // an invalid draft is kept, so Apply stays disabled until it is fixed
        });
    }
    QWidget* control() const override { return text_; }

protected:
    void display(const json& value) override
    {
        const QString text = value.is_string() ? QString::fromStdString(value.get<std::string>()) : QString();
        if (text_->toPlainText() != text) { text_->setPlainText(text); }
    }

private:
    QPlainTextEdit* text_;
};

}  // namespace

SettingEditor* SettingEditor::create(const SettingSpec& spec, QWidget* parent)
{
    switch (spec.type) {
    case settings::ValueType::Bool: return new BoolEditor(spec, parent);
    case settings::ValueType::Integer: return new IntegerEditor(spec, parent);
    case settings::ValueType::Enum: return new EnumEditor(spec, parent);
    case settings::ValueType::String:
    case settings::ValueType::StringList: return new TextEditor(spec, parent);
    case settings::ValueType::JsonObjectString: return new JsonObjectEditor(spec, parent);
    }
    return new TextEditor(spec, parent);
}

SettingEditor::SettingEditor(const SettingSpec& spec, QWidget* parent) : QWidget(parent), spec_(spec)
{
    setObjectName(key());
}

void SettingEditor::install(QWidget* control)
{
    control->setObjectName(key() + QStringLiteral(".control"));
    control->setAccessibleName(settingLabel(spec_));
    control->setAccessibleDescription(settingDescription(spec_));

    lockIcon_ = new QLabel(this);
    lockIcon_->setPixmap(QIcon(QStringLiteral(":/icons/lock.svg")).pixmap(16, 16));
    lockIcon_->setAccessibleName(tr("Locked"));
    lockIcon_->hide();

    problem_ = new QLabel(this);
    problem_->setObjectName(key() + QStringLiteral(".problem"));
    problem_->setWordWrap(true);
    problem_->setForegroundRole(QPalette::BrightText);
    problem_->setStyleSheet(QStringLiteral("color: #c62828;"));  // readable on light and dark palettes
    problem_->hide();

    auto* row = new QHBoxLayout;
    row->setContentsMargins(0, 0, 0, 0);
    row->addWidget(control, 1);
    row->addWidget(lockIcon_, 0, Qt::AlignTop);
    auto* column = new QVBoxLayout(this);
    column->setContentsMargins(0, 0, 0, 0);
    column->addLayout(row);
    const QString description = settingDescription(spec_);
    if (!description.isEmpty()) {
        auto* hint = new QLabel(description, this);
        hint->setObjectName(key() + QStringLiteral(".description"));
        hint->setWordWrap(true);
        hint->setForegroundRole(QPalette::PlaceholderText);
        // Under a check box the text lines up with the box's label, not with the box.
        hint->setIndent(labelsItself() ? style()->pixelMetric(QStyle::PM_IndicatorWidth) + 6 : 0);
        column->addWidget(hint);
    }
    column->addWidget(problem_);
    setFocusProxy(control);
}

void SettingEditor::present(const settings::EffectiveValue& effective, const nlohmann::json& shown)
{
    presenting_ = true;
    display(shown);
    presenting_ = false;

    locked_ = effective.locked();
    QWidget* c = control();
    c->setEnabled(!locked_);
    lockIcon_->setVisible(locked_);
    const QString why = locked_
        ? tr("Locked by your administrator (%1)").arg(QString::fromStdString(effective.lockedBy))
        : settingDescription(spec_);
    c->setToolTip(why);
    lockIcon_->setToolTip(why);
    c->setAccessibleDescription(why);
}

void SettingEditor::userEdited(const nlohmann::json& value)
{
    if (!presenting_ && !locked_) { emit edited(value); }
}

void SettingEditor::showProblem(const QString& problem)
{
    problem_->setText(problem);
    problem_->setVisible(!problem.isEmpty());
}

}  // namespace berth::gui
