#include <gtest/gtest.h>

#include "berth/guest/eci/policy.h"

using namespace berth::guest::eci;
using nlohmann::json;

TEST(Policy, ReadsTheGuestConfig)
{
    berth::contracts::GuestConfig config;
    config.eci.enabled = true;
    config.eci.socketMountImages = {"docker:cli"};
    config.eci.allowDerivedImages = true;
    config.eci.commandListType = "allow";
    config.eci.commands = {"ps", "image*"};
    config.blockDockerLoad = true;
    const Policy p = Policy::fromGuestConfig(config);
    EXPECT_TRUE(p.enabled);
    EXPECT_EQ(p.socketImages, std::vector<std::string>{"docker:cli"});
    EXPECT_TRUE(p.allowDerivedImages);
    EXPECT_EQ(p.commandListType, "allow");
    EXPECT_EQ(p.commands.size(), 2U);
    EXPECT_TRUE(p.blockDockerLoad);
    EXPECT_EQ(Policy::fromJson(p.toJson()).toJson(), p.toJson());

    EXPECT_FALSE(Policy::fromGuestConfig(berth::contracts::GuestConfig{}).enabled);
    EXPECT_FALSE(Policy::fromGuestConfig(berth::contracts::GuestConfig{}).blockDockerLoad);
    // Only an explicit "allow" opens the list, as the contract's reader has it.
    config.eci.commandListType = "everything";
    EXPECT_EQ(Policy::fromGuestConfig(config).commandListType, "deny");
}

// The policy file is the guest's own, but a broken one must still not open anything. (A mistyped
// guest config is refused by contracts::parseGuestConfig: tests/unit/contracts.)
TEST(Policy, CarriesTheSharedDirectoriesToTheRuntime)
{
    berth::contracts::GuestConfig config;
    config.sharedDirectories = {"/home/user/proj", "/Users/me"};
    const Policy p = Policy::fromGuestConfig(config);
    EXPECT_EQ(p.sharedDirectories, config.sharedDirectories);
    EXPECT_EQ(Policy::fromJson(p.toJson()).sharedDirectories, config.sharedDirectories);
    // Paths the contract refuses widen nothing, whoever made the config or the file.
    config.sharedDirectories = {"/", "/etc", "relative", "/home/user/../..", "/var/lib/docker", "/srv/ok"};
    EXPECT_EQ(Policy::fromGuestConfig(config).sharedDirectories, std::vector<std::string>{"/srv/ok"});
    json file = p.toJson();
    file["sharedDirectories"] = {"/", "/usr", 7, "/srv/ok"};
    EXPECT_EQ(Policy::fromJson(file).sharedDirectories, std::vector<std::string>{"/srv/ok"});
    file["sharedDirectories"] = "/srv/ok";
    EXPECT_TRUE(Policy::fromJson(file).sharedDirectories.empty());
}

TEST(Policy, MissingOrMistypedFieldsOfThePolicyFileAreSafe)
{
    EXPECT_FALSE(Policy::fromJson(json()).enabled);
    const Policy p = Policy::fromJson(json::parse(R"({"enabled":"yes",
        "dockerSocketMount":{"imageList":{"images":"*"},"commandList":{"type":"everything"}}})"));
    EXPECT_FALSE(p.enabled);
    EXPECT_TRUE(p.socketImages.empty());
    EXPECT_EQ(p.commandListType, "deny");
}

TEST(ImageReference, Normalizes)
{
    EXPECT_EQ(normalizeImageReference("alpine"), "docker.io/library/alpine:latest");
    EXPECT_EQ(normalizeImageReference("docker:cli"), "docker.io/library/docker:cli");
    EXPECT_EQ(normalizeImageReference("testcontainers/ryuk:0.5"), "docker.io/testcontainers/ryuk:0.5");
    EXPECT_EQ(normalizeImageReference("localhost:5000/x"), "localhost:5000/x:latest");
    EXPECT_EQ(normalizeImageReference("ghcr.io/a/b@sha256:ab"), "ghcr.io/a/b@sha256:ab");
}

