#pragma once

// planLaunch: what the settings say the next launch of the VM gets, decided at every start and
// restart so a change applied with Apply & restart reaches the VM. Pure: it reads only what it is
// given, so the engine host and its tests decide a launch the same way.

#include "berth/engine/engine_host.h"
#include "berth/settings/proxy.h"
#include "berth/settings/settings.h"

#include <QString>

#include <functional>
#include <map>
#include <string>

namespace berth::engine {

// What the host machine contributes to a launch.
struct MachineFacts {
    bool fullGuest = false;  // the guest image with dockerd, which gets the data disk and the shares
    settings::EnvironmentLookup environment;  // what "system" proxies are read from; none if empty
    // Whether a directory exists on the host; a shared directory that does not is left out (with a
    // warning), not a reason to refuse the launch. Unset: none does.
    std::function<bool(const std::string& path)> isDirectory;
    // Why host directories cannot be shared at all on this machine (virtiofsd missing), or empty.
    QString sharingUnavailable;
};

// One value of the desktop's settings as `gsettings get SCHEMA KEY` prints it ('text', 3128,
// ['a', 'b']), or empty when there is none.
using DesktopSetting = std::function<QString(const QString& schema, const QString& key)>;

// GNOME's proxy (org.gnome.system.proxy) when its mode is "manual", as the variables HTTP_PROXY,
// HTTPS_PROXY and NO_PROXY would give it; empty otherwise.
std::map<std::string, std::string> desktopProxyVariables(const DesktopSetting& setting);

// The environment this process runs in, as a desktop session gives it. Where it names no proxy at
// all, the desktop's (desktopProxyVariables through `gsettings`) stands in: many desktops set
// their proxy there alone.
settings::EnvironmentLookup processEnvironment();

PlannedLaunch planLaunch(const settings::Settings& settings, const MachineFacts& facts);

}  // namespace berth::engine
