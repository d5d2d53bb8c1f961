#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>
#include <utility>
#include <vector>

#include "berth/guest/eci/mount_lock.h"
#include "berth/guest/eci/spec_rewrite.h"

using namespace berth::guest::eci;
using nlohmann::json;

namespace {

const std::string kId = "c0ffee";

// A VM as the rewrite sees it: a few files, symlinks, namespaces and processes.
class FakeHost : public HostView {
public:
    FakeHost()
    {
        files = {{"/run/docker.sock", {1, 10}},
                 {"/run/containerd/containerd.sock", {1, 11}},
                 {"/proc/1/ns/net", {4, 100}},
                 {"/proc/1/ns/pid", {4, 101}},
                 {"/proc/1/ns/ipc", {4, 102}},
                 {"/proc/1/ns/uts", {4, 103}},
                 {"/proc/1/ns/mnt", {4, 104}},
                 {"/proc/1/ns/user", {4, 105}},
                 {"/var/run/docker/netns/default", {4, 100}},  // the host netns, bind-mounted
                 {"/proc/42/ns/net", {4, 200}},
                 {"/proc/42/ns/ipc", {4, 201}},
                 {"/proc/42/ns/pid", {4, 202}},
                 {"/proc/42/ns/user", {4, 203}},
                 {"/proc/43/ns/net", {4, 300}},
                 {"/proc/43/ns/user", {4, 303}},
                 {"/proc/44/ns/net", {4, 400}},
                 {"/proc/44/ns/ipc", {4, 401}},
                 {"/proc/44/ns/user", {4, 203}},  // "third" shares "other"'s user namespace
                 {"/home/user/docker.sock.link", {1, 10}}};
        links = {{"/var/run", "/run"}, {"/tmp/sock", "/run/docker.sock"}};
        maps[42] = {{0, 165536, 65536}};
        maps[43] = {{0, 0, 4294967295U}};
    }
    std::optional<FileId> fileId(const std::string& path) const override
    {
        const auto it = files.find(resolve(path));
        if (it == files.end()) { return std::nullopt; }
        return it->second;
    }
    std::string resolve(const std::string& path) const override
    {
        for (const auto& [from, to] : links) {
            if (path == from) { return to; }
            if (path.rfind(from + "/", 0) == 0) { return to + path.substr(from.size()); }
        }
        std::string out = path;
        while (out.size() > 1 && out.back() == '/') { out.pop_back(); }
        return out;
    }
    std::optional<FileId> hostNamespace(const std::string& type) const override { return fileId("/proc/1/ns/" + type); }
    std::vector<IdMapping> idMap(int pid, bool) const override
    {
        const auto it = maps.find(pid);
        return it == maps.end() ? std::vector<IdMapping>{} : it->second;
    }
    bool isForeignMount(const std::string& path) const override { return foreignMounts.count(path) > 0; }
    std::optional<int> containerPid(const std::string& dockerRoot, const std::string& id) const override
    {
        if (dockerRoot != "/var/lib/docker") { return std::nullopt; }
        const auto it = containerPids.find(id);
        if (it == containerPids.end()) { return std::nullopt; }
        return it->second;
    }
    std::optional<std::uint64_t> sharedDirectoryDevice(const std::string& path) const override
    {
        const auto it = shares.find(path);
        return it == shares.end() ? std::nullopt : std::optional<std::uint64_t>(it->second);
    }

    std::map<std::string, FileId> files;
    std::map<std::string, std::string> links;
    std::map<int, std::vector<IdMapping>> maps;
    std::set<std::string> foreignMounts;
    std::map<std::string, int> containerPids = {{"other", 42}, {"third", 44}};
    std::map<std::string, std::uint64_t> shares;  // shared directory -> its virtiofs device
};

// The parts of a config.json dockerd 20.10 writes that the rewrite looks at.
json dockerSpec()
{
    return json::parse(R"({
      "ociVersion": "1.0.2-dev",
      "process": {"args": ["sh"], "user": {"uid": 0, "gid": 0}},
      "root": {"path": "/var/lib/docker/overlay2/abc/merged"},
      "hooks": {"prestart": [{"path": "/usr/sbin/dockerd", "args": ["libnetwork-setkey", "c0ffee", "x"]}]},
      "mounts": [
        {"destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid", "noexec", "nodev"]},
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755"]},
        {"destination": "/dev/shm", "type": "bind", "source": "/var/lib/docker/containers/c0ffee/mounts/shm",
         "options": ["rbind", "nosuid", "noexec", "nodev"]},
        {"destination": "/etc/resolv.conf", "type": "bind", "source": "/var/lib/docker/containers/c0ffee/resolv.conf",
         "options": ["rbind", "rprivate"]},
        {"destination": "/etc/hostname", "type": "bind", "source": "/var/lib/docker/containers/c0ffee/hostname",
         "options": ["rbind", "rprivate"]},
        {"destination": "/etc/hosts", "type": "bind", "source": "/var/lib/docker/containers/c0ffee/hosts",
         "options": ["rbind", "rprivate"]}
      ],
      "linux": {
        "namespaces": [{"type": "mount"}, {"type": "network"}, {"type": "uts"}, {"type": "pid"}, {"type": "ipc"},
                       {"type": "cgroup"}],
        "devices": [],
        "resources": {"devices": [{"allow": false, "access": "rwm"}]}
      }
    })");
}

json& namespaceOf(json& spec, const std::string& type)
{
    for (auto& ns : spec["linux"]["namespaces"]) {
        if (ns["type"] == type) { return ns; }
    }
    throw std::runtime_error("no " + type + " namespace");
}

void removeNamespace(json& spec, const std::string& type)
{
    auto& list = spec["linux"]["namespaces"];
    for (auto it = list.begin(); it != list.end(); ++it) {
        if ((*it)["type"] == type) {
            list.erase(it);
            return;
        }
    }
}

void addBind(json& spec, const std::string& source, const std::string& destination = "/mnt")
{
    spec["mounts"].push_back(
        {{"destination", destination}, {"type", "bind"}, {"source", source}, {"options", {"rbind", "rprivate"}}});
}

struct SpecRewrite : ::testing::Test {
    RewriteResult rewrite(json& spec, ContainerImage image = {"docker.io/library/alpine", false},
                          const std::string& id = kId)
    {
        return rewriteSpec(
            spec, id, image, layout, host,
            [this] {
                ++allocations;
                return nextBase;
            },
            bundle);
    }
    FakeHost host;
    EngineLayout layout;
    std::string bundle = "/run/containerd/io.containerd.runtime.v2.task/moby/" + kId;  // dockerd's, via the shim
    std::uint32_t nextBase = 100000;
    int allocations = 0;
};

}  // namespace

