#include "setting_editor.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QIcon>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QStyle>
#include <QVBoxLayout>

#include <limits>

#include "berth/settings/file_sharing.h"
#include "schema_strings.h"

namespace berth::gui {

namespace {

using nlohmann::json;
using settings::SettingSpec;

class BoolEditor final : public SettingEditor {
public:
    BoolEditor(const SettingSpec& spec, QWidget* parent) : SettingEditor(spec, parent), m_box(new QCheckBox(this))
    {
        m_box->setText(settingLabel(spec));
        install(m_box);
        connect(m_box, &QCheckBox::toggled, this, [this](bool on) { userEdited(on); });
    }
    QWidget* control() const override { return m_box; }
    bool labelsItself() const override { return true; }

protected:
    void display(const json& value) override { m_box->setChecked(value.is_boolean() && value.get<bool>()); }

private:
    QCheckBox* m_box;
};

class IntegerEditor final : public SettingEditor {
public:
    IntegerEditor(const SettingSpec& spec, QWidget* parent) : SettingEditor(spec, parent), m_spin(new QSpinBox(this))
    {
        constexpr auto kIntMax = static_cast<std::int64_t>(std::numeric_limits<int>::max());
        m_spin->setRange(static_cast<int>(std::min(spec.minimum, kIntMax)),
                         static_cast<int>(std::min(spec.maximum, kIntMax)));
        m_spin->setKeyboardTracking(false);  // one edit per finished number, not per digit
        install(m_spin);
        connect(m_spin, &QSpinBox::valueChanged, this, [this](int v) { userEdited(v); });
    }
    QWidget* control() const override { return m_spin; }

protected:
    void display(const json& value) override
    {
        if (value.is_number_integer()) { m_spin->setValue(static_cast<int>(value.get<std::int64_t>())); }
    }

private:
    QSpinBox* m_spin;
};

class EnumEditor final : public SettingEditor {
public:
    EnumEditor(const SettingSpec& spec, QWidget* parent) : SettingEditor(spec, parent), m_combo(new QComboBox(this))
    {
        for (const auto& choice : spec.choices) {
            m_combo->addItem(choiceLabel(choice), QString::fromStdString(choice));
        }
        install(m_combo);
        connect(m_combo, &QComboBox::currentIndexChanged, this,
                [this](int index) { userEdited(m_combo->itemData(index).toString().toStdString()); });
    }
    QWidget* control() const override { return m_combo; }

protected:
    void display(const json& value) override
    {
        if (value.is_string()) {
            m_combo->setCurrentIndex(m_combo->findData(QString::fromStdString(value.get<std::string>())));
        }
    }

private:
    QComboBox* m_combo;
};

// Strings and string lists: one line of text, parsed by the library as `berthctl settings set` is.
class TextEditor final : public SettingEditor {
public:
    TextEditor(const SettingSpec& spec, QWidget* parent) : SettingEditor(spec, parent), m_line(new QLineEdit(this))
    {
        install(m_line);
        connect(m_line, &QLineEdit::textEdited, this, [this](const QString& text) {
            auto parsed = settings::parseValueText(this->spec(), text.toStdString());
            showProblem(QString::fromStdString(parsed.error));
            if (parsed.error.empty()) { userEdited(parsed.value); }
        });
    }
    QWidget* control() const override { return m_line; }

protected:
    void display(const json& value) override { m_line->setText(QString::fromStdString(settings::displayValue(value))); }

private:
    QLineEdit* m_line;
};

// Docker Engine's daemon options: a JSON editor validated as the user types.
class JsonObjectEditor final : public SettingEditor {
public:
    JsonObjectEditor(const SettingSpec& spec, QWidget* parent)
        : SettingEditor(spec, parent),
          m_text(new QPlainTextEdit(this))
    {
        m_text->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
        m_text->setTabChangesFocus(true);  // keep Tab for keyboard navigation
        m_text->setMinimumHeight(200);
        install(m_text);
        connect(m_text, &QPlainTextEdit::textChanged, this, [this] {
            const json value = m_text->toPlainText().toStdString();
            const auto problem = settings::typeError(this->spec(), value);
            showProblem(problem ? QString::fromStdString(*problem) : QString());
            userEdited(value);  // an invalid draft is kept, so Apply stays disabled until it is fixed
        });
    }
    QWidget* control() const override { return m_text; }

protected:
    void display(const json& value) override
    {
        const QString text = value.is_string() ? QString::fromStdString(value.get<std::string>()) : QString();
        if (m_text->toPlainText() != text) { m_text->setPlainText(text); }
    }

private:
    QPlainTextEdit* m_text;
};

// Directories (file sharing): a list, Add… (a folder chooser) and Remove. The list and its buttons
// are one control, so a lock greys them out together.
class DirectoryListEditor final : public SettingEditor {
public:
    DirectoryListEditor(const SettingSpec& spec, QWidget* parent)
        : SettingEditor(spec, parent),
          m_box(new QWidget(this)),
          m_list(new QListWidget(m_box)),
          m_add(new QPushButton(SettingEditor::tr("Add…"), m_box)),
          m_remove(new QPushButton(SettingEditor::tr("Remove"), m_box))
    {
        m_list->setObjectName(key() + QStringLiteral(".list"));
        m_list->setAccessibleName(settingLabel(spec));
        m_list->setSelectionMode(QAbstractItemView::ExtendedSelection);
        m_list->setMaximumHeight(m_list->fontMetrics().height() * 8);
        m_add->setObjectName(key() + QStringLiteral(".add"));
        m_add->setAccessibleName(SettingEditor::tr("Add a directory to share"));
        m_remove->setObjectName(key() + QStringLiteral(".remove"));
        m_remove->setAccessibleName(SettingEditor::tr("Stop sharing the selected directories"));
        m_remove->setEnabled(false);
        auto* buttons = new QVBoxLayout;
        buttons->addWidget(m_add);
        buttons->addWidget(m_remove);
        buttons->addStretch(1);
        auto* row = new QHBoxLayout(m_box);
        row->setContentsMargins(0, 0, 0, 0);
        row->addWidget(m_list, 1);
        row->addLayout(buttons);
        // The box stands for the list: a label's buddy and the editor's focus go to it.
        m_box->setFocusPolicy(Qt::StrongFocus);
        m_box->setFocusProxy(m_list);
        install(m_box);
        connect(m_list, &QListWidget::itemSelectionChanged, this,
                [this] { m_remove->setEnabled(!m_list->selectedItems().isEmpty()); });
        connect(m_add, &QPushButton::clicked, this, &DirectoryListEditor::addDirectory);
        connect(m_remove, &QPushButton::clicked, this, &DirectoryListEditor::removeSelected);
    }
    QWidget* control() const override { return m_box; }

protected:
    void display(const json& value) override
    {
        QStringList entries;
        if (value.is_array()) {
            for (const auto& item : value) {
                if (item.is_string()) { entries << QString::fromStdString(item.get<std::string>()); }
            }
        }
        if (entries != shownEntries()) {
            m_list->clear();
            m_list->addItems(entries);
        }
    }

private:
    QStringList shownEntries() const
    {
        QStringList entries;
        for (int i = 0; i < m_list->count(); ++i) { entries << m_list->item(i)->text(); }
        return entries;
    }

