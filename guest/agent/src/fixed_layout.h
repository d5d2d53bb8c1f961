#pragma once

// The fixed address layout of the guest's short-lived system tools (berth-fixed-layout-exec, and the
// agent's own: Children::Layout::Fixed), which QEMU's TCG runs several times faster than randomized
// ones (fixed_layout_exec_main.cpp says why). Services and containers keep ASLR.

#include <sys/personality.h>

namespace berth::guest {

// Adds ADDR_NO_RANDOMIZE to this process's personality, which an exec keeps; the rest of the
// personality stays. Best effort: where the kernel refuses, the tool runs randomized, only slower.
// Safe between fork and exec (two system calls, nothing allocated).
inline void fixAddressLayout()
{
    const int current = ::personality(0xffffffff);
    if (current != -1) { ::personality(static_cast<unsigned long>(current) | ADDR_NO_RANDOMIZE); }
}

}  // namespace berth::guest
