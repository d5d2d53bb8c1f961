#pragma once

// planLaunch: what the settings say the next launch of the VM gets, decided at every start and
// restart so a change applied with Apply & restart reaches the VM. Pure: it reads only what it is
// given, so the engine host and its tests decide a launch the same way.

#include "berth/engine/engine_host.h"
#include "berth/settings/proxy.h"
#include "berth/settings/settings.h"

namespace berth::engine {

// What the host machine contributes to a launch.
struct MachineFacts {
    bool fullGuest = false;  // the guest image with dockerd, which gets the data disk
    settings::EnvironmentLookup environment;  // what "system" proxies are read from; none if empty
};

// The environment this process runs in, as a desktop session gives it.
settings::EnvironmentLookup processEnvironment();

PlannedLaunch planLaunch(const settings::Settings& settings, const MachineFacts& facts);

}  // namespace berth::engine
