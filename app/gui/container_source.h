#pragma once

#include <QString>
#include <QVector>

namespace berth::gui {

// One container as the dashboard lists it.
struct ContainerInfo {
    QString name;
    QString image;
    QString runtime;  // the OCI runtime docker reports; ECI's is "sysbox-runc"

    [[nodiscard]] bool isolated() const { return runtime == QLatin1String("sysbox-runc"); }
};

// The engine's containers. The engine API client comes later; until then production uses
// NoContainers and tests use a fake, so the dashboard list and the remove dialog are real paths.
class ContainerSource {
public:
    virtual ~ContainerSource() = default;
    virtual QVector<ContainerInfo> list() = 0;
    // Stops and removes every container; returns an error message, empty on success.
    virtual QString removeAll() = 0;
};

class NoContainers final : public ContainerSource {
public:
    QVector<ContainerInfo> list() override { return {}; }
    QString removeAll() override { return {}; }
};

}  // namespace berth::gui