TEST_F(SpecRewrite, AnOrdinaryContainerGetsItsOwnUserNamespaceAndBlock)
{
    json spec = dockerSpec();
    const json before = spec;
    const auto result = rewrite(spec);
    ASSERT_TRUE(result) << result.error;
    EXPECT_EQ(allocations, 1);
    EXPECT_EQ(result.hostIdBase, 100000U);
    EXPECT_FALSE(result.joined);
    const json map = json::parse(R"([{"containerID":0,"hostID":100000,"size":65536}])");
    EXPECT_EQ(spec["linux"]["uidMappings"], map);
    EXPECT_EQ(spec["linux"]["gidMappings"], map);
    EXPECT_EQ(namespaceOf(spec, "user"), json({{"type", "user"}}));
    EXPECT_EQ(spec["mounts"], before["mounts"]);
    EXPECT_EQ(spec["hooks"], before["hooks"]);
    EXPECT_EQ(spec["root"], before["root"]);
}

TEST_F(SpecRewrite, PingGroupRangeEndsAtTheContainersLastGroup)
{
    json spec = dockerSpec();
    spec["linux"]["sysctl"] = {{"net.ipv4.ping_group_range", "0 2147483647"}, {"net.core.somaxconn", "128"}};
    ASSERT_TRUE(rewrite(spec));
    // The kernel refuses a range beyond the namespace's mapped groups (container start fails).
    EXPECT_EQ(spec["linux"]["sysctl"]["net.ipv4.ping_group_range"], "0 65535");
    EXPECT_EQ(spec["linux"]["sysctl"]["net.core.somaxconn"], "128");
}

TEST_F(SpecRewrite, UsernsHostIsOverriddenAndCgroupNamespaceAdded)
{
    json spec = dockerSpec();
    removeNamespace(spec, "cgroup");
    spec["linux"]["namespaces"].push_back({{"type", "user"}, {"path", "/proc/1/ns/user"}});
    spec["linux"]["uidMappings"] = json::parse(R"([{"containerID":0,"hostID":0,"size":4294967295}])");
    ASSERT_TRUE(rewrite(spec));
    EXPECT_EQ(namespaceOf(spec, "user"), json({{"type", "user"}}));
    EXPECT_EQ(namespaceOf(spec, "cgroup"), json({{"type", "cgroup"}}));
    EXPECT_EQ(spec["linux"]["uidMappings"][0]["hostID"], 100000);
}

TEST_F(SpecRewrite, EachHostNamespaceIsRefusedWithSysboxWording)
{
    for (const std::string type : {"pid", "ipc", "uts"}) {
        json spec = dockerSpec();
        removeNamespace(spec, type);
        const auto result = rewrite(spec);
        EXPECT_EQ(result.error,
                  "error in the container spec: invalid or unsupported container spec: sysbox containers can't share "
                  "namespaces ["
                      + type + "] with the host (because they use the linux user-namespace for isolation)");
    }
    EXPECT_EQ(allocations, 0);  // nothing allocated for a refused container
}

TEST_F(SpecRewrite, SeveralHostNamespacesAreListedTogether)
{
    json spec = dockerSpec();
    removeNamespace(spec, "pid");
    removeNamespace(spec, "ipc");
    EXPECT_NE(rewrite(spec).error.find("can't share namespaces [pid ipc] with the host"), std::string::npos);
}

TEST_F(SpecRewrite, HostNetworkIsRefusedWhetherTheEntryNamesTheHostsOrIsLeftOut)
{
    json spec = dockerSpec();
    namespaceOf(spec, "network")["path"] = "/var/run/docker/netns/default";  // --network=host, dockerd 20.10
    EXPECT_EQ(rewrite(spec).error,
              "error in the container spec: invalid or unsupported container spec: sysbox containers can't share a "
              "network namespace with the host (because they use the linux user-namespace for isolation)");
    spec = dockerSpec();
    removeNamespace(spec, "network");  // --network=host, dockerd 26
    EXPECT_EQ(rewrite(spec).error, hostNetworkMessage());
    spec = dockerSpec();
    namespaceOf(spec, "network")["path"] = "/proc/1/ns/net";
    EXPECT_EQ(rewrite(spec).error, hostNetworkMessage());
    spec = dockerSpec();
    namespaceOf(spec, "network")["path"] = "/nonexistent";
    EXPECT_EQ(rewrite(spec).error, hostNetworkMessage());
    spec = dockerSpec();
    namespaceOf(spec, "pid")["path"] = "/proc/1/ns/pid";
    EXPECT_NE(rewrite(spec).error.find("namespaces [pid]"), std::string::npos);
    EXPECT_EQ(allocations, 0);
}

TEST_F(SpecRewrite, JoiningAnotherContainerSharesItsUserNamespaceAndBlock)
{
    json spec = dockerSpec();
    namespaceOf(spec, "network")["path"] = "/proc/42/ns/net";  // --network=container:X
    namespaceOf(spec, "ipc")["path"] = "/proc/42/ns/ipc";
    const auto result = rewrite(spec);
    ASSERT_TRUE(result) << result.error;
    EXPECT_TRUE(result.joined);
    EXPECT_EQ(result.hostIdBase, 165536U);
    EXPECT_EQ(allocations, 0);
    EXPECT_EQ(namespaceOf(spec, "user")["path"], "/proc/42/ns/user");
    EXPECT_EQ(spec["linux"]["uidMappings"][0]["hostID"], 165536);
}

TEST_F(SpecRewrite, JoiningAnUnisolatedContainerOrTwoDifferentOnesIsRefused)
{
    json spec = dockerSpec();
    namespaceOf(spec, "network")["path"] = "/proc/43/ns/net";
    EXPECT_NE(rewrite(spec).error.find("not isolated"), std::string::npos);
    spec = dockerSpec();
    namespaceOf(spec, "network")["path"] = "/proc/42/ns/net";
    host.files["/proc/43/ns/ipc"] = {4, 302};
    namespaceOf(spec, "ipc")["path"] = "/proc/43/ns/ipc";
    EXPECT_NE(rewrite(spec).error.find("different user namespaces"), std::string::npos);
}

TEST_F(SpecRewrite, EngineSocketMountIsDeniedUnlessTheImageIsAllowed)
{
    const std::string denied
        = "enhanced container isolation: docker socket mount denied for container with image "
          "\"docker.io/library/alpine\"; image is not in the allowed list; if you wish to allow it, configure the "
          "docker socket image list in the ";
    for (const std::string source :
         {"/var/run/docker.sock", "/run/docker.sock", "/tmp/sock", "/var/run", "/run", "/", "/run/containerd",
          "/run/containerd/containerd.sock", "/home/user/docker.sock.link", "/var/run/docker.sock/"}) {
        json spec = dockerSpec();
        addBind(spec, source);
        EXPECT_EQ(rewrite(spec).error.rfind(denied, 0), 0U) << source;
    }
    EXPECT_EQ(allocations, 0);
}

