// The guest config as the host writes it and the guest reads it: one type, one JSON form, and a
// reader that refuses what it was not written to read, from JSON or from a file.

#include "berth/contracts/guest_config.h"

#include <gtest/gtest.h>

#include <fstream>

#include "temp_dir.h"

using berth::contracts::GuestConfig;
using berth::contracts::kGuestConfigVersion;
using berth::contracts::parseGuestConfig;
using berth::contracts::readGuestConfig;
using berth::contracts::toJson;
using nlohmann::json;

namespace {

GuestConfig everythingSet()
{
    GuestConfig config;
    config.eci.enabled = true;
    config.eci.socketMountImages = {"docker.io/library/docker:cli", "testcontainers/*:*"};
    config.eci.allowDerivedImages = true;
    config.eci.commandListType = "allow";
    config.eci.commands = {"ps", "push"};
    config.engineProxy = {"http://10.0.2.2:3128", "http://proxy.corp:8080", "localhost,.corp"};
    config.sharedDirectories = {"/home/dev", "/srv/src", "/tmp/work"};
    config.blockDockerLoad = true;
    config.exposeDockerApiOnTcp2375 = true;
    config.dockerDaemonOptions = {{"debug", true}, {"features", {{"buildkit", true}}}};
    config.overriddenDaemonOptions = {"hosts", "default-runtime"};
    return config;
}

std::string whyRefused(const json& text)
{
    std::string error;
    EXPECT_FALSE(parseGuestConfig(text, &error).has_value()) << text.dump();
    return error;
}

}  // namespace

TEST(GuestConfig, ReadsBackWhatWasWritten)
{
    for (const GuestConfig& config : {GuestConfig{}, everythingSet()}) {
        std::string error;
        const auto read = parseGuestConfig(toJson(config), &error);
        ASSERT_TRUE(read.has_value()) << error;
        EXPECT_EQ(*read, config);
    }
}

TEST(GuestConfig, TheJsonFormIsDockerDesktopsNames)
{
    const json written = toJson(everythingSet());
    EXPECT_EQ(written["configVersion"], kGuestConfigVersion);
    EXPECT_EQ(written["enhancedContainerIsolation"]["enabled"], true);
    EXPECT_EQ(written["enhancedContainerIsolation"]["dockerSocketMount"]["imageList"]["allowDerivedImages"], true);
    EXPECT_EQ(written["enhancedContainerIsolation"]["dockerSocketMount"]["commandList"]["type"], "allow");
    EXPECT_EQ(written["exposeDockerAPIOnTCP2375"], true);
    EXPECT_EQ(written["blockDockerLoad"], true);
    EXPECT_EQ(written["dockerDaemonOptions"]["debug"], true);
    EXPECT_EQ(written["engineProxy"]["https"], "http://proxy.corp:8080");
    EXPECT_EQ(written["engineProxy"]["noProxy"], "localhost,.corp");
}

TEST(GuestConfig, AnotherVersionIsRefusedNamingBoth)
{
    json text = toJson(everythingSet());
    text["configVersion"] = kGuestConfigVersion + 1;
    const std::string error = whyRefused(text);
    EXPECT_NE(error.find("configVersion " + std::to_string(kGuestConfigVersion + 1)), std::string::npos) << error;
    EXPECT_NE(error.find("reads version " + std::to_string(kGuestConfigVersion)), std::string::npos) << error;
    text.erase("configVersion");
    EXPECT_NE(whyRefused(text).find("configVersion missing"), std::string::npos);
    EXPECT_NE(whyRefused(json::array()).find("not a JSON object"), std::string::npos);
    EXPECT_NE(whyRefused(json()).find("not a JSON object"), std::string::npos);
}

TEST(GuestConfig, AMissingOrMistypedFieldIsRefusedNamingIt)
{
    json text = toJson(everythingSet());
    text["enhancedContainerIsolation"]["enabled"] = "yes";
    EXPECT_EQ(whyRefused(text), "guest config: enhancedContainerIsolation.enabled is string, not boolean");

    text = toJson(everythingSet());
    text["enhancedContainerIsolation"]["dockerSocketMount"]["imageList"]["images"] = json::array({"a", 1});
    EXPECT_NE(whyRefused(text).find("enhancedContainerIsolation.dockerSocketMount.imageList.images holds a number"),
              std::string::npos);

    text = toJson(everythingSet());
    text["enhancedContainerIsolation"]["dockerSocketMount"]["imageList"]["images"] = "*";
    EXPECT_EQ(whyRefused(text),
              "guest config: enhancedContainerIsolation.dockerSocketMount.imageList.images is string, not array");

    text = toJson(everythingSet());
    text["enhancedContainerIsolation"]["dockerSocketMount"]["imageList"]["allowDerivedImages"] = 1;
    EXPECT_NE(whyRefused(text).find("allowDerivedImages is number, not boolean"), std::string::npos);

    text = toJson(everythingSet());
    text["blockDockerLoad"] = "true";
    EXPECT_EQ(whyRefused(text), "guest config: blockDockerLoad is string, not boolean");

    text = toJson(everythingSet());
    text.erase("blockDockerLoad");
    EXPECT_EQ(whyRefused(text), "guest config: blockDockerLoad is missing");

    text = toJson(everythingSet());
    text["dockerDaemonOptions"] = "not an object";
    EXPECT_EQ(whyRefused(text), "guest config: dockerDaemonOptions is string, not object");
}

