#pragma once

// berthctl verify-eci: Docker's four documented ECI checks, run against the engine through the
// docker CLI (context "berth"):
//   1. a fresh container's /proc/self/uid_map maps root to an unprivileged block (0 100000 65536);
//   2. docker inspect reports the runtime sysbox-runc;
//   3. --pid=host is refused;
//   4. bind-mounting the engine socket is refused.

#include <memory>
#include <string>
#include <vector>

#include "cli.h"

namespace berth::cli {

// Runs `docker <args>` against Berth's engine; tests fake it.
class DockerRunner {
public:
    struct Result {
        int exitCode = -1;  // -1: the CLI could not be run at all
        std::string out;
        std::string err;
    };
    virtual ~DockerRunner() = default;
    virtual Result run(const std::vector<std::string>& args) = 0;
};

// The docker CLI as a subprocess: `<cli> --context <context> <args>`.
std::unique_ptr<DockerRunner> makeDockerCliRunner(const std::string& cli, const std::string& context);

struct EciCheck {
    std::string name;
    bool passed = false;
    std::string saw;  // what the engine showed, for the table
};

struct EciReport {
    bool reachable = false;  // the engine answered at all
    bool eciOn = false;  // the engine shows isolation (a mapped uid_map or the sysbox-runc runtime)
    std::vector<EciCheck> checks;
    std::string problem;  // when not reachable, or the image is missing
    bool allPassed() const;
};

EciReport verifyEci(DockerRunner& docker, const std::string& image);
void printEciReport(const EciReport& report, std::ostream& out);

// verify-eci [--image NAME] [--context NAME]: exit 0 only when ECI is on and all four hold.
int verifyEciCommand(const std::vector<std::string>& args, Context& context, DockerRunner* docker = nullptr);

}  // namespace berth::cli
