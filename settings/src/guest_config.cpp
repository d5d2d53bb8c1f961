#include "berth/settings/guest_config.h"

#include <array>
#include <string_view>

#include "berth/settings/file_sharing.h"

namespace berth::settings {

namespace {

constexpr std::array<std::string_view, 4> kAdminOnlyUnderEci
    = {"userland-proxy-path", "init-path",  // programs dockerd runs or mounts for containers
       "experimental",  // checkpoint/restore through CRIU, as the VM's root
       "seccomp-profile"};  // every container's syscall filter

}  // namespace

std::vector<std::string> adminOnlyDaemonOptionsUnderEci(const nlohmann::json& daemonOptions)
{
    std::vector<std::string> found;
    if (!daemonOptions.is_object()) { return found; }
    for (const auto key : kAdminOnlyUnderEci) {
        if (daemonOptions.contains(std::string(key))) { found.emplace_back(key); }
    }
    return found;
}

contracts::GuestConfig guestConfig(const Settings& settings, const EnvironmentLookup& environment)
{
    using nlohmann::json;
    const auto value = [&](std::string_view key) { return settings.get(key).value; };
    const auto strings = [&](std::string_view key) { return value(key).get<std::vector<std::string>>(); };

    contracts::GuestConfig config;
    json daemon = json::parse(value(keys::kDockerDaemonOptions).get<std::string>(), nullptr, false);
    if (!daemon.is_object()) { daemon = json::object(); }  // validated earlier; never trust it blindly
    for (const auto key : contracts::kControlledDaemonOptions) {
        if (daemon.erase(std::string(key)) > 0) { config.overriddenDaemonOptions.emplace_back(key); }
    }
    const bool eci = value(keys::kEnhancedContainerIsolation).get<bool>();
    const Source daemonSource = settings.get(keys::kDockerDaemonOptions).source;
    const bool fromAdmin = daemonSource == Source::AdminLocked || daemonSource == Source::AdminDefault;
    if (eci && !fromAdmin) {
        for (const auto& key : adminOnlyDaemonOptionsUnderEci(daemon)) {
            daemon.erase(key);
            config.overriddenDaemonOptions.push_back(key);
        }
    }

    config.eci.enabled = eci;
    config.eci.socketMountImages = strings(keys::kSocketMountImages);
    config.eci.allowDerivedImages = value(keys::kSocketMountAllowDerivedImages).get<bool>();
    config.eci.commandListType = value(keys::kSocketMountCommandListType).get<std::string>();
    config.eci.commands = strings(keys::kSocketMountCommands);
    const auto proxy = seenFromGuest(resolveProxy(settings, ProxyUse::Engine, environment));
    config.engineProxy = {proxy.http, proxy.https, proxy.noProxy()};
    config.sharedDirectories = sharedDirectories(settings, environment).directories;
    config.blockDockerLoad = value(keys::kBlockDockerLoad).get<bool>();
    config.exposeDockerApiOnTcp2375 = value(keys::kExposeDockerApiOnTcp2375).get<bool>();
    config.dockerDaemonOptions = std::move(daemon);
    return config;
}

LaunchDecision decideLaunch(const Settings& settings, const EnvironmentLookup& environment)
{
    LaunchDecision decision;
    if (!settings.engineStartAllowed()) {
        const Diagnostic* error = settings.adminPolicy().firstError();
        decision.refusal = "The administrator's settings file " + settings.adminPolicy().file
            + " is invalid, so the engine will not start until it is fixed: "
            + (error != nullptr ? error->format() : std::string("unknown problem"));
        return decision;
    }
    decision.allowed = true;
    decision.guestConfig = guestConfig(settings, environment);
    decision.warnings = sharedDirectories(settings, environment).problems;
    return decision;
}

}  // namespace berth::settings
