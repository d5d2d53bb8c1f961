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

}  // namespace berth::guest::eci