// Host and guest ship together and the config is versioned: a field the guest does not read is a
// bug or another version's config, at the top or in any object of it.
TEST(GuestConfig, AnUnknownFieldIsRefusedNamingIt)
{
    const std::string ofThisVersion = " is not a field of configVersion " + std::to_string(kGuestConfigVersion);
    json text = toJson(everythingSet());
    text["allowEverything"] = true;
    EXPECT_EQ(whyRefused(text), "guest config: allowEverything" + ofThisVersion);

    text = toJson(everythingSet());
    text["enhancedContainerIsolation"]["enable"] = true;  // a misspelling, next to the real field
    EXPECT_EQ(whyRefused(text), "guest config: enhancedContainerIsolation.enable" + ofThisVersion);

    text = toJson(everythingSet());
    text["enhancedContainerIsolation"]["dockerSocketMount"]["extra"] = json::object();
    EXPECT_EQ(whyRefused(text), "guest config: enhancedContainerIsolation.dockerSocketMount.extra" + ofThisVersion);

    text = toJson(everythingSet());
    text["enhancedContainerIsolation"]["dockerSocketMount"]["imageList"]["digests"] = json::array();
    EXPECT_EQ(whyRefused(text),
              "guest config: enhancedContainerIsolation.dockerSocketMount.imageList.digests" + ofThisVersion);

    text = toJson(everythingSet());
    text["enhancedContainerIsolation"]["dockerSocketMount"]["commandList"]["mode"] = "allow";
    EXPECT_EQ(whyRefused(text),
              "guest config: enhancedContainerIsolation.dockerSocketMount.commandList.mode" + ofThisVersion);
}

TEST(GuestConfig, DockerdsOptionsAreTakenAsTheyAre)
{
    GuestConfig config = everythingSet();
    config.dockerDaemonOptions = {{"an-option-of-a-later-dockerd", {{"anything", 1}}}};
    std::string error;
    const auto read = parseGuestConfig(toJson(config), &error);
    ASSERT_TRUE(read.has_value()) << error;
    EXPECT_EQ(*read, config);
}

TEST(GuestConfig, AnUnknownCommandListTypeIsADenyList)
{
    json text = toJson(everythingSet());
    text["enhancedContainerIsolation"]["dockerSocketMount"]["commandList"]["type"] = "everything";
    const auto read = parseGuestConfig(text, nullptr);
    ASSERT_TRUE(read.has_value());
    EXPECT_EQ(read->eci.commandListType, "deny");
}

// The guest agent and the guest programs that read fw_cfg themselves (the authorization plugin,
// the engine socket filter, the runtime wrapper without a policy file) read the file through this.
TEST(GuestConfigFile, ReadsWhatTheHostWrote)
{
    const berth::test::TempDir dir("berth-guest-config");
    const std::string path = dir.path + "/config";
    std::ofstream(path) << toJson(everythingSet()).dump(2) << "\n";
    std::string error;
    const auto read = readGuestConfig(path, &error);
    ASSERT_TRUE(read.has_value()) << error;
    EXPECT_EQ(*read, everythingSet());
}

TEST(GuestConfigFile, AMissingBrokenOrMistypedConfigIsAnError)
{
    const berth::test::TempDir dir("berth-guest-config");
    const std::string path = dir.path + "/config";
    std::string error;
    EXPECT_FALSE(readGuestConfig(path, &error).has_value());
    EXPECT_EQ(error, "guest config: " + path + " cannot be read");

    std::ofstream(path) << "{\"configVersion\":";
    EXPECT_FALSE(readGuestConfig(path, &error).has_value());
    EXPECT_EQ(error, "guest config: " + path + " is not JSON");

    // A mistyped field is an error, never its default (here: ECI off).
    json text = toJson(GuestConfig{});
    text["enhancedContainerIsolation"]["enabled"] = "yes";
    std::ofstream(path) << text.dump();
    EXPECT_FALSE(readGuestConfig(path, &error).has_value());
    EXPECT_EQ(error, "guest config: enhancedContainerIsolation.enabled is string, not boolean");

    std::ofstream(path) << "{}";
    EXPECT_FALSE(readGuestConfig(path, &error).has_value());
    EXPECT_NE(error.find("configVersion missing"), std::string::npos) << error;
    EXPECT_FALSE(readGuestConfig(path, nullptr).has_value());
}

TEST(GuestConfig, SharedDirectoriesMustBePlainPathsOutsideTheVmsSystemAndApart)
{
    const auto refusal = [](std::vector<std::string> directories) {
        GuestConfig config;
        config.sharedDirectories = std::move(directories);
        return whyRefused(toJson(config));
    };
    EXPECT_EQ(refusal({"/home/dev", "/etc"}),
              "guest config: sharedDirectories: \"/etc\" cannot be shared: /etc holds the VM's own system, which a "
              "share there would replace");
    EXPECT_EQ(refusal({"relative"}), "guest config: sharedDirectories: \"relative\" is not an absolute path");
    EXPECT_EQ(refusal({"/home/dev/../../var/lib/docker"}),
              "guest config: sharedDirectories: \"/home/dev/../../var/lib/docker\" is not a plain path: it holds an "
              "empty, \".\" or \"..\" component");
    EXPECT_EQ(refusal({"/home/dev", "/home/dev/src"}),
              "guest config: sharedDirectories: \"/home/dev/src\" overlaps \"/home/dev\"");
    EXPECT_EQ(refusal({"/home/dev/src", "/home/dev"}),
              "guest config: sharedDirectories: \"/home/dev\" overlaps \"/home/dev/src\"");
}
