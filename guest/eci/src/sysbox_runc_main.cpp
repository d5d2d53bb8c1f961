// sysbox-runc: Berth's isolating OCI runtime (runtime_wrapper.h).

#include <string>
#include <vector>

#include "berth/guest/eci/runtime_wrapper.h"

int main(int argc, char** argv)
{
    std::vector<std::string> args(argv + 1, argv + argc);
    return berth::guest::eci::runWrapper(args, berth::guest::eci::WrapperPaths::fromEnvironment());
}
