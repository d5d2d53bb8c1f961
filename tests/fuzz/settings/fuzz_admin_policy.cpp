// Any bytes as admin-settings.json: never a crash, and a policy that is reported valid only
// holds values that match the schema.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "berth/settings/admin_policy.h"
#include "berth/settings/schema.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto policy = berth::settings::parseAdminPolicy(text, "admin-settings.json");
    if (policy.state == berth::settings::AdminPolicy::State::Invalid) {
        if (policy.firstError() == nullptr || !policy.settings.empty()) { std::abort(); }
        return 0;
    }
    for (const auto& [key, setting] : policy.settings) {
        const auto* spec = berth::settings::findSpec(key);
        if (spec == nullptr || berth::settings::typeError(*spec, setting.value)) { std::abort(); }
    }
    for (const auto& d : policy.diagnostics) {
        if (d.line < 1 || d.column < 1) { std::abort(); }
        (void)d.format();
    }
    return 0;
}
