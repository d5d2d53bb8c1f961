#pragma once

// Enhanced Container Isolation inside the guest, as the guest agent sees it. At every boot the
// agent reads the guest config (contracts::parseGuestConfig) and then, in this order:
//   1. calls prepareBoot(guestConfig) after the data disk is mounted on /var/lib/docker and before
//      containerd starts; a non-empty result means ECI cannot be guaranteed: the agent reports it
//      as an error and does not start dockerd (fail closed);
//   2. merges daemonOptions(guestConfig) over the daemon.json it builds (these keys win);
//   3. starts services(guestConfig) before dockerd and stops them after dockerd at shutdown.
// guest/eci/README.md describes the pieces behind these calls.

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "berth/contracts/guest_config.h"

namespace berth::guest::eci {

// guestConfig: the guest config from fw_cfg, as contracts::parseGuestConfig read it.
//
// With ECI on: writes the policy for the runtime wrapper (/run/berth/eci/policy.json), puts the
// wrapper in place of Debian's runc (a bind mount over /usr/sbin/runc, keeping runc reachable at
// /run/berth/eci/runc) so `--runtime=runc` and BuildKit's RUN steps are isolated too, and frees
// every user-namespace ID block (no container runs before dockerd), shifting back upper layers a
// crash left shifted. With ECI off: only the last part. Returns an error message, or empty.
std::string prepareBoot(const contracts::GuestConfig& guestConfig);

// Registers the wrapper as runtime "sysbox-runc" (always, so containers created while ECI was on
// still start) and the authorization plugin "berth-eci" (always: dockerd then needs it for every
// request, so ECI fails closed; with ECI off it still refuses binds of paths neither shared from
// the host nor in the VM, and enforces blockDockerLoad); with ECI on, makes the wrapper the
// default runtime.
nlohmann::json daemonOptions(const contracts::GuestConfig& guestConfig);

struct Service {
    std::string name;  // for logs and phases
    std::vector<std::string> argv;  // argv[0] is an absolute path in the guest
    std::string readyPath;  // ready once this exists (its socket); dockerd waits for it
};
// With ECI on: berth-eci-authz, the authorization plugin (/run/docker/plugins/berth-eci.sock). It
// reads the guest config itself (strictly: an error ends it, and dockerd then refuses every
// request) and runs prepareBoot() before it listens, so the ordering above holds even when the
// agent has not called it (calling it twice is harmless). Then berth-eci-socket, the engine socket
// that allowed containers get in place of /run/docker.sock (socket_proxy.h). With ECI off: the
// plugin alone (file sharing's "Mounts denied", blockDockerLoad).
std::vector<Service> services(const contracts::GuestConfig& guestConfig);

}  // namespace berth::guest::eci
