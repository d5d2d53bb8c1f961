#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>

#include <unistd.h>

#include "berth/guest/eci/authz.h"
#include "berth/guest/eci/go_json.h"
#include "berth/guest/eci/mount_vetting.h"
#include "berth/guest/eci/request_target.h"
#include "berth/guest/eci/spec_rewrite.h"

using namespace berth::guest::eci;
using nlohmann::json;

namespace {

std::string base64(const std::string& text)
{
    static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    unsigned value = 0;
    int bits = -6;
    for (const unsigned char c : text) {
        value = (value << 8U) + c;
        bits += 8;
        while (bits >= 0) {
            out += kAlphabet[(value >> static_cast<unsigned>(bits)) & 0x3FU];
            bits -= 6;
        }
    }
    if (bits > -6) { out += kAlphabet[((value << 8U) >> static_cast<unsigned>(bits + 8)) & 0x3FU]; }
    while (out.size() % 4 != 0) { out += '='; }
    return out;
}

json request(const std::string& method, const std::string& uri, const std::string& body = {})
{
    json r = {{"User", ""}, {"RequestMethod", method}, {"RequestUri", uri}};
    if (!body.empty()) { r["RequestBody"] = base64(body); }
    return r;
}

Policy on()
{
    Policy p;
    p.enabled = true;
    return p;
}

bool isAtOrUnder(const std::string& path, const std::string& dir)
{
    return path == dir || path.rfind(dir + "/", 0) == 0;
}

// The VM as the plugin sees it: symlinks by table, foreign mounts by set; every path exists but
// those under `missing`, on device 1 unless under a mount point of `mountDevices`; the shared
// directories' devices in `shares`.
class AuthzHost : public HostView {
public:
    std::map<std::string, std::string> links;
    std::set<std::string> foreignMounts;
    std::set<std::string> missing;
    std::map<std::string, std::uint64_t> mountDevices;
    std::map<std::string, std::uint64_t> shares;

    std::optional<FileId> fileId(const std::string& path) const override
    {
        const std::string resolved = resolve(path);
        for (const auto& gone : missing) {
            if (isAtOrUnder(resolved, gone)) { return std::nullopt; }
        }
        std::uint64_t device = 1;
        std::size_t deepest = 0;
        for (const auto& [mountPoint, id] : mountDevices) {
            if (isAtOrUnder(resolved, mountPoint) && mountPoint.size() > deepest) {
                device = id;
                deepest = mountPoint.size();
            }
        }
        return FileId{device, std::hash<std::string>{}(resolved)};
    }
    std::string resolve(const std::string& path) const override
    {
        std::string clean = std::filesystem::path(path).lexically_normal().string();
        for (const auto& [from, to] : links) {
            if (clean == from || clean.rfind(from + "/", 0) == 0) { clean = to + clean.substr(from.size()); }
        }
        while (clean.size() > 1 && clean.back() == '/') { clean.pop_back(); }
        return clean;
    }
    std::optional<FileId> hostNamespace(const std::string&) const override { return std::nullopt; }
    std::vector<IdMapping> idMap(int, bool) const override { return {}; }
    bool isForeignMount(const std::string& path) const override { return foreignMounts.count(path) > 0; }
    std::optional<int> containerPid(const std::string&, const std::string&) const override { return std::nullopt; }
    std::optional<std::uint64_t> sharedDirectoryDevice(const std::string& path) const override
    {
        const auto it = shares.find(path);
        return it == shares.end() ? std::nullopt : std::optional<std::uint64_t>(it->second);
    }
};

class FakeEngine : public EngineState {
public:
    std::map<std::string, json> containers;  // by name and by ID
    std::map<std::string, VolumeOptions> volumes;

    std::optional<json> container(const std::string& nameOrId) const override
    {
        const auto it = containers.find(nameOrId);
        return it == containers.end() ? std::nullopt : std::optional<json>(it->second);
    }
    std::optional<VolumeOptions> localVolume(const std::string& name) const override
    {
        const auto it = volumes.find(name);
        return it == volumes.end() ? std::nullopt : std::optional<VolumeOptions>(it->second);
    }
};

json mountPoint(const std::string& type, const std::string& source, const std::string& name = {})
{
    return {{"Type", type}, {"Source", source}, {"Name", name}, {"Driver", name.empty() ? "" : "local"}};
}

const std::string kShare = "/home/user/proj";

// A VM with a plain volume "data", a volume "root" that binds "/", a container "plain" using
// "data", one "etc" that binds /etc (created before ECI) and one "rootvol" using "root"; the host
// directory kShare is shared (virtiofs, device 7).
class AuthzTest : public ::testing::Test {
protected:
    AuthzTest()
    {
        m_host.shares[kShare] = 7;
        m_host.mountDevices[kShare] = 7;
        m_engine.volumes = {{"data", {}}, {"root", {{"type", "none"}, {"o", "bind"}, {"device", "/"}}}};
        m_host.foreignMounts.insert("/var/lib/docker/volumes/root/_data");
        m_engine.containers["plain"]
            = {{"Name", "/plain"},
               {"MountPoints", {{"/d", mountPoint("volume", "/var/lib/docker/volumes/data/_data", "data")}}}};
        m_engine.containers["etc"] = {{"Name", "/etc"}, {"MountPoints", {{"/x", mountPoint("bind", "/etc")}}}};
        m_engine.containers["rootvol"]
            = {{"Name", "/rootvol"},
               {"MountPoints", {{"/x", mountPoint("volume", "/var/lib/docker/volumes/root/_data", "root")}}}};
    }

