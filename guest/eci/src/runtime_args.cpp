#include "berth/guest/eci/runtime_args.h"

#include <array>
#include <string_view>

namespace berth::guest::eci {

namespace {

// Flags that take a value, globally and per command (runc 1.1's urfave/cli definitions).
constexpr std::array<std::string_view, 5> kGlobalValueFlags = {"root", "log", "log-format", "criu", "rootless"};
constexpr std::array<std::string_view, 14> kCommandValueFlags
    = {"bundle", "b", "console-socket", "pid-file", "preserve-fds", "process", "p", "cwd",
       "env",    "e", "user",           "u",        "format",       "f"};

template <std::size_t N> bool contains(const std::array<std::string_view, N>& list, std::string_view name)
{
    for (const auto item : list) {
        if (item == name) { return true; }
    }
    return false;
}

struct Flag {
    std::string_view name;
    std::optional<std::string_view> inlineValue;
};

// "--name=value", "-name", "--name" -> name and maybe value; nullopt for a positional argument.
std::optional<Flag> asFlag(std::string_view arg)
{
    if (arg.size() < 2 || arg[0] != '-') { return std::nullopt; }
    arg.remove_prefix(arg[1] == '-' ? 2 : 1);
    if (arg.empty()) { return std::nullopt; }
    Flag flag{arg, std::nullopt};
    if (const auto eq = arg.find('='); eq != std::string_view::npos) {
        flag.name = arg.substr(0, eq);
        flag.inlineValue = arg.substr(eq + 1);
    }
    return flag;
}

}  // namespace

RuntimeInvocation parseRuntimeArgs(const std::vector<std::string>& args, const std::string& workingDirectory)
{
    RuntimeInvocation inv;
    std::size_t i = 0;
    for (; i < args.size(); ++i) {
        const auto flag = asFlag(args[i]);
        if (!flag) { break; }
        std::string value;
        if (contains(kGlobalValueFlags, flag->name)) {
            if (flag->inlineValue) {
                value = std::string(*flag->inlineValue);
            } else if (i + 1 < args.size()) {
                value = args[++i];
            }
        }
        if (flag->name == "root") { inv.root = value; }
        if (flag->name == "log") { inv.log = value; }
        if (flag->name == "log-format") { inv.logFormat = value; }
    }
    if (i >= args.size()) { return inv; }
    inv.command = args[i++];
    bool bundleGiven = false;
    for (; i < args.size(); ++i) {
        const auto flag = asFlag(args[i]);
        if (!flag) {
            inv.containerId = args[i];  // urfave/cli stops reading flags at the first positional
            break;
        }
        const bool forceFlag = inv.command == "delete" && (flag->name == "force" || flag->name == "f");
        std::string value;
        if (!forceFlag && contains(kCommandValueFlags, flag->name)) {
            if (flag->inlineValue) {
                value = std::string(*flag->inlineValue);
            } else if (i + 1 < args.size()) {
                value = args[++i];
            }
        }
        if (flag->name == "bundle" || flag->name == "b") {
            inv.bundle = value;
            bundleGiven = true;
        }
        if (flag->name == "pid-file") { inv.pidFile = value; }
        if (forceFlag) { inv.force = !flag->inlineValue || *flag->inlineValue != "false"; }
    }
    const bool takesBundle = inv.command == "create" || inv.command == "run" || inv.command == "restore";
    if (takesBundle && !bundleGiven) { inv.bundle = workingDirectory; }
    if (takesBundle && !inv.bundle.empty() && inv.bundle[0] != '/') {
        inv.bundle = workingDirectory + "/" + inv.bundle;
    }
    return inv;
}

}  // namespace berth::guest::eci
