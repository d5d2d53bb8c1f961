#pragma once

// What the full guest's module helper (berth-modprobe, the kernel's /proc/sys/kernel/modprobe)
// answers without starting modprobe: module_request_main.cpp says why.

#include <string_view>

namespace berth::guest {

// The kernel runs its helper as `modprobe -q -- NAME`; NAME is the last argument.
// True for a request no module can meet: "binfmt-XXXX", which the kernel makes each time a program
// in no format it knows is started (another architecture's ELF). The image has no module with such
// an alias (build-guest-image.sh checks), and the ELF loader is built in.
inline bool isHopelessModuleRequest(std::string_view name)
{
    return name.substr(0, 7) == "binfmt-";
}

}  // namespace berth::guest