TEST_F(SpecRewrite, AnAllowedImageGetsTheSocketButNotTheDirectoryAroundIt)
{
    const ContainerImage allowed{"docker.io/library/docker:cli", true};
    json spec = dockerSpec();
    addBind(spec, "/var/run/docker.sock", "/var/run/docker.sock");
    ASSERT_TRUE(rewrite(spec, allowed));
    EXPECT_EQ(spec["mounts"].back()["source"], "/var/run/docker.sock");

    layout.guardedSocket = "/run/berth/eci/guarded.sock";
    spec = dockerSpec();
    addBind(spec, "/var/run/docker.sock", "/var/run/docker.sock");
    // Fail closed: while the filter is not listening an allowed image gets no socket at all.
    EXPECT_EQ(rewrite(spec, allowed).error,
              "enhanced container isolation: the docker socket for allowed images (/run/berth/eci/guarded.sock) is not "
              "available");

    host.files["/run/berth/eci/guarded.sock"] = {1, 12};
    spec = dockerSpec();
    addBind(spec, "/var/run/docker.sock", "/var/run/docker.sock");
    ASSERT_TRUE(rewrite(spec, allowed));
    EXPECT_EQ(spec["mounts"].back()["source"], "/run/berth/eci/guarded.sock");

    // The filter's own socket is no way around it: mounted by its path, it is a VM path like any other.
    spec = dockerSpec();
    addBind(spec, "/run/berth/eci/guarded.sock");
    EXPECT_EQ(rewrite(spec, allowed).error, restrictedMountMessage("/run/berth/eci/guarded.sock"));
    spec = dockerSpec();
    addBind(spec, "/run/berth/eci/guarded.sock");
    EXPECT_EQ(rewrite(spec).error, restrictedMountMessage("/run/berth/eci/guarded.sock"));

    spec = dockerSpec();
    addBind(spec, "/var/run");
    EXPECT_EQ(rewrite(spec, allowed).error, restrictedMountMessage("/var/run"));
}

TEST_F(SpecRewrite, VmPathsAreRestricted)
{
    for (const std::string source :
         {"/etc/docker/daemon.json", "/etc/docker", "/var/lib/docker", "/etc", "/var/lib/docker/containers",
          "/var/lib/docker/containers/other/hosts", "/var/lib/docker/volumes", "/var/lib/docker/overlay2/abc/diff",
          "/var/lib/docker/berth-eci", "/usr/sbin/runc", "/tmp", "/dev/sda",
          "/var/lib/docker/containers/c0ffee/config.v2.json", "/var/lib/docker/volumes/v1/_data/../../../containers",
          "/var/lib/docker/volumes/v1/_data/sub"}) {
        json spec = dockerSpec();
        addBind(spec, source);
        EXPECT_EQ(rewrite(spec).error,
                  "error in the container spec: can't mount " + source
                      + " because it's configured as a restricted host mount")
            << source;
    }
}

TEST_F(SpecRewrite, VolumesAndDockerManagedFilesKeepWorking)
{
    json spec = dockerSpec();
    namespaceOf(spec, "ipc")["path"] = "/proc/42/ns/ipc";
    addBind(spec, "/var/lib/docker/volumes/data/_data", "/data");
    addBind(spec, "/var/lib/docker/containers/other/mounts/shm", "/dev/shm");  // --ipc=container:other
    addBind(spec, "/usr/sbin/docker-init", "/sbin/docker-init");  // --init
    const auto result = rewrite(spec);
    EXPECT_TRUE(result) << result.error;
}

TEST_F(SpecRewrite, VolumesAndTheContainersOwnFilesAreIdMappedOthersAreNot)
{
    json spec = dockerSpec();  // mounts 2..5: shm, resolv.conf, hostname, hosts
    namespaceOf(spec, "ipc")["path"] = "/proc/42/ns/ipc";
    addBind(spec, "/var/lib/docker/volumes/data/_data", "/data");  // 6
    addBind(spec, "/var/lib/docker/volumes/data/_data/", "/again");  // 7: the same, spelled with a slash
    addBind(spec, "/var/lib/docker/containers/other/mounts/shm", "/dev/shm");  // 8
    addBind(spec, "/usr/sbin/docker-init", "/sbin/docker-init");  // 9
    spec["mounts"].push_back({{"destination", "/t"}, {"type", "tmpfs"}, {"source", "tmpfs"}});  // 10
    spec["mounts"].push_back({{"destination", "/u"}, {"type", "tmpfs"}, {"source", "tmpfs"}});  // 11
    host.links["/home/vol"] = "/var/lib/docker/volumes/other/_data";
    addBind(spec, "/home/vol", "/linked");  // 12
    const auto result = rewrite(spec);
    ASSERT_TRUE(result) << result.error;
    const std::vector<MappedBind> expected = {
        {3, "/var/lib/docker/containers/c0ffee/resolv.conf"},
        {4, "/var/lib/docker/containers/c0ffee/hostname"},
        {5, "/var/lib/docker/containers/c0ffee/hosts"},
        {6, "/var/lib/docker/volumes/data/_data"},
        {7, "/var/lib/docker/volumes/data/_data"},
        {12, "/var/lib/docker/volumes/other/_data"},  // resolved: the mount never follows a link
    };
    EXPECT_EQ(result.mappedBinds, expected);
    // The rewrite only reports them: the wrapper mounts them and points the sources there.
    EXPECT_EQ(spec["mounts"][6]["source"], "/var/lib/docker/volumes/data/_data");
}