    AuthzDecision authorize(const json& r, const Policy& policy = on()) const
    {
        return authorizeRequest(policy, r, m_vetting);
    }
    bool allowed(const std::string& method, const std::string& uri, const std::string& body = {}) const
    {
        return authorize(request(method, uri, body)).allow;
    }
    std::string create(const std::string& hostConfig, const Policy& policy = on()) const
    {
        const auto d = authorize(
            request("POST", "/v1.41/containers/create", R"({"Image":"alpine","HostConfig":)" + hostConfig + "}"),
            policy);
        return d.allow ? std::string("allowed") : d.msg;
    }

    AuthzHost m_host;
    FakeEngine m_engine;
    MountVetting m_vetting{m_engine, m_host, "/var/lib/docker", {kShare}};
};

}  // namespace

TEST(Authz, Base64RoundTrip)
{
    EXPECT_EQ(decodeBase64(base64("{\"Image\":\"alpine\"}")), "{\"Image\":\"alpine\"}");
    EXPECT_EQ(decodeBase64("aGk="), "hi");
}

TEST_F(AuthzTest, OrdinaryRequestsPass)
{
    EXPECT_TRUE(authorize(request("GET", "/v1.41/containers/json")).allow);
    EXPECT_TRUE(authorize(request("POST", "/v1.41/containers/create", R"({"Image":"alpine"})")).allow);
    EXPECT_TRUE(authorize(request("POST", "/v1.41/containers/abc/start")).allow);
    EXPECT_TRUE(authorize(request("POST", "/v1.41/build?t=x")).allow);
    EXPECT_TRUE(authorize(request("POST", "/v1.41/volumes/create", R"({"Name":"v"})")).allow);
}

TEST_F(AuthzTest, ACreateTheDaemonDidNotShowIsRefused)
{
    // e.g. Content-Type "application/json; charset=utf-8": dockerd accepts it but does not forward it.
    EXPECT_FALSE(authorize(request("POST", "/v1.41/containers/create")).allow);
    EXPECT_FALSE(authorize(request("POST", "//v1.41/containers//create/")).allow);
    EXPECT_FALSE(authorize(request("POST", "/containers/create?name=x")).allow);
    EXPECT_FALSE(authorize(request("POST", "/v1.41/volumes/create")).allow);
}

TEST_F(AuthzTest, OldApiStartWithAHostConfigIsRefused)
{
    EXPECT_FALSE(authorize(request("POST", "/v1.23/containers/abc/start", R"({"PidMode":"host"})")).allow);
    EXPECT_TRUE(authorize(request("POST", "/v1.41/containers/abc/start", "{}")).allow);
}

TEST_F(AuthzTest, PluginsSwarmAndHostNetworkBuildsAreRefused)
{
    EXPECT_FALSE(authorize(request("POST", "/v1.41/plugins/pull?remote=x")).allow);
    EXPECT_FALSE(authorize(request("POST", "/v1.41/plugins/x/enable")).allow);
    EXPECT_FALSE(authorize(request("POST", "/v1.41/swarm/init", "{}")).allow);
    const auto build = authorize(request("POST", "/v1.41/build?t=x&networkmode=host"));
    EXPECT_FALSE(build.allow);
    EXPECT_NE(build.msg.find("--network=host"), std::string::npos);
}

TEST_F(AuthzTest, VolumesThatBindVmPathsAreRefused)
{
    const auto bind = authorize(
        request("POST", "/v1.41/volumes/create",
                R"({"Name":"v","Driver":"local","DriverOpts":{"type":"none","o":"bind","device":"/etc/docker"}})"));
    EXPECT_FALSE(bind.allow);
    EXPECT_EQ(bind.msg, restrictedMountMessage("/etc/docker"));
    EXPECT_FALSE(authorize(request("POST", "/v1.41/volumes/create",
                                   R"({"Name":"v","DriverOpts":{"type":"ext4","device":"/dev/vdb"}})"))
                     .allow);
    EXPECT_TRUE(authorize(request("POST", "/v1.41/volumes/create",
                                  R"({"Name":"v","DriverOpts":{"type":"tmpfs","device":"tmpfs","o":"size=100m"}})"))
                    .allow);
}

TEST_F(AuthzTest, EciOffAllowsEverything)
{
    EXPECT_TRUE(authorize(request("POST", "/v1.41/containers/create"), Policy{}).allow);
}

TEST_F(AuthzTest, PluginProtocol)
{
    EXPECT_EQ(*handlePluginCall(on(), m_vetting, "/Plugin.Activate", ""), json::parse(R"({"Implements":["authz"]})"));
    const auto denied
        = handlePluginCall(on(), m_vetting, "/AuthZPlugin.AuthZReq", request("POST", "/v1.41/swarm/init").dump());
    ASSERT_TRUE(denied);
    EXPECT_EQ((*denied)["Allow"], false);
    EXPECT_TRUE((*denied)["Msg"].is_string());
    EXPECT_EQ((*handlePluginCall(on(), m_vetting, "/AuthZPlugin.AuthZRes", "{}"))["Allow"], true);
    EXPECT_EQ((*handlePluginCall(on(), m_vetting, "/AuthZPlugin.AuthZReq", "not json"))["Allow"],
              false);  // fails closed
    EXPECT_FALSE(handlePluginCall(on(), m_vetting, "/Nope", ""));
}

