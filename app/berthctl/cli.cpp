#include "cli.h"

#include <ostream>

#include "berth/settings/settings.h"
#include "verify_eci.h"

namespace berth::cli {

namespace {

constexpr const char* kUsageText = R"(Usage: berthctl <command> [options]

Commands:
  start                             Start the engine (the VM with its Docker Engine)
  stop [--force]                    Shut the engine down fully (--force: kill the VM at once)
  restart                           Full quit and relaunch with the current settings
  status [--json]                   Show the engine and policy state
  reset --data [--yes]              Start over with an empty data disk (images, containers,
                                    volumes); the old disk is kept as a backup you can restore
  settings list [--json]            Show every setting: value, source, lock, restart needed
  settings get KEY                  Print one setting's value
  settings set KEY=VALUE...         Change settings (refused when locked by the administrator)
  settings set KEY VALUE            The same for one setting, e.g. settings set vm.manager libvirt
                                    A list is a JSON array or comma-separated values; quote it so the
                                    shell leaves $HOME alone, e.g. settings set
                                    fileSharing.directories '["$HOME","/srv/src"]'
  settings check-admin [PATH] [--content-only]
                                    Check an admin-settings.json (default /etc/berth/admin-settings.json)
  settings reset                    Forget your own settings (a backup is kept)
  admin deploy --admin-settings='<json>' [--force]
                                    As root: check the policy and write /etc/berth/admin-settings.json
                                    (--force replaces a different policy already there;
                                    --admin-settings-file=PATH reads the policy from a file)
  admin show                        Print the deployed policy and its problems
  verify-eci [--image NAME] [--context NAME]
                                    Run Docker's four Enhanced Container Isolation checks against
                                    the engine (default image busybox, context berth)

Options:
  -v, --verbose                     Also log to the terminal
  -h, --help                        Show this help
      --version                     Show the version

Exit codes: 0 success, 1 error, 2 usage error, 3 the setting is locked by your administrator.
)";

}  // namespace

void printDiagnostics(const settings::Diagnostics& diagnostics, std::ostream& err)
{
    for (const auto& d : diagnostics) { err << d.format() << "\n"; }
}

void reportInvalidPolicy(const settings::Settings& settings, std::ostream& err)
{
    if (settings.engineStartAllowed()) { return; }
    printDiagnostics(settings.adminPolicy().diagnostics, err);
    err << "The administrator's settings file is invalid, so the engine will not start until it is fixed.\n";
}

int run(const std::vector<std::string>& args, Context& context)
{
    if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
        (args.empty() ? context.err : context.out) << kUsageText;
        return args.empty() ? kUsage : kOk;
    }
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    if (args[0] == "settings") { return settingsCommand(rest, context); }
    if (args[0] == "admin") { return adminCommand(rest, context); }
    if (args[0] == "status") { return statusCommand(rest, context); }
    if (args[0] == "reset") { return resetCommand(rest, context); }
    if (args[0] == "verify-eci") { return verifyEciCommand(rest, context); }
    if (args[0] == "start" || args[0] == "stop" || args[0] == "restart") {
        return engineCommand(args[0], rest, context);
    }
    context.err << "berthctl: unknown command \"" << args[0] << "\"\n\n" << kUsageText;
    return kUsage;
}

}  // namespace berth::cli