TEST_F(SpecRewrite, ReadOnlyBindsAreStagedReadOnlySoTheKernelLocksThem)
{
    json spec = dockerSpec();  // mounts 2..5: shm, resolv.conf, hostname, hosts
    addBind(spec, "/var/lib/docker/volumes/data/_data", "/ro");  // 6
    spec["mounts"][6]["options"] = {"rbind", "ro", "rprivate"};
    addBind(spec, "/usr/sbin/docker-init", "/sbin/docker-init");  // 7
    spec["mounts"][7]["options"] = {"bind", "ro"};
    addBind(spec, "/var/lib/docker/volumes/data/_data", "/rw");  // 8
    addBind(spec, "/var/lib/docker/volumes/data/_data", "/rro");  // 9
    spec["mounts"][9]["options"] = {"rbind", "rro", "rprivate"};  // dockerd 26, recursive read-only
    const auto result = rewrite(spec);
    ASSERT_TRUE(result) << result.error;
    const std::vector<MappedBind> expected = {
        {3, "/var/lib/docker/containers/c0ffee/resolv.conf"},
        {4, "/var/lib/docker/containers/c0ffee/hostname"},
        {5, "/var/lib/docker/containers/c0ffee/hosts"},
        {6, "/var/lib/docker/volumes/data/_data", true, true},
        {7, "/usr/sbin/docker-init", false, true},  // not mapped, but staged read-only all the same
        {8, "/var/lib/docker/volumes/data/_data", true, false},
        {9, "/var/lib/docker/volumes/data/_data", true, true},
    };
    EXPECT_EQ(result.mappedBinds, expected);

    // BuildKit's shared files are made read-only, and so staged read-only too.
    const std::string id = "k3v8q2m1x0zq7w5e4r6t9y2u1";
    bundle = "/var/lib/docker/buildkit/executor/" + id;
    json step = dockerSpec();
    step["mounts"].erase(step["mounts"].begin() + 2, step["mounts"].end());
    addBind(step, "/var/lib/docker/buildkit/executor/hosts", "/etc/hosts");
    const auto built = rewrite(step, {}, id);
    ASSERT_TRUE(built) << built.error;
    EXPECT_EQ(built.mappedBinds,
              (std::vector<MappedBind>{{2, "/var/lib/docker/buildkit/executor/hosts", false, true}}));
}

TEST_F(SpecRewrite, AContainerJoiningAnothersNetworkGetsItsFilesAndVolumesIdMapped)
{
    // --network=container:X: dockerd mounts X's hostname, hosts and resolv.conf.
    json spec = dockerSpec();
    namespaceOf(spec, "network")["path"] = "/proc/42/ns/net";
    for (int i = 3; i <= 5; ++i) {
        auto source = spec["mounts"][i]["source"].get<std::string>();
        spec["mounts"][i]["source"] = source.replace(source.find(kId), kId.size(), "other");
    }
    addBind(spec, "/var/lib/docker/volumes/data/_data", "/data");
    const auto result = rewrite(spec);
    ASSERT_TRUE(result) << result.error;
    EXPECT_EQ(result.hostIdBase, 165536U);
    ASSERT_EQ(result.mappedBinds.size(), 4U);
    EXPECT_EQ(result.mappedBinds[2].source, "/var/lib/docker/containers/other/hosts");
    EXPECT_EQ(result.mappedBinds.back().source, "/var/lib/docker/volumes/data/_data");

    // Without joining X's network, X's files stay off limits.
    json alone = dockerSpec();
    addBind(alone, "/var/lib/docker/containers/other/hosts", "/etc/hosts");
    EXPECT_EQ(rewrite(alone).error, restrictedMountMessage("/var/lib/docker/containers/other/hosts"));
}

TEST_F(SpecRewrite, BuildKitStateIsOnlyForTheExecutorRunItBelongsTo)
{
    // A container of dockerd's (bundle: containerd's task directory) gets none of it.
    for (const std::string& source : std::vector<std::string>{
             "/var/lib/docker/buildkit", "/var/lib/docker/buildkit/executor", "/var/lib/docker/buildkit/executor/hosts",
             "/var/lib/docker/buildkit/executor/resolv.conf", "/var/lib/docker/buildkit/executor/x/rootfs",
             "/var/lib/docker/buildkit/executor/" + kId, "/var/lib/docker/buildkit/content/blobs"}) {
        json spec = dockerSpec();
        addBind(spec, source);
        EXPECT_EQ(rewrite(spec).error, restrictedMountMessage(source)) << source;
    }

    // BuildKit's runc executor: `runc run --bundle <root>/buildkit/executor/<id> <id>`.
    const std::string id = "k3v8q2m1x0zq7w5e4r6t9y2u1";
    const std::string executor = "/var/lib/docker/buildkit/executor";
    bundle = executor + "/" + id;
    // Its spec has none of dockerd's per-container files.
    const auto buildKitSpec = [] {
        json spec = dockerSpec();
        spec["mounts"].erase(spec["mounts"].begin() + 2, spec["mounts"].end());
        return spec;
    };
    json spec = buildKitSpec();
    addBind(spec, executor + "/resolv.conf", "/etc/resolv.conf");
    addBind(spec, executor + "/hosts.n4b2", "/etc/hosts");
    addBind(spec, executor + "/" + id + "/stub", "/stub");
    const auto result = rewrite(spec, {}, id);
    ASSERT_TRUE(result) << result.error;
    // The files beside the bundles are every step's: read-only, whatever the spec said.
    for (std::size_t i = spec["mounts"].size() - 3; i < spec["mounts"].size() - 1; ++i) {
        const json& options = spec["mounts"][i]["options"];
        EXPECT_NE(std::find(options.begin(), options.end(), "ro"), options.end()) << spec["mounts"][i];
    }
    const json& own = spec["mounts"].back()["options"];
    EXPECT_EQ(std::find(own.begin(), own.end(), "ro"), own.end());
    // Never ID-mapped (BuildKit's files are not the container's); the shared ones staged read-only.
    for (const auto& bind : result.mappedBinds) {
        EXPECT_FALSE(bind.idMapped) << bind.source;
        EXPECT_TRUE(bind.readOnly) << bind.source;
    }

    // Not another step's bundle, nor the rest of BuildKit's state, nor the executor directory.
    for (const std::string& source : std::vector<std::string>{
             executor + "/other-step/rootfs", executor, executor + "/runc-log.json", "/var/lib/docker/buildkit",
             "/var/lib/docker/buildkit/snapshots.db", executor + "/" + id + "/../other-step"}) {
        json step = buildKitSpec();
        addBind(step, source);
        EXPECT_FALSE(rewrite(step, {}, id)) << source;
    }

    // The bundle must be the run's own: another ID, or a bundle elsewhere, is not an executor run.
    json elsewhere = buildKitSpec();
    addBind(elsewhere, executor + "/hosts");
    bundle = executor + "/another-id";
    EXPECT_EQ(rewrite(elsewhere, {}, id).error, restrictedMountMessage(executor + "/hosts"));
    bundle = "/run/containerd/io.containerd.runtime.v2.task/moby/" + id;
    EXPECT_EQ(rewrite(elsewhere, {}, id).error, restrictedMountMessage(executor + "/hosts"));
    host.links["/tmp/b"] = executor;  // the bundle is compared resolved
    bundle = "/tmp/b/" + id;
    EXPECT_TRUE(rewrite(elsewhere, {}, id));
}

