<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en">
<context>
    <name>MessageBoxPrompts</name>
    <message>
        <source>Existing containers were not checked by isolation</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n container(s) were created before Enhanced Container Isolation was turned on. After the restart they run isolated, but ECI did not check how they were created: any that share a host namespace or mount a VM path or the engine socket will fail to start.</source>
        <translation>
            <numerusform>%n container was created before Enhanced Container Isolation was turned on. After the restart it runs isolated, but ECI did not check how it was created: if it shares a host namespace or mounts a VM path or the engine socket, it will fail to start.</numerusform>
            <numerusform>%n containers were created before Enhanced Container Isolation was turned on. After the restart they run isolated, but ECI did not check how they were created: any that share a host namespace or mount a VM path or the engine socket will fail to start.</numerusform>
        </translation>
    </message>
    <message>
        <source>Remove them (stop and remove) before the restart?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove containers and restart</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Restart and keep them</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1, line %2, column %3: %4</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fix: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Administrator settings are invalid</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 is invalid. Berth will not start the engine until your administrator fixes it.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>QObject</name>
    <message>
        <source>The engine did not list its containers in time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The engine did not remove every container in time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The engine is not running</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Setting</name>
    <message>
        <source>Use Enhanced Container Isolation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Run every new container in its own user namespace, refuse host namespaces, and guard the Docker socket, so malicious containers cannot compromise the VM or the host.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Images allowed to mount the Docker socket</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>name[:tag], name:*, name@sha256:..., or &quot;*&quot; for every image.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Allow images derived from allowed images</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Local images built FROM an allowed image may mount the Docker socket too.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Docker socket command list type</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>deny: block the listed commands; allow: allow only the listed commands.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Docker socket commands</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Docker commands (e.g. push, build, image*) the command list applies to.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Docker Engine configuration</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>daemon.json options for the engine in the VM, as a JSON object.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Expose daemon on tcp://localhost:2375 without TLS (unsafe)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Anyone on this machine could control the engine. Loopback only.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Block docker load</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Make `docker load` fail.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Send usage statistics</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Berth collects nothing unless this is on.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Disable update checks</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No update checks or notifications.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CPUs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Virtual CPUs for the VM.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Memory (MiB)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Memory for the VM.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Disk size (MiB)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Size of the data disk holding images, containers and volumes. It can only grow.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Virtual machine manager</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>QEMU runs the VM directly; libvirt runs it as a domain you see in virsh and virt-manager. Switching keeps your images and volumes.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>libvirt connection</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>qemu:///session: your own VMs; qemu:///system: the system&apos;s (needs the libvirt group).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start Berth when you sign in to your computer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open the Berth dashboard when Berth starts</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Theme</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Light, dark, or follow the system.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>system</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>light</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>dark</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>allow</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>deny</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Engine proxy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>system: the proxy of your environment (HTTP_PROXY, HTTPS_PROXY, NO_PROXY); manual: the addresses below. The engine pulls and pushes images through it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Web server (HTTP)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Secure web server (HTTPS)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Bypass the proxy for</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Hosts, domains and networks, e.g. registry.local, .corp.example, 10.0.0.0/8.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Containers&apos; proxy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What containers and builds started through Berth&apos;s docker context get as HTTP_PROXY, HTTPS_PROXY and NO_PROXY: the proxy of your environment (system) or the addresses below (manual).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Containers&apos; HTTP proxy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Containers&apos; HTTPS proxy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Containers bypass the proxy for</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Hosts, domains and networks, e.g. localhost, .corp.example.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>manual</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>File sharing</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>These directories and their subdirectories can be bind mounted into containers: the VM sees each one at the same path. $HOME, $TMP, $TEMP and ~ are expanded when the VM starts.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Resource Saver</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stop the VM when no container has run and no docker client has been connected for the time below; the next docker command starts it again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Resource Saver idle time (minutes)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>berth::gui::AppController</name>
    <message>
        <source>Could not change the autostart entry</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>berth::gui::ApplyRestart</name>
    <message>
        <source>Could not remove the containers</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>berth::gui::ContainerLogWindow</name>
    <message>
        <source>&amp;Follow</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Logs: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Container output</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Search (Enter: next, Shift+Enter: previous)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Search the logs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Keep showing the newest lines</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Connecting…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Following</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not following: %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>berth::gui::DashboardWindow</name>
    <message>
        <source>Stopped</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Starting</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Waiting for engine</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Running</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stopping</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Error</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unknown</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Start</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>S&amp;top</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Restart</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show &amp;log</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Berth</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Berth</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Settings…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Quit Berth</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start the engine</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stop the engine</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Restart the engine</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show the engine log</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>S&amp;ettings…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open settings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Engine</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Containers</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Image</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Runtime</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Isolation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Error: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 is invalid: the engine will not start until your administrator fixes it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Accelerator: not chosen yet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Accelerator: %1 (%2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Isolated</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Created before Enhanced Container Isolation: isolated when it runs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not isolated</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Docker: docker --context berth … (tcp://127.0.0.1:%1, TLS with a client certificate)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unsafe: tcp://127.0.0.1:2375 answers without TLS or authentication (exposeDockerAPIOnTCP2375)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This container was created before Enhanced Container Isolation was turned on, or with --runtime=runc. While ECI is on it runs in its own user namespace like every other container; if it shares a host namespace or mounts a VM path or the engine socket, it fails to start. Re-create it to have ECI check it when it is created.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>exited (%1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>exited</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>running</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>paused</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>less than a minute ago</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove the container %1? It is running: it is stopped first, and what it wrote outside its volumes is lost.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove the container %1? What it wrote outside its volumes is lost.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Status</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Ports</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Created</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Filter by name, image or compose project</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Filter containers</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start the selected container</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stop</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stop the selected container</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Restart</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Restart the selected container</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pause</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pause the selected container&apos;s processes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Resume</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Resume the selected container&apos;s processes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove the selected container</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Terminal</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open a shell in the selected container in a terminal</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open in browser</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open the selected container&apos;s web port</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No terminal emulator could be started (set TERMINAL, or install one). In a terminal, run: docker --context %1 exec -it %2 sh</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not open %1 in a browser</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Starting %1…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not start %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stopping %1…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not stop %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Restarting %1…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not restart %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pausing %1…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not pause %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Resuming %1…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not resume %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Removing %1…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not remove %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 (compose: %2 of %3 running)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Part of the compose project %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Double-click to open %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>1 minute ago</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 minutes ago</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>1 hour ago</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 hours ago</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>1 day ago</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 days ago</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 months ago</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>1 year ago</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 years ago</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Logs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show the selected container&apos;s output as it comes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Clean &amp;up…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Images</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Volumes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove stopped containers, dangling images and the build cache</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Disk: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Disk usage unknown: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove the stopped containers, the dangling images and the build cache?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cleaning up…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Clean up: %1 reclaimed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Clean up failed: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CPU · Memory</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 % · %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Paused by Resource Saver</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No container ran for the Resource Saver&apos;s idle time. The next docker command, or Start, starts the engine again.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>berth::gui::EngineNotices</name>
    <message>
        <source>The engine stopped unexpectedly</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The VM shut down.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The engine did not restart</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The engine did not start</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>berth::gui::LogViewer</name>
    <message>
        <source>Engine log</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No log yet: the engine has not been started.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot read %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>berth::gui::ManagedSettingsPage</name>
    <message>
        <source>fix: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Settings managed by your administrator</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Key</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Value</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Status</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Source</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Problems</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No settings are managed: %1 does not exist.</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n setting(s) from %1.</source>
        <translation>
            <numerusform>%n setting from %1.</numerusform>
            <numerusform>%n settings from %1.</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 is invalid, so the engine will not start until it is fixed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Locked</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Default</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Error</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Warning</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Note</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Managed settings</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>berth::gui::RestartProgress</name>
    <message>
        <source>Show log</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Retry</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Restart progress</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Restarting…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stopping engine…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>VM stopped</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Starting VM…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Waiting for engine…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Running</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The engine restarted with the new settings.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The restart failed</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>berth::gui::SettingEditor</name>
    <message>
        <source>Locked</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Locked by your administrator (%1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add a directory to share</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stop sharing the selected directories</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose a directory to share</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>berth::gui::SettingsPage</name>
    <message>
        <source>Some settings are managed by your administrator.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>General</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Resources</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Docker Engine</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Proxies</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>berth::gui::SettingsWindow</name>
    <message>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Apply &amp;&amp; restart</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Berth Settings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Settings pages</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Apply and restart</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 is invalid: settings cannot be changed and the engine will not start. See Managed settings for what to fix.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Applying takes effect at once; the VM keeps running.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Applying restarts the VM (a full quit and relaunch) for: %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>berth::gui::StorageView</name>
    <message>
        <source>No</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>1 container</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 containers</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>unknown</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Images %1 · Containers %2 · Volumes %3 · Build cache %4</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove dangling images…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove unused volumes…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Berth</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Images</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Volumes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Repository</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tag</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ID</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Size</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Created</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>In use</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Driver</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove the selected image</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove the selected volume</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove the images no tag names and no container uses</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove every volume no container uses, named or not</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove the image %1?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove the volume %1? The data in it is lost.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Removing %1…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not remove %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove every image no tag names and no container uses?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove every volume no container uses? The data in them is lost.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Removing…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not remove them: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 reclaimed</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>berth::gui::TrayIcon</name>
    <message>
        <source>Open dashboard</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Settings…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Quit Berth</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Berth: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stop</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Restart</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
