#pragma once

// The test guest's hooks, for the integration tests of the host: a guest that fails its boot,
// never reports it, or ignores being shut down. Read from the kernel command line
// (contracts::kTestHooksKernelParameter), and honoured only in the agent's test-guest mode: the
// guest config, which the user's settings make, never carries them.

#include <optional>
#include <string>
#include <string_view>

namespace berth::guest::agent {

struct TestHooks {
    bool ignoreShutdown = false;  // shutdown requests and the power button are logged and ignored
    bool failBoot = false;  // an error (step "boot") instead of ready
    bool silentBoot = false;  // hello and status are answered; the boot's outcome is never sent

    bool operator==(const TestHooks&) const = default;
};

// The hooks named by `berth.test_hooks=<name>[,<name>...]` in `cmdline` (none without it); nullopt,
// with `error` set, for a name it does not know: a mistyped hook must not pass unnoticed.
std::optional<TestHooks> parseTestHooks(std::string_view cmdline, std::string* error);

}  // namespace berth::guest::agent