TEST_F(SpecRewrite, AnotherContainersShmIsOnlyForAContainerInItsIpcNamespace)
{
    const std::string otherShm = "/var/lib/docker/containers/other/mounts/shm";
    json alone = dockerSpec();
    addBind(alone, otherShm, "/dev/shm");
    EXPECT_EQ(rewrite(alone).error, restrictedMountMessage(otherShm));

    // --ipc=container:other: other's shm, and nobody else's.
    json joined = dockerSpec();
    namespaceOf(joined, "ipc")["path"] = "/proc/42/ns/ipc";
    addBind(joined, otherShm, "/dev/shm");
    ASSERT_TRUE(rewrite(joined));
    for (const std::string source :
         {"/var/lib/docker/containers/third/mounts/shm", "/var/lib/docker/containers/other/mounts/secrets",
          "/var/lib/docker/containers/other/mounts"}) {
        json spec = dockerSpec();
        namespaceOf(spec, "ipc")["path"] = "/proc/42/ns/ipc";
        addBind(spec, source, "/x");
        EXPECT_EQ(rewrite(spec).error, restrictedMountMessage(source)) << source;
    }

    // Joining other's network is not joining its IPC namespace.
    json network = dockerSpec();
    namespaceOf(network, "network")["path"] = "/proc/42/ns/net";
    addBind(network, otherShm, "/dev/shm");
    EXPECT_EQ(rewrite(network).error, restrictedMountMessage(otherShm));

    // A container that is not running (or that dockerd has no record of) has no namespace to join.
    host.containerPids.erase("other");
    EXPECT_EQ(rewrite(joined).error, restrictedMountMessage(otherShm));
}

TEST_F(SpecRewrite, AJoinerGetsTheHostsFilesOfTheContainerItJoinsOnly)
{
    // --network=container:other may bind other's hosts, not third's (which runs elsewhere).
    const std::string thirdHosts = "/var/lib/docker/containers/third/hosts";
    json spec = dockerSpec();
    namespaceOf(spec, "network")["path"] = "/proc/42/ns/net";
    addBind(spec, thirdHosts, "/x");
    EXPECT_EQ(rewrite(spec).error, restrictedMountMessage(thirdHosts));
    for (const std::string file : {"hostname", "resolv.conf"}) {
        json other = dockerSpec();
        namespaceOf(other, "network")["path"] = "/proc/42/ns/net";
        addBind(other, "/var/lib/docker/containers/third/" + file, "/x");
        EXPECT_FALSE(rewrite(other)) << file;
    }

    // Joining other's IPC namespace only does not open its network files.
    json ipc = dockerSpec();
    namespaceOf(ipc, "ipc")["path"] = "/proc/42/ns/ipc";
    addBind(ipc, "/var/lib/docker/containers/other/hosts", "/etc/hosts");
    EXPECT_FALSE(rewrite(ipc));

    // A container that itself runs in other's network namespace is the same namespace.
    host.files["/proc/44/ns/net"] = {4, 200};
    json chained = dockerSpec();
    namespaceOf(chained, "network")["path"] = "/proc/42/ns/net";
    addBind(chained, thirdHosts, "/etc/hosts");
    EXPECT_TRUE(rewrite(chained));
}

TEST_F(SpecRewrite, AVolumeThatIsABindOfAVmPathIsRestricted)
{
    host.foreignMounts.insert("/var/lib/docker/volumes/sneaky/_data");
    json spec = dockerSpec();
    addBind(spec, "/var/lib/docker/volumes/sneaky/_data", "/x");
    EXPECT_EQ(rewrite(spec).error, restrictedMountMessage("/var/lib/docker/volumes/sneaky/_data"));
    spec = dockerSpec();
    addBind(spec, "/usr/sbin/docker-init", "/bin/sh");  // the init binary only where Docker puts it
    EXPECT_FALSE(rewrite(spec));
}

// A host directory shared into the VM (virtiofs, device 7) at /home/user/proj.
struct SharedDirectoryRewrite : SpecRewrite {
    SharedDirectoryRewrite()
    {
        layout.sharedDirectories = {share};
        host.shares[share] = 7;
        host.files[share] = {7, 1};
        host.files[share + "/src"] = {7, 2};
        host.files[share + "/src/main.c"] = {7, 3};
        host.files["/etc"] = {1, 50};
        host.files["/etc/shadow"] = {1, 51};
    }
    std::string refusal(const std::string& source)
    {
        json spec = dockerSpec();
        addBind(spec, source, "/src");
        return rewrite(spec).error;
    }
    const std::string share = "/home/user/proj";
};

TEST_F(SharedDirectoryRewrite, ASharedPathIsAnIdMappedBindOfTheShare)
{
    json spec = dockerSpec();  // mounts 2..5: shm, resolv.conf, hostname, hosts
    addBind(spec, share + "/src", "/src");  // 6
    addBind(spec, share, "/proj");  // 7
    spec["mounts"][7]["options"] = {"rbind", "ro", "rprivate"};
    host.links[share + "/current"] = share + "/src";
    addBind(spec, share + "/current/main.c", "/main.c");  // 8: resolved, the mount never follows a link
    addBind(spec, "/var/lib/docker/volumes/data/_data", "/data");  // 9
    const auto result = rewrite(spec);
    ASSERT_TRUE(result) << result.error;
    const std::vector<MappedBind> expected = {
        {3, "/var/lib/docker/containers/c0ffee/resolv.conf"},
        {4, "/var/lib/docker/containers/c0ffee/hostname"},
        {5, "/var/lib/docker/containers/c0ffee/hosts"},
        {6, share + "/src", true, false, share},
        {7, share, true, true, share},
        {8, share + "/src/main.c", true, false, share},
        {9, "/var/lib/docker/volumes/data/_data", true, false, ""},
    };
    EXPECT_EQ(result.mappedBinds, expected);
    // Mapped like a volume: container IDs 0..65535 are VM IDs 0..65535 on the share (the block's
    // own mapping, which the wrapper gives the staged mount).
    EXPECT_EQ(spec["linux"]["uidMappings"], json::parse(R"([{"containerID":0,"hostID":100000,"size":65536}])"));
}

TEST_F(SharedDirectoryRewrite, ASymlinkFromTheShareToAVmPathIsRefused)
{
    host.links[share + "/etc"] = "/etc";
    host.links[share + "/docker"] = "/var/lib/docker";
    for (const std::string& source :
         std::vector<std::string>{share + "/etc", share + "/etc/shadow", share + "/docker"}) {
        EXPECT_EQ(refusal(source), restrictedMountMessage(source)) << source;
    }
}

TEST_F(SharedDirectoryRewrite, DotDotOutOfTheShareIsRefused)
{
    for (const std::string& source :
         std::vector<std::string>{share + "/../../../etc", share + "/..", share + "/src/../../proj2"}) {
        EXPECT_EQ(refusal(source), restrictedMountMessage(source)) << source;
    }
    EXPECT_EQ(refusal(share + "/src/.."), "");  // still the share
}