// The attack classes: what dockerd routes and decodes is what the plugin decides on.
TEST_F(AuthzTest, TheTargetIsReadAsDockerdRoutesIt)
{
    const std::string bindRoot = R"({"Name":"v","DriverOpts":{"type":"none","o":"bind","device":"/"}})";
    EXPECT_FALSE(allowed("POST", "/v1.41/%76olumes/create", bindRoot));
    EXPECT_FALSE(allowed("POST", "/v1.41/volumes%2Fcreate", bindRoot));
    EXPECT_FALSE(allowed("POST", "/%76%31.41/containers/create"));  // no body: hidden from the plugin
    EXPECT_FALSE(allowed("POST", "/v1.41/%63ontainers/create"));
    EXPECT_FALSE(allowed("POST", "http://localhost/v1.41/containers/create", R"({"Image":"a"})"));
    EXPECT_FALSE(allowed("POST", "/v1.41/containers/x/../create", R"({"Image":"a"})"));
    EXPECT_FALSE(allowed("GET", "/v1.41/containers/%zz/json"));
    EXPECT_FALSE(allowed("POST", "/v1.41/build?networkmode=%68ost"));
    EXPECT_FALSE(allowed("POST", "/v1.41/build?t=x&networkmode=ho%73t"));
    EXPECT_FALSE(allowed("POST", "/v1.41/build?t=x;networkmode=host"));
    EXPECT_TRUE(allowed("POST", "/v1.41/build?networkmode=bridge&t=a+b"));
}

TEST_F(AuthzTest, BodiesAreReadAsGoReadsThem)
{
    // Field names match case-insensitively, with U+017F for 's' and U+212A for 'k'.
    EXPECT_NE(create(R"({"binds":["/etc:/x"]})"), "allowed");
    EXPECT_FALSE(allowed("POST", "/v1.41/containers/create", R"({"hostconfig":{"BINDS":["/etc:/x"]}})"));
    EXPECT_FALSE(
        allowed("POST", "/v1.41/containers/create",
                "{\"HostConfig\":{\"Mount\xC5\xBF\":[{\"Type\":\"bind\",\"Source\":\"/etc\",\"Target\":\"/x\"}]}}"));
    EXPECT_FALSE(allowed("POST", "/v1.41/volumes/create", R"({"driveropts":{"type":"none","o":"bind","device":"/"}})"));
    // Map keys are not folded: an option the local driver might read in other case is not allowed.
    EXPECT_FALSE(allowed("POST", "/v1.41/volumes/create", R"({"DriverOpts":{"type":"none","O":"bind","Device":"/"}})"));
    // Two keys that fold alike, invalid UTF-8, or anything after the value: refused, never guessed.
    EXPECT_FALSE(allowed("POST", "/v1.41/containers/create", R"({"HostConfig":{},"hostConfig":{"Binds":["/:/x"]}})"));
    EXPECT_FALSE(
        allowed("POST", "/v1.41/containers/create", R"({"HostConfig":{"Binds":[]},"HostConfig":{"Binds":["/:/x"]}})"));
    EXPECT_FALSE(allowed("POST", "/v1.41/volumes/create",
                         "{\"Name\":\"v\xff\",\"DriverOpts\":{\"o\":\"bind\",\"device\":\"/\"}}"));
    EXPECT_FALSE(allowed("POST", "/v1.41/containers/create", R"({"Image":"a"} {"HostConfig":{"Binds":["/:/x"]}})"));
    EXPECT_TRUE(allowed("POST", "/v1.41/containers/create", "{\"Image\":\"a\"}\n"));
}

