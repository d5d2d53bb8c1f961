#pragma once

// The engine's configuration inside the guest: /etc/docker/daemon.json from the guest config.
// Plain functions so the host's unit tests cover exactly what the guest writes.

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "berth/contracts/guest_config.h"

namespace berth::guest {

// Where the guest keeps the engine's TLS material (from fw_cfg contracts::kGuestTlsFwCfg).
struct EngineTls {
    std::string caFile = "/etc/docker/tls/ca.pem";
    std::string certFile = "/etc/docker/tls/server-cert.pem";
    std::string keyFile = "/etc/docker/tls/server-key.pem";
};

inline constexpr int kEngineTlsPort = 2376;
inline constexpr const char* kEngineSocket = "/var/run/docker.sock";
inline constexpr const char* kContainerdSocket = "/run/containerd/containerd.sock";

// daemon.json: the admin's and user's dockerDaemonOptions, then the keys Berth controls (the
// listeners, TLS, storage and containerd, and ECI's keys from eciOptions), which always win:
// a daemon option can never open the endpoint or weaken isolation. Without TLS material the
// engine listens on its unix socket only, never on unauthenticated TCP.
nlohmann::json daemonJson(const contracts::GuestConfig& config, const nlohmann::json& eciOptions, bool haveTls,
                          const EngineTls& tls = {});

// dockerd's command line: the engine proxy in its environment, as HTTP_PROXY, HTTPS_PROXY and
// NO_PROXY in both cases (dockerd of every release reads them there for pulls and pushes).
std::vector<std::string> dockerdCommand(const contracts::EngineProxy& proxy, const std::string& configFile);

// The TLS material from fw_cfg: {"ca": PEM, "cert": PEM, "key": PEM}. Empty error when valid.
std::string checkTlsBundle(const nlohmann::json& bundle);

}  // namespace berth::guest