TEST(ImageMatch, DockerDesktopFormats)
{
    EXPECT_TRUE(imageMatches("docker:cli", "docker:cli"));
    EXPECT_TRUE(imageMatches("docker:cli", "docker.io/library/docker:cli"));
    EXPECT_FALSE(imageMatches("docker:cli", "docker:dind"));
    EXPECT_TRUE(imageMatches("alpine", "alpine:latest"));
    EXPECT_FALSE(imageMatches("alpine", "alpine:3.19"));
    EXPECT_TRUE(imageMatches("docker.io/localstack/localstack:*", "localstack/localstack:3"));
    EXPECT_TRUE(imageMatches("testcontainers/*:*", "testcontainers/ryuk:0.5"));
    EXPECT_FALSE(imageMatches("testcontainers/*:*", "testcontainers/a/b:1"));
    EXPECT_TRUE(imageMatches("docker@sha256:abc", "docker@sha256:abc"));
    EXPECT_FALSE(imageMatches("docker@sha256:abc", "docker@sha256:abd"));
    EXPECT_FALSE(imageMatches("docker@sha256:abc", "docker:latest"));
    EXPECT_TRUE(imageMatches("docker:*", "docker:dind"));
    EXPECT_TRUE(imageMatches("*", "anything:at-all"));
    EXPECT_FALSE(imageMatches("", "alpine"));
    EXPECT_FALSE(imageMatches("evil/docker:cli", "docker:cli"));
}

TEST(Commands, MapsApiPathsToDockerCommands)
{
    EXPECT_EQ(dockerCommandFor("POST", "/v1.43/images/myimage/push?tag=latest").name, "push");
    EXPECT_EQ(dockerCommandFor("GET", "/v1.41/containers/json").name, "ps");
    EXPECT_EQ(dockerCommandFor("POST", "/containers/create?name=x").name, "create");
    EXPECT_EQ(dockerCommandFor("POST", "/v1.41/containers/abc/start").name, "start");
    EXPECT_EQ(dockerCommandFor("DELETE", "/v1.41/containers/abc").name, "rm");
    EXPECT_EQ(dockerCommandFor("POST", "/v1.41/build?t=x").name, "build");
    EXPECT_EQ(dockerCommandFor("GET", "/v1.41/images/json").name, "images");
    EXPECT_EQ(dockerCommandFor("POST", "/v1.41/images/create?fromImage=alpine").name, "pull");
    EXPECT_EQ(dockerCommandFor("GET", "/_ping").name, "_ping");
}

TEST(Commands, DenyList)
{
    Policy p;
    p.commandListType = "deny";
    p.commands = {"push", "build"};
    EXPECT_FALSE(commandAllowed(p, "POST", "/v1.43/images/myimage/push?tag=latest"));
    EXPECT_FALSE(commandAllowed(p, "POST", "/v1.41/build"));
    EXPECT_TRUE(commandAllowed(p, "GET", "/v1.41/containers/json"));
    p.commands = {"system*"};
    EXPECT_FALSE(commandAllowed(p, "GET", "/v1.41/info"));
    EXPECT_TRUE(commandAllowed(p, "GET", "/v1.41/images/json"));
}

TEST(Commands, AllowListWithWildcards)
{
    Policy p;
    p.commandListType = "allow";
    p.commands = {"ps", "container*", "image*"};
    EXPECT_TRUE(commandAllowed(p, "HEAD", "/_ping"));  // the CLI pings first
    EXPECT_TRUE(commandAllowed(p, "GET", "/v1.41/containers/json"));
    EXPECT_TRUE(commandAllowed(p, "POST", "/v1.41/containers/abc/kill"));
    EXPECT_TRUE(commandAllowed(p, "POST", "/v1.41/images/x/tag?repo=y"));
    EXPECT_FALSE(commandAllowed(p, "POST", "/v1.41/volumes/create"));
    EXPECT_FALSE(commandAllowed(p, "GET", "/v1.41/info"));
    p.commands = {"run"};
    EXPECT_TRUE(commandAllowed(p, "POST", "/v1.41/containers/create"));
    EXPECT_TRUE(commandAllowed(p, "POST", "/v1.41/containers/abc/wait"));
    EXPECT_FALSE(commandAllowed(p, "DELETE", "/v1.41/containers/abc"));
}

TEST(Commands, BlockedMessageIsDockers)
{
    EXPECT_EQ(
        blockedCommandMessage("/v1.43/images/myimage/push?tag=latest")
            .rfind("enhanced container isolation: docker command \"/v1.43/images/myimage/push?tag=latest\" is blocked; "
                   "if you wish to allow it, configure the docker socket command list in the ",
                   0),
        0U);
}