TEST_F(AuthzTest, CreateRefusesRestrictedMountsLikeTheRuntime)
{
    EXPECT_EQ(create(R"({"Binds":["/etc:/x"]})"), restrictedMountMessage("/etc"));
    EXPECT_EQ(create(R"({"Binds":["/tmp:/x:rw"]})"), restrictedMountMessage("/tmp"));
    EXPECT_EQ(create(R"({"Binds":["/var/lib/docker:/x"]})"), restrictedMountMessage("/var/lib/docker"));
    EXPECT_EQ(create(R"({"Binds":["data:/d","/var/lib/docker/volumes/data/_data:/s","/anon","/anon2:ro"]})"),
              "allowed");
    EXPECT_EQ(create(R"({"Binds":["/var/lib/docker/volumes/data/_data/:/s"]})"), "allowed");
    EXPECT_EQ(create(R"({"Binds":["/var/lib/docker/volumes/data/../root/_data:/x"]})"),
              restrictedMountMessage("/var/lib/docker/volumes/data/../root/_data"));
    EXPECT_NE(create(R"({"Binds":["root:/x"]})"), "allowed");  // a volume that binds /
    m_host.links["/home/link"] = "/etc";
    EXPECT_EQ(create(R"({"Binds":["/home/link:/x"]})"), restrictedMountMessage("/home/link"));

    EXPECT_EQ(create(R"({"Mounts":[{"Type":"bind","Source":"/srv","Target":"/x"}]})"), restrictedMountMessage("/srv"));
    EXPECT_EQ(create(R"({"Mounts":[{"Type":"tmpfs","Target":"/t"},{"Type":"volume","Source":"data","Target":"/d"}]})"),
              "allowed");
    // Volume options at create time, named or anonymous.
    const std::string bindOpts
        = R"({"DriverConfig":{"Name":"local","Options":{"type":"none","o":"bind","device":"/etc"}}})";
    EXPECT_EQ(
        create(R"({"Mounts":[{"Type":"volume","Source":"fresh","Target":"/x","VolumeOptions":)" + bindOpts + "}]}"),
        restrictedMountMessage("/etc"));
    EXPECT_EQ(create(R"({"Mounts":[{"Type":"volume","Target":"/x","VolumeOptions":)" + bindOpts + "}]}"),
              restrictedMountMessage("/etc"));
    EXPECT_NE(
        create(
            R"({"Mounts":[{"Type":"volume","Source":"v","Target":"/x","VolumeOptions":{"DriverConfig":{"Name":"other"}}}]})"),
        "allowed");
    EXPECT_NE(create(R"({"Mounts":[{"Type":"npipe","Source":"x","Target":"/x"}]})"), "allowed");
    EXPECT_NE(create(R"({"VolumeDriver":"other","Binds":["v:/x"]})"), "allowed");
    EXPECT_NE(create(R"({"Binds":"/etc:/x"})"), "allowed");
    // --volumes-from copies the other container's mounts.
    EXPECT_EQ(create(R"({"VolumesFrom":["plain:ro"]})"), "allowed");
    EXPECT_EQ(create(R"({"VolumesFrom":["etc"]})"), restrictedMountMessage("/etc"));
    EXPECT_NE(create(R"({"VolumesFrom":["rootvol"]})"), "allowed");
    EXPECT_NE(create(R"({"VolumesFrom":["nobody"]})"), "allowed");
}

// dockerd resolves a bind's source as the VM's root when it creates a missing one at start and
// when it mounts it for docker cp: a path inside a volume, which a container writing the volume
// can turn into a link to a VM path at any moment, or a link to the volume, is never a source.
TEST_F(AuthzTest, ABindNamesAVolumesDataItselfNeverAPathInsideIt)
{
    for (const std::string source : {"/var/lib/docker/volumes/data/_data/sub", "/var/lib/docker/volumes/data/_data/.",
                                     "/var/lib/docker/volumes/data/_data/sub/..", "/var/lib/docker/volumes/data",
                                     "/var/lib/docker/volumes//data/_data", "/home/vol"}) {
        m_host.links["/home/vol"] = "/var/lib/docker/volumes/data/_data";
        EXPECT_EQ(create(R"({"Binds":[")" + source + R"(:/s"]})"), restrictedMountMessage(source)) << source;
        EXPECT_EQ(create(R"({"Mounts":[{"Type":"bind","Source":")" + source + R"(","Target":"/s"}]})"),
                  restrictedMountMessage(source))
            << source;
    }
    // Made before ECI: neither docker cp nor a start reaches it, nor --volumes-from.
    m_engine.containers["sub"]
        = {{"Name", "/sub"}, {"MountPoints", {{"/s", mountPoint("bind", "/var/lib/docker/volumes/data/_data/sub")}}}};
    EXPECT_FALSE(allowed("GET", "/v1.41/containers/sub/archive?path=/s/hostname"));
    EXPECT_FALSE(allowed("PUT", "/v1.41/containers/sub/archive?path=/s"));
    EXPECT_FALSE(allowed("POST", "/v1.41/containers/sub/start"));
    EXPECT_FALSE(allowed("POST", "/v1.41/containers/sub/restart?t=1"));
    EXPECT_NE(create(R"({"VolumesFrom":["sub"]})"), "allowed");
}

// dockerd 26's VolumeOptions.Subpath mounts a path inside a volume: refused at create, and for a
// container made before ECI at start and through docker cp.
TEST_F(AuthzTest, AVolumeMountedBySubpathIsRefused)
{
    const std::string refusal
        = "enhanced container isolation: a volume mounted by subpath (sub) is not allowed: only a volume's whole "
          "data directory may be mounted";
    EXPECT_EQ(
        create(R"({"Mounts":[{"Type":"volume","Source":"data","Target":"/d","VolumeOptions":{"Subpath":"sub"}}]})"),
        refusal);
    EXPECT_EQ(create(R"({"Mounts":[{"Type":"volume","Source":"data","Target":"/d","VolumeOptions":{"Subpath":""}}]})"),
              "allowed");
    json point = mountPoint("volume", "/var/lib/docker/volumes/data/_data", "data");
    point["Spec"] = {{"Type", "volume"}, {"Source", "data"}, {"VolumeOptions", {{"Subpath", "sub"}}}};
    m_engine.containers["subpath"] = {{"Name", "/subpath"}, {"MountPoints", {{"/d", point}}}};
    EXPECT_FALSE(allowed("POST", "/v1.45/containers/subpath/start"));
    EXPECT_FALSE(allowed("GET", "/v1.45/containers/subpath/archive?path=/d"));
}

