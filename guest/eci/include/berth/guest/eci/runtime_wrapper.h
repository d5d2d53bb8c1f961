#pragma once

// sysbox-runc: the OCI runtime dockerd and BuildKit run. It rewrites the bundle on create/run,
// cleans up on delete, and otherwise hands its arguments to Debian's runc untouched.

#include <string>
#include <vector>

#include "berth/guest/eci/spec_rewrite.h"

namespace berth::guest::eci {

struct WrapperPaths {
    std::string realRunc;  // empty: paths::kPreservedRunc, else paths::kDebianRunc
    std::string policyFile;  // paths::kPolicyFile
    std::string fwCfgConfig;  // paths::kFwCfgConfig
    std::string stateDir;  // paths::kStateDir
    std::string stagingRoot;  // paths::kStagingRoot
    EngineLayout layout;

    // The guest's paths, with test overrides from BERTH_ECI_RUNC, BERTH_ECI_STATE_DIR,
    // BERTH_ECI_RUN_DIR and BERTH_ECI_DOCKER_ROOT (set by nothing in the guest; the runtime
    // runs only as the engine's child, whose environment the agent decides).
    static WrapperPaths fromEnvironment();
};

// Frees the ID blocks of containers from an earlier boot (none of them runs any more), shifting
// their upper layers back; the first call in each boot does it, later ones find nothing. Throws
// std::runtime_error when the state cannot be read or written.
void reclaimBlocksOfPastBoots(const std::string& stateDir);

// The whole program: returns the exit code, or does not return (exec of runc).
int runWrapper(const std::vector<std::string>& args, const WrapperPaths& paths);

}  // namespace berth::guest::eci
