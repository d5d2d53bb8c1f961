#include <QEventLoop>
#include <QObject>
#include <QTimer>

#include <algorithm>
#include <ostream>

#include "berth/settings/admin_policy.h"
#include "berth/settings/settings.h"
#include "cli.h"

namespace berth::cli {

namespace {

using engine::EngineHandle;
using engine::EngineOperation;
using engine::EngineState;
using engine::EngineStatus;

bool hasFlag(const std::vector<std::string>& args, const char* flag)
{
    return std::find(args.begin(), args.end(), flag) != args.end();
}

std::string describe(const EngineStatus& status)
{
    std::string text = engine::engineStateName(status.state).toStdString();
    if (status.qemuPid > 0 && status.state != EngineState::Stopped) {
        text += " (QEMU pid " + std::to_string(status.qemuPid) + ")";
    }
    if (status.state == EngineState::Error && !status.detail.isEmpty()) { text += ": " + status.detail.toStdString(); }
    if (status.resourceSaverPaused) {
        text += " (paused by Resource Saver: the next docker command, or berthctl start, starts the engine)";
    }
    return text;
}

}  // namespace

// Sends one operation and waits for its outcome, printing what happens on the way.
int runEngineOperation(EngineHandle& engine, EngineOperation operation, const std::function<void()>& send, Context& c)
{
    QEventLoop loop;
    int code = kFailed;
    EngineState lastState = EngineState::Unknown;
    std::string lastLine;
    QObject::connect(&engine, &EngineHandle::progress, &loop, [&](const QString& text) {
        c.out << "  " << text.toStdString() << "\n" << std::flush;
    });
    QObject::connect(&engine, &EngineHandle::statusChanged, &loop, [&](const EngineStatus& status) {
        if (status.state != lastState && status.state != EngineState::Unknown) {
            lastState = status.state;
            lastLine = engine::engineStateName(status.state).toStdString();
            c.out << lastLine << "\n" << std::flush;
        }
    });
    QObject::connect(&engine, &EngineHandle::operationFinished, &loop,
                     [&](EngineOperation finished, bool ok, const QString& message) {
                         if (finished != operation) { return; }  // another client's request
                         if (ok) {
                             if (!message.isEmpty() && message.toStdString() != lastLine) {
                                 c.out << message.toStdString() << "\n";
                             }
                             code = kOk;
                         } else {
                             c.err << "berthctl: " << message.toStdString() << "\n";
                         }
                         loop.quit();
                     });
    // Sent from inside the loop: the answer may come back before a later exec() could see it.
    QTimer::singleShot(0, &loop, send);
    loop.exec();
    return code;
}

int engineCommand(const std::string& command, const std::vector<std::string>& args, Context& c)
{
    const bool force = hasFlag(args, "--force");
    for (const auto& arg : args) {
        if (arg != "--force" || command != "stop") {
            c.err << "berthctl: unknown option " << arg << " for " << command << "\n";
            return kUsage;
        }
    }
    auto engine = c.connectEngine();
    if (command == "start") {
        return runEngineOperation(
            *engine, EngineOperation::Start, [&] { engine->start(); }, c);
    }
    if (command == "restart") {
        return runEngineOperation(
            *engine, EngineOperation::Restart, [&] { engine->restart(); }, c);
    }
    return runEngineOperation(
        *engine, EngineOperation::Stop, [&] { engine->stop(force); }, c);
}

int statusCommand(const std::vector<std::string>& args, Context& c)
{
    for (const auto& arg : args) {
        if (arg != "--json") {
            c.err << "berthctl: unknown option " << arg << " for status\n";
            return kUsage;
        }
    }
    const bool json = hasFlag(args, "--json");
    const settings::Settings s = settings::Settings::load(c.paths);

    auto engine = c.connectEngine();
    QEventLoop loop;
    EngineStatus engineStatus;
    QObject::connect(engine.get(), &EngineHandle::statusChanged, &loop, [&](const EngineStatus& status) {
        engineStatus = status;
        loop.quit();
    });
    QTimer::singleShot(0, &loop, [&] { engine->refresh(); });
    loop.exec();

    const auto& policy = s.adminPolicy();
    const char* policyState = settings::stateName(policy.state);
    const auto eci = s.get(settings::keys::kEnhancedContainerIsolation);
    if (json) {
        nlohmann::json out = {{"engine", engineStatus.toJson()},
                              {"adminPolicy", {{"file", policy.file}, {"state", policyState}}},
                              {"engineStartAllowed", s.engineStartAllowed()},
                              {"enhancedContainerIsolation", {{"enabled", eci.value}, {"locked", eci.locked()}}}};
        if (const auto* error = policy.firstError()) { out["adminPolicy"]["error"] = error->format(); }
        c.out << out.dump(2) << "\n";
    } else {
        c.out << "Engine:        " << describe(engineStatus) << "\n";
        // Which backend runs the VM, and which the next start uses if the settings changed since.
        const std::string manager = s.get(settings::keys::kVmManager).value.get<std::string>();
        const std::string configured = manager == "libvirt"
            ? "libvirt (" + s.get(settings::keys::kLibvirtUri).value.get<std::string>() + ")"
            : manager;
        const std::string running = engineStatus.vmManager.toStdString();
        c.out << "VM manager:    " << (running.empty() ? configured : running);
        if (!running.empty() && running != configured) { c.out << "; the next start uses " << configured; }
        c.out << "\n";
        if (!engineStatus.accelerator.isEmpty()) {
            c.out << "Accelerator:   " << engineStatus.accelerator.toUpper().toStdString() << " ("
                  << engineStatus.acceleratorReason.toStdString() << ")\n";
        }
        if (engineStatus.enginePort != 0) {
            c.out << "Engine API:    tcp://127.0.0.1:" << engineStatus.enginePort
                  << " (TLS with a client certificate; docker --context berth ...)\n";
        }
        if (engineStatus.guestConfig && engineStatus.guestConfig->exposeDockerApiOnTcp2375) {
            c.out << "UNSAFE:        tcp://127.0.0.1:2375 answers without TLS or authentication "
                     "(exposeDockerAPIOnTCP2375)\n";
        }
        c.out << "Admin policy:  " << policyState << " (" << policy.file << ")\n";
        c.out << "Enhanced Container Isolation: " << (eci.value.get<bool>() ? "on" : "off")
              << (eci.locked() ? " (locked by your administrator)" : "") << "\n";
        reportInvalidPolicy(s, c.err);
    }
    return s.engineStartAllowed() ? kOk : kFailed;
}

}  // namespace berth::cli
