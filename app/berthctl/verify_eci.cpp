#include "verify_eci.h"

#include <QProcess>
#include <QStringList>

#include <algorithm>
#include <cctype>
#include <iomanip>
#include <ostream>
#include <sstream>

#include "berth/contracts/names.h"
#include "berth/endpoint/docker_context.h"

namespace berth::cli {

namespace {

constexpr int kTimeoutMs = 120'000;  // a first container under TCG takes seconds; never hang forever

class DockerCliRunner : public DockerRunner {
public:
    DockerCliRunner(std::string cli, std::string context) : m_cli(std::move(cli)), m_context(std::move(context)) {}

    Result run(const std::vector<std::string>& args) override
    {
        QStringList arguments{QStringLiteral("--context"), QString::fromStdString(m_context)};
        for (const auto& a : args) { arguments << QString::fromStdString(a); }
        QProcess process;
        process.start(QString::fromStdString(m_cli), arguments);
        Result result;
        if (!process.waitForStarted()) {
            result.err = "cannot run " + m_cli + ": " + process.errorString().toStdString();
            return result;
        }
        process.closeWriteChannel();
        if (!process.waitForFinished(kTimeoutMs)) {
            process.kill();
            process.waitForFinished();
            result.err = "docker did not answer within " + std::to_string(kTimeoutMs / 1000) + " s";
            return result;
        }
        result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
        result.out = process.readAllStandardOutput().toStdString();
        result.err = process.readAllStandardError().toStdString();
        return result;
    }

private:
    std::string m_cli;
    std::string m_context;
};

std::string trimmed(std::string text)
{
    const auto notSpace = [](unsigned char c) { return !std::isspace(c); };
    text.erase(text.begin(), std::find_if(text.begin(), text.end(), notSpace));
    text.erase(std::find_if(text.rbegin(), text.rend(), notSpace).base(), text.end());
    return text;
}

// The first line, whitespace collapsed: "         0     100000      65536" -> "0 100000 65536".
std::string firstLine(const std::string& text)
{
    std::istringstream in(trimmed(text));
    std::string line;
    std::getline(in, line);
    std::istringstream words(line);
    std::string word;
    std::string out;
    while (words >> word) { out += (out.empty() ? "" : " ") + word; }
    return out;
}

bool contains(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

// Docker's CLI wraps the daemon's message as "docker: Error response from daemon: ...".
std::string refusalText(const DockerRunner::Result& r)
{
    std::string text = firstLine(r.err);
    for (const std::string prefix : {"docker: ", "Error response from daemon: "}) {
        if (text.rfind(prefix, 0) == 0) { text = text.substr(prefix.size()); }
    }
    return text.empty() ? "exit code " + std::to_string(r.exitCode) : text;
}

}  // namespace

std::unique_ptr<DockerRunner> makeDockerCliRunner(const std::string& cli, const std::string& context)
{
    return std::make_unique<DockerCliRunner>(cli, context);
}

bool EciReport::allPassed() const
{
    return reachable && eciOn && !checks.empty()
        && std::all_of(checks.begin(), checks.end(), [](const EciCheck& c) { return c.passed; });
}

EciReport verifyEci(DockerRunner& docker, const std::string& image)
{
    EciReport report;
    const auto version = docker.run({"version", "--format", "{{.Server.Version}}"});
    if (version.exitCode != 0) {
        report.problem = "cannot reach the engine: " + firstLine(version.err.empty() ? version.out : version.err);
        return report;
    }
    report.reachable = true;
    const auto present = docker.run({"image", "inspect", "--format", "{{.Id}}", image});
    if (present.exitCode != 0) {
        report.problem = "the image " + image
            + " is not in the engine; load one (docker load / docker import) "
              "or name another with --image";
        return report;
    }

    // 1. A fresh container's user namespace.
    const auto uidMap = docker.run({"run", "--rm", image, "cat", "/proc/self/uid_map"});
    EciCheck mapped{"uid_map of a fresh container is 0 <base> 65536", false, firstLine(uidMap.out)};
    if (uidMap.exitCode != 0) { mapped.saw = "container failed: " + refusalText(uidMap); }
    {
        std::istringstream words(mapped.saw);
        unsigned long long inside = 1;
        unsigned long long outside = 0;
        unsigned long long size = 0;
        if (uidMap.exitCode == 0 && (words >> inside >> outside >> size)) {
            mapped.passed = inside == 0 && outside >= 100000 && size == 65536;
            report.eciOn = report.eciOn || outside != 0;
        }
    }
    report.checks.push_back(mapped);

    // 2. The runtime docker inspect names.
    EciCheck runtime{"runtime is sysbox-runc", false, {}};
    const auto created = docker.run({"create", image, "true"});
    const std::string id = firstLine(created.out);
    if (created.exitCode != 0 || id.empty()) {
        runtime.saw = "docker create failed: " + refusalText(created);
    } else {
        const auto inspected = docker.run({"inspect", "--format", "{{.HostConfig.Runtime}}", id});
        runtime.saw = inspected.exitCode == 0 ? firstLine(inspected.out) : "inspect failed: " + refusalText(inspected);
        runtime.passed = runtime.saw == contracts::kEciRuntime;
        report.eciOn = report.eciOn || runtime.passed;
        docker.run({"rm", "-f", id});
    }
    report.checks.push_back(runtime);

    // 3. No host PID namespace.
    const auto pidHost = docker.run({"run", "--rm", "--pid=host", image, "true"});
    EciCheck pid{"--pid=host is refused", false, pidHost.exitCode == 0 ? "the container ran" : refusalText(pidHost)};
    pid.passed = pidHost.exitCode != 0 && contains(pidHost.err, "can't share namespaces [pid] with the host");
    report.checks.push_back(pid);

    // 4. No engine socket.
    const auto socket = docker.run({"run", "--rm", "-v", "/var/run/docker.sock:/var/run/docker.sock", image, "true"});
    EciCheck sock{"engine socket mount is refused", false,
                  socket.exitCode == 0 ? "the container ran" : refusalText(socket)};
    sock.passed = socket.exitCode != 0 && contains(socket.err, "docker socket mount denied");
    report.checks.push_back(sock);
    return report;
}

void printEciReport(const EciReport& report, std::ostream& out)
{
    if (!report.problem.empty()) { out << report.problem << "\n"; }
    if (report.checks.empty()) { return; }
    std::size_t width = 5;
    for (const auto& c : report.checks) { width = std::max(width, c.name.size()); }
    out << std::left << std::setw(6) << "RESULT"
        << "  " << std::setw(static_cast<int>(width)) << "CHECK"
        << "  SAW\n";
    for (const auto& c : report.checks) {
        out << std::setw(6) << (c.passed ? "pass" : "FAIL") << "  " << std::setw(static_cast<int>(width)) << c.name
            << "  " << c.saw << "\n";
    }
    if (!report.eciOn) {
        out << "Enhanced Container Isolation is off: containers run as root of the VM (uid_map 0 0 4294967295, "
               "runtime runc). Turn it on in Settings and apply, or: berthctl settings set "
               "enhancedContainerIsolation=true && berthctl restart\n";
    } else if (report.allPassed()) {
        out << "Enhanced Container Isolation is on and holds.\n";
    } else {
        out << "Enhanced Container Isolation is on, but not every check holds.\n";
    }
}

int verifyEciCommand(const std::vector<std::string>& args, Context& context, DockerRunner* docker)
{
    std::string image = "busybox";
    std::string dockerContext = endpoint::kDockerContextName;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if ((args[i] == "--image" || args[i] == "--context") && i + 1 < args.size()) {
            (args[i] == "--image" ? image : dockerContext) = args[i + 1];
            ++i;
        } else {
            context.err << "berthctl verify-eci: unexpected argument \"" << args[i]
                        << "\"\nUsage: berthctl verify-eci [--image NAME] [--context NAME]\n";
            return kUsage;
        }
    }
    std::unique_ptr<DockerRunner> owned;
    if (docker == nullptr) {
        const std::string cli = endpoint::findDockerCli().toStdString();
        if (cli.empty()) {
            context.err << "berthctl verify-eci: no docker CLI found on PATH\n";
            return kFailed;
        }
        owned = makeDockerCliRunner(cli, dockerContext);
        docker = owned.get();
    }
    const EciReport report = verifyEci(*docker, image);
    printEciReport(report, report.reachable ? context.out : context.err);
    return report.allPassed() ? kOk : kFailed;
}

}  // namespace berth::cli
