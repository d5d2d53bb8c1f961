#include "user_prompts.h"

#include <QMessageBox>
#include <QPushButton>

namespace berth::gui {

UserPrompts::ExistingContainersChoice
MessageBoxPrompts::askAboutUnprotectedContainers(const QVector<ContainerInfo>& containers)
{
    QMessageBox box(QMessageBox::Warning, tr("Existing containers were not checked by isolation"),
                    tr("%n container(s) were created before Enhanced Container Isolation was turned on. "
                       "After the restart they run isolated, but ECI did not check how they were created: "
                       "any that share a host namespace or mount a VM path or the engine socket will fail "
                       "to start.",
                       nullptr, static_cast<int>(containers.size())),
                    QMessageBox::NoButton, m_parent);
    QStringList names;
    for (const auto& c : containers) { names << c.name; }
    box.setDetailedText(names.join(QLatin1Char('\n')));
    box.setInformativeText(tr("Remove them (stop and remove) before the restart?"));
    QPushButton* remove = box.addButton(tr("Remove containers and restart"), QMessageBox::DestructiveRole);
    QPushButton* keep = box.addButton(tr("Restart and keep them"), QMessageBox::AcceptRole);
    QPushButton* cancel = box.addButton(QMessageBox::Cancel);
    remove->setObjectName(QStringLiteral("removeContainersButton"));
    keep->setObjectName(QStringLiteral("keepContainersButton"));
    box.setDefaultButton(cancel);
    box.setEscapeButton(cancel);
    box.exec();
    if (box.clickedButton() == remove) { return ExistingContainersChoice::RemoveThem; }
    if (box.clickedButton() == keep) { return ExistingContainersChoice::KeepThem; }
    return ExistingContainersChoice::Cancel;
}

QString MessageBoxPrompts::invalidPolicyText(const settings::AdminPolicy& policy)
{
    QStringList lines;
    for (const auto& d : policy.diagnostics) {
        if (d.severity != settings::Diagnostic::Severity::Error) { continue; }
        QString line = tr("%1, line %2, column %3: %4")
                           .arg(QString::fromStdString(d.file))
                           .arg(d.line)
                           .arg(d.column)
                           .arg(QString::fromStdString(d.message));
        if (!d.fix.empty()) { line += QLatin1Char('\n') + tr("Fix: %1").arg(QString::fromStdString(d.fix)); }
        lines << line;
    }
    return lines.join(QStringLiteral("\n\n"));
}

void MessageBoxPrompts::showInvalidAdminPolicy(const settings::AdminPolicy& policy)
{
    QMessageBox box(QMessageBox::Critical, tr("Administrator settings are invalid"),
                    tr("%1 is invalid. Berth will not start the engine until your administrator fixes it.")
                        .arg(QString::fromStdString(policy.file)),
                    QMessageBox::Ok, m_parent);
    box.setInformativeText(invalidPolicyText(policy));
    box.setObjectName(QStringLiteral("invalidAdminPolicyDialog"));
    box.exec();
}

void MessageBoxPrompts::showError(const QString& title, const QString& message)
{
    QMessageBox box(QMessageBox::Critical, title, message, QMessageBox::Ok, m_parent);
    box.exec();
}

}  // namespace berth::gui
