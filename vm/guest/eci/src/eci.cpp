#include "berth/guest/eci.h"

namespace berth::guest::eci {

nlohmann::json daemonOptions(const nlohmann::json& /*guestConfig*/)
{
    return nlohmann::json::object();
}

std::vector<Service> services(const nlohmann::json& /*guestConfig*/)
{
    return {};
}

}  // namespace berth::guest::eci
