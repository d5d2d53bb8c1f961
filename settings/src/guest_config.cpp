#include "berth/settings/guest_config.h"

#include <array>
#include <string_view>

namespace berth::settings {

namespace {

constexpr std::array<std::string_view, 15> kControlledDaemonOptions = {"hosts",
                                                                       "tls",
                                                                       "tlsverify",
                                                                       "tlscacert",
                                                                       "tlscert",
                                                                       "tlskey",  // the endpoint
                                                                       "data-root",
                                                                       "exec-root",
                                                                       "pidfile",
                                                                       "containerd",  // the data disk and sockets
                                                                       "runtimes",
                                                                       "default-runtime",
                                                                       "userns-remap",  // ECI's runtime
                                                                       "authorization-plugins",
                                                                       "no-new-privileges"};  // ECI's API policy

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

nlohmann::json guestConfig(const Settings& settings)
{
    using nlohmann::json;
    const auto value = [&](std::string_view key) { return settings.get(key).value; };

    json daemon = json::parse(value(keys::kDockerDaemonOptions).get<std::string>(), nullptr, false);
    if (!daemon.is_object()) { daemon = json::object(); }  // validated earlier; never trust it blindly
    json overridden = json::array();
    for (const auto key : kControlledDaemonOptions) {
        if (daemon.erase(std::string(key)) > 0) { overridden.push_back(key); }
    }
    const bool eci = value(keys::kEnhancedContainerIsolation).get<bool>();
    const Source daemonSource = settings.get(keys::kDockerDaemonOptions).source;
    const bool fromAdmin = daemonSource == Source::AdminLocked || daemonSource == Source::AdminDefault;
    if (eci && !fromAdmin) {
        for (const auto& key : adminOnlyDaemonOptionsUnderEci(daemon)) {
            daemon.erase(key);
            overridden.push_back(key);
        }
    }
    if (eci) { daemon["default-runtime"] = "sysbox-runc"; }

    return json{
        {"configVersion", kGuestConfigVersion},
        {"enhancedContainerIsolation",
         {{"enabled", eci},
          {"dockerSocketMount",
           {{"imageList",
             {{"images", value(keys::kSocketMountImages)},
              {"allowDerivedImages", value(keys::kSocketMountAllowDerivedImages)}}},
            {"commandList",
             {{"type", value(keys::kSocketMountCommandListType)}, {"commands", value(keys::kSocketMountCommands)}}}}}}},
        {"blockDockerLoad", value(keys::kBlockDockerLoad)},
        {"exposeDockerAPIOnTCP2375", value(keys::kExposeDockerApiOnTcp2375)},
        {"dockerDaemonOptions", daemon},
        {"overriddenDaemonOptions", overridden},
    };
}

LaunchDecision decideLaunch(const Settings& settings)
{
    if (!settings.engineStartAllowed()) {
        const Diagnostic* error = settings.adminPolicy().firstError();
        return {false,
                {},
                "The administrator's settings file " + settings.adminPolicy().file
                    + " is invalid, so the engine will not start until it is fixed: "
                    + (error != nullptr ? error->format() : std::string("unknown problem"))};
    }
    return {true, guestConfig(settings), {}};
}

}  // namespace berth::settings
