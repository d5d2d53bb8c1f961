#include "berth/guest/eci/image_check.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <vector>

#include "berth/guest/eci/files.h"

namespace berth::guest::eci {

namespace {

using nlohmann::json;

std::vector<std::string> layersOf(const std::string& dockerRoot, const std::string& imageId)
{
    std::vector<std::string> layers;
    const auto colon = imageId.find(':');
    if (colon == std::string::npos || imageId.find('/') != std::string::npos) { return layers; }
    const json config = readJsonFile(dockerRoot + "/image/overlay2/imagedb/content/" + imageId.substr(0, colon) + "/"
                                     + imageId.substr(colon + 1));
    if (!config.is_object()) { return layers; }
    const auto rootfs = config.find("rootfs");
    if (rootfs == config.end() || !rootfs->is_object()) { return layers; }
    const auto diffIds = rootfs->find("diff_ids");
    if (diffIds == rootfs->end() || !diffIds->is_array()) { return layers; }
    for (const auto& id : *diffIds) {
        if (id.is_string()) { layers.push_back(id.get<std::string>()); }
    }
    return layers;
}

}  // namespace

ContainerImage inspectContainerImage(const Policy& policy, const std::string& dockerRoot,
                                     const std::string& containerId)
{
    ContainerImage result;
    const bool everyone
        = std::find(policy.socketImages.begin(), policy.socketImages.end(), "*") != policy.socketImages.end();
    if (containerId.find('/') != std::string::npos || containerId.find("..") != std::string::npos) { return result; }
    const json config = readJsonFile(dockerRoot + "/containers/" + containerId + "/config.v2.json");
    std::string imageId;
    if (config.is_object()) {
        imageId = config.value("Image", std::string());
        if (const auto c = config.find("Config"); c != config.end() && c->is_object()) {
            result.reference = c->value("Image", std::string());
        }
        if (result.reference.empty()) { result.reference = imageId; }
        // Docker's message names the image fully qualified.
        if (result.reference.rfind("sha256:", 0) != 0 && !result.reference.empty()) {
            result.reference = normalizeImageReference(result.reference);
            if (result.reference.size() > 7 && result.reference.substr(result.reference.size() - 7) == ":latest") {
                result.reference.resize(result.reference.size() - 7);
            }
        }
    }
    if (everyone) {
        result.socketAllowed = true;
        return result;
    }
    if (imageId.empty() || policy.socketImages.empty()) { return result; }

    // Every name the engine knows for each image ID.
    const json repositories = readJsonFile(dockerRoot + "/image/overlay2/repositories.json");
    std::vector<std::string> allowedIds;
    if (repositories.is_object() && repositories.contains("Repositories") && repositories["Repositories"].is_object()) {
        for (const auto& refs : repositories["Repositories"]) {
            if (!refs.is_object()) { continue; }
            for (auto it = refs.begin(); it != refs.end(); ++it) {
                const std::string& ref = it.key();
                const json& id = it.value();
                if (!id.is_string()) { continue; }
                const bool matches = std::any_of(policy.socketImages.begin(), policy.socketImages.end(),
                                                 [&](const std::string& p) { return imageMatches(p, ref); });
                if (!matches) { continue; }
                if (id == imageId) {
                    result.socketAllowed = true;
                    return result;
                }
                allowedIds.push_back(id.get<std::string>());
            }
        }
    }
    if (!policy.allowDerivedImages) { return result; }
    const auto layers = layersOf(dockerRoot, imageId);
    for (const auto& parent : allowedIds) {
        const auto parentLayers = layersOf(dockerRoot, parent);
        if (!parentLayers.empty() && parentLayers.size() <= layers.size()
            && std::equal(parentLayers.begin(), parentLayers.end(), layers.begin())) {
            result.socketAllowed = true;
            return result;
        }
    }
    return result;
}

}  // namespace berth::guest::eci
