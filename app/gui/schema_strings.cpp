#include "schema_strings.h"

#include <QCoreApplication>
#include <QStringList>

namespace berth::gui {

namespace {

// For lupdate: the texts of settings/src/schema.cpp, so they can be translated. Keep in step with
// the schema (tst_translations fails when one is missing).
const char* const kSchemaTexts[] = {
    QT_TRANSLATE_NOOP("Setting", "Use Enhanced Container Isolation"),
    QT_TRANSLATE_NOOP("Setting",
                      "Run every new container in its own user namespace, refuse host namespaces, and guard the Docker "
                      "socket, so malicious containers cannot compromise the VM or the host."),
    QT_TRANSLATE_NOOP("Setting", "Images allowed to mount the Docker socket"),
    QT_TRANSLATE_NOOP("Setting", "name[:tag], name:*, name@sha256:..., or \"*\" for every image."),
    QT_TRANSLATE_NOOP("Setting", "Allow images derived from allowed images"),
    QT_TRANSLATE_NOOP("Setting", "Local images built FROM an allowed image may mount the Docker socket too."),
    QT_TRANSLATE_NOOP("Setting", "Docker socket command list type"),
    QT_TRANSLATE_NOOP("Setting", "deny: block the listed commands; allow: allow only the listed commands."),
    QT_TRANSLATE_NOOP("Setting", "Docker socket commands"),
    QT_TRANSLATE_NOOP("Setting", "Docker commands (e.g. push, build, image*) the command list applies to."),
    QT_TRANSLATE_NOOP("Setting", "Docker Engine configuration"),
    QT_TRANSLATE_NOOP("Setting", "daemon.json options for the engine in the VM, as a JSON object."),
    QT_TRANSLATE_NOOP("Setting", "Expose daemon on tcp://localhost:2375 without TLS (unsafe)"),
    QT_TRANSLATE_NOOP("Setting", "Anyone on this machine could control the engine. Loopback only."),
    QT_TRANSLATE_NOOP("Setting", "Block docker load"),
    QT_TRANSLATE_NOOP("Setting", "Make `docker load` fail."),
    QT_TRANSLATE_NOOP("Setting", "Send usage statistics"),
    QT_TRANSLATE_NOOP("Setting", "Berth collects nothing unless this is on."),
    QT_TRANSLATE_NOOP("Setting", "Disable update checks"),
    QT_TRANSLATE_NOOP("Setting", "No update checks or notifications."),
    QT_TRANSLATE_NOOP("Setting", "CPUs"),
    QT_TRANSLATE_NOOP("Setting", "Virtual CPUs for the VM."),
    QT_TRANSLATE_NOOP("Setting", "Memory (MiB)"),
    QT_TRANSLATE_NOOP("Setting", "Memory for the VM."),
    QT_TRANSLATE_NOOP("Setting", "Disk size (MiB)"),
    QT_TRANSLATE_NOOP("Setting", "Size of the data disk holding images, containers and volumes. It can only grow."),
    QT_TRANSLATE_NOOP("Setting", "Virtual machine manager"),
    QT_TRANSLATE_NOOP("Setting",
                      "QEMU runs the VM directly; libvirt runs it as a domain you see in virsh and virt-manager. "
                      "Switching keeps your images and volumes."),
    QT_TRANSLATE_NOOP("Setting", "libvirt connection"),
    QT_TRANSLATE_NOOP("Setting",
                      "qemu:///session: your own VMs; qemu:///system: the system's (needs the libvirt group)."),
    QT_TRANSLATE_NOOP("Setting", "Resource Saver"),
    QT_TRANSLATE_NOOP("Setting",
                      "Stop the VM when no container has run and no docker client has been connected for the time "
                      "below; the next docker command starts it again."),
    QT_TRANSLATE_NOOP("Setting", "Resource Saver idle time (minutes)"),
    QT_TRANSLATE_NOOP("Setting", "File sharing"),
    QT_TRANSLATE_NOOP("Setting",
                      "These directories and their subdirectories can be bind mounted into containers: the VM sees "
                      "each one at the same path. $HOME, $TMP, $TEMP and ~ are expanded when the VM starts."),
    QT_TRANSLATE_NOOP("Setting", "Start Berth when you sign in to your computer"),
    QT_TRANSLATE_NOOP("Setting", "Open the Berth dashboard when Berth starts"),
    QT_TRANSLATE_NOOP("Setting", "Theme"),
    QT_TRANSLATE_NOOP("Setting", "Light, dark, or follow the system."),
    QT_TRANSLATE_NOOP("Setting", "Engine proxy"),
    QT_TRANSLATE_NOOP("Setting",
                      "system: the proxy of your environment (HTTP_PROXY, HTTPS_PROXY, NO_PROXY); manual: the "
                      "addresses below. The engine pulls and pushes images through it."),
    QT_TRANSLATE_NOOP("Setting", "Web server (HTTP)"),
    QT_TRANSLATE_NOOP("Setting", "Secure web server (HTTPS)"),
    QT_TRANSLATE_NOOP("Setting", "Bypass the proxy for"),
    QT_TRANSLATE_NOOP("Setting", "Hosts, domains and networks, e.g. registry.local, .corp.example, 10.0.0.0/8."),
    QT_TRANSLATE_NOOP("Setting", "Containers' proxy"),
    QT_TRANSLATE_NOOP(
        "Setting",
        "What containers and builds started through Berth's docker context get as HTTP_PROXY, HTTPS_PROXY and "
        "NO_PROXY: the proxy of your environment (system) or the addresses below (manual)."),
    QT_TRANSLATE_NOOP("Setting", "Containers' HTTP proxy"),
    QT_TRANSLATE_NOOP("Setting", "Containers' HTTPS proxy"),
    QT_TRANSLATE_NOOP("Setting", "Containers bypass the proxy for"),
    QT_TRANSLATE_NOOP("Setting", "Hosts, domains and networks, e.g. localhost, .corp.example."),
    QT_TRANSLATE_NOOP("Setting", "manual"),
    QT_TRANSLATE_NOOP("Setting", "system"),
    QT_TRANSLATE_NOOP("Setting", "light"),
    QT_TRANSLATE_NOOP("Setting", "dark"),
    QT_TRANSLATE_NOOP("Setting", "allow"),
    QT_TRANSLATE_NOOP("Setting", "deny"),
};

QString translated(std::string_view text)
{
    if (text.empty()) { return {}; }
    const std::string source(text);
    return QCoreApplication::translate("Setting", source.c_str());
}

}  // namespace

QString settingLabel(const settings::SettingSpec& spec)
{
    return translated(spec.label);
}
QString settingDescription(const settings::SettingSpec& spec)
{
    return translated(spec.description);
}
QString choiceLabel(const std::string& choice)
{
    return translated(choice);
}

QStringList schemaSourceTexts()
{
    QStringList texts;
    for (const char* text : kSchemaTexts) { texts << QString::fromUtf8(text); }
    return texts;
}

}  // namespace berth::gui
