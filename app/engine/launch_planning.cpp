#include "launch_planning.h"

#include "berth/contracts/guest_config.h"
#include "berth/settings/guest_config.h"
#include "berth/vm/vm_backends.h"

#include <QProcessEnvironment>

namespace berth::engine {

namespace {

namespace keys = settings::keys;

std::int64_t integer(const settings::Settings& settings, std::string_view key)
{
    return settings.get(key).value.get<std::int64_t>();
}

QString text(const settings::Settings& settings, std::string_view key)
{
    return QString::fromStdString(settings.get(key).value.get<std::string>());
}

}  // namespace

settings::EnvironmentLookup processEnvironment()
{
    return [environment = QProcessEnvironment::systemEnvironment()](std::string_view name) {
        const QString key = QString::fromUtf8(name.data(), static_cast<qsizetype>(name.size()));
        return environment.contains(key) ? std::optional(environment.value(key).toStdString()) : std::nullopt;
    };
}

PlannedLaunch planLaunch(const settings::Settings& settings, const MachineFacts& facts)
{
    PlannedLaunch decision;
    const auto guest = settings::decideLaunch(settings, facts.environment);
    if (!guest.allowed) {
        decision.refusal = QString::fromStdString(guest.refusal);
        return decision;
    }
    decision.allowed = true;
    auto& plan = decision.plan;
    plan.guestConfig = QByteArray::fromStdString(contracts::toJson(guest.guestConfig).dump());
    plan.backend = vm::makeVmBackend(text(settings, keys::kVmManager), text(settings, keys::kLibvirtUri));
    plan.resources.cpus = static_cast<int>(integer(settings, keys::kCpus));
    plan.resources.memoryMiB = static_cast<int>(integer(settings, keys::kMemoryMiB));
    // The test guest has no data disk: nothing to create or grow.
    plan.resources.dataDiskSizeBytes = facts.fullGuest ? integer(settings, keys::kDiskSizeMiB) * 1024 * 1024 : 0;
    // Unsafe by design (no TLS), so only on loopback and only when asked for.
    if (settings.get(keys::kExposeDockerApiOnTcp2375).value == true) {
        plan.extraForwards.append({2375, 2375});
        decision.warnings << QStringLiteral(
            "exposeDockerAPIOnTCP2375 is on: 127.0.0.1:2375 reaches the engine without TLS (unsafe)");
    }
    return decision;
}

}  // namespace berth::engine
