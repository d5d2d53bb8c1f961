#pragma once

// The full guest's part of the agent (its default mode): the system (filesystems, modules,
// network), the persistent data disk, the engine's configuration from the guest config, and
// containerd, ECI's services and dockerd, started in order and stopped in reverse.

#include "berth/contracts/guest_config.h"

#include <chrono>

namespace berth::guest::agent {

// The PATH every service inherits: dockerd finds iptables by name in /usr/lib/berth/fixed-layout
// first (fixed_layout_exec_main.cpp). Call it before any thread starts (setenv).
void setServicePath();
// The kernel filesystems and the directories the rest expects; throws StepFailed.
void mountSystem();
// What the channel and the power button need before anything else.
void loadChannelDrivers();
// From loading the modules to dockerd answering /_ping; throws StepFailed.
contracts::GuestConfig bootEngine();
// dockerd stops the containers itself on SIGTERM, each with its stop timeout, within dockerdGrace.
void stopEngine(std::chrono::seconds dockerdGrace);
// Before the power goes off: the data disk unmounted, or at least read-only.
void releaseDataDisk();

}  // namespace berth::guest::agent
