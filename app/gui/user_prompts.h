#pragma once

#include <QCoreApplication>
#include <QVector>

#include "berth/settings/admin_policy.h"
#include "container_source.h"

class QWidget;

namespace berth::gui {

// The questions and errors that need a modal answer, behind an interface so tests answer them
// without a dialog (and the real dialogs are tested on their own).
class UserPrompts {
public:
    enum class ExistingContainersChoice { RemoveThem, KeepThem, Cancel };

    virtual ~UserPrompts() = default;
    // ECI is being turned on while containers exist that it will not protect.
    virtual ExistingContainersChoice askAboutUnprotectedContainers(const QVector<ContainerInfo>& containers) = 0;
    // The admin file is present but invalid: the engine will not start.
    virtual void showInvalidAdminPolicy(const settings::AdminPolicy& policy) = 0;
    virtual void showError(const QString& title, const QString& message) = 0;
};

// The production prompts: QMessageBox dialogs parented to `parent`.
class MessageBoxPrompts final : public UserPrompts {
    Q_DECLARE_TR_FUNCTIONS(MessageBoxPrompts)
public:
    explicit MessageBoxPrompts(QWidget* parent = nullptr) : m_parent(parent) {}
    void setParent(QWidget* parent) { m_parent = parent; }

    ExistingContainersChoice askAboutUnprotectedContainers(const QVector<ContainerInfo>& containers) override;
    void showInvalidAdminPolicy(const settings::AdminPolicy& policy) override;
    void showError(const QString& title, const QString& message) override;

    // The dialog text for an invalid policy: file, line, column and fix of each error.
    static QString invalidPolicyText(const settings::AdminPolicy& policy);

private:
    QWidget* m_parent;
};

}  // namespace berth::gui
