#include <gtest/gtest.h>

#include "berth/guest/eci/authz.h"
#include "berth/guest/eci/spec_rewrite.h"

using namespace berth::guest::eci;
using nlohmann::json;

namespace {

std::string base64(const std::string& text)
{
    static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    unsigned value = 0;
    int bits = -6;
    for (const unsigned char c : text) {
        value = (value << 8U) + c;
        bits += 8;
        while (bits >= 0) {
            out += kAlphabet[(value >> static_cast<unsigned>(bits)) & 0x3FU];
            bits -= 6;
        }
    }
    if (bits > -6) { out += kAlphabet[((value << 8U) >> static_cast<unsigned>(bits + 8)) & 0x3FU]; }
    while (out.size() % 4 != 0) { out += '='; }
    return out;
}

json request(const std::string& method, const std::string& uri, const std::string& body = {})
{
    json r = {{"User", ""}, {"RequestMethod", method}, {"RequestUri", uri}};
    if (!body.empty()) { r["RequestBody"] = base64(body); }
    return r;
}

Policy on()
{
    Policy p;
    p.enabled = true;
    return p;
}

}  // namespace

TEST(Authz, Base64RoundTrip)
{
    EXPECT_EQ(decodeBase64(base64("{\"Image\":\"alpine\"}")), "{\"Image\":\"alpine\"}");
    EXPECT_EQ(decodeBase64("aGk="), "hi");
}

TEST(Authz, OrdinaryRequestsPass)
{
    EXPECT_TRUE(authorizeRequest(on(), request("GET", "/v1.41/containers/json")).allow);
    EXPECT_TRUE(authorizeRequest(on(), request("POST", "/v1.41/containers/create", R"({"Image":"alpine"})")).allow);
    EXPECT_TRUE(authorizeRequest(on(), request("POST", "/v1.41/containers/abc/start")).allow);
    EXPECT_TRUE(authorizeRequest(on(), request("POST", "/v1.41/build?t=x")).allow);
    EXPECT_TRUE(authorizeRequest(on(), request("POST", "/v1.41/volumes/create", R"({"Name":"v"})")).allow);
}

TEST(Authz, ACreateTheDaemonDidNotShowIsRefused)
{
    // e.g. Content-Type "application/json; charset=utf-8": dockerd accepts it but does not forward it.
    EXPECT_FALSE(authorizeRequest(on(), request("POST", "/v1.41/containers/create")).allow);
    EXPECT_FALSE(authorizeRequest(on(), request("POST", "//v1.41/containers//create/")).allow);
    EXPECT_FALSE(authorizeRequest(on(), request("POST", "/containers/create?name=x")).allow);
    EXPECT_FALSE(authorizeRequest(on(), request("POST", "/v1.41/volumes/create")).allow);
}

TEST(Authz, OldApiStartWithAHostConfigIsRefused)
{
    EXPECT_FALSE(authorizeRequest(on(), request("POST", "/v1.23/containers/abc/start", R"({"PidMode":"host"})")).allow);
    EXPECT_TRUE(authorizeRequest(on(), request("POST", "/v1.41/containers/abc/start", "{}")).allow);
}

TEST(Authz, PluginsSwarmAndHostNetworkBuildsAreRefused)
{
    EXPECT_FALSE(authorizeRequest(on(), request("POST", "/v1.41/plugins/pull?remote=x")).allow);
    EXPECT_FALSE(authorizeRequest(on(), request("POST", "/v1.41/plugins/x/enable")).allow);
    EXPECT_FALSE(authorizeRequest(on(), request("POST", "/v1.41/swarm/init", "{}")).allow);
    const auto build = authorizeRequest(on(), request("POST", "/v1.41/build?t=x&networkmode=host"));
    EXPECT_FALSE(build.allow);
    EXPECT_NE(build.msg.find("--network=host"), std::string::npos);
}

TEST(Authz, VolumesThatBindVmPathsAreRefused)
{
    const auto bind = authorizeRequest(on(), request("POST", "/v1.41/volumes/create",
        R"({"Name":"v","Driver":"local","DriverOpts":{"type":"none","o":"bind","device":"/etc/docker"}})"));
    EXPECT_FALSE(bind.allow);
    EXPECT_EQ(bind.msg, restrictedMountMessage("/etc/docker"));
    EXPECT_FALSE(authorizeRequest(on(), request("POST", "/v1.41/volumes/create",
        R"({"Name":"v","DriverOpts":{"type":"ext4","device":"/dev/vdb"}})")).allow);
    EXPECT_TRUE(authorizeRequest(on(), request("POST", "/v1.41/volumes/create",
        R"({"Name":"v","DriverOpts":{"type":"tmpfs","device":"tmpfs","o":"size=100m"}})")).allow);
}

TEST(Authz, EciOffAllowsEverything)
{
    EXPECT_TRUE(authorizeRequest(Policy{}, request("POST", "/v1.41/containers/create")).allow);
}

TEST(Authz, PluginProtocol)
{
    EXPECT_EQ(*handlePluginCall(on(), "/Plugin.Activate", ""), json::parse(R"({"Implements":["authz"]})"));
    const auto denied = handlePluginCall(on(), "/AuthZPlugin.AuthZReq", request("POST", "/v1.41/swarm/init").dump());
    ASSERT_TRUE(denied);
    EXPECT_EQ((*denied)["Allow"], false);
    EXPECT_TRUE((*denied)["Msg"].is_string());
    EXPECT_EQ((*handlePluginCall(on(), "/AuthZPlugin.AuthZRes", "{}"))["Allow"], true);
    EXPECT_EQ((*handlePluginCall(on(), "/AuthZPlugin.AuthZReq", "not json"))["Allow"], false);  // fails closed
    EXPECT_FALSE(handlePluginCall(on(), "/Nope", ""));
}
