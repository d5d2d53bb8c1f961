// berthctl admin deploy | show: puts an administrator's policy in place the way installers do
// (Docker Desktop's --admin-settings installer flag), checked by the same rules Berth reads it with.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <ostream>
#include <sstream>

#include "berth/settings/admin_policy.h"
#include "berth/settings/atomic_file.h"
#include "cli.h"

namespace berth::cli {

namespace {

namespace fs = std::filesystem;

// How deploy names the policy it was given in its diagnostics: the option it came through.
constexpr const char* kInlineSource = "--admin-settings";

std::optional<std::string> readWhole(const fs::path& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) { return std::nullopt; }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string summary(const settings::AdminPolicy& policy)
{
    const auto locked = std::count_if(policy.settings.begin(), policy.settings.end(),
                                      [](const auto& entry) { return entry.second.locked; });
    std::ostringstream out;
    out << policy.settings.size() << " settings (" << locked << " locked), " << policy.diagnostics.size() << " ignored";
    return out.str();
}

// The policy's directory must exist, belong to the administrator and be writable by nobody else,
// or the deployed file would be rejected at every read. Creates it (0755) when missing.
std::string prepareDirectory(const fs::path& dir, uid_t owner)
{
    struct stat info {};
    if (::lstat(dir.c_str(), &info) != 0) {
        if (errno != ENOENT) { return dir.string() + ": " + std::strerror(errno); }
        std::error_code ec;
        fs::create_directories(dir, ec);
        if (ec) { return "cannot create " + dir.string() + ": " + ec.message(); }
        // chmod, not the mode given to mkdir, so the umask cannot loosen or tighten it.
        if (::chmod(dir.c_str(), 0755) != 0 || ::chown(dir.c_str(), owner, owner == 0 ? 0 : gid_t(-1)) != 0) {
            return "cannot set the owner and mode of " + dir.string() + ": " + std::strerror(errno);
        }
        return {};
    }
    if (!S_ISDIR(info.st_mode)) { return dir.string() + " exists and is not a directory"; }
    if (info.st_uid != owner || (info.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        return dir.string() + " must be owned by root and not writable by group or others (chmod 755)";
    }
    return {};
}

int deploy(const std::vector<std::string>& args, Context& c)
{
    std::optional<std::string> text;
    bool force = false;
    const std::string inlineOption = std::string(kInlineSource) + "=";
    const std::string fileOption = "--admin-settings-file=";
    for (const auto& arg : args) {
        if (arg == "--force") {
            force = true;
        } else if (arg.rfind(inlineOption, 0) == 0 && !text) {
            text = arg.substr(inlineOption.size());
        } else if (arg.rfind(fileOption, 0) == 0 && !text) {
            const fs::path source = arg.substr(fileOption.size());
            text = readWhole(source);
            if (!text) {
                c.err << source.string() << ": error: cannot read the file\n";
                return kFailed;
            }
        } else {
            c.err << "berthctl: admin deploy takes --admin-settings='<json>' or --admin-settings-file=PATH, "
                     "and --force\n";
            return kUsage;
        }
    }
    if (!text) {
        c.err << "berthctl: admin deploy needs --admin-settings='<json>' or --admin-settings-file=PATH\n";
        return kUsage;
    }
    const fs::path target = c.paths.adminFile;
    const uid_t owner = c.paths.adminRules.trustedOwner;
    if (::geteuid() != owner) {
        c.err << "berthctl: only root can deploy " << target.string() << " (try sudo)\n";
        return kFailed;
    }

    // The same checks Berth applies when it reads the file: nothing it would refuse gets deployed.
    const auto policy = settings::parseAdminPolicy(*text, kInlineSource);
    printDiagnostics(policy.diagnostics, c.err);
    if (policy.state != settings::AdminPolicy::State::Valid) {
        c.err << "The admin settings are invalid; nothing was deployed and " << target.string() << " is unchanged.\n";
        return kFailed;
    }
    if (text->empty() || text->back() != '\n') { text->push_back('\n'); }

    if (const auto error = prepareDirectory(target.parent_path(), owner); !error.empty()) {
        c.err << "berthctl: " << error << "; nothing was deployed.\n";
        return kFailed;
    }
    const auto existing = readWhole(target);
    const bool existingTrusted = existing
        && settings::loadAdminPolicy(target, c.paths.adminRules).state == settings::AdminPolicy::State::Valid;
    if (existing && *existing == *text && existingTrusted) {
        c.out << target.string() << " already holds this policy: " << summary(policy) << ". Nothing changed.\n";
        return kOk;
    }
    if (existing && *existing != *text && !force) {
        c.err << "berthctl: " << target.string() << " already holds a different policy; it was left as it is. "
              << "Pass --force to replace it (see `berthctl admin show`).\n";
        return kFailed;
    }

    settings::removeStaleTemporaryFiles(target);
    if (const auto error = settings::writeFileAtomically(target, *text, 0644); !error.empty()) {
        c.err << "berthctl: " << error << "; " << target.string() << " is unchanged.\n";
        return kFailed;
    }
    // The file is ours by creation; its group follows our group, which for root must be root too.
    if (owner == 0 && ::chown(target.c_str(), 0, 0) != 0) {
        c.err << "berthctl: cannot make " << target.string() << " owned by root:root: " << std::strerror(errno) << "\n";
        return kFailed;
    }
    const auto deployed = settings::loadAdminPolicy(target, c.paths.adminRules);
    if (deployed.state != settings::AdminPolicy::State::Valid) {
        printDiagnostics(deployed.diagnostics, c.err);
        return kFailed;
    }
    c.out << "Deployed " << target.string() << ": " << summary(deployed) << ".\n";
    return kOk;
}

int show(Context& c)
{
    const fs::path target = c.paths.adminFile;
    const auto policy = settings::loadAdminPolicy(target, c.paths.adminRules);
    if (policy.state == settings::AdminPolicy::State::Absent) {
        c.out << "No admin settings at " << target.string() << ": nothing is managed.\n";
        return kOk;
    }
    if (const auto text = readWhole(target)) {
        c.out << *text;
        if (!text->empty() && text->back() != '\n') { c.out << "\n"; }
    }
    printDiagnostics(policy.diagnostics, c.err);
    if (policy.state == settings::AdminPolicy::State::Invalid) {
        c.err << target.string() << " is invalid. While it is, Berth will not start the engine.\n";
        return kFailed;
    }
    c.out << "# " << target.string() << " is valid: " << summary(policy) << ".\n";
    for (const auto& [key, setting] : policy.settings) {
        c.out << "#   " << key << (setting.locked ? " (locked)" : " (default)") << "\n";
    }
    return kOk;
}

}  // namespace

int adminCommand(const std::vector<std::string>& args, Context& c)
{
    if (!args.empty() && args[0] == "deploy") { return deploy({args.begin() + 1, args.end()}, c); }
    if (args.size() == 1 && args[0] == "show") { return show(c); }
    c.err << "berthctl: admin needs a subcommand: deploy --admin-settings='<json>' [--force], show\n";
    return kUsage;
}

}  // namespace berth::cli
