// The runtime wrapper without a policy file reads the host's guest config itself, strictly
// (contracts::readGuestConfig), and stops when it cannot.

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "berth/contracts/guest_config.h"
#include "berth/guest/eci/runtime_wrapper.h"
#include "temp_dir.h"

using namespace berth::guest::eci;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

void writeText(const std::string& path, const std::string& text)
{
    std::ofstream(path) << text;
}

std::string readText(const std::string& path)
{
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

TEST(GuestConfigFile, TheWrapperRefusesToCreateWithoutAPolicyOrAReadableConfig)
{
    const berth::test::TempDir dir("berth-eci-config");
    const std::string bundle = dir.path + "/bundle";
    fs::create_directories(bundle);
    writeText(bundle + "/config.json", "{}");
    writeText(dir.path + "/config", R"({"enhancedContainerIsolation":{"enabled":false}})");
    WrapperPaths paths;
    paths.realRunc = "/bin/true";  // never reached
    paths.policyFile = dir.path + "/policy.json";  // none: ECI off, or prepareBoot has not run
    paths.fwCfgConfig = dir.path + "/config";
    paths.stateDir = dir.path + "/state";
    paths.stagingRoot = dir.path + "/containers";
    const std::string log = dir.path + "/runc.log";
    const int rc = runWrapper({"--log", log, "--log-format", "json", "create", "--bundle", bundle, "c1"}, paths);
    EXPECT_EQ(rc, 1);
    const json entry = json::parse(readText(log), nullptr, false);
    ASSERT_TRUE(entry.is_object()) << readText(log);
    EXPECT_EQ(entry["msg"],
              "enhanced container isolation: guest config: configVersion missing, this guest reads "
              "version "
                  + std::to_string(berth::contracts::kGuestConfigVersion));
    EXPECT_FALSE(fs::exists(paths.stateDir));
}
