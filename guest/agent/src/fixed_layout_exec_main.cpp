// berth-fixed-layout-exec: runs one of the system tools that dockerd calls over and over (iptables)
// with its address layout fixed (personality ADDR_NO_RANDOMIZE). Installed as
// /usr/lib/berth/fixed-layout/<tool>, which the agent puts first on its children's PATH; runs
// /usr/sbin/<tool> with the same arguments.
//
// Why: under TCG, QEMU reuses the code it translated for one process in the next only where the
// same code sits at the same addresses. With ASLR every run of a dynamically linked tool pays for
// translating its loader and libraries again: 46 ms per iptables call against 10 ms without, and
// dockerd's start makes about 100 calls. Only these tools lose ASLR: they are short-lived, take
// their arguments from dockerd and read nothing a container controls. dockerd, containerd and
// every container keep theirs.

#include "fixed_layout.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

namespace {

constexpr std::array<std::string_view, 2> kTools = {"iptables", "ip6tables"};

}  // namespace

int main(int, char** argv)
{
    const std::string_view invoked = argv[0] != nullptr ? argv[0] : "";
    const std::string_view tool = invoked.substr(invoked.rfind('/') + 1);
    if (std::find(kTools.begin(), kTools.end(), tool) == kTools.end()) {
        std::fprintf(stderr, "berth-fixed-layout-exec: run it as one of iptables, ip6tables (not \"%.*s\")\n",
                     static_cast<int>(tool.size()), tool.data());
        return 127;
    }
    berth::guest::fixAddressLayout();
    const std::string path = "/usr/sbin/" + std::string(tool);
    ::execv(path.c_str(), argv);
    std::fprintf(stderr, "berth-fixed-layout-exec: cannot run %s: %s\n", path.c_str(), std::strerror(errno));
    return 127;
}
