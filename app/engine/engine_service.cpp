#include "engine_service.h"

#include "launch_planning.h"

#include "berth/contracts/names.h"
#include "berth/endpoint/cli_tools.h"
#include "berth/endpoint/docker_api.h"
#include "berth/endpoint/docker_context.h"
#include "berth/endpoint/endpoint_certs.h"
#include "berth/settings/proxy.h"
#include "berth/vm/vm_backends.h"
#include "engine_clients.h"
#include "port_publisher.h"
#include "resource_saver.h"

#include <QCoreApplication>
#include <QFileInfo>

#include <spdlog/spdlog.h>

namespace berth::engine {

namespace {

endpoint::EngineCertPaths engineCerts()
{
    return endpoint::EngineCertPaths{endpoint::defaultEngineCertsDir()};
}

// Running means dockerd answers over TLS with our client certificate, not just "booted".
void pingEngine(quint16 port, const vm::EngineOptions::EngineCheckDone& done)
{
    QString problem;
    const auto tls = endpoint::DockerApi::tlsConfiguration(engineCerts(), &problem);
    if (!tls) {
        done(false, problem);
        return;
    }
    endpoint::DockerApi(port, *tls, std::chrono::seconds(3))
        .ping(QCoreApplication::instance(), [done](bool ok, const QString& why) { done(ok, why); });
}

// In use: a container runs, or a client other than Berth's own holds a connection. When the
// engine cannot be asked, it counts as in use.
void probeEngineActivity(quint16 port, QObject* context, const std::function<void(bool inUse)>& done)
{
    QString problem;
    const auto tls = endpoint::DockerApi::tlsConfiguration(engineCerts(), &problem);
    if (!tls) {
        done(true);
        return;
    }
    endpoint::DockerApi(port, *tls)
        .requestJson(
            "GET", "/containers/json", context, [port, done](const nlohmann::json& running, const QString& error) {
                if (!error.isEmpty()) { spdlog::debug("Resource Saver: {}", error.toStdString()); }
                done(!error.isEmpty() || !running.is_array() || !running.empty() || otherClientsConnected(port));
            });
}

ResourceSaverPolicy resourceSaverPolicy(const settings::SettingsPaths& paths, std::chrono::milliseconds minute)
{
    const auto settings = settings::Settings::load(paths);
    ResourceSaverPolicy policy;
    policy.enabled = settings.get(settings::keys::kResourceSaver).value.get<bool>();
    policy.idleTime = minute * settings.get(settings::keys::kResourceSaverIdleMinutes).value.get<std::int64_t>();
    return policy;
}

}  // namespace

EngineService::EngineService(EngineServiceOptions options, QObject* parent)
    : QObject(parent),
      m_options(std::move(options))
{
    const QString guest = m_options.guestDir;
    // The full guest (dockerd) comes with a root image; the test guest boots from its initramfs.
    m_fullGuest = QFileInfo::exists(guest + "/root.squashfs");
    const vm::InstanceDir instance(m_options.instanceDir);

    vm::EngineOptions engine;
    engine.instanceDir = instance.root();
    engine.kernel = guest + "/vmlinux";
    engine.initrd = guest + "/initramfs.img";
    engine.accelerator = m_options.accelerator;
    if (m_fullGuest) {
        engine.rootImage = guest + "/root.squashfs";
        engine.dataDisk = instance.dataDisk();
        engine.extraFwCfg = {{QLatin1String(contracts::kGuestTlsFwCfg), instance.guestTlsFile()}};
        engine.engineCheck = pingEngine;
        engine.virtiofsdBinary = m_options.virtiofsd;
    } else {
        engine.engineGuestPort = 0;  // the test guest has no engine to reach
    }
    // Until the first launch, status shows the backend the settings choose now.
    const auto settings = settings::Settings::load(m_options.settingsPaths);
    MachineFacts now;
    now.fullGuest = m_fullGuest;
    const auto initial = planLaunch(settings, now);
    m_controller = std::make_unique<vm::EngineController>(engine, vm::systemProcessFactory(), initial.plan.backend);
    m_host = std::make_unique<EngineHost>(m_controller.get(), [this] { return planNextLaunch(); });
    connect(m_host.get(), &EngineHost::idle, this, &EngineService::idle);
    if (m_fullGuest) {
        m_ports = std::make_unique<PortPublisher>(
            [this](const vm::HostPort& port, bool enabled, vm::VirtualMachine::ForwardDone done) {
                m_controller->setHostForward(port, enabled, std::move(done));
            });
        const auto minute = m_options.resourceSaverMinute;
        m_resourceSaver = std::make_unique<ResourceSaver>(
            *m_host, *m_controller,
            [paths = m_options.settingsPaths, minute] { return resourceSaverPolicy(paths, minute); },
            probeEngineActivity, minute / 2);
        connect(m_controller.get(), &vm::EngineController::stateChanged, this, [this](vm::EngineState state) {
            if (state == vm::EngineState::Running) {
                setUpDockerCli();
                publishContainerPorts();
            } else {
                m_ports->engineDown();
            }
        });
    }
}

EngineService::~EngineService() = default;

bool EngineService::listen(QString* error)
{
    return m_host->listen(m_options.instanceDir, error);
}

// Read at every start and restart, so a change applied with Apply & restart reaches the VM
// without restarting this host.
PlannedLaunch EngineService::planNextLaunch()
{
    const auto settings = settings::Settings::load(m_options.settingsPaths);
    const auto environment = processEnvironment();
    MachineFacts facts;
    facts.fullGuest = m_fullGuest;
    facts.environment = environment;
    facts.isDirectory = [](const std::string& path) { return QFileInfo(QString::fromStdString(path)).isDir(); };
    if (!QFileInfo(m_options.virtiofsd).isExecutable()) {
        facts.sharingUnavailable
            = QStringLiteral("virtiofsd, which shares them, was not found (%1)").arg(m_options.virtiofsd);
    }
    auto planned = planLaunch(settings, facts);
    if (!planned.allowed || !m_fullGuest) { return planned; }
    const auto containers
        = settings::seenFromGuest(settings::resolveProxy(settings, settings::ProxyUse::Containers, environment));
    m_containersProxy = {QString::fromStdString(containers.http), QString::fromStdString(containers.https),
                         QString::fromStdString(containers.noProxy())};
    // Renewed here when missing, expired or corrupt; the guest gets the server side.
    const auto certs = engineCerts();
    const auto ensured = endpoint::ensureEngineCerts(certs);
    QString problem;
    if (!ensured.ok
        || !endpoint::writeGuestTlsFile(certs, vm::InstanceDir(m_options.instanceDir).guestTlsFile(), &problem)) {
        return PlannedLaunch{false, {}, ensured.ok ? problem : ensured.message, planned.warnings};
    }
    return planned;
}

// The containers' published ports follow the engine at its port, never onto Berth's own.
void EngineService::publishContainerPorts()
{
    QString problem;
    const auto tls = endpoint::DockerApi::tlsConfiguration(engineCerts(), &problem);
    if (!tls) {
        spdlog::warn("published ports: {}", problem.toStdString());
        return;
    }
    QSet<quint16> reserved{m_controller->enginePort()};
    for (const auto& forward : m_controller->launchedForwards()) { reserved.insert(forward.hostPort); }
    m_ports->engineUp(m_controller->enginePort(), *tls, reserved);
}

// Whenever the engine comes up: the user gets the docker client and the compose and buildx
// plugins of the engine's release where they have none, and the CLI's context points at the
// engine (the port rarely changes).
void EngineService::setUpDockerCli()
{
    const QString tools = m_options.toolsDir.isEmpty() ? m_options.guestDir : m_options.toolsDir;
    const auto client = endpoint::offerDockerClient(tools + "/docker");
    if (!client.error.isEmpty()) { spdlog::warn("{}", client.error.toStdString()); }
    if (!client.linked.isEmpty()) {
        spdlog::info("no docker CLI on PATH: linked {} to the one that matches the engine",
                     client.linked.join(", ").toStdString());
    }
    const auto plugins = endpoint::offerCliPlugins(tools + "/cli-plugins");
    if (!plugins.error.isEmpty()) { spdlog::warn("{}", plugins.error.toStdString()); }
    if (!plugins.linked.isEmpty()) {
        spdlog::info("docker CLI plugins {} linked into {}", plugins.linked.join(", ").toStdString(),
                     endpoint::userCliPluginDir().toStdString());
    }
    const QString cli = endpoint::findDockerCli(tools + "/docker");
    if (cli.isEmpty()) {
        spdlog::info("no docker CLI found; the docker context is not set up");
        return;
    }
    const auto result
        = endpoint::ensureDockerContext(cli, endpoint::kDockerContextName, m_controller->enginePort(), engineCerts());
    if (result.outcome == endpoint::DockerContextResult::Outcome::Failed) {
        spdlog::warn("{}", result.message.toStdString());
    } else {
        spdlog::info("{}", result.message.toStdString());
    }
    const QString daemonHost = QStringLiteral("tcp://127.0.0.1:%1").arg(m_controller->enginePort());
    const auto proxy = endpoint::setCliProxy(daemonHost, m_containersProxy);
    if (!proxy.error.isEmpty()) {
        spdlog::warn("containers' proxy: {}", proxy.error.toStdString());
    } else if (proxy.changed) {
        spdlog::info("containers started through {} get {}", daemonHost.toStdString(),
                     m_containersProxy.none() ? "no proxy" : "the containers' proxy");
    }
}

}  // namespace berth::engine
