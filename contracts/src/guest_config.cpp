#include "berth/contracts/guest_config.h"

#include "berth/contracts/shared_directories.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <utility>

namespace berth::contracts {

namespace {

using nlohmann::json;

// The field names, once.
constexpr const char* kVersionKey = "configVersion";
constexpr const char* kEciKey = "enhancedContainerIsolation";
constexpr const char* kEnabledKey = "enabled";
constexpr const char* kSocketMountKey = "dockerSocketMount";
constexpr const char* kImageListKey = "imageList";
constexpr const char* kImagesKey = "images";
constexpr const char* kAllowDerivedKey = "allowDerivedImages";
constexpr const char* kCommandListKey = "commandList";
constexpr const char* kTypeKey = "type";
constexpr const char* kCommandsKey = "commands";
constexpr const char* kEngineProxyKey = "engineProxy";
constexpr const char* kHttpKey = "http";
constexpr const char* kHttpsKey = "https";
constexpr const char* kNoProxyKey = "noProxy";
constexpr const char* kSharedDirectoriesKey = "sharedDirectories";
constexpr const char* kBlockLoadKey = "blockDockerLoad";
constexpr const char* kExposeKey = "exposeDockerAPIOnTCP2375";
constexpr const char* kDaemonOptionsKey = "dockerDaemonOptions";
constexpr const char* kOverriddenKey = "overriddenDaemonOptions";

// Reads one field of an object; on a missing field or a wrong type, says which (by its path).
// Remembers which fields of which object it read, so that what nobody read can be refused.
class Reader {
public:
    explicit Reader(std::string* error) : m_error(error) {}
    bool failed() const { return m_failed; }

    // A field read apart from field(), which nothingElse() must not refuse.
    void readApart(const json& object, const char* key) { m_read.emplace_back(&object, key); }

    const json* field(const json& object, const char* key, json::value_t type, const std::string& path)
    {
        if (m_failed) { return nullptr; }
        readApart(object, key);
        const auto it = object.find(key);
        if (it == object.end()) { return fail(path + key + " is missing"); }
        if (it->type() != type) {
            return fail(path + key + " is " + it->type_name() + ", not " + json(type).type_name());
        }
        return &*it;
    }
    bool boolean(const json& object, const char* key, const std::string& path)
    {
        const json* value = field(object, key, json::value_t::boolean, path);
        return value != nullptr && value->get<bool>();
    }
    std::string text(const json& object, const char* key, const std::string& path)
    {
        const json* value = field(object, key, json::value_t::string, path);
        return value != nullptr ? value->get<std::string>() : std::string();
    }
    std::vector<std::string> strings(const json& object, const char* key, const std::string& path)
    {
        std::vector<std::string> out;
        const json* list = field(object, key, json::value_t::array, path);
        if (list == nullptr) { return out; }
        for (const json& item : *list) {
            if (!item.is_string()) {
                fail(path + key + " holds a " + item.type_name() + ", not only strings");
                return {};
            }
            out.push_back(item.get<std::string>());
        }
        return out;
    }
    // Refuses a field of `object` that was not read: host and guest ship together and the config
    // is versioned, so a field this guest does not read is a bug or another version's config.
    void nothingElse(const json& object, const std::string& path)
    {
        if (m_failed) { return; }
        for (const auto& item : object.items()) {
            const bool wasRead = std::any_of(m_read.begin(), m_read.end(), [&](const auto& entry) {
                return entry.first == &object && item.key() == entry.second;
            });
            if (!wasRead) {
                fail(path + item.key() + " is not a field of configVersion " + std::to_string(kGuestConfigVersion));
                return;
            }
        }
    }

    // Refuses the config for a reason of its own (a value of the right type that is still wrong).
    void refuse(const std::string& why) { fail(why); }

private:
    const json* fail(const std::string& why)
    {
        if (!m_failed && m_error != nullptr) { *m_error = "guest config: " + why; }
        m_failed = true;
        return nullptr;
    }