TEST_F(SharedDirectoryRewrite, APathOnAnotherDeviceUnderTheShareIsRefused)
{
    host.files[share + "/mnt"] = {9, 1};  // a VM mount inside the share
    host.files[share + "/mnt/f"] = {9, 2};
    EXPECT_EQ(refusal(share + "/mnt"), restrictedMountMessage(share + "/mnt"));
    EXPECT_EQ(refusal(share + "/mnt/f"), restrictedMountMessage(share + "/mnt/f"));
    // A VM mount over the share itself: the share shows another device than its virtiofs mount's.
    host.files[share] = {9, 1};
    host.files[share + "/src"] = {9, 2};
    EXPECT_EQ(refusal(share), restrictedMountMessage(share));
    EXPECT_EQ(refusal(share + "/src"), restrictedMountMessage(share + "/src"));
    host.files[share] = {7, 1};
    host.files[share + "/src"] = {7, 2};
    EXPECT_EQ(refusal(share + "/src"), "");
    // Not mounted as a share at all (or covered, as the host view reports it): nothing there is the user's.
    host.shares.clear();
    EXPECT_EQ(refusal(share + "/src"), restrictedMountMessage(share + "/src"));
}

TEST_F(SharedDirectoryRewrite, OnlyTheListedSharesAreTheUsers)
{
    host.files["/home/user/projects"] = {7, 9};
    EXPECT_EQ(refusal("/home/user/projects"), restrictedMountMessage("/home/user/projects"));
    EXPECT_EQ(refusal("/home/user"), restrictedMountMessage("/home/user"));
    layout.sharedDirectories.clear();
    EXPECT_EQ(refusal(share + "/src"), restrictedMountMessage(share + "/src"));
    // Compared by components: /home/user/pro holds nothing of /home/user/proj.
    EXPECT_EQ(sharedDirectoryOf(share + "/src", {"/home/user/pro", share}), share);
    EXPECT_EQ(sharedDirectoryOf("/home/user/proj2", {share}), "");
    EXPECT_TRUE(isOnSharedFilesystem(share + "/src/not/yet", share, host));  // judged by what exists
    EXPECT_FALSE(isOnSharedFilesystem("/etc", share, host));
}

TEST_F(SpecRewrite, DockerInitIsFoundWhereverDockerdFoundIt)
{
    // dockerd looks docker-init up in its PATH: /bin/docker-init on the guest.
    host.files["/usr/bin/docker-init"] = {1, 50};
    host.files["/opt/init-copy"] = {1, 50};  // the same file by another name
    host.files["/bin/sh"] = {1, 51};
    for (const std::string& source :
         std::vector<std::string>{"/bin/docker-init", "/usr/bin/docker-init", "/opt/init-copy"}) {
        json spec = dockerSpec();
        addBind(spec, source, "/sbin/docker-init");
        spec["mounts"].back()["options"] = {"bind", "ro"};
        const auto result = rewrite(spec);
        ASSERT_TRUE(result) << source << ": " << result.error;
        EXPECT_EQ(result.mappedBinds.back(), (MappedBind{6, source, false, true})) << source;
    }
    json spec = dockerSpec();
    addBind(spec, "/bin/sh", "/sbin/docker-init");
    EXPECT_EQ(rewrite(spec).error, restrictedMountMessage("/bin/sh"));
}

TEST_F(SpecRewrite, BindByOptionsOnlyIsStillABind)
{
    json spec = dockerSpec();
    spec["mounts"].push_back({{"destination", "/x"}, {"type", "none"}, {"source", "/etc"}, {"options", {"bind"}}});
    EXPECT_EQ(rewrite(spec).error, restrictedMountMessage("/etc"));
}

TEST_F(SpecRewrite, PrivilegedContainersLoseBlockDevices)
{
    json spec = dockerSpec();
    spec["linux"]["devices"] = json::parse(R"([{"path":"/dev/sda","type":"b","major":8,"minor":0},
                                              {"path":"/dev/fuse","type":"c","major":10,"minor":229}])");
    ASSERT_TRUE(rewrite(spec));
    ASSERT_EQ(spec["linux"]["devices"].size(), 1U);
    EXPECT_EQ(spec["linux"]["devices"][0]["path"], "/dev/fuse");
}

TEST_F(SpecRewrite, PrivilegedContainersCannotRemountReadOnlyBindsWritable)
{
    json spec = dockerSpec();
    spec["process"]["capabilities"] = {{"bounding", {"CAP_CHOWN", "CAP_SYS_ADMIN"}}};
    ASSERT_TRUE(rewrite(spec));
    const json& seccomp = spec["linux"]["seccomp"];
    EXPECT_EQ(seccomp["defaultAction"], "SCMP_ACT_ALLOW");
    const json& mount = seccomp["syscalls"][0];
    EXPECT_EQ(mount["names"], json::array({"mount"}));
    EXPECT_EQ(mount["action"], "SCMP_ACT_ERRNO");
    // (flags & (MS_RDONLY|MS_REMOUNT|MS_BIND)) == MS_REMOUNT|MS_BIND: a bind remount to rw.
    EXPECT_EQ(mount["args"][0]["value"], 4129);
    EXPECT_EQ(mount["args"][0]["valueTwo"], 4128);
    EXPECT_EQ(seccomp["syscalls"][1]["names"], json::array({"mount_setattr"}));

    // Without CAP_SYS_ADMIN the same rules: an exec can add the capability later.
    json plain = dockerSpec();
    plain["process"]["capabilities"] = {{"bounding", {"CAP_CHOWN"}}};
    ASSERT_TRUE(rewrite(plain));
    EXPECT_EQ(plain["linux"]["seccomp"], seccomp);
}