TEST_F(AuthzTest, AStartIsVettedLikeACreateAndUnknownContainersAreLeftToDockerd)
{
    EXPECT_TRUE(allowed("POST", "/v1.41/containers/plain/start"));
    EXPECT_TRUE(allowed("POST", "/v1.41/containers/plain/restart"));
    EXPECT_FALSE(allowed("POST", "/v1.41/containers/etc/start"));
    EXPECT_FALSE(allowed("POST", "/v1.41/containers/%65tc/restart"));
    EXPECT_FALSE(allowed("POST", "/v1.41/containers/rootvol/start"));
    EXPECT_TRUE(allowed("POST", "/v1.41/containers/nobody/start"));  // dockerd answers "No such container"
    m_engine.containers["dind"]
        = {{"Name", "/dind"}, {"MountPoints", {{"/var/run/docker.sock", mountPoint("bind", "/run/docker.sock")}}}};
    EXPECT_TRUE(allowed("POST", "/v1.41/containers/dind/start"));  // the runtime decides by image
}

// Whether an image may have the engine socket is the runtime's call at start (it knows the image's
// layers and gives Docker's message); with no runtime involved, the archive endpoints refuse it.
TEST_F(AuthzTest, EngineSocketMountsAreLeftToTheRuntimeAtCreate)
{
    m_host.links["/var/run"] = "/run";
    EXPECT_EQ(create(R"({"Binds":["/var/run/docker.sock:/var/run/docker.sock"]})"), "allowed");
    EXPECT_EQ(create(R"({"Binds":["/var/run:/hostrun"],"Mounts":[{"Type":"bind","Source":"/","Target":"/h"}]})"),
              "allowed");
    EXPECT_EQ(create(R"({"Binds":["/run/containerd/containerd.sock:/c.sock"]})"), "allowed");
    EXPECT_EQ(create(R"({"Binds":["/var/run/docker:/x"]})"), restrictedMountMessage("/var/run/docker"));
    m_engine.containers["dind"]
        = {{"Name", "/dind"}, {"MountPoints", {{"/var/run/docker.sock", mountPoint("bind", "/run/docker.sock")}}}};
    EXPECT_EQ(create(R"({"VolumesFrom":["dind"]})"), "allowed");
    EXPECT_FALSE(allowed("GET", "/v1.41/containers/dind/archive?path=/var/run/docker.sock"));
    EXPECT_FALSE(allowed("PUT", "/v1.41/containers/dind/archive?path=/var/run"));
}

TEST_F(AuthzTest, ArchiveEndpointsAreVettedLikeAStart)
{
    for (const std::string method : {"GET", "HEAD", "PUT"}) {
        EXPECT_TRUE(allowed(method, "/v1.41/containers/plain/archive?path=/d")) << method;
        EXPECT_FALSE(allowed(method, "/v1.41/containers/etc/archive?path=/x/hostname")) << method;
        EXPECT_FALSE(allowed(method, "/v1.41/containers/rootvol/archive?path=/x")) << method;
        EXPECT_FALSE(allowed(method, "/v1.41/containers/%65tc/archive?path=/x")) << method;
        EXPECT_FALSE(allowed(method, "/v1.41/containers/nobody/archive?path=/")) << method;
    }
    EXPECT_FALSE(allowed("POST", "/v1.23/containers/plain/copy", R"({"Resource":"/d"})"));
}

TEST_F(AuthzTest, VolumeOptionsAreAnAllowList)
{
    const auto options = [&](VolumeOptions o) { return m_vetting.volumeOptions("v", o).empty(); };
    EXPECT_TRUE(options({}));
    EXPECT_TRUE(options({{"type", "tmpfs"}, {"device", "tmpfs"}, {"o", "size=100m,uid=1000,mode=1777,noexec"}}));
    EXPECT_TRUE(options({{"type", "nfs"}, {"device", ":/export"}, {"o", "addr=10.0.0.2,rw,nfsvers=4"}}));
    EXPECT_TRUE(options({{"type", "nfs4"}, {"device", "server:/export"}}));
    EXPECT_TRUE(options({{"type", "cifs"}, {"device", "//server/share"}, {"o", "addr=server,username=u,password=p"}}));
    EXPECT_FALSE(options({{"type", "none"}, {"o", "bind"}, {"device", "/"}}));
    EXPECT_FALSE(options({{"type", "tmpfs"}, {"o", "bind"}, {"device", "/"}}));
    EXPECT_FALSE(options({{"type", "tmpfs"}, {"o", "rbind"}, {"device", "tmpfs"}}));
    EXPECT_FALSE(options({{"type", "nfs"}, {"o", "addr=x,remount"}, {"device", ":/e"}}));
    EXPECT_FALSE(options({{"type", "ext4"}, {"device", "/dev/vdb"}}));
    EXPECT_FALSE(options({{"type", "btrfs"}, {"device", "LABEL=x"}}));
    EXPECT_FALSE(options({{"o", "bind"}}));
    EXPECT_FALSE(options({{"device", "/etc"}}));
    EXPECT_FALSE(options({{"Device", "/"}}));
    EXPECT_FALSE(options({{"type", "nfs"}, {"device", "/srv"}}));
    EXPECT_FALSE(options({{"type", "cifs"}, {"device", "server/share"}}));
}