    void changed()
    {
        json value = json::array();
        for (const QString& entry : shownEntries()) { value.push_back(entry.toStdString()); }
        showProblem({});
        userEdited(value);
    }

    void addDirectory()
    {
        const QString chosen = QFileDialog::getExistingDirectory(this, SettingEditor::tr("Choose a directory to share"),
                                                                 QDir::homePath());
        if (chosen.isEmpty()) { return; }
        const QString path = QDir::cleanPath(chosen);
        if (const auto shown = m_list->findItems(path, Qt::MatchExactly); !shown.isEmpty()) {
            m_list->setCurrentItem(shown.first());
            return;
        }
        if (const auto problem = settings::directoryEntryError(path.toStdString())) {
            showProblem(QString::fromStdString(*problem));
            return;
        }
        m_list->addItem(path);
        m_list->setCurrentRow(m_list->count() - 1);
        changed();
    }

    void removeSelected()
    {
        const QList<QListWidgetItem*> selected = m_list->selectedItems();
        if (selected.isEmpty()) { return; }
        for (QListWidgetItem* item : selected) { delete m_list->takeItem(m_list->row(item)); }
        changed();
    }

    QWidget* m_box;
    QListWidget* m_list;
    QPushButton* m_add;
    QPushButton* m_remove;
};

}  // namespace

SettingEditor* SettingEditor::create(const SettingSpec& spec, QWidget* parent)
{
    switch (spec.type) {
    case settings::ValueType::Bool: return new BoolEditor(spec, parent);
    case settings::ValueType::Integer: return new IntegerEditor(spec, parent);
    case settings::ValueType::Enum: return new EnumEditor(spec, parent);
    case settings::ValueType::String:
    case settings::ValueType::ProxyAddress:
    case settings::ValueType::StringList: return new TextEditor(spec, parent);
    case settings::ValueType::JsonObjectString: return new JsonObjectEditor(spec, parent);
    case settings::ValueType::DirectoryList: return new DirectoryListEditor(spec, parent);
    }
    return new TextEditor(spec, parent);
}

SettingEditor::SettingEditor(const SettingSpec& spec, QWidget* parent) : QWidget(parent), m_spec(spec)
{
    setObjectName(key());
}

void SettingEditor::install(QWidget* control)
{
    control->setObjectName(key() + QStringLiteral(".control"));
    control->setAccessibleName(settingLabel(m_spec));
    control->setAccessibleDescription(settingDescription(m_spec));

    m_lockIcon = new QLabel(this);
    m_lockIcon->setPixmap(QIcon(QStringLiteral(":/icons/lock.svg")).pixmap(16, 16));
    m_lockIcon->setAccessibleName(tr("Locked"));
    m_lockIcon->hide();

    m_problem = new QLabel(this);
    m_problem->setObjectName(key() + QStringLiteral(".problem"));
    m_problem->setWordWrap(true);
    m_problem->setForegroundRole(QPalette::BrightText);
    m_problem->setStyleSheet(QStringLiteral("color: #c62828;"));  // readable on light and dark palettes
    m_problem->hide();

    auto* row = new QHBoxLayout;
    row->setContentsMargins(0, 0, 0, 0);
    row->addWidget(control, 1);
    row->addWidget(m_lockIcon, 0, Qt::AlignTop);
    auto* column = new QVBoxLayout(this);
    column->setContentsMargins(0, 0, 0, 0);
    column->addLayout(row);
    const QString description = settingDescription(m_spec);
    if (!description.isEmpty()) {
        auto* hint = new QLabel(description, this);
        hint->setObjectName(key() + QStringLiteral(".description"));
        hint->setWordWrap(true);
        hint->setForegroundRole(QPalette::PlaceholderText);
        // Under a check box the text lines up with the box's label, not with the box.
        hint->setIndent(labelsItself() ? style()->pixelMetric(QStyle::PM_IndicatorWidth) + 6 : 0);
        column->addWidget(hint);
    }
    column->addWidget(m_problem);
    setFocusProxy(control);
}

void SettingEditor::present(const settings::EffectiveValue& effective, const nlohmann::json& shown)
{
    m_presenting = true;
    display(shown);
    m_presenting = false;

    m_locked = effective.locked();
    QWidget* c = control();
    c->setEnabled(!m_locked);
    m_lockIcon->setVisible(m_locked);
    const QString why = m_locked
        ? tr("Locked by your administrator (%1)").arg(QString::fromStdString(effective.lockedBy))
        : settingDescription(m_spec);
    c->setToolTip(why);
    m_lockIcon->setToolTip(why);
    c->setAccessibleDescription(why);
}

void SettingEditor::userEdited(const nlohmann::json& value)
{
    if (!m_presenting && !m_locked) { emit edited(value); }
}

void SettingEditor::showProblem(const QString& problem)
{
    m_problem->setText(problem);
    m_problem->setVisible(!problem.isEmpty());
}

}  // namespace berth::gui
