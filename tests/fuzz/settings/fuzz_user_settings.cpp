// Any bytes as settings-store.json: never a crash; either the file is declared corrupt (and kept
// aside by the caller) or every value taken from it matches the schema.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "berth/settings/schema.h"
#include "berth/settings/user_store.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto parsed = berth::settings::parseUserSettings(text, "settings-store.json");
    if (parsed.corruption) {
        if (!parsed.values.empty()) { std::abort(); }
        return 0;
    }
    if (!parsed.document.is_object()) { std::abort(); }
    for (const auto& [key, value] : parsed.values) {
        const auto* spec = berth::settings::findSpec(key);
        if (spec == nullptr || berth::settings::typeError(*spec, value)) { std::abort(); }
    }
    (void)parsed.document.dump();  // what a rewrite would write
    return 0;
}
