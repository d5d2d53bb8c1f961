// daemon.json as the guest agent writes it: the options come through, Berth's keys always win.

#include "daemon_json.h"

#include <gtest/gtest.h>

using berth::guest::daemonJson;
using nlohmann::json;

namespace {

berth::contracts::GuestConfig configWith(json daemonOptions)
{
    berth::contracts::GuestConfig config;
    config.dockerDaemonOptions = std::move(daemonOptions);
    return config;
}

}  // namespace

TEST(DaemonJson, KeepsTheUsersOptions)
{
    const json daemon
        = daemonJson(configWith({{"log-level", "warn"}, {"features", {{"buildkit", true}}}}), json::object(), true);
    EXPECT_EQ(daemon["log-level"], "warn");
    EXPECT_EQ(daemon["features"]["buildkit"], true);
}

TEST(DaemonJson, TlsEndpointAndUnixSocketOnly)
{
    const json daemon = daemonJson(configWith(json::object()), json::object(), true);
    EXPECT_EQ(daemon["hosts"], json::array({"unix:///var/run/docker.sock", "tcp://0.0.0.0:2376"}));
    EXPECT_EQ(daemon["tlsverify"], true);
    EXPECT_EQ(daemon["tlscacert"], "/etc/docker/tls/ca.pem");
    EXPECT_EQ(daemon["tlskey"], "/etc/docker/tls/server-key.pem");
}

TEST(DaemonJson, WithoutTlsMaterialNoTcpListenerAtAll)
{
    const json daemon
        = daemonJson(configWith({{"hosts", {"tcp://0.0.0.0:2375"}}, {"tlscert", "/x"}}), json::object(), false);
    EXPECT_EQ(daemon["hosts"], json::array({"unix:///var/run/docker.sock"}));
    EXPECT_FALSE(daemon.contains("tls"));
    EXPECT_FALSE(daemon.contains("tlsverify"));
    EXPECT_FALSE(daemon.contains("tlscert"));
}

TEST(DaemonJson, ControlledKeysCannotBeOverridden)
{
    // The settings core drops these already; the guest does not rely on it.
    const json options = {{"hosts", {"tcp://0.0.0.0:2375"}},
                          {"tlsverify", false},
                          {"data-root", "/tmp/x"},
                          {"containerd", "/tmp/c.sock"},
                          {"runtimes", {{"evil", {{"path", "/bin/sh"}}}}},
                          {"default-runtime", "evil"},
                          {"authorization-plugins", json::array()},
                          {"storage-driver", "vfs"},
                          {"features", {{"containerd-snapshotter", true}, {"buildkit", false}}}};
    const json daemon = daemonJson(configWith(options), json::object(), true);
    EXPECT_EQ(daemon["storage-driver"], "overlay2");
    EXPECT_EQ(daemon["features"]["containerd-snapshotter"], false);
    EXPECT_EQ(daemon["features"]["buildkit"], false);  // the user's other features stay
    EXPECT_EQ(daemon["hosts"].size(), 2u);
    EXPECT_EQ(daemon["tlsverify"], true);
    EXPECT_EQ(daemon["data-root"], "/var/lib/docker");
    EXPECT_EQ(daemon["containerd"], "/run/containerd/containerd.sock");
    EXPECT_FALSE(daemon.contains("runtimes"));
    EXPECT_FALSE(daemon.contains("default-runtime"));
    EXPECT_FALSE(daemon.contains("authorization-plugins"));
}

TEST(DaemonJson, EciOptionsWinOverEverything)
{
    const json eci = {{"runtimes", {{"sysbox-runc", {{"path", "/usr/lib/berth/bin/sysbox-runc"}}}}},
                      {"default-runtime", "sysbox-runc"}};
    const json daemon = daemonJson(configWith({{"default-runtime", "runc"}}), eci, true);
    EXPECT_EQ(daemon["default-runtime"], "sysbox-runc");
    EXPECT_EQ(daemon["runtimes"]["sysbox-runc"]["path"], "/usr/lib/berth/bin/sysbox-runc");
}

TEST(DaemonJson, MissingOrMalformedOptionsGiveDefaults)
{
    const json daemon = daemonJson(configWith("not an object"), nullptr, true);
    EXPECT_EQ(daemon["data-root"], "/var/lib/docker");
    EXPECT_EQ(daemonJson({}, json(), false)["hosts"].size(), 1u);
}

TEST(TlsBundle, NeedsThreePemStrings)
{
    using berth::guest::checkTlsBundle;
    const std::string pem = "-----BEGIN CERTIFICATE-----\nMII...\n-----END CERTIFICATE-----\n";
    EXPECT_EQ(checkTlsBundle({{"ca", pem}, {"cert", pem}, {"key", pem}}), "");
    EXPECT_NE(checkTlsBundle({{"ca", pem}, {"cert", pem}}), "");
    EXPECT_NE(checkTlsBundle({{"ca", pem}, {"cert", pem}, {"key", 3}}), "");
    EXPECT_NE(checkTlsBundle({{"ca", pem}, {"cert", pem}, {"key", "not pem"}}), "");
    EXPECT_NE(checkTlsBundle(json::array()), "");
}

TEST(DockerdCommand, TheEngineProxyIsInDockerdsEnvironmentOnly)
{
    using Argv = std::vector<std::string>;
    const Argv plain = {"/usr/sbin/dockerd", "--config-file", "/etc/docker/daemon.json"};
    EXPECT_EQ(berth::guest::dockerdCommand({}, "/etc/docker/daemon.json"), plain);
    // NO_PROXY alone sends nothing through a proxy: no environment at all.
    EXPECT_EQ(berth::guest::dockerdCommand({"", "", "a"}, "/etc/docker/daemon.json"), plain);
    const Argv proxied = {"/usr/bin/env",
                          "HTTPS_PROXY=http://10.0.2.2:3128",
                          "https_proxy=http://10.0.2.2:3128",
                          "NO_PROXY=a,.b",
                          "no_proxy=a,.b",
                          "/usr/sbin/dockerd",
                          "--config-file",
                          "/etc/docker/daemon.json"};
    EXPECT_EQ(berth::guest::dockerdCommand({"", "http://10.0.2.2:3128", "a,.b"}, "/etc/docker/daemon.json"), proxied);
}