TEST_F(AuthzTest, BlockDockerLoadIsEnforcedWithEciOnOrOff)
{
    Policy block;
    block.blockDockerLoad = true;
    const auto refused = authorize(request("POST", "/v1.41/images/load?quiet=1"), block);
    EXPECT_FALSE(refused.allow);
    EXPECT_NE(refused.msg.find("blockDockerLoad"), std::string::npos);
    EXPECT_FALSE(authorize(request("POST", "/v1.41/images/%6coad"), block).allow);
    EXPECT_TRUE(authorize(request("POST", "/v1.41/containers/create"), block).allow);  // ECI off
    EXPECT_TRUE(allowed("POST", "/v1.41/images/load"));
    block.enabled = true;
    EXPECT_FALSE(authorize(request("POST", "/v1.41/images/load"), block).allow);
}

TEST_F(AuthzTest, OldApiStartsAreRefusedEvenWithAHiddenBody)
{
    EXPECT_FALSE(allowed("POST", "/v1.23/containers/abc/start"));  // chunked: the plugin sees no body
    EXPECT_TRUE(allowed("POST", "/v1.24/containers/abc/start"));
    EXPECT_TRUE(allowed("POST", "/containers/abc/start"));
}

// Host directories shared into the VM (virtiofs, at their own paths): the user's files, not the VM's.
TEST_F(AuthzTest, ASharedPathIsAllowedWithEciOn)
{
    m_host.missing.insert(kShare + "/new");
    for (const std::string& source :
         std::vector<std::string>{kShare, kShare + "/src", kShare + "/src/", kShare + "/a/../src",
                                  kShare + "/new/dir"}) {  // dockerd makes a missing one in the share
        EXPECT_EQ(create(R"({"Binds":[")" + source + R"(:/src"]})"), "allowed") << source;
        EXPECT_EQ(create(R"({"Binds":[")" + source + R"(:/src:ro"]})"), "allowed") << source;
        EXPECT_EQ(create(R"({"Mounts":[{"Type":"bind","Source":")" + source + R"(","Target":"/src"}]})"), "allowed")
            << source;
    }
    // A link in the share to elsewhere in it; dockerd cleans "link/.." away before anything resolves it.
    m_host.links[kShare + "/latest"] = kShare + "/v2";
    m_host.links[kShare + "/ssl"] = "/etc/ssl";
    EXPECT_EQ(create(R"({"Binds":[")" + kShare + R"(/latest:/src"]})"), "allowed");
    EXPECT_EQ(create(R"({"Binds":[")" + kShare + R"(/ssl/../src:/src"]})"), "allowed");
    // Made before ECI, or with it: it starts (the runtime stages the share race-free).
    m_engine.containers["dev"] = {{"Name", "/dev"}, {"MountPoints", {{"/src", mountPoint("bind", kShare + "/src")}}}};
    EXPECT_TRUE(allowed("POST", "/v1.41/containers/dev/start"));
    // docker cp: dockerd alone mounts the binds, by path, as the VM's root; a folder on the way
    // inside the share may have become a link to a VM path by then. The share itself cannot.
    const auto copy = authorize(request("GET", "/v1.41/containers/dev/archive?path=/src"));
    EXPECT_FALSE(copy.allow);
    EXPECT_NE(copy.msg.find("docker cp is not available for a container that binds a path inside a shared directory ("
                            + kShare + "/src)"),
              std::string::npos)
        << copy.msg;
    m_engine.containers["whole"] = {{"Name", "/whole"}, {"MountPoints", {{"/src", mountPoint("bind", kShare)}}}};
    EXPECT_TRUE(allowed("GET", "/v1.41/containers/whole/archive?path=/src"));
    EXPECT_TRUE(allowed("PUT", "/v1.41/containers/whole/archive?path=/src"));
    // A path above a share, or beside it, is the VM's.
    EXPECT_EQ(create(R"({"Binds":["/home/user:/x"]})"), restrictedMountMessage("/home/user"));
    EXPECT_EQ(create(R"({"Binds":["/home/user/projects:/x"]})"), restrictedMountMessage("/home/user/projects"));
}

TEST_F(AuthzTest, ASymlinkFromAShareToAVmPathIsRefused)
{
    m_host.links[kShare + "/etc"] = "/etc";
    m_host.links[kShare + "/sock"] = "/run/docker.sock";
    m_host.links[kShare + "/vol"] = "/var/lib/docker/volumes/data/_data";
    for (const std::string& source :
         std::vector<std::string>{kShare + "/etc", kShare + "/etc/", kShare + "/etc/ssl", kShare + "/vol"}) {
        EXPECT_EQ(create(R"({"Binds":[")" + source + R"(:/x"]})"), restrictedMountMessage(source)) << source;
        EXPECT_EQ(create(R"({"Mounts":[{"Type":"bind","Source":")" + source + R"(","Target":"/x"}]})"),
                  restrictedMountMessage(source))
            << source;
    }
    // Through the share to the engine's socket: the runtime's decision, by the image (as by its own path).
    EXPECT_EQ(create(R"({"Binds":[")" + kShare + R"(/sock:/var/run/docker.sock"]})"), "allowed");
    // Made before ECI: neither a start nor docker cp goes through the link.
    m_engine.containers["linked"]
        = {{"Name", "/linked"}, {"MountPoints", {{"/x", mountPoint("bind", kShare + "/etc")}}}};
    EXPECT_FALSE(allowed("POST", "/v1.41/containers/linked/start"));
    EXPECT_FALSE(allowed("GET", "/v1.41/containers/linked/archive?path=/x/shadow"));
}

