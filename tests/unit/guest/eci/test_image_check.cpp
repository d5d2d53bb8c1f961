#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "berth/guest/eci/image_check.h"

using namespace berth::guest::eci;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// A /var/lib/docker with the files the check reads: two tags of a "docker:cli" image, an
// unrelated alpine, and a local image built FROM docker:cli.
struct DockerRoot {
    DockerRoot()
    {
        std::string pattern = (fs::temp_directory_path() / "berth-eci-docker-XXXXXX").string();
        root = ::mkdtemp(pattern.data());
        write("image/overlay2/repositories.json",
              json{{"Repositories",
                    {{"docker", {{"docker:cli", "sha256:" + cli}, {"docker@sha256:d1", "sha256:" + cli}}},
                     {"alpine", {{"alpine:latest", "sha256:" + alpine}}},
                     {"mytool", {{"mytool:latest", "sha256:" + derived}}}}}});
        image(cli, {"sha256:l1", "sha256:l2"});
        image(alpine, {"sha256:a1"});
        image(derived, {"sha256:l1", "sha256:l2", "sha256:l3"});
        container("c-cli", "docker:cli", cli);
        container("c-alpine", "alpine", alpine);
        container("c-derived", "mytool", derived);
    }
    ~DockerRoot() { fs::remove_all(root); }
    void write(const std::string& rel, const json& value) const
    {
        fs::create_directories(fs::path(root + "/" + rel).parent_path());
        std::ofstream(root + "/" + rel) << value.dump();
    }
    void image(const std::string& hex, const std::vector<std::string>& layers) const
    {
        write("image/overlay2/imagedb/content/sha256/" + hex,
              json{{"rootfs", {{"type", "layers"}, {"diff_ids", layers}}}});
    }
    void container(const std::string& id, const std::string& ref, const std::string& hex) const
    {
        write("containers/" + id + "/config.v2.json", json{{"Image", "sha256:" + hex}, {"Config", {{"Image", ref}}}});
    }
    std::string root;
    std::string cli = "1111", alpine = "2222", derived = "3333";
};

Policy allowing(std::vector<std::string> images, bool derived = false)
{
    Policy p;
    p.enabled = true;
    p.socketImages = std::move(images);
    p.allowDerivedImages = derived;
    return p;
}

}  // namespace

TEST(ImageCheck, NamesTheImageFullyQualified)
{
    DockerRoot d;
    EXPECT_EQ(inspectContainerImage(allowing({}), d.root, "c-alpine").reference, "docker.io/library/alpine");
    EXPECT_EQ(inspectContainerImage(allowing({}), d.root, "c-cli").reference, "docker.io/library/docker:cli");
}

TEST(ImageCheck, EmptyListAllowsNobody)
{
    DockerRoot d;
    EXPECT_FALSE(inspectContainerImage(allowing({}), d.root, "c-cli").socketAllowed);
}

TEST(ImageCheck, MatchesByTagDigestAndWildcard)
{
    DockerRoot d;
    EXPECT_TRUE(inspectContainerImage(allowing({"docker:cli"}), d.root, "c-cli").socketAllowed);
    EXPECT_TRUE(inspectContainerImage(allowing({"docker:*"}), d.root, "c-cli").socketAllowed);
    EXPECT_TRUE(inspectContainerImage(allowing({"docker@sha256:d1"}), d.root, "c-cli").socketAllowed);
    EXPECT_FALSE(inspectContainerImage(allowing({"docker:cli"}), d.root, "c-alpine").socketAllowed);
    EXPECT_TRUE(inspectContainerImage(allowing({"*"}), d.root, "c-alpine").socketAllowed);
    EXPECT_TRUE(inspectContainerImage(allowing({"*"}), d.root, "not-a-docker-container").socketAllowed);
    EXPECT_FALSE(inspectContainerImage(allowing({"docker:cli"}), d.root, "not-a-docker-container").socketAllowed);
    EXPECT_FALSE(inspectContainerImage(allowing({"docker:cli"}), d.root, "../containers/c-cli").socketAllowed);
}

TEST(ImageCheck, DerivedImagesOnlyWhenAllowed)
{
    DockerRoot d;
    EXPECT_FALSE(inspectContainerImage(allowing({"docker:cli"}), d.root, "c-derived").socketAllowed);
    EXPECT_TRUE(inspectContainerImage(allowing({"docker:cli"}, true), d.root, "c-derived").socketAllowed);
    // alpine's layers are not a prefix of the derived image's
    EXPECT_FALSE(inspectContainerImage(allowing({"alpine"}, true), d.root, "c-derived").socketAllowed);
}
