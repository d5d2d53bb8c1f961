#include "settings_page.h"

#include <QFormLayout>
#include <QFrame>
#include <QHBoxLayout>
#include <QIcon>
#include <QLabel>
#include <QVBoxLayout>

#include <algorithm>

#include "schema_strings.h"
#include "setting_editor.h"
#include "settings_draft.h"

namespace berth::gui {

QLabel* makePageHeading(const QString& text, QWidget* parent)
{
    auto* heading = new QLabel(text, parent);
    QFont font = heading->font();
    font.setPointSizeF(font.pointSizeF() * 1.4);
    font.setBold(true);
    heading->setFont(font);
    return heading;
}

QFrame* makeBanner(const QString& text, const QString& iconPath, QWidget* parent)
{
    auto* banner = new QFrame(parent);
    banner->setFrameShape(QFrame::StyledPanel);
    banner->setAutoFillBackground(true);
    banner->setBackgroundRole(QPalette::AlternateBase);
    auto* icon = new QLabel(banner);
    icon->setPixmap(QIcon(iconPath).pixmap(20, 20));
    auto* label = new QLabel(text, banner);
    label->setObjectName(QStringLiteral("bannerText"));
    label->setWordWrap(true);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* row = new QHBoxLayout(banner);
    row->addWidget(icon, 0, Qt::AlignTop);
    row->addWidget(label, 1);
    banner->setAccessibleName(text);
    return banner;
}

SettingsPage::SettingsPage(settings::Page page, SettingsDraft& draft, QWidget* parent)
    : QWidget(parent),
      m_page(page),
      m_draft(draft)
{
    auto* column = new QVBoxLayout(this);
    column->addWidget(makePageHeading(title(), this));

    m_banner
        = makeBanner(tr("Some settings are managed by your administrator."), QStringLiteral(":/icons/lock.svg"), this);
    m_banner->setObjectName(QStringLiteral("managedBanner"));
    m_banner->hide();
    column->addWidget(m_banner);

    auto* form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::ExpandingFieldsGrow);
    for (const auto& spec : settings::schema()) {
        if (spec.page != page) { continue; }
        SettingEditor* editor = SettingEditor::create(spec, this);
        m_editors << editor;
        const std::string key(spec.key);
        connect(editor, &SettingEditor::edited, this,
                [this, key](const nlohmann::json& value) { m_draft.set(key, value); });
        if (editor->labelsItself()) {
            form->addRow(editor);
        } else {
            auto* label = new QLabel(settingLabel(spec), this);
            label->setBuddy(editor->control());
            form->addRow(label, editor);
        }
    }
    column->addLayout(form);
    if (page != settings::Page::DockerEngine) { column->addStretch(1); }

    connect(&m_draft, &SettingsDraft::reloaded, this, &SettingsPage::refresh);
    refresh();
}

QString SettingsPage::title() const
{
    switch (m_page) {
    case settings::Page::General: return tr("General");
    case settings::Page::Resources: return tr("Resources");
    case settings::Page::Proxies: return tr("Proxies");
    case settings::Page::DockerEngine: return tr("Docker Engine");
    case settings::Page::Hidden: break;
    }
    return {};
}

SettingEditor* SettingsPage::editor(std::string_view key) const
{
    const auto it
        = std::find_if(m_editors.begin(), m_editors.end(), [&](SettingEditor* e) { return e->spec().key == key; });
    return it != m_editors.end() ? *it : nullptr;
}

bool SettingsPage::showsManagedBanner() const
{
    return !m_banner->isHidden();
}

void SettingsPage::refresh()
{
    bool anyLocked = false;
    for (SettingEditor* editor : m_editors) {
        editor->present(m_draft.effective(editor->spec().key), m_draft.value(editor->spec().key));
        anyLocked = anyLocked || editor->isLocked();
    }
    m_banner->setVisible(anyLocked);
}

}  // namespace berth::gui