TEST_F(AuthzTest, DotDotOutOfAShareIsRefused)
{
    // dockerd cleans the source lexically: each of these is a VM path.
    for (const std::string& source : std::vector<std::string>{
             kShare + "/../../../etc", kShare + "/..", kShare + "/src/../../proj2", kShare + "/../proj/../../user"}) {
        const std::string expected = restrictedMountMessage(source);
        EXPECT_EQ(create(R"({"Binds":[")" + source + R"(:/x"]})"), expected) << source;
        EXPECT_EQ(create(R"({"Mounts":[{"Type":"bind","Source":")" + source + R"(","Target":"/x"}]})"), expected)
            << source;
    }
}

TEST_F(AuthzTest, APathOnAnotherDeviceUnderAShareIsRefused)
{
    // A VM mount inside the share: its files are the VM's, whatever the path says.
    m_host.mountDevices[kShare + "/mnt"] = 9;
    for (const std::string& source : std::vector<std::string>{kShare + "/mnt", kShare + "/mnt/sub"}) {
        EXPECT_EQ(create(R"({"Binds":[")" + source + R"(:/x"]})"), restrictedMountMessage(source)) << source;
    }
    EXPECT_EQ(create(R"({"Binds":[")" + kShare + R"(/src:/x"]})"), "allowed");
    // A VM mount over the share itself: nothing there is the user's.
    m_host.mountDevices[kShare] = 9;
    EXPECT_EQ(create(R"({"Binds":[")" + kShare + R"(/src:/x"]})"), restrictedMountMessage(kShare + "/src"));
    // A share the VM has not mounted (or sees covered) has no device of its own.
    m_host.mountDevices[kShare] = 7;
    m_host.shares.clear();
    EXPECT_EQ(create(R"({"Binds":[")" + kShare + R"(:/x"]})"), restrictedMountMessage(kShare));
}

TEST_F(AuthzTest, APathNeitherSharedNorInTheVmIsMountsDenied)
{
    m_host.missing = {"/Users", "/home/user/other", "/srv/gone", kShare + "/new"};
    m_host.links["/srv/link"] = "/srv/gone";
    const std::string message
        = "Mounts denied: The path /Users/me/src is not shared from the host and is not known to Docker. You can "
          "configure shared paths from Berth's Settings > Resources > File sharing, or with berthctl settings set "
          "fileSharing.directories.";
    EXPECT_EQ(mountsDeniedMessage("/Users/me/src"), message);
    for (const Policy& policy : {on(), Policy{}}) {
        const std::string mode = policy.enabled ? "ECI on" : "ECI off";
        for (const std::string& source :
             std::vector<std::string>{"/Users/me/src", "/home/user/other", "/home/user/other/x/", kShare + "/../other",
                                      "/srv/link", "/srv/link/sub"}) {
            EXPECT_EQ(create(R"({"Binds":[")" + source + R"(:/src"]})", policy), mountsDeniedMessage(source))
                << mode << " " << source;
            EXPECT_EQ(create(R"({"Mounts":[{"Type":"bind","Source":")" + source + R"(","Target":"/src"}]})", policy),
                      mountsDeniedMessage(source))
                << mode << " " << source;
        }
        // Among other mounts, and for a container made before the share was removed.
        EXPECT_EQ(create(R"({"Binds":["data:/d",")" + kShare + R"(:/a","/Users/me:/b"]})", policy),
                  mountsDeniedMessage("/Users/me"))
            << mode;
        m_engine.containers["unshared"]
            = {{"Name", "/unshared"}, {"MountPoints", {{"/src", mountPoint("bind", "/Users/me/src")}}}};
        const auto start = authorize(request("POST", "/v1.41/containers/unshared/start"), policy);
        EXPECT_FALSE(start.allow) << mode;
        EXPECT_EQ(start.msg, mountsDeniedMessage("/Users/me/src")) << mode;
        EXPECT_FALSE(authorize(request("POST", "/v1.41/containers/unshared/restart"), policy).allow) << mode;
        // In a share, dockerd makes it on the host: not denied.
        EXPECT_EQ(create(R"({"Binds":[")" + kShare + R"(/new:/src"]})", policy), "allowed") << mode;
    }
}