    std::string* m_error;
    bool m_failed = false;
    std::vector<std::pair<const json*, std::string_view>> m_read;  // (object, key) of each field read
};

}  // namespace

json toJson(const GuestConfig& config)
{
    const EciConfig& eci = config.eci;
    return json{
        {kVersionKey, kGuestConfigVersion},
        {kEciKey,
         {{kEnabledKey, eci.enabled},
          {kSocketMountKey,
           {{kImageListKey, {{kImagesKey, eci.socketMountImages}, {kAllowDerivedKey, eci.allowDerivedImages}}},
            {kCommandListKey, {{kTypeKey, eci.commandListType}, {kCommandsKey, eci.commands}}}}}}},
        {kEngineProxyKey,
         {{kHttpKey, config.engineProxy.http},
          {kHttpsKey, config.engineProxy.https},
          {kNoProxyKey, config.engineProxy.noProxy}}},
        {kSharedDirectoriesKey, config.sharedDirectories},
        {kBlockLoadKey, config.blockDockerLoad},
        {kExposeKey, config.exposeDockerApiOnTcp2375},
        {kDaemonOptionsKey, config.dockerDaemonOptions},
        {kOverriddenKey, config.overriddenDaemonOptions},
    };
}

std::optional<GuestConfig> parseGuestConfig(const json& object, std::string* error)
{
    if (!object.is_object()) {
        if (error != nullptr) { *error = std::string("guest config: not a JSON object but ") + object.type_name(); }
        return std::nullopt;
    }
    // The version first: a config from another version may differ anywhere else.
    const auto version = object.find(kVersionKey);
    if (version == object.end() || !version->is_number_integer() || version->get<long long>() != kGuestConfigVersion) {
        if (error != nullptr) {
            *error = "guest config: configVersion "
                + (version == object.end() ? std::string("missing") : version->dump()) + ", this guest reads version "
                + std::to_string(kGuestConfigVersion);
        }
        return std::nullopt;
    }
    Reader read(error);
    read.readApart(object, kVersionKey);
    GuestConfig config;
    const std::string eciPath = std::string(kEciKey) + ".";
    if (const json* eci = read.field(object, kEciKey, json::value_t::object, "")) {
        config.eci.enabled = read.boolean(*eci, kEnabledKey, eciPath);
        const std::string socketPath = eciPath + kSocketMountKey + ".";
        if (const json* socket = read.field(*eci, kSocketMountKey, json::value_t::object, eciPath)) {
            const std::string imagePath = socketPath + kImageListKey + ".";
            if (const json* images = read.field(*socket, kImageListKey, json::value_t::object, socketPath)) {
                config.eci.socketMountImages = read.strings(*images, kImagesKey, imagePath);
                config.eci.allowDerivedImages = read.boolean(*images, kAllowDerivedKey, imagePath);
                read.nothingElse(*images, imagePath);
            }
            const std::string commandPath = socketPath + kCommandListKey + ".";
            if (const json* commands = read.field(*socket, kCommandListKey, json::value_t::object, socketPath)) {
                if (const json* type = read.field(*commands, kTypeKey, json::value_t::string, commandPath)) {
                    // Anything but an explicit "allow" is a deny list: an unknown type must not open everything.
                    config.eci.commandListType = type->get<std::string>() == "allow" ? "allow" : "deny";
                }
                config.eci.commands = read.strings(*commands, kCommandsKey, commandPath);
                read.nothingElse(*commands, commandPath);
            }
            read.nothingElse(*socket, socketPath);
        }
        read.nothingElse(*eci, eciPath);
    }
    const std::string proxyPath = std::string(kEngineProxyKey) + ".";
    if (const json* proxy = read.field(object, kEngineProxyKey, json::value_t::object, "")) {
        config.engineProxy.http = read.text(*proxy, kHttpKey, proxyPath);
        config.engineProxy.https = read.text(*proxy, kHttpsKey, proxyPath);
        config.engineProxy.noProxy = read.text(*proxy, kNoProxyKey, proxyPath);
        read.nothingElse(*proxy, proxyPath);
    }
    config.sharedDirectories = read.strings(object, kSharedDirectoriesKey, "");
    for (std::size_t i = 0; i < config.sharedDirectories.size() && !read.failed(); ++i) {
        const std::string& path = config.sharedDirectories[i];
        std::string why = sharedDirectoryError(path);
        for (std::size_t j = 0; j < i && why.empty(); ++j) {
            if (isWithinDirectory(path, config.sharedDirectories[j])
                || isWithinDirectory(config.sharedDirectories[j], path)) {
                why = "\"" + path + "\" overlaps \"" + config.sharedDirectories[j] + "\"";
            }
        }
        if (!why.empty()) { read.refuse(std::string(kSharedDirectoriesKey) + ": " + why); }
    }
    config.blockDockerLoad = read.boolean(object, kBlockLoadKey, "");
    config.exposeDockerApiOnTcp2375 = read.boolean(object, kExposeKey, "");
    // dockerd's options, handed on as they are: what they may hold is dockerd's to say.
    if (const json* options = read.field(object, kDaemonOptionsKey, json::value_t::object, "")) {
        config.dockerDaemonOptions = *options;
    }
    config.overriddenDaemonOptions = read.strings(object, kOverriddenKey, "");
    read.nothingElse(object, "");
    if (read.failed()) { return std::nullopt; }
    return config;
}

std::optional<GuestConfig> readGuestConfig(const std::string& path, std::string* error)
{
    const auto refuse = [&](const std::string& why) {
        if (error != nullptr) { *error = "guest config: " + path + " " + why; }
        return std::nullopt;
    };
    std::ifstream in(path, std::ios::binary);
    if (!in) { return refuse("cannot be read"); }
    std::stringstream text;
    text << in.rdbuf();
    const json parsed = json::parse(text.str(), nullptr, false);
    if (parsed.is_discarded()) { return refuse("is not JSON"); }
    return parseGuestConfig(parsed, error);
}

}  // namespace berth::contracts