TEST_F(SpecRewrite, CapSysAdminUnderDockersProfileCannotRemountReadOnlyBindsWritable)
{
    // Docker's default profile with --cap-add SYS_ADMIN: mount is allowed outright.
    json spec = dockerSpec();
    spec["process"]["capabilities"] = {{"bounding", {"CAP_SYS_ADMIN"}}};
    spec["linux"]["seccomp"] = json::parse(R"({"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1,
        "syscalls":[{"names":["read","write"],"action":"SCMP_ACT_ALLOW"},
                    {"names":["mount","umount2","mount_setattr"],"action":"SCMP_ACT_ALLOW"},
                    {"names":["mount"],"action":"SCMP_ACT_ALLOW","args":[]},
                    {"names":["clone"],"action":"SCMP_ACT_ALLOW",
                     "args":[{"index":0,"value":2114060288,"valueTwo":0,"op":"SCMP_CMP_MASKED_EQ"}]}]})");
    ASSERT_TRUE(rewrite(spec));
    const json& syscalls = spec["linux"]["seccomp"]["syscalls"];
    EXPECT_EQ(spec["linux"]["seccomp"]["defaultAction"], "SCMP_ACT_ERRNO");
    EXPECT_EQ(syscalls[0]["names"], json::array({"read", "write"}));
    EXPECT_EQ(syscalls[1]["names"], json::array({"umount2"})) << "mount and mount_setattr leave the outright allow";
    EXPECT_EQ(syscalls[2]["names"], json::array({"clone"})) << "a rule left with no names is dropped";
    ASSERT_EQ(syscalls.size(), 7U);
    // mount comes back as alternatives: not a remount, or not a bind, or read-only.
    std::vector<std::pair<unsigned, unsigned>> conditions;
    for (std::size_t i = 3; i < 6; ++i) {
        EXPECT_EQ(syscalls[i]["names"], json::array({"mount"}));
        EXPECT_EQ(syscalls[i]["action"], "SCMP_ACT_ALLOW");
        conditions.emplace_back(syscalls[i]["args"][0]["value"], syscalls[i]["args"][0]["valueTwo"]);
    }
    const std::vector<std::pair<unsigned, unsigned>> expected{{32U, 0U}, {4096U, 0U}, {1U, 1U}};
    EXPECT_EQ(conditions, expected);
    EXPECT_EQ(syscalls[6]["names"], json::array({"mount_setattr"}));
    EXPECT_EQ(syscalls[6]["action"], "SCMP_ACT_ERRNO");

    // A profile that does not allow mount gets no mount rule, only mount_setattr's.
    json strict = dockerSpec();
    strict["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ERRNO"}};
    ASSERT_TRUE(rewrite(strict));
    ASSERT_EQ(strict["linux"]["seccomp"]["syscalls"].size(), 1U);
    EXPECT_EQ(strict["linux"]["seccomp"]["syscalls"][0]["names"], json::array({"mount_setattr"}));
}

namespace {

constexpr std::uint64_t kMsRdonly = 1;
constexpr std::uint64_t kMsRemount = 32;
constexpr std::uint64_t kMsBind = 4096;

bool refusing(const std::string& action)
{
    return action == "SCMP_ACT_ERRNO" || action == "SCMP_ACT_KILL" || action == "SCMP_ACT_KILL_PROCESS"
        || action == "SCMP_ACT_KILL_THREAD" || action == "SCMP_ACT_TRAP";
}

// Whether a rule names the syscall and its conditions hold for mount(2) with these flags (the
// other arguments are zero). Conditions on one argument are alternatives, as runc adds them.
bool ruleMatches(const json& rule, const std::string& syscall, std::uint64_t flags)
{
    const json names = rule.value("names", json::array());
    if (std::find(names.begin(), names.end(), syscall) == names.end()) { return false; }
    const json args = rule.value("args", json::array());
    if (args.empty()) { return true; }
    std::map<int, bool> byIndex;
    for (const json& arg : args) {
        const int index = arg.value("index", 0);
        const std::uint64_t value = arg.value("value", std::uint64_t{0});
        const std::uint64_t valueTwo = arg.value("valueTwo", std::uint64_t{0});
        const std::uint64_t actual = index == 3 ? flags : 0;
        const std::string op = arg.value("op", std::string());
        bool holds = false;
        if (op == "SCMP_CMP_MASKED_EQ") { holds = (actual & value) == valueTwo; }
        if (op == "SCMP_CMP_EQ") { holds = actual == value; }
        if (op == "SCMP_CMP_NE") { holds = actual != value; }
        if (op == "SCMP_CMP_GE") { holds = actual >= value; }
        byIndex[index] = byIndex[index] || holds;
    }
    return std::all_of(byIndex.begin(), byIndex.end(), [](const auto& entry) { return entry.second; });
}

// What the filter does with a call whatever libseccomp makes of overlapping rules: "refused"
// when every rule it matches refuses and the default does too or a refusing rule matches;
// "allowed" when it matches no refusing rule and a permitting one or the permitting default.
// Anything else ("either") would depend on rule precedence, which the guard must never need.
std::string verdict(const json& seccomp, const std::string& syscall, std::uint64_t flags)
{
    bool permits = false;
    bool refuses = false;
    for (const json& rule : seccomp["syscalls"]) {
        if (!ruleMatches(rule, syscall, flags)) { continue; }
        (refusing(rule.value("action", std::string())) ? refuses : permits) = true;
    }
    const bool defaultPermits = !refusing(seccomp.value("defaultAction", std::string()));
    if (!permits && (refuses || !defaultPermits)) { return "refused"; }
    if (!refuses && (permits || defaultPermits)) { return "allowed"; }
    return "either";
}

json withProfile(const std::string& defaultAction, const json& syscalls)
{
    json spec = dockerSpec();
    spec["process"]["capabilities"] = {{"bounding", {"CAP_SYS_ADMIN"}}};
    spec["linux"]["seccomp"] = {{"defaultAction", defaultAction}, {"syscalls", syscalls}};
    return spec;
}

}  // namespace

TEST_F(SpecRewrite, EveryContainerGetsTheMountGuardWhateverItsProfileAndCapabilities)
{
    // seccomp=unconfined and no capability: docker exec --privileged could add CAP_SYS_ADMIN.
    json spec = dockerSpec();
    spec["process"]["capabilities"] = {{"bounding", {"CAP_CHOWN"}}};
    ASSERT_TRUE(rewrite(spec));
    const json& seccomp = spec["linux"]["seccomp"];
    EXPECT_EQ(seccomp["defaultAction"], "SCMP_ACT_ALLOW");
    EXPECT_EQ(verdict(seccomp, "mount", kMsRemount | kMsBind), "refused");
    EXPECT_EQ(verdict(seccomp, "mount_setattr", 0), "refused");
    EXPECT_EQ(verdict(seccomp, "mount", kMsRemount | kMsBind | kMsRdonly), "allowed");
    EXPECT_EQ(verdict(seccomp, "mount", kMsBind), "allowed");

    // No process capabilities at all in the spec is no way around it either.
    json bare = dockerSpec();
    ASSERT_TRUE(rewrite(bare));
    EXPECT_EQ(verdict(bare["linux"]["seccomp"], "mount", kMsRemount | kMsBind), "refused");
}