TEST_F(AuthzTest, WithEciOffAPathInTheVmIsAllowed)
{
    const Policy off;
    m_host.links["/var/run"] = "/run";
    for (const std::string& source :
         std::vector<std::string>{"/etc", "/var/run/docker.sock", "/", "/var/lib/docker", "/home/user"}) {
        EXPECT_EQ(create(R"({"Binds":[")" + source + R"(:/x"]})", off), "allowed") << source;
        EXPECT_EQ(create(R"({"Mounts":[{"Type":"bind","Source":")" + source + R"(","Target":"/x"}]})", off), "allowed")
            << source;
    }
    m_host.links[kShare + "/etc"] = "/etc";
    m_host.mountDevices[kShare + "/mnt"] = 9;
    EXPECT_EQ(create(R"({"Binds":[")" + kShare + R"(/etc:/x",")" + kShare + R"(/mnt:/y"]})", off), "allowed");
    // Everything but file sharing is dockerd's to judge with ECI off.
    EXPECT_EQ(create(R"({"VolumesFrom":["etc","nobody"],"Binds":"not a list"})", off), "allowed");
    EXPECT_EQ(create(R"({"Mounts":[{"Type":"volume","Target":"/x","VolumeOptions":{"DriverConfig":{"Options":)"
                     R"({"type":"none","o":"bind","device":"/etc"}}}}]})",
                     off),
              "allowed");
    EXPECT_TRUE(authorize(request("POST", "/v1.41/containers/etc/start"), off).allow);
    EXPECT_TRUE(authorize(request("GET", "/v1.41/containers/etc/archive?path=/x"), off).allow);
    EXPECT_TRUE(authorize(request("POST", "/v1.41/swarm/init", "{}"), off).allow);
    EXPECT_TRUE(authorize(request("POST", "//v1.41/containers//create/"), off).allow);
}

TEST(GoJson, FoldsAsGoMatchesFields)
{
    EXPECT_EQ(goFoldKey("HostConfig"), "hostconfig");
    EXPECT_EQ(goFoldKey("Mount\xC5\xBF"), "mounts");
    EXPECT_EQ(goFoldKey("\xE2\x84\xAA"
                        "ey"),
              "key");
    std::string error;
    const auto body = parseGoJson(R"({"hostconfig":{"binds":["a"]}})", &error);
    ASSERT_TRUE(body);
    const json* hostConfig = goField(*body, "HostConfig");
    ASSERT_NE(hostConfig, nullptr);
    EXPECT_EQ(*goField(*hostConfig, "Binds"), json::array({"a"}));
    EXPECT_EQ(goField(*body, "Mounts"), nullptr);
    EXPECT_FALSE(parseGoJson(R"({"a":{"x":1,"X":2}})", &error));
    EXPECT_FALSE(parseGoJson("{\"a\":\"\xc3\x28\"}", &error));
    EXPECT_FALSE(parseGoJson(R"({"a":"\ud800"})", &error));
}

TEST(RequestTarget, DecodesPathVersionAndQuery)
{
    std::string error;
    const auto route = parseApiTarget("/v1.41/containers/a%2Fb/archive?path=%2Fetc%2Fx&x=1+2", &error);
    ASSERT_TRUE(route) << error;
    EXPECT_EQ(route->version, "1.41");
    EXPECT_EQ(route->path, "/containers/a/b/archive");
    EXPECT_EQ(route->queryValue("path"), "/etc/x");
    EXPECT_EQ(route->queryValue("x"), "1 2");
    EXPECT_EQ(parseApiTarget("/_ping", &error)->path, "/_ping");
    EXPECT_EQ(parseApiTarget("/v1.41", &error)->path, "/");
    EXPECT_EQ(parseApiTarget("/vx/containers", &error)->path, "/vx/containers");
    EXPECT_FALSE(parseApiTarget("*", &error));
    EXPECT_FALSE(parseApiTarget("/a?b=%g1", &error));
    EXPECT_FALSE(parseApiTarget("/a%00b", &error));
}

// dockerd's own files, as DiskEngineState reads them.
TEST(DiskEngineState, ResolvesContainersAsDockerdDoes)
{
    const auto root = std::filesystem::temp_directory_path() / ("berth-authz-" + std::to_string(::getpid()));
    std::filesystem::remove_all(root);
    const std::string a(64, 'a');
    const std::string ab = "ab" + std::string(62, '0');
    const std::string ac = "ac" + std::string(62, '0');
    const auto write = [&](const std::filesystem::path& file, const std::string& text) {
        std::filesystem::create_directories(file.parent_path());
        std::ofstream(file) << text;
    };
    write(root / "containers" / a / "config.v2.json", R"({"ID":")" + a + R"(","Name":"/web"})");
    write(root / "containers" / ab / "config.v2.json", R"({"ID":")" + ab + R"(","Name":"/db"})");
    write(root / "containers" / ac / "config.v2.json", R"({"ID":")" + ac + R"(","Name":"/cache"})");
    write(root / "volumes" / "plain" / "_data" / "f", "");
    write(root / "volumes" / "bound" / "opts.json", R"({"MountType":"none","MountOpts":"bind","MountDevice":"/"})");
    const DiskEngineState state(root.string());

    EXPECT_EQ((*state.container(a))["Name"], "/web");
    EXPECT_EQ((*state.container("web"))["Name"], "/web");
    EXPECT_EQ((*state.container("/db"))["Name"], "/db");
    EXPECT_EQ((*state.container("aaa"))["Name"], "/web");
    EXPECT_EQ((*state.container("ab"))["Name"], "/db");
    EXPECT_FALSE(state.container("a"));  // ambiguous prefix
    EXPECT_FALSE(state.container("nobody"));
    EXPECT_FALSE(state.container("../containers/" + a));

    EXPECT_EQ(*state.localVolume("plain"), VolumeOptions{});
    EXPECT_EQ(state.localVolume("bound")->at("o"), "bind");
    EXPECT_EQ(state.localVolume("bound")->at("device"), "/");
    EXPECT_FALSE(state.localVolume("missing"));
    EXPECT_FALSE(state.localVolume(".."));
    std::filesystem::remove_all(root);
}
