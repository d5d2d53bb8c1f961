#include "berth/guest/eci/runtime_wrapper.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <thread>

#include "berth/contracts/guest_config.h"
#include "berth/guest/eci/files.h"
#include "berth/guest/eci/id_allocator.h"
#include "berth/guest/eci/image_check.h"
#include "berth/guest/eci/mount_lock.h"
#include "berth/guest/eci/paths.h"
#include "berth/guest/eci/policy.h"
#include "berth/guest/eci/rootfs.h"
#include "berth/guest/eci/runtime_args.h"
#include "berth/guest/eci/socket_proxy.h"
#include "berth/guest/eci/system_host.h"

namespace berth::guest::eci {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

std::string envOr(const char* name, const std::string& fallback)
{
    const char* value = std::getenv(name);
    return value != nullptr && *value != '\0' ? std::string(value) : fallback;
}

std::string nowRfc3339()
{
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buffer;
}

// The shim reads the last error line of runc's --log and reports "OCI runtime create failed: <msg>".
int fail(const RuntimeInvocation& inv, const std::string& message)
{
    if (!inv.log.empty()) {
        std::ofstream log(inv.log, std::ios::app);
        if (inv.logFormat == "json") {
            log << json{{"level", "error"}, {"msg", message}, {"time", nowRfc3339()}}.dump() << "\n";
        } else {
            log << "time=\"" << nowRfc3339() << "\" level=error msg=" << json(message).dump() << "\n";
        }
    }
    std::cerr << message << "\n";
    return 1;
}

// The policy from the file prepareBoot wrote; the guest config itself when there is none (ECI
// off). A guest config that cannot be read is an error: the container does not start.
std::optional<Policy> loadPolicy(const WrapperPaths& paths, std::string* error)
{
    const json file = readJsonFile(paths.policyFile);
    if (file.is_object()) { return Policy::fromJson(file); }
    const auto config = contracts::readGuestConfig(paths.fwCfgConfig, error);
    if (!config) { return std::nullopt; }
    return Policy::fromGuestConfig(*config);
}

std::string realRunc(const WrapperPaths& paths)
{
    struct stat self {};
    const bool haveSelf = ::stat("/proc/self/exe", &self) == 0;
    const auto isSelf = [&](const std::string& path) {
        struct stat st {};
        return haveSelf && ::stat(path.c_str(), &st) == 0 && st.st_dev == self.st_dev && st.st_ino == self.st_ino;
    };
    const std::vector<std::string> candidates = {paths.realRunc, paths::kPreservedRunc, paths::kDebianRunc};
    for (const auto& candidate : candidates) {
        if (!candidate.empty() && ::access(candidate.c_str(), X_OK) == 0 && !isSelf(candidate)) { return candidate; }
        if (!paths.realRunc.empty()) { break; }  // an explicit choice is the only choice
    }
    return {};
}

std::vector<char*> argvFor(const std::string& program, const std::vector<std::string>& args)
{
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(program.c_str()));
    for (const auto& a : args) { argv.push_back(const_cast<char*>(a.c_str())); }
    argv.push_back(nullptr);
    return argv;
}

[[noreturn]] void execRunc(const std::string& runc, const std::vector<std::string>& args)
{
    auto argv = argvFor(runc, args);
    ::execv(runc.c_str(), argv.data());
    std::cerr << "sysbox-runc: cannot run " << runc << ": " << std::strerror(errno) << "\n";
    std::_Exit(127);
}

pid_t g_child = -1;
void forwardSignal(int sig)
{
    if (g_child > 0) { ::kill(g_child, sig); }
}

