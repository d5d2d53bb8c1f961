#pragma once

// runc's command line as containerd-shim-runc-v2, dockerd and BuildKit use it:
//   [global flags] <command> [command flags] <container-id> [args]
// Only what the wrapper acts on is pulled out; the arguments themselves reach runc unchanged.

#include <optional>
#include <string>
#include <vector>

namespace berth::guest::eci {

struct RuntimeInvocation {
    std::string root;  // --root (runc's state directory)
    std::string log;  // --log: where runc, and the wrapper, report errors as JSON lines
    std::string logFormat;  // --log-format ("json" from the shim)
    std::string command;  // create, run, start, delete, ...; empty for --version/--help alone
    std::string bundle;  // create/run/restore: --bundle, -b, or the working directory when absent
    std::string containerId;
    std::string pidFile;  // create/run --pid-file
    bool force = false;  // delete --force
};

// Throws nothing: an unparsable command line comes back with what could be read, and runc
// itself reports the usage error.
RuntimeInvocation parseRuntimeArgs(const std::vector<std::string>& args, const std::string& workingDirectory);

}  // namespace berth::guest::eci
