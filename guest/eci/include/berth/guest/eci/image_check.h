#pragma once

// Which image a container was created from, and whether the imageList lets it have the engine
// socket. Read from the engine's files on disk (the runtime must not call the engine API while
// dockerd holds the container's lock during start).

#include <string>

#include "berth/guest/eci/policy.h"
#include "berth/guest/eci/spec_rewrite.h"

namespace berth::guest::eci {

// dockerRoot: /var/lib/docker. A container unknown to Docker (a BuildKit step) has no reference
// and gets the socket only when the list is "*".
//
// An image is allowed when a tag or digest the engine records for the container's image ID
// matches an imageList entry, so re-tagging an image under an allowed name is caught only for
// digest entries ("name@sha256:..."); with allowDerivedImages, also when an allowed image's
// layers are a prefix of the container image's layers (an image built FROM it, by either builder).
ContainerImage inspectContainerImage(const Policy& policy, const std::string& dockerRoot,
                                     const std::string& containerId);

}  // namespace berth::guest::eci
