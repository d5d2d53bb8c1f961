#include "berth/guest/eci/files.h"

#include <fstream>
#include <sstream>

namespace berth::guest::eci {

std::string readFile(const std::string& path)
{
    std::ifstream in(path);
    if (!in) { return {}; }
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

nlohmann::json readJsonFile(const std::string& path)
{
    return nlohmann::json::parse(readFile(path), nullptr, false);
}

std::optional<contracts::GuestConfig> readGuestConfig(const std::string& path, std::string* error)
{
    const auto refuse = [&](const std::string& why) {
        if (error != nullptr) { *error = "guest config: " + path + " " + why; }
        return std::nullopt;
    };
    std::ifstream in(path);
    if (!in) { return refuse("cannot be read"); }
    std::stringstream text;
    text << in.rdbuf();
    const nlohmann::json parsed = nlohmann::json::parse(text.str(), nullptr, false);
    if (parsed.is_discarded()) { return refuse("is not JSON"); }
    return contracts::parseGuestConfig(parsed, error);
}

}  // namespace berth::guest::eci
