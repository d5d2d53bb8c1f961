#include "launch_planning.h"

#include "berth/contracts/guest_config.h"
#include "berth/contracts/shared_directories.h"
#include "berth/settings/guest_config.h"
#include "berth/vm/vm_backends.h"

#include <QProcess>
#include <QProcessEnvironment>
#include <QStandardPaths>

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

std::map<std::string, std::string> desktopProxyVariables(const DesktopSetting& setting)
{
    static const QString kSchema = QStringLiteral("org.gnome.system.proxy");
    const auto text = [](QString value) {
        value = value.trimmed();
        if (value.size() >= 2 && value.startsWith(QLatin1Char('\'')) && value.endsWith(QLatin1Char('\''))) {
            value = value.mid(1, value.size() - 2);
        }
        return value;
    };
    std::map<std::string, std::string> variables;
    if (text(setting(kSchema, QStringLiteral("mode"))) != QLatin1String("manual")) { return variables; }
    const auto address = [&](const QString& scheme, const char* variable) {
        const QString schema = kSchema + QLatin1Char('.') + scheme;
        const QString host = text(setting(schema, QStringLiteral("host")));
        const QString port = text(setting(schema, QStringLiteral("port"))).section(QLatin1Char(' '), -1);
        if (host.isEmpty() || port.isEmpty() || port == QLatin1String("0")) { return; }
        variables[variable] = QStringLiteral("http://%1:%2").arg(host, port).toStdString();
    };
    address(QStringLiteral("http"), "HTTP_PROXY");
    address(QStringLiteral("https"), "HTTPS_PROXY");
    // ['localhost', '127.0.0.0/8'] (or "@as []" when empty)
    QStringList hosts;
    for (const QString& item : text(setting(kSchema, QStringLiteral("ignore-hosts")))
                                   .remove(QLatin1Char('['))
                                   .remove(QLatin1Char(']'))
                                   .split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        if (const QString host = text(item); !host.isEmpty() && !host.startsWith(QLatin1Char('@'))) { hosts << host; }
    }
    if (!variables.empty() && !hosts.isEmpty()) { variables["NO_PROXY"] = hosts.join(QLatin1Char(',')).toStdString(); }
    return variables;
}

namespace {

QString gsettings(const QString& schema, const QString& key)
{
    QProcess process;
    process.start(QStringLiteral("gsettings"), {QStringLiteral("get"), schema, key});
    if (!process.waitForFinished(3000) || process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0) {
        process.kill();
        process.waitForFinished(1000);
        return {};
    }
    return QString::fromUtf8(process.readAllStandardOutput());
}

}  // namespace

settings::EnvironmentLookup processEnvironment()
{
    const auto environment = QProcessEnvironment::systemEnvironment();
    std::map<std::string, std::string> desktop;
    const bool namesAProxy = [&] {
        for (const char* name : {"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"}) {
            if (!environment.value(QLatin1String(name)).isEmpty()) { return true; }
        }
        return false;
    }();
    if (!namesAProxy && !QStandardPaths::findExecutable(QStringLiteral("gsettings")).isEmpty()) {
        desktop = desktopProxyVariables(gsettings);
    }
    return [environment, desktop](std::string_view name) -> std::optional<std::string> {
        const QString key = QString::fromUtf8(name.data(), static_cast<qsizetype>(name.size()));
        if (environment.contains(key)) { return environment.value(key).toStdString(); }
        if (const auto it = desktop.find(QString(key).toUpper().toStdString()); it != desktop.end()) {
            return it->second;
        }
        return std::nullopt;
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
    for (const auto& warning : guest.warnings) { decision.warnings << QString::fromStdString(warning); }
    auto& plan = decision.plan;
    auto config = guest.guestConfig;
    // Shared where the guest can mount them (the full guest) and they exist; the guest config
    // and the VM's devices name the same list, in the same order.
    std::vector<std::string> shared;
    for (const auto& path : config.sharedDirectories) {
        if (!facts.fullGuest) { break; }
        if (!facts.sharingUnavailable.isEmpty()) {
            decision.warnings
                << QStringLiteral("%1 is not shared: %2").arg(QString::fromStdString(path), facts.sharingUnavailable);
        } else if (!facts.isDirectory || !facts.isDirectory(path)) {
            decision.warnings << QStringLiteral("%1 is not shared: it does not exist or is not a directory")
                                     .arg(QString::fromStdString(path));
        } else {
            plan.sharedDirectories.append(
                {QString::fromStdString(path), QString::fromStdString(contracts::sharedDirectoryTag(shared.size()))});
            shared.push_back(path);
        }
    }
    config.sharedDirectories = shared;
    plan.guestConfig = QByteArray::fromStdString(contracts::toJson(config).dump());
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
