#pragma once

// The authorization plugin's view of mounts: what a container create would make dockerd mount,
// and what an existing container's mounts are, vetted by the rules the runtime wrapper applies at
// start. dockerd mounts a container's volumes for the archive endpoints (docker cp) as the VM's
// root whether or not the container ever ran, so these checks cannot wait for the runtime.

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "berth/guest/eci/spec_rewrite.h"

namespace berth::guest::eci {

// The local driver's options as `docker volume create --opt` gives them ("type", "o", "device").
using VolumeOptions = std::map<std::string, std::string>;

// What dockerd's state on disk says about containers and volumes.
class EngineState {
public:
    virtual ~EngineState() = default;
    // config.v2.json of the container that a full ID, a name ("x" or "/x") or a unique ID prefix
    // names, as dockerd resolves it; nullopt when there is none or the prefix is ambiguous.
    virtual std::optional<nlohmann::json> container(const std::string& nameOrId) const = 0;
    // The options of an existing local volume (empty for a plain one); nullopt when there is none.
    virtual std::optional<VolumeOptions> localVolume(const std::string& name) const = 0;
};

// EngineState over /var/lib/docker (or another root, for tests).
class DiskEngineState : public EngineState {
public:
    explicit DiskEngineState(std::string dockerRoot);
    std::optional<nlohmann::json> container(const std::string& nameOrId) const override;
    std::optional<VolumeOptions> localVolume(const std::string& name) const override;

private:
    std::string m_root;
};

// What a check enforces: every ECI rule, or (ECI off) Docker Desktop's file sharing alone: a bind
// source that is neither in a shared directory nor in the VM is refused with mountsDeniedMessage
// (dockerd would make an empty directory in the VM for it), everything else is dockerd's to judge.
enum class MountRules { Eci, FileSharing };

// Every check returns the refusal's message, empty when allowed.
class MountVetting {
public:
    // sharedDirectories: the host directories shared into the VM at their own paths.
    MountVetting(const EngineState& engine, const HostView& host, std::string dockerRoot = "/var/lib/docker",
                 std::vector<std::string> sharedDirectories = {});

    // Options a local volume may have under ECI: an allow-list (plain, tmpfs, nfs, cifs), so no
    // option set that mounts a VM path or device (o=bind, type=none/ext4, remount) gets through.
    std::string volumeOptions(const std::string& volume, const VolumeOptions& options) const;
    // A volume by name (empty: anonymous), with the driver and options the request asks for.
    std::string volume(const std::string& name, const std::string& driver, const VolumeOptions& requested) const;
    // A bind source: only a vetted named volume's _data itself, by its own path.
    std::string bindSource(const std::string& source) const;
    // Whether a bind source is the engine's socket, resolves to it or holds it: the runtime
    // decides those at start by the container's image (allowed images get the command-list
    // filter, others Docker's "docker socket mount denied" message), so a create leaves them to it.
    bool isEngineSocketMount(const std::string& source) const;
    // The body of POST /containers/create: Binds, Mounts, VolumeDriver, VolumesFrom.
    std::string containerCreate(const nlohmann::json& body, MountRules rules = MountRules::Eci) const;
    // An existing container (by what a request names it): every mount point it has.
    std::string existingContainer(const std::string& nameOrId) const;
    // A container about to start: its mount points as a create would have them (the engine
    // socket left to the runtime); one dockerd does not know is left to dockerd's own answer.
    std::string containerStart(const std::string& nameOrId, MountRules rules = MountRules::Eci) const;

private:
    // LeaveToRuntime: the runtime will see the mount at start. Refuse: dockerd mounts it itself as
    // the VM's root with no runtime involved (the archive endpoints).
    enum class Sockets { LeaveToRuntime, Refuse };
    // A bind source (Binds, Mounts of type bind, a bind mount point), judged as dockerd will see it
    // (cleaned lexically, then resolved in the VM): one neither shared nor in the VM is "Mounts
    // denied"; under ECI one in a shared directory must be on the share's own file system
    // (isOnSharedFilesystem), and with no runtime involved (Refuse) be the share itself; any other
    // is a VM path: bindSource, unless it is the engine socket's and `sockets` leaves those to the
    // runtime.
    std::string bind(const std::string& source, Sockets sockets, MountRules rules = MountRules::Eci) const;
    // An existing local volume, by its saved options and what is mounted at its _data: the
    // refusal, empty when allowed; nullopt when there is no such volume.
    std::optional<std::string> existingVolume(const std::string& name) const;
    std::string mountPoints(const nlohmann::json& config, Sockets sockets, MountRules rules) const;

    const EngineState& m_engine;
    const HostView& m_host;
    std::string m_root;
    std::vector<std::string> m_sharedDirectories;
};

// VolumeOptions from a JSON object of strings; nullopt when it is anything else.
std::optional<VolumeOptions> volumeOptionsFromJson(const nlohmann::json& options);

}  // namespace berth::guest::eci
