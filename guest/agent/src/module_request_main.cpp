// berth-modprobe: the full guest's module helper, which the kernel runs (as root, with
// `-q -- NAME`) to load a module it wants. The agent installs it in /proc/sys/kernel/modprobe.
//
// Why: BuildKit, as dockerd starts, checks which architectures the guest can run by starting a
// small program for each; for every foreign one the kernel asks for a "binfmt-464c" module that no
// image has. modprobe, started only to find nothing, costs about 60 ms under TCG, nine times per
// start. Those requests fail here at once; every other runs /usr/sbin/modprobe unchanged, with its
// arguments and its address layout (randomized, as the kernel would run it).

#include "module_request.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

int main(int argc, char** argv)
{
    if (argc > 1 && berth::guest::isHopelessModuleRequest(argv[argc - 1])) { return 1; }
    // modprobe is kmod's multi-call binary, which acts on the name it is called by.
    static char modprobe[] = "/usr/sbin/modprobe";
    argv[0] = modprobe;
    ::execv(modprobe, argv);
    std::fprintf(stderr, "berth-modprobe: cannot run %s: %s\n", modprobe, std::strerror(errno));
    return 127;
}
