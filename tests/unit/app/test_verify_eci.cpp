#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "verify_eci.h"

using namespace berth::cli;

namespace {

const std::string kPidRefused
    = "docker: Error response from daemon: failed to create shim task: OCI runtime create failed: error in the "
      "container spec: invalid or unsupported container spec: sysbox containers can't share namespaces [pid] with the "
      "host (because they use the linux user-namespace for isolation): unknown.\n";
const std::string kSocketRefused
    = "docker: Error response from daemon: failed to create shim task: OCI runtime create failed: enhanced container "
      "isolation: docker socket mount denied for container with image \"docker.io/library/busybox\"; image is not in "
      "the allowed list; if you wish to allow it, configure the docker socket image list in the Berth settings or "
      "admin-settings.: unknown.\n";

// Answers by the docker subcommand and its first distinguishing argument, and records every call.
class FakeDocker : public DockerRunner {
public:
    Result run(const std::vector<std::string>& args) override
    {
        calls.push_back(args);
        std::string key = args.at(0);
        if (key == "run") { key += " " + args.at(2); }
        const auto it = answers.find(key);
        return it == answers.end() ? Result{0, "", ""} : it->second;
    }
    static FakeDocker eciOn()
    {
        FakeDocker d;
        d.answers = {{"version", {0, "20.10.24+dfsg1\n", ""}},
                     {"image", {0, "sha256:abc\n", ""}},
                     {"run busybox", {0, "         0     100000      65536\n", ""}},
                     {"create", {0, "f00d\n", ""}},
                     {"inspect", {0, "sysbox-runc\n", ""}},
                     {"run --pid=host", {125, "", kPidRefused}},
                     {"run -v", {125, "", kSocketRefused}}};
        return d;
    }
    std::map<std::string, Result> answers;
    std::vector<std::vector<std::string>> calls;
};

int verify(FakeDocker& docker, std::string& out, std::string& err, std::vector<std::string> args = {})
{
    std::ostringstream o;
    std::ostringstream e;
    Context context{{}, o, e, {}, nullptr, {}};
    const int code = verifyEciCommand(args, context, &docker);
    out = o.str();
    err = e.str();
    return code;
}

}  // namespace

TEST(VerifyEci, AllFourHoldWithEciOn)
{
    FakeDocker docker = FakeDocker::eciOn();
    std::string out;
    std::string err;
    EXPECT_EQ(verify(docker, out, err), kOk);
    EXPECT_NE(out.find("pass    uid_map of a fresh container is 0 <base> 65536  0 100000 65536"), std::string::npos)
        << out;
    EXPECT_NE(out.find("sysbox-runc"), std::string::npos);
    EXPECT_NE(out.find("sysbox containers can't share namespaces [pid]"), std::string::npos);
    EXPECT_NE(out.find("docker socket mount denied"), std::string::npos);
    EXPECT_NE(out.find("is on and holds"), std::string::npos);
    EXPECT_EQ(out.find("FAIL"), std::string::npos);
    // The container made for the runtime check is removed again.
    EXPECT_EQ(docker.calls.back().at(0), "run");
    bool removed = false;
    for (const auto& call : docker.calls) { removed = removed || (call.at(0) == "rm" && call.back() == "f00d"); }
    EXPECT_TRUE(removed);
}

TEST(VerifyEci, EciOffIsReportedHonestly)
{
    FakeDocker docker = FakeDocker::eciOn();
    docker.answers["run busybox"] = {0, "         0          0 4294967295\n", ""};
    docker.answers["inspect"] = {0, "runc\n", ""};
    docker.answers["run --pid=host"] = {0, "", ""};
    docker.answers["run -v"] = {0, "", ""};
    std::string out;
    std::string err;
    EXPECT_EQ(verify(docker, out, err), kFailed);
    EXPECT_NE(out.find("FAIL    uid_map of a fresh container is 0 <base> 65536  0 0 4294967295"), std::string::npos)
        << out;
    EXPECT_NE(out.find("the container ran"), std::string::npos);
    EXPECT_NE(out.find("Enhanced Container Isolation is off"), std::string::npos);
}

TEST(VerifyEci, OneBrokenGuaranteeFailsTheRun)
{
    FakeDocker docker = FakeDocker::eciOn();
    docker.answers["run -v"] = {0, "", ""};  // the socket got through
    std::string out;
    std::string err;
    EXPECT_EQ(verify(docker, out, err), kFailed);
    EXPECT_NE(out.find("FAIL    engine socket mount is refused"), std::string::npos) << out;
    EXPECT_NE(out.find("not every check holds"), std::string::npos);
}

TEST(VerifyEci, ARefusalForAnotherReasonDoesNotCount)
{
    FakeDocker docker = FakeDocker::eciOn();
    docker.answers["run --pid=host"] = {125, "", "docker: Error response from daemon: no space left on device.\n"};
    std::string out;
    std::string err;
    EXPECT_EQ(verify(docker, out, err), kFailed);
    EXPECT_NE(out.find("FAIL    --pid=host is refused"), std::string::npos) << out;
    EXPECT_NE(out.find("no space left on device"), std::string::npos);
}

TEST(VerifyEci, UnreachableEngineOrMissingImage)
{
    FakeDocker docker;
    docker.answers["version"] = {1, "", "Cannot connect to the Docker daemon at tcp://127.0.0.1:2376.\n"};
    std::string out;
    std::string err;
    EXPECT_EQ(verify(docker, out, err), kFailed);
    EXPECT_NE(err.find("cannot reach the engine: Cannot connect"), std::string::npos) << err;
    EXPECT_EQ(docker.calls.size(), 1U);

    FakeDocker noImage = FakeDocker::eciOn();
    noImage.answers["image"] = {1, "", "Error: No such image: alpine\n"};
    EXPECT_EQ(verify(noImage, out, err, {"--image", "alpine"}), kFailed);
    EXPECT_NE(out.find("the image alpine is not in the engine"), std::string::npos) << out;
}

TEST(VerifyEci, Usage)
{
    FakeDocker docker = FakeDocker::eciOn();
    std::string out;
    std::string err;
    EXPECT_EQ(verify(docker, out, err, {"--bogus"}), kUsage);
    EXPECT_NE(err.find("Usage: berthctl verify-eci"), std::string::npos);
}