TEST_F(SpecRewrite, NoUserRuleLetsTheBindRemountThrough)
{
    const json alwaysTrue = json::array({{{"index", 3}, {"value", 0}, {"valueTwo", 0}, {"op", "SCMP_CMP_MASKED_EQ"}}});
    const json bindRemountOnly = json::array({{{"index", 3},
                                               {"value", kMsRemount | kMsBind},
                                               {"valueTwo", kMsRemount | kMsBind},
                                               {"op", "SCMP_CMP_MASKED_EQ"}}});
    std::vector<json> userRules;
    for (const std::string action :
         {"SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_TRACE", "SCMP_ACT_NOTIFY", "SCMP_ACT_SOMETHING_NEW"}) {
        for (const json& names : {json::array({"mount"}), json::array({"mount_setattr", "mount", "umount2"})}) {
            userRules.push_back({{"names", names}, {"action", action}});
            userRules.push_back({{"names", names}, {"action", action}, {"args", alwaysTrue}});
            userRules.push_back({{"names", names}, {"action", action}, {"args", bindRemountOnly}});
        }
    }
    for (const std::string defaultAction :
         {"SCMP_ACT_ERRNO", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_TRACE"}) {
        for (const json& rule : userRules) {
            json spec = withProfile(defaultAction, json::array({rule}));
            ASSERT_TRUE(rewrite(spec));
            const json& seccomp = spec["linux"]["seccomp"];
            const std::string what = defaultAction + " " + rule.dump();
            EXPECT_EQ(verdict(seccomp, "mount", kMsRemount | kMsBind), "refused") << what;
            EXPECT_EQ(verdict(seccomp, "mount", kMsRemount | kMsBind | 0x8), "refused") << what;  // + MS_NOSUID
            EXPECT_EQ(verdict(seccomp, "mount_setattr", 0), "refused") << what;
            // Ordinary mounts stay what the profile asked for: some rule (or the default) permitted mount.
            for (const std::uint64_t flags :
                 {std::uint64_t{0}, kMsBind, kMsRemount, kMsRemount | kMsBind | kMsRdonly}) {
                EXPECT_EQ(verdict(seccomp, "mount", flags), "allowed") << what << " flags " << flags;
            }
            // Only our rules name mount with a permitting action.
            for (const json& kept : seccomp["syscalls"]) {
                const json names = kept.value("names", json::array());
                if (std::find(names.begin(), names.end(), "umount2") != names.end()) {
                    EXPECT_EQ(kept["action"], rule["action"]) << "other syscalls keep the user's rule";
                }
            }
        }
    }
}

TEST_F(SpecRewrite, RefusingUserRulesForMountStay)
{
    // A profile that refuses mount keeps refusing it; ours only ever adds refusals there.
    json spec = withProfile("SCMP_ACT_ALLOW", json::parse(R"([{"names":["mount"],"action":"SCMP_ACT_KILL_PROCESS"}])"));
    ASSERT_TRUE(rewrite(spec));
    const json& seccomp = spec["linux"]["seccomp"];
    EXPECT_EQ(seccomp["syscalls"][0]["action"], "SCMP_ACT_KILL_PROCESS");
    for (const std::uint64_t flags : {std::uint64_t{0}, kMsBind, kMsRemount | kMsBind}) {
        EXPECT_EQ(verdict(seccomp, "mount", flags), "refused") << flags;
    }
    // mount_setattr is ours alone, whatever the profile said about it (a second unconditional
    // rule with another action would conflict in libseccomp).
    json setattr = withProfile("SCMP_ACT_ALLOW", json::parse(R"([
        {"names":["mount_setattr","chmod"],"action":"SCMP_ACT_KILL_PROCESS"},
        {"names":["mount_setattr"],"action":"SCMP_ACT_ERRNO","errnoRet":1}])"));
    ASSERT_TRUE(rewrite(setattr));
    int setattrRules = 0;
    for (const json& rule : setattr["linux"]["seccomp"]["syscalls"]) {
        const json names = rule.value("names", json::array());
        if (std::find(names.begin(), names.end(), "mount_setattr") == names.end()) { continue; }
        ++setattrRules;
        EXPECT_EQ(rule["errnoRet"], 38);
        EXPECT_FALSE(rule.contains("args"));
    }
    EXPECT_EQ(setattrRules, 1);
    EXPECT_EQ(setattr["linux"]["seccomp"]["syscalls"][0]["names"], json::array({"chmod"}));

    // A denying default with no rule permitting mount: no mount rule is added at all.
    json strict = withProfile("SCMP_ACT_ERRNO", json::parse(R"([{"names":["mount"],"action":"SCMP_ACT_ERRNO",
        "args":[{"index":3,"value":1,"valueTwo":0,"op":"SCMP_CMP_MASKED_EQ"}]}])"));
    ASSERT_TRUE(rewrite(strict));
    for (const std::uint64_t flags : {std::uint64_t{0}, kMsBind, kMsRdonly, kMsRemount | kMsBind}) {
        EXPECT_EQ(verdict(strict["linux"]["seccomp"], "mount", flags), "refused") << flags;
    }
}

TEST_F(SpecRewrite, ExhaustionIsReportedClearly)
{
    json spec = dockerSpec();
    const auto result = rewriteSpec(spec, kId, {}, layout, host, []() -> std::uint32_t {
        throw std::runtime_error("user-namespace ID range exhausted");
    });
    EXPECT_EQ(result.error, "enhanced container isolation: user-namespace ID range exhausted");
}

TEST_F(SpecRewrite, MalformedSpecsAreRefused)
{
    json spec = json::array();
    EXPECT_FALSE(rewrite(spec));
    spec = dockerSpec();
    spec["mounts"] = "nope";
    EXPECT_FALSE(rewrite(spec));
    spec = json::object();  // no namespaces at all: everything would be the host's
    EXPECT_NE(rewrite(spec).error.find("[pid ipc uts mount network]"), std::string::npos);
}

TEST_F(SpecRewrite, AContainerThatMayChangeMountsStartsWithTheInitThatLocksThem)
{
    layout.mountLockInit = "/usr/lib/berth/bin/berth-eci-init";
    host.files[layout.mountLockInit] = {1, 50};
    json privileged = dockerSpec();  // no seccomp profile: --privileged, seccomp=unconfined
    ASSERT_TRUE(rewrite(privileged));
    EXPECT_EQ(privileged["process"]["args"][0], kInitInContainer);
    EXPECT_EQ(privileged["mounts"].back()["source"], layout.mountLockInit);

    json confined = withProfile("SCMP_ACT_ERRNO", json::parse(R"([{"names":["read"],"action":"SCMP_ACT_ALLOW"}])"));
    ASSERT_TRUE(rewrite(confined));
    EXPECT_EQ(confined["process"]["args"], json({"sh"}));
}

TEST_F(SpecRewrite, WithoutTheInitOrACommandNothingIsAllocated)
{
    layout.mountLockInit = "/usr/lib/berth/bin/berth-eci-init";
    json spec = dockerSpec();
    auto result = rewrite(spec);
    EXPECT_FALSE(result);
    EXPECT_NE(result.error.find("berth-eci-init is missing"), std::string::npos) << result.error;

    host.files[layout.mountLockInit] = {1, 50};
    spec = dockerSpec();
    spec["process"]["args"] = json::array();
    result = rewrite(spec);
    EXPECT_FALSE(result);
    EXPECT_NE(result.error.find("no command"), std::string::npos) << result.error;
    EXPECT_EQ(allocations, 0);
}
