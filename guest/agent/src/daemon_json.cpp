#include "daemon_json.h"

namespace berth::guest {

using nlohmann::json;

json daemonJson(const contracts::GuestConfig& config, const json& eciOptions, bool haveTls, const EngineTls& tls)
{
    json daemon = config.dockerDaemonOptions.is_object() ? config.dockerDaemonOptions : json::object();

    json hosts = json::array({std::string("unix://") + kEngineSocket});
    if (haveTls) { hosts.push_back("tcp://0.0.0.0:" + std::to_string(kEngineTlsPort)); }
    daemon["hosts"] = hosts;
    // Absent rather than false without TLS: dockerd then still looks for key files.
    for (const char* key : {"tls", "tlsverify", "tlscacert", "tlscert", "tlskey"}) { daemon.erase(key); }
    if (haveTls) {
        daemon["tls"] = true;
        daemon["tlsverify"] = true;
        daemon["tlscacert"] = tls.caFile;
        daemon["tlscert"] = tls.certFile;
        daemon["tlskey"] = tls.keyFile;
    }
    daemon["data-root"] = "/var/lib/docker";
    daemon["exec-root"] = "/var/run/docker";
    daemon["pidfile"] = "/var/run/docker.pid";
    daemon["containerd"] = kContainerdSocket;
    // Storage: overlay2 on the data disk, in dockerd's own image store (dockerd 26 offers
    // containerd's as a feature). ECI's wrapper and image check read overlay2's layout.
    daemon["storage-driver"] = "overlay2";
    if (!daemon["features"].is_object()) { daemon["features"] = json::object(); }
    daemon["features"]["containerd-snapshotter"] = false;
    // ECI owns these: without ECI they take dockerd's defaults, whatever the options said.
    for (const char* key : {"runtimes", "default-runtime", "userns-remap", "authorization-plugins"}) {
        daemon.erase(key);
    }
    if (eciOptions.is_object()) {
        for (const auto& [key, value] : eciOptions.items()) { daemon[key] = value; }
    }
    return daemon;
}

std::vector<std::string> dockerdCommand(const contracts::EngineProxy& proxy, const std::string& configFile)
{
    std::vector<std::string> argv;
    const auto set = [&argv](const char* upper, const char* lower, const std::string& value) {
        if (value.empty()) { return; }
        argv.push_back(std::string(upper) + "=" + value);
        argv.push_back(std::string(lower) + "=" + value);
    };
    set("HTTP_PROXY", "http_proxy", proxy.http);
    set("HTTPS_PROXY", "https_proxy", proxy.https);
    if (!argv.empty()) {
        set("NO_PROXY", "no_proxy", proxy.noProxy);
        argv.insert(argv.begin(), "/usr/bin/env");
    }
    argv.insert(argv.end(), {"/usr/sbin/dockerd", "--config-file", configFile});
    return argv;
}

std::string checkTlsBundle(const json& bundle)
{
    if (!bundle.is_object()) { return "the TLS bundle is not a JSON object"; }
    for (const char* key : {"ca", "cert", "key"}) {
        const auto it = bundle.find(key);
        if (it == bundle.end() || !it->is_string()
            || it->get_ref<const std::string&>().find("-----BEGIN ") == std::string::npos) {
            return std::string("the TLS bundle has no PEM \"") + key + "\"";
        }
    }
    return {};
}

}  // namespace berth::guest
