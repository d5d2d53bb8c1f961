#include "test_hooks.h"

#include "berth/contracts/names.h"

#include <algorithm>

namespace berth::guest::agent {

std::optional<TestHooks> parseTestHooks(std::string_view cmdline, std::string* error)
{
    const std::string_view key = contracts::kTestHooksKernelParameter;
    TestHooks hooks;
    while (!cmdline.empty()) {
        const std::size_t start = cmdline.find_first_not_of(" \t\n");
        if (start == std::string_view::npos) { break; }
        cmdline.remove_prefix(start);
        const std::string_view word = cmdline.substr(0, cmdline.find_first_of(" \t\n"));
        cmdline.remove_prefix(word.size());
        if (word.size() <= key.size() || word.substr(0, key.size()) != key || word[key.size()] != '=') { continue; }
        std::string_view names = word.substr(key.size() + 1);
        while (!names.empty()) {
            const std::string_view name = names.substr(0, names.find(','));
            names.remove_prefix(std::min(names.size(), name.size() + 1));
            if (name == "ignoreShutdown") {
                hooks.ignoreShutdown = true;
            } else if (name == "failBoot") {
                hooks.failBoot = true;
            } else if (name == "silentBoot") {
                hooks.silentBoot = true;
            } else if (!name.empty()) {
                if (error != nullptr) { *error = "unknown test hook '" + std::string(name) + "'"; }
                return std::nullopt;
            }
        }
    }
    return hooks;
}

}  // namespace berth::guest::agent
