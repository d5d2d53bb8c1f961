#include "berth/vm/launch_plan.h"

#include <nlohmann/json.hpp>

namespace berth::vm {

namespace {

bool sameJson(const QByteArray& a, const QByteArray& b)
{
    const auto ja = nlohmann::json::parse(a.constData(), a.constData() + a.size(), nullptr, false);
    const auto jb = nlohmann::json::parse(b.constData(), b.constData() + b.size(), nullptr, false);
    if (ja.is_discarded() || jb.is_discarded()) { return a == b; }
    return ja == jb;
}

QString describe(const std::shared_ptr<VmBackend>& backend)
{
    return backend ? backend->description() : QString();
}

}  // namespace

LaunchPlan planFor(const QByteArray& guestConfig, const VmResources& resources)
{
    LaunchPlan plan;
    plan.resources = resources;
    plan.guestConfig = guestConfig;
    return plan;
}

bool sameLaunch(const LaunchPlan& a, const LaunchPlan& b)
{
    return describe(a.backend) == describe(b.backend) && a.resources == b.resources
        && a.extraForwards == b.extraForwards && a.sharedDirectories == b.sharedDirectories
        && sameJson(a.guestConfig, b.guestConfig);
}

}  // namespace berth::vm