// runc as a child, for the commands after which the wrapper has work left; signals reach it.
int runRunc(const std::string& runc, const std::vector<std::string>& args)
{
    const pid_t child = ::fork();
    if (child < 0) { return 127; }
    if (child == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        execRunc(runc, args);
    }
    g_child = child;
    for (const int sig : {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH}) {
        struct sigaction action {};
        action.sa_handler = forwardSignal;
        ::sigaction(sig, &action, nullptr);
    }
    int status = 0;
    while (::waitpid(child, &status, 0) < 0) {
        if (errno != EINTR) { return 127; }
    }
    g_child = -1;
    if (WIFEXITED(status)) { return WEXITSTATUS(status); }
    return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

bool safeId(const std::string& id)
{
    return !id.empty() && id.size() <= 256 && id.find('/') == std::string::npos && id != "." && id != "..";
}

void writeAtomically(const std::string& path, const std::string& text)
{
    const std::string temp = path + ".berth-tmp";
    {
        std::ofstream out(temp, std::ios::trunc);
        out << text;
        if (!out) { throw std::runtime_error("cannot write " + temp); }
    }
    fs::rename(temp, path);
}

// Undoes everything create did; safe to repeat.
void cleanUp(const WrapperPaths& paths, const std::string& id)
{
    unstageRootfs(paths.stagingRoot, id);
    IdBlockAllocator allocator(paths.stateDir);
    if (const auto entry = allocator.release(id); entry && !entry->chownedUpper.empty()) {
        shiftOwnership(entry->chownedUpper, entry->base, false);
    }
}

// Rewrites the bundle; on failure nothing is left allocated or mounted.
std::string prepareBundle(const WrapperPaths& paths, const RuntimeInvocation& inv)
{
    const std::string configPath = inv.bundle + "/config.json";
    json spec = readJsonFile(configPath);
    if (!spec.is_object()) { return "error in the container spec: cannot read " + configPath; }
    std::string policyError;
    const auto loaded = loadPolicy(paths, &policyError);
    if (!loaded) { return "enhanced container isolation: " + policyError; }
    const Policy& policy = *loaded;
    const ContainerImage image = inspectContainerImage(policy, paths.layout.dockerRoot, inv.containerId);
    // With ECI on, an allowed image's socket mount is the command-list filter, never the engine.
    EngineLayout layout = paths.layout;
    if (!policy.enabled) { layout.guardedSocket.clear(); }
    layout.sharedDirectories = policy.sharedDirectories;
    const SystemHostView host;
    IdBlockAllocator allocator(paths.stateDir);
    try {
        reclaimBlocksOfPastBoots(paths.stateDir);
        const RewriteResult result = rewriteSpec(
            spec, inv.containerId, image, layout, host, [&] { return allocator.allocate(inv.containerId); },
            inv.bundle);
        if (!result) { return result.error; }
        if (result.joined) { allocator.recordShared(inv.containerId, result.hostIdBase); }
        std::string root = spec["root"].value("path", std::string("rootfs"));
        if (root.empty() || root[0] != '/') { root = inv.bundle + "/" + root; }
        const StagedRootfs staged = stageRootfs(paths.stagingRoot, inv.containerId, root, result.hostIdBase);
        if (!staged.upper.empty()) { allocator.setChownedUpper(inv.containerId, staged.upper); }
        spec["root"]["path"] = staged.path;
        std::vector<BindToStage> binds;
        for (const auto& bind : result.mappedBinds) {
            binds.push_back({bind.source, bind.idMapped, bind.readOnly, bind.sharedDirectory});
        }
        const auto mapped = stageBinds(paths.stagingRoot, inv.containerId, binds, result.hostIdBase);
        for (std::size_t i = 0; i < mapped.size(); ++i) {
            if (!mapped[i].empty()) { spec["mounts"][result.mappedBinds[i].mountIndex]["source"] = mapped[i]; }
        }
        writeAtomically(configPath, spec.dump());
    } catch (const std::exception& e) {
        cleanUp(paths, inv.containerId);
        return std::string("enhanced container isolation: ") + e.what();
    }
    return {};
}

// runc's stdout for a command of its own (state); empty when it fails.
std::string captureRunc(const std::string& runc, const std::vector<std::string>& args)
{
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) { return {}; }
    const pid_t child = ::fork();
    if (child < 0) {
        ::close(out[0]);
        ::close(out[1]);
        return {};
    }
    if (child == 0) {
        ::dup2(out[1], 1);
        const int null = ::open("/dev/null", O_WRONLY);
        ::dup2(null, 2);
        execRunc(runc, args);
    }
    ::close(out[1]);
    std::string text;
    char buffer[4096];
    for (ssize_t n; (n = ::read(out[0], buffer, sizeof buffer)) != 0;) {
        if (n < 0 && errno == EINTR) { continue; }
        if (n < 0) { break; }
        text.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(out[0]);
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {}
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? text : std::string();
}

// `runc state` of the invocation's container: its JSON, empty when runc does not know it.
std::string runcState(const std::string& runc, const RuntimeInvocation& inv)
{
    std::vector<std::string> args;
    if (!inv.root.empty()) { args = {"--root", inv.root}; }
    args.insert(args.end(), {"state", inv.containerId});
    return captureRunc(runc, args);
}

// runc exec joins the mount namespace the container's init is in at that moment. In the first
// moments after start berth-eci-init is still locking the mounts: wait for it, so that no process
// joins the unlocked namespace. Returns an error message when it does not finish in time.
std::string waitForLockedMounts(const std::string& runc, const RuntimeInvocation& inv)
{
    const json state = json::parse(runcState(runc, inv), nullptr, false);
    if (!state.is_object()) { return {}; }  // runc exec reports an unknown container itself
    const int pid = state.value("pid", 0);
    const json spec = readJsonFile(state.value("bundle", std::string()) + "/config.json");
    const json* process = spec.is_object() && spec.contains("process") ? &spec["process"] : nullptr;
    const bool startsWithInit = pid > 0 && process != nullptr && process->is_object() && process->contains("args")
        && (*process)["args"].is_array() && !(*process)["args"].empty() && (*process)["args"][0] == kInitInContainer;
    if (!startsWithInit) { return {}; }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
        const auto locked = mountsLocked(pid);
        if (!locked || *locked) { return {}; }  // done, or gone (runc exec then fails by itself)
        if (std::chrono::steady_clock::now() > deadline) {
            return "enhanced container isolation: the container is still starting (its mounts are not locked "
                   "yet); try again";
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

}  // namespace

void reclaimBlocksOfPastBoots(const std::string& stateDir)
{
    std::string bootId = readFile("/proc/sys/kernel/random/boot_id");
    while (!bootId.empty() && bootId.back() == '\n') { bootId.pop_back(); }
    if (bootId.empty()) { throw std::runtime_error("cannot read the boot id"); }
    IdBlockAllocator allocator(stateDir);
    for (const auto& entry : allocator.takeStale(bootId)) {
        std::error_code ec;
        if (!entry.chownedUpper.empty() && fs::is_directory(entry.chownedUpper, ec)) {
            shiftOwnership(entry.chownedUpper, entry.base, false);
        }
    }
}

WrapperPaths WrapperPaths::fromEnvironment()
{
    WrapperPaths p;
    p.realRunc = envOr("BERTH_ECI_RUNC", "");
    const std::string runDir = envOr("BERTH_ECI_RUN_DIR", paths::kRunDir);
    p.policyFile = runDir + "/policy.json";
    p.stagingRoot = runDir + "/containers";
    p.fwCfgConfig = paths::kFwCfgConfig;
    p.layout.dockerRoot = envOr("BERTH_ECI_DOCKER_ROOT", paths::kDockerRoot);
    p.stateDir = envOr("BERTH_ECI_STATE_DIR", p.layout.dockerRoot + "/berth-eci");
    p.layout.guardedSocket = envOr("BERTH_ECI_GUARDED_SOCKET", kGuardedSocket);
    p.layout.mountLockInit = envOr("BERTH_ECI_INIT", paths::kEciInit);
    return p;
}

int runWrapper(const std::vector<std::string>& args, const WrapperPaths& paths)
{
    std::error_code ec;
    const RuntimeInvocation inv = parseRuntimeArgs(args, fs::current_path(ec).string());
    const std::string runc = realRunc(paths);
    if (runc.empty()) { return fail(inv, "enhanced container isolation: Debian's runc was not found"); }
    const std::string& cmd = inv.command;

    if ((cmd == "create" || cmd == "run") && safeId(inv.containerId)) {
        if (const std::string error = prepareBundle(paths, inv); !error.empty()) { return fail(inv, error); }
        if (cmd == "create") { execRunc(runc, args); }
        const int rc = runRunc(runc, args);  // run: the container is gone when runc returns
        cleanUp(paths, inv.containerId);
        return rc;
    }
    if (cmd == "create" || cmd == "run") { return fail(inv, "enhanced container isolation: invalid container id"); }
    if (cmd == "delete" && safeId(inv.containerId)) {
        const int rc = runRunc(runc, args);
        if (rc == 0 || runcState(runc, inv).empty()) { cleanUp(paths, inv.containerId); }
        return rc;
    }
    if (cmd == "exec" && safeId(inv.containerId)) {
        if (const std::string error = waitForLockedMounts(runc, inv); !error.empty()) { return fail(inv, error); }
    }
    // docker commit pauses the container and reads its upper layer: show it the real IDs meanwhile.
    if ((cmd == "pause" || cmd == "resume") && safeId(inv.containerId)) {
        IdBlockAllocator allocator(paths.stateDir);
        const auto entry = allocator.find(inv.containerId);
        const bool chowned = entry && !entry->chownedUpper.empty();
        if (cmd == "resume" && chowned) { shiftOwnership(entry->chownedUpper, entry->base, true); }
        const int rc = runRunc(runc, args);
        if (cmd == "pause" && chowned && rc == 0) { shiftOwnership(entry->chownedUpper, entry->base, false); }
        if (cmd == "resume" && chowned && rc != 0) { shiftOwnership(entry->chownedUpper, entry->base, false); }
        return rc;
    }
    execRunc(runc, args);
}

}  // namespace berth::guest::eci
