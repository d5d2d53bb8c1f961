<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>MessageBoxPrompts</name>
    <message>
        <source>Existing containers were not checked by isolation</source>
        <translation>现有容器未经隔离检查</translation>
    </message>
    <message numerus="yes">
        <source>%n container(s) were created before Enhanced Container Isolation was turned on. After the restart they run isolated, but ECI did not check how they were created: any that share a host namespace or mount a VM path or the engine socket will fail to start.</source>
        <translation>
            <numerusform>有 %n 个容器是在启用增强型容器隔离之前创建的。重启后它们会在隔离下运行，但增强型容器隔离没有检查它们的创建方式：共享主机命名空间、挂载虚拟机路径或引擎套接字的容器将无法启动。</numerusform>
        </translation>
    </message>
    <message>
        <source>Remove them (stop and remove) before the restart?</source>
        <translation>是否在重启前删除它们（停止并删除）？</translation>
    </message>
    <message>
        <source>Remove containers and restart</source>
        <translation>删除容器并重启</translation>
    </message>
    <message>
        <source>Restart and keep them</source>
        <translation>重启并保留容器</translation>
    </message>
    <message>
        <source>%1, line %2, column %3: %4</source>
        <translation>%1，第 %2 行，第 %3 列：%4</translation>
    </message>
    <message>
        <source>Fix: %1</source>
        <translation>修复方法：%1</translation>
    </message>
    <message>
        <source>Administrator settings are invalid</source>
        <translation>管理员设置无效</translation>
    </message>
    <message>
        <source>%1 is invalid. Berth will not start the engine until your administrator fixes it.</source>
        <translation>%1 无效。在管理员修复之前，Berth 不会启动引擎。</translation>
    </message>
</context>
<context>
    <name>QObject</name>
    <message>
        <source>The engine did not list its containers in time</source>
        <translation>引擎未能及时列出其容器</translation>
    </message>
    <message>
        <source>The engine did not remove every container in time</source>
        <translation>引擎未能及时删除所有容器</translation>
    </message>
    <message>
        <source>The engine is not running</source>
        <translation>引擎未运行</translation>
    </message>
</context>
<context>
    <name>Setting</name>
    <message>
        <source>Use Enhanced Container Isolation</source>
        <translation>使用增强型容器隔离</translation>
    </message>
    <message>
        <source>Run every new container in its own user namespace, refuse host namespaces, and guard the Docker socket, so malicious containers cannot compromise the VM or the host.</source>
        <translation>每个新容器都在自己的用户命名空间中运行，拒绝使用主机命名空间，并保护 Docker 套接字，使恶意容器无法危害虚拟机或主机。</translation>
    </message>
    <message>
        <source>Images allowed to mount the Docker socket</source>
        <translation>允许挂载 Docker 套接字的镜像</translation>
    </message>
    <message>
        <source>name[:tag], name:*, name@sha256:..., or &quot;*&quot; for every image.</source>
        <translation>name[:tag]、name:*、name@sha256:...，或用 &quot;*&quot; 表示所有镜像。</translation>
    </message>
    <message>
        <source>Allow images derived from allowed images</source>
        <translation>允许由允许的镜像派生的镜像</translation>
    </message>
    <message>
        <source>Local images built FROM an allowed image may mount the Docker socket too.</source>
        <translation>以允许的镜像为 FROM 构建的本地镜像也可以挂载 Docker 套接字。</translation>
    </message>
    <message>
        <source>Docker socket command list type</source>
        <translation>Docker 套接字命令列表类型</translation>
    </message>
    <message>
        <source>deny: block the listed commands; allow: allow only the listed commands.</source>
        <translation>deny：阻止列出的命令；allow：只允许列出的命令。</translation>
    </message>
    <message>
        <source>Docker socket commands</source>
        <translation>Docker 套接字命令</translation>
    </message>
    <message>
        <source>Docker commands (e.g. push, build, image*) the command list applies to.</source>
        <translation>命令列表所适用的 Docker 命令（例如 push、build、image*）。</translation>
    </message>
    <message>
        <source>Docker Engine configuration</source>
        <translation>Docker 引擎配置</translation>
    </message>
    <message>
        <source>daemon.json options for the engine in the VM, as a JSON object.</source>
        <translation>虚拟机中引擎的 daemon.json 选项，以 JSON 对象表示。</translation>
    </message>
    <message>
        <source>Expose daemon on tcp://localhost:2375 without TLS (unsafe)</source>
        <translation>在 tcp://localhost:2375 上不使用 TLS 公开守护进程（不安全）</translation>
    </message>
    <message>
        <source>Anyone on this machine could control the engine. Loopback only.</source>
        <translation>本机上的任何人都可以控制引擎。仅限回环地址。</translation>
    </message>
    <message>
        <source>Block docker load</source>
        <translation>阻止 docker load</translation>
    </message>
    <message>
        <source>Make `docker load` fail.</source>
        <translation>使 `docker load` 失败。</translation>
    </message>
    <message>
        <source>Send usage statistics</source>
        <translation>发送使用情况统计</translation>
    </message>
    <message>
        <source>Berth collects nothing unless this is on.</source>
        <translation>除非开启此项，否则 Berth 不收集任何信息。</translation>
    </message>
    <message>
        <source>Disable update checks</source>
        <translation>禁用更新检查</translation>
    </message>
    <message>
        <source>No update checks or notifications.</source>
        <translation>不检查更新，也不发送更新通知。</translation>
    </message>
    <message>
        <source>CPUs</source>
        <translation>CPU 数量</translation>
    </message>
    <message>
        <source>Virtual CPUs for the VM.</source>
        <translation>虚拟机的虚拟 CPU 数量。</translation>
    </message>
    <message>
        <source>Memory (MiB)</source>
        <translation>内存（MiB）</translation>
    </message>
    <message>
        <source>Memory for the VM.</source>
        <translation>虚拟机的内存。</translation>
    </message>
    <message>
        <source>Disk size (MiB)</source>
        <translation>磁盘大小（MiB）</translation>
    </message>
    <message>
        <source>Size of the data disk holding images, containers and volumes. It can only grow.</source>
        <translation>存放镜像、容器和卷的数据磁盘大小。只能增大。</translation>
    </message>
    <message>
        <source>Virtual machine manager</source>
        <translation>虚拟机管理器</translation>
    </message>
    <message>
        <source>QEMU runs the VM directly; libvirt runs it as a domain you see in virsh and virt-manager. Switching keeps your images and volumes.</source>
        <translation>QEMU 直接运行虚拟机；libvirt 将其作为域运行，可在 virsh 和 virt-manager 中看到。切换后镜像和卷会保留。</translation>
    </message>
    <message>
        <source>libvirt connection</source>
        <translation>libvirt 连接</translation>
    </message>
    <message>
        <source>qemu:///session: your own VMs; qemu:///system: the system&apos;s (needs the libvirt group).</source>
        <translation>qemu:///session：你自己的虚拟机；qemu:///system：系统的虚拟机（需要加入 libvirt 组）。</translation>
    </message>
    <message>
        <source>Start Berth when you sign in to your computer</source>
        <translation>登录计算机时启动 Berth</translation>
    </message>
    <message>
        <source>Open the Berth dashboard when Berth starts</source>
        <translation>Berth 启动时打开仪表板</translation>
    </message>
    <message>
        <source>Theme</source>
        <translation>主题</translation>
    </message>
    <message>
        <source>Light, dark, or follow the system.</source>
        <translation>浅色、深色或跟随系统。</translation>
    </message>
    <message>
        <source>system</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <source>light</source>
        <translation>浅色</translation>
    </message>
    <message>
        <source>dark</source>
        <translation>深色</translation>
    </message>
    <message>
        <source>allow</source>
        <translation>允许</translation>
    </message>
    <message>
        <source>deny</source>
        <translation>拒绝</translation>
    </message>
    <message>
        <source>Engine proxy</source>
        <translation>引擎代理</translation>
    </message>
    <message>
        <source>system: the proxy of your environment (HTTP_PROXY, HTTPS_PROXY, NO_PROXY); manual: the addresses below. The engine pulls and pushes images through it.</source>
        <translation>system：使用环境中的代理（HTTP_PROXY、HTTPS_PROXY、NO_PROXY）；manual：使用下面的地址。引擎通过它拉取和推送镜像。</translation>
    </message>
    <message>
        <source>Web server (HTTP)</source>
        <translation>Web 服务器（HTTP）</translation>
    </message>
    <message>
        <source>Secure web server (HTTPS)</source>
        <translation>安全 Web 服务器（HTTPS）</translation>
    </message>
    <message>
        <source>Bypass the proxy for</source>
        <translation>不经代理访问</translation>
    </message>
    <message>
        <source>Hosts, domains and networks, e.g. registry.local, .corp.example, 10.0.0.0/8.</source>
        <translation>主机、域名和网络，例如 registry.local、.corp.example、10.0.0.0/8。</translation>
    </message>
    <message>
        <source>Containers&apos; proxy</source>
        <translation>容器代理</translation>
    </message>
    <message>
        <source>What containers and builds started through Berth&apos;s docker context get as HTTP_PROXY, HTTPS_PROXY and NO_PROXY: the proxy of your environment (system) or the addresses below (manual).</source>
        <translation>通过 Berth 的 docker 上下文启动的容器和构建所获得的 HTTP_PROXY、HTTPS_PROXY 和 NO_PROXY：环境中的代理（system）或下面的地址（manual）。</translation>
    </message>
    <message>
        <source>Containers&apos; HTTP proxy</source>
        <translation>容器 HTTP 代理</translation>
    </message>
    <message>
        <source>Containers&apos; HTTPS proxy</source>
        <translation>容器 HTTPS 代理</translation>
    </message>
    <message>
        <source>Containers bypass the proxy for</source>
        <translation>容器不经代理访问</translation>
    </message>
    <message>
        <source>Hosts, domains and networks, e.g. localhost, .corp.example.</source>
        <translation>主机、域名和网络，例如 localhost、.corp.example。</translation>
    </message>
    <message>
        <source>manual</source>
        <translation>手动</translation>
    </message>
    <message>
        <source>File sharing</source>
        <translation>文件共享</translation>
    </message>
    <message>
        <source>These directories and their subdirectories can be bind mounted into containers: the VM sees each one at the same path. $HOME, $TMP, $TEMP and ~ are expanded when the VM starts.</source>
        <translation>这些目录及其子目录可以绑定挂载到容器中：虚拟机在相同的路径下看到每个目录。$HOME、$TMP、$TEMP 和 ~ 在虚拟机启动时展开。</translation>
    </message>
    <message>
        <source>Resource Saver</source>
        <translation>资源节省模式</translation>
    </message>
    <message>
        <source>Stop the VM when no container has run and no docker client has been connected for the time below; the next docker command starts it again.</source>
        <translation>在下方设定的时间内没有容器运行、也没有 docker 客户端连接时停止虚拟机；下一条 docker 命令会重新启动它。</translation>
    </message>
    <message>
        <source>Resource Saver idle time (minutes)</source>
        <translation>资源节省模式空闲时间（分钟）</translation>
    </message>
</context>
<context>
    <name>berth::gui::AppController</name>
    <message>
        <source>Could not change the autostart entry</source>
        <translation>无法更改自动启动项</translation>
    </message>
</context>
<context>
    <name>berth::gui::ApplyRestart</name>
    <message>
        <source>Could not remove the containers</source>
        <translation>无法删除容器</translation>
    </message>
</context>
<context>
    <name>berth::gui::ContainerLogWindow</name>
    <message>
        <source>&amp;Follow</source>
        <translation>跟随(&amp;F)</translation>
    </message>
    <message>
        <source>Logs: %1</source>
        <translation>日志：%1</translation>
    </message>
    <message>
        <source>Container output</source>
        <translation>容器输出</translation>
    </message>
    <message>
        <source>Search (Enter: next, Shift+Enter: previous)</source>
        <translation>搜索（Enter：下一个，Shift+Enter：上一个）</translation>
    </message>
    <message>
        <source>Search the logs</source>
        <translation>搜索日志</translation>
    </message>
    <message>
        <source>Keep showing the newest lines</source>
        <translation>始终显示最新的行</translation>
    </message>
    <message>
        <source>Connecting…</source>
        <translation>正在连接…</translation>
    </message>
    <message>
        <source>Following</source>
        <translation>正在跟随</translation>
    </message>
    <message>
        <source>Not following: %1</source>
        <translation>未在跟随：%1</translation>
    </message>
</context>
<context>
    <name>berth::gui::DashboardWindow</name>
    <message>
        <source>Stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <source>Starting</source>
        <translation>正在启动</translation>
    </message>
    <message>
        <source>Waiting for engine</source>
        <translation>正在等待引擎</translation>
    </message>
    <message>
        <source>Running</source>
        <translation>正在运行</translation>
    </message>
    <message>
        <source>Stopping</source>
        <translation>正在停止</translation>
    </message>
    <message>
        <source>Error</source>
        <translation>错误</translation>
    </message>
    <message>
        <source>Unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <source>&amp;Start</source>
        <translation>启动(&amp;S)</translation>
    </message>
    <message>
        <source>S&amp;top</source>
        <translation>停止(&amp;T)</translation>
    </message>
    <message>
        <source>&amp;Restart</source>
        <translation>重启(&amp;R)</translation>
    </message>
    <message>
        <source>Show &amp;log</source>
        <translation>显示日志(&amp;L)</translation>
    </message>
    <message>
        <source>Berth</source>
        <translation>Berth</translation>
    </message>
    <message>
        <source>&amp;Berth</source>
        <translation>Berth(&amp;B)</translation>
    </message>
    <message>
        <source>&amp;Settings…</source>
        <translation>设置(&amp;S)…</translation>
    </message>
    <message>
        <source>&amp;Quit Berth</source>
        <translation>退出 Berth(&amp;Q)</translation>
    </message>
    <message>
        <source>Start the engine</source>
        <translation>启动引擎</translation>
    </message>
    <message>
        <source>Stop the engine</source>
        <translation>停止引擎</translation>
    </message>
    <message>
        <source>Restart the engine</source>
        <translation>重启引擎</translation>
    </message>
    <message>
        <source>Show the engine log</source>
        <translation>显示引擎日志</translation>
    </message>
    <message>
        <source>S&amp;ettings…</source>
        <translation>设置(&amp;E)…</translation>
    </message>
    <message>
        <source>Open settings</source>
        <translation>打开设置</translation>
    </message>
    <message>
        <source>Engine</source>
        <translation>引擎</translation>
    </message>
    <message>
        <source>Containers</source>
        <translation>容器</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Image</source>
        <translation>镜像</translation>
    </message>
    <message>
        <source>Runtime</source>
        <translation>运行时</translation>
    </message>
    <message>
        <source>Isolation</source>
        <translation>隔离</translation>
    </message>
    <message>
        <source>Error: %1</source>
        <translation>错误：%1</translation>
    </message>
    <message>
        <source>%1 is invalid: the engine will not start until your administrator fixes it.</source>
        <translation>%1 无效：在管理员修复之前，引擎不会启动。</translation>
    </message>
    <message>
        <source>Accelerator: not chosen yet</source>
        <translation>加速器：尚未选择</translation>
    </message>
    <message>
        <source>Accelerator: %1 (%2)</source>
        <translation>加速器：%1（%2）</translation>
    </message>
    <message>
        <source>Isolated</source>
        <translation>已隔离</translation>
    </message>
    <message>
        <source>Created before Enhanced Container Isolation: isolated when it runs</source>
        <translation>在启用增强型容器隔离之前创建：运行时处于隔离中</translation>
    </message>
    <message>
        <source>This container was created before Enhanced Container Isolation was turned on, or with --runtime=runc. While ECI is on it runs in its own user namespace like every other container; if it shares a host namespace or mounts a VM path or the engine socket, it fails to start. Re-create it to have ECI check it when it is created.</source>
        <translation>此容器是在启用增强型容器隔离之前创建的，或使用了 --runtime=runc。启用增强型容器隔离期间，它与其他容器一样在自己的用户命名空间中运行；如果它共享主机命名空间，或挂载虚拟机路径或引擎套接字，将无法启动。重新创建它，以便增强型容器隔离在创建时检查它。</translation>
    </message>
    <message>
        <source>Not isolated</source>
        <translation>未隔离</translation>
    </message>
    <message>
        <source>Docker: docker --context berth … (tcp://127.0.0.1:%1, TLS with a client certificate)</source>
        <translation>Docker：docker --context berth …（tcp://127.0.0.1:%1，使用客户端证书的 TLS）</translation>
    </message>
    <message>
        <source>Unsafe: tcp://127.0.0.1:2375 answers without TLS or authentication (exposeDockerAPIOnTCP2375)</source>
        <translation>不安全：tcp://127.0.0.1:2375 不经 TLS 或身份验证即可访问（exposeDockerAPIOnTCP2375）</translation>
    </message>
    <message>
        <source>exited (%1)</source>
        <translation>已退出 (%1)</translation>
    </message>
    <message>
        <source>exited</source>
        <translation>已退出</translation>
    </message>
    <message>
        <source>running</source>
        <translation>运行中</translation>
    </message>
    <message>
        <source>paused</source>
        <translation>已暂停</translation>
    </message>
    <message>
        <source>less than a minute ago</source>
        <translation>不到 1 分钟前</translation>
    </message>
    <message>
        <source>Remove the container %1? It is running: it is stopped first, and what it wrote outside its volumes is lost.</source>
        <translation>删除容器 %1？它正在运行：将先停止它，它在卷之外写入的内容将丢失。</translation>
    </message>
    <message>
        <source>Remove the container %1? What it wrote outside its volumes is lost.</source>
        <translation>删除容器 %1？它在卷之外写入的内容将丢失。</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Ports</source>
        <translation>端口</translation>
    </message>
    <message>
        <source>Created</source>
        <translation>创建时间</translation>
    </message>
    <message>
        <source>Filter by name, image or compose project</source>
        <translation>按名称、镜像或 compose 项目筛选</translation>
    </message>
    <message>
        <source>Filter containers</source>
        <translation>筛选容器</translation>
    </message>
    <message>
        <source>Start</source>
        <translation>启动</translation>
    </message>
    <message>
        <source>Start the selected container</source>
        <translation>启动所选容器</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Stop the selected container</source>
        <translation>停止所选容器</translation>
    </message>
    <message>
        <source>Restart</source>
        <translation>重启</translation>
    </message>
    <message>
        <source>Restart the selected container</source>
        <translation>重启所选容器</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <source>Pause the selected container&apos;s processes</source>
        <translation>暂停所选容器的进程</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>恢复</translation>
    </message>
    <message>
        <source>Resume the selected container&apos;s processes</source>
        <translation>恢复所选容器的进程</translation>
    </message>
    <message>
        <source>Remove…</source>
        <translation>删除…</translation>
    </message>
    <message>
        <source>Remove the selected container</source>
        <translation>删除所选容器</translation>
    </message>
    <message>
        <source>Terminal</source>
        <translation>终端</translation>
    </message>
    <message>
        <source>Open a shell in the selected container in a terminal</source>
        <translation>在终端中打开所选容器的 shell</translation>
    </message>
    <message>
        <source>Open in browser</source>
        <translation>在浏览器中打开</translation>
    </message>
    <message>
        <source>Open the selected container&apos;s web port</source>
        <translation>打开所选容器的 Web 端口</translation>
    </message>
    <message>
        <source>No terminal emulator could be started (set TERMINAL, or install one). In a terminal, run: docker --context %1 exec -it %2 sh</source>
        <translation>无法启动终端模拟器（请设置 TERMINAL 或安装一个）。请在终端中运行：docker --context %1 exec -it %2 sh</translation>
    </message>
    <message>
        <source>Could not open %1 in a browser</source>
        <translation>无法在浏览器中打开 %1</translation>
    </message>
    <message>
        <source>Starting %1…</source>
        <translation>正在启动 %1…</translation>
    </message>
    <message>
        <source>Could not start %1: %2</source>
        <translation>无法启动 %1：%2</translation>
    </message>
    <message>
        <source>Stopping %1…</source>
        <translation>正在停止 %1…</translation>
    </message>
    <message>
        <source>Could not stop %1: %2</source>
        <translation>无法停止 %1：%2</translation>
    </message>
    <message>
        <source>Restarting %1…</source>
        <translation>正在重启 %1…</translation>
    </message>
    <message>
        <source>Could not restart %1: %2</source>
        <translation>无法重启 %1：%2</translation>
    </message>
    <message>
        <source>Pausing %1…</source>
        <translation>正在暂停 %1…</translation>
    </message>
    <message>
        <source>Could not pause %1: %2</source>
        <translation>无法暂停 %1：%2</translation>
    </message>
    <message>
        <source>Resuming %1…</source>
        <translation>正在恢复 %1…</translation>
    </message>
    <message>
        <source>Could not resume %1: %2</source>
        <translation>无法恢复 %1：%2</translation>
    </message>
    <message>
        <source>Removing %1…</source>
        <translation>正在删除 %1…</translation>
    </message>
    <message>
        <source>Could not remove %1: %2</source>
        <translation>无法删除 %1：%2</translation>
    </message>
    <message>
        <source>%1 (compose: %2 of %3 running)</source>
        <translation>%1（compose：%3 个中 %2 个运行中）</translation>
    </message>
    <message>
        <source>Part of the compose project %1</source>
        <translation>属于 compose 项目 %1</translation>
    </message>
    <message>
        <source>Double-click to open %1</source>
        <translation>双击打开 %1</translation>
    </message>
    <message>
        <source>1 minute ago</source>
        <translation>1 分钟前</translation>
    </message>
    <message>
        <source>%1 minutes ago</source>
        <translation>%1 分钟前</translation>
    </message>
    <message>
        <source>1 hour ago</source>
        <translation>1 小时前</translation>
    </message>
    <message>
        <source>%1 hours ago</source>
        <translation>%1 小时前</translation>
    </message>
    <message>
        <source>1 day ago</source>
        <translation>1 天前</translation>
    </message>
    <message>
        <source>%1 days ago</source>
        <translation>%1 天前</translation>
    </message>
    <message>
        <source>%1 months ago</source>
        <translation>%1 个月前</translation>
    </message>
    <message>
        <source>1 year ago</source>
        <translation>1 年前</translation>
    </message>
    <message>
        <source>%1 years ago</source>
        <translation>%1 年前</translation>
    </message>
    <message>
        <source>Logs</source>
        <translation>日志</translation>
    </message>
    <message>
        <source>Show the selected container&apos;s output as it comes</source>
        <translation>实时显示所选容器的输出</translation>
    </message>
    <message>
        <source>Clean &amp;up…</source>
        <translation>清理(&amp;U)…</translation>
    </message>
    <message>
        <source>Images</source>
        <translation>镜像</translation>
    </message>
    <message>
        <source>Volumes</source>
        <translation>卷</translation>
    </message>
    <message>
        <source>Remove stopped containers, dangling images and the build cache</source>
        <translation>删除已停止的容器、悬空镜像和构建缓存</translation>
    </message>
    <message>
        <source>Disk: %1</source>
        <translation>磁盘：%1</translation>
    </message>
    <message>
        <source>Disk usage unknown: %1</source>
        <translation>磁盘用量未知：%1</translation>
    </message>
    <message>
        <source>Remove the stopped containers, the dangling images and the build cache?</source>
        <translation>删除已停止的容器、悬空镜像和构建缓存？</translation>
    </message>
    <message>
        <source>Cleaning up…</source>
        <translation>正在清理…</translation>
    </message>
    <message>
        <source>Clean up: %1 reclaimed</source>
        <translation>清理：回收了 %1</translation>
    </message>
    <message>
        <source>Clean up failed: %1</source>
        <translation>清理失败：%1</translation>
    </message>
    <message>
        <source>CPU · Memory</source>
        <translation>CPU · 内存</translation>
    </message>
    <message>
        <source>%1 % · %2</source>
        <translation>%1 % · %2</translation>
    </message>
    <message>
        <source>Paused by Resource Saver</source>
        <translation>已由资源节省模式暂停</translation>
    </message>
    <message>
        <source>No container ran for the Resource Saver&apos;s idle time. The next docker command, or Start, starts the engine again.</source>
        <translation>在资源节省模式的空闲时间内没有容器运行。下一条 docker 命令或“启动”会重新启动引擎。</translation>
    </message>
</context>
<context>
    <name>berth::gui::EngineNotices</name>
    <message>
        <source>The engine stopped unexpectedly</source>
        <translation>引擎意外停止</translation>
    </message>
    <message>
        <source>The VM shut down.</source>
        <translation>虚拟机已关闭。</translation>
    </message>
    <message>
        <source>The engine did not restart</source>
        <translation>引擎未能重启</translation>
    </message>
    <message>
        <source>The engine did not start</source>
        <translation>引擎未能启动</translation>
    </message>
</context>
<context>
    <name>berth::gui::LogViewer</name>
    <message>
        <source>Engine log</source>
        <translation>引擎日志</translation>
    </message>
    <message>
        <source>No log yet: the engine has not been started.</source>
        <translation>尚无日志：引擎尚未启动。</translation>
    </message>
    <message>
        <source>Cannot read %1: %2</source>
        <translation>无法读取 %1：%2</translation>
    </message>
</context>
<context>
    <name>berth::gui::ManagedSettingsPage</name>
    <message>
        <source>fix: %1</source>
        <translation>修复方法：%1</translation>
    </message>
    <message>
        <source>Settings managed by your administrator</source>
        <translation>由管理员管理的设置</translation>
    </message>
    <message>
        <source>Key</source>
        <translation>键</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>值</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Source</source>
        <translation>来源</translation>
    </message>
    <message>
        <source>Problems</source>
        <translation>问题</translation>
    </message>
    <message>
        <source>No settings are managed: %1 does not exist.</source>
        <translation>没有受管理的设置：%1 不存在。</translation>
    </message>
    <message numerus="yes">
        <source>%n setting(s) from %1.</source>
        <translation>
            <numerusform>来自 %1 的 %n 项设置。</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 is invalid, so the engine will not start until it is fixed.</source>
        <translation>%1 无效，因此在修复之前引擎不会启动。</translation>
    </message>
    <message>
        <source>Locked</source>
        <translation>已锁定</translation>
    </message>
    <message>
        <source>Default</source>
        <translation>默认值</translation>
    </message>
    <message>
        <source>Error</source>
        <translation>错误</translation>
    </message>
    <message>
        <source>Warning</source>
        <translation>警告</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>提示</translation>
    </message>
    <message>
        <source>Managed settings</source>
        <translation>受管理的设置</translation>
    </message>
</context>
<context>
    <name>berth::gui::RestartProgress</name>
    <message>
        <source>Show log</source>
        <translation>显示日志</translation>
    </message>
    <message>
        <source>Retry</source>
        <translation>重试</translation>
    </message>
    <message>
        <source>Restart progress</source>
        <translation>重启进度</translation>
    </message>
    <message>
        <source>Restarting…</source>
        <translation>正在重启…</translation>
    </message>
    <message>
        <source>Stopping engine…</source>
        <translation>正在停止引擎…</translation>
    </message>
    <message>
        <source>VM stopped</source>
        <translation>虚拟机已停止</translation>
    </message>
    <message>
        <source>Starting VM…</source>
        <translation>正在启动虚拟机…</translation>
    </message>
    <message>
        <source>Waiting for engine…</source>
        <translation>正在等待引擎…</translation>
    </message>
    <message>
        <source>Running</source>
        <translation>正在运行</translation>
    </message>
    <message>
        <source>The engine restarted with the new settings.</source>
        <translation>引擎已使用新设置重启。</translation>
    </message>
    <message>
        <source>The restart failed</source>
        <translation>重启失败</translation>
    </message>
</context>
<context>
    <name>berth::gui::SettingEditor</name>
    <message>
        <source>Locked</source>
        <translation>已锁定</translation>
    </message>
    <message>
        <source>Locked by your administrator (%1)</source>
        <translation>已被管理员锁定（%1）</translation>
    </message>
    <message>
        <source>Add…</source>
        <translation>添加…</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <source>Add a directory to share</source>
        <translation>添加要共享的目录</translation>
    </message>
    <message>
        <source>Stop sharing the selected directories</source>
        <translation>停止共享所选目录</translation>
    </message>
    <message>
        <source>Choose a directory to share</source>
        <translation>选择要共享的目录</translation>
    </message>
</context>
<context>
    <name>berth::gui::SettingsPage</name>
    <message>
        <source>Some settings are managed by your administrator.</source>
        <translation>部分设置由管理员管理。</translation>
    </message>
    <message>
        <source>General</source>
        <translation>常规</translation>
    </message>
    <message>
        <source>Resources</source>
        <translation>资源</translation>
    </message>
    <message>
        <source>Docker Engine</source>
        <translation>Docker 引擎</translation>
    </message>
    <message>
        <source>Proxies</source>
        <translation>代理</translation>
    </message>
</context>
<context>
    <name>berth::gui::SettingsWindow</name>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Apply &amp;&amp; restart</source>
        <translation>应用并重启</translation>
    </message>
    <message>
        <source>Berth Settings</source>
        <translation>Berth 设置</translation>
    </message>
    <message>
        <source>Settings pages</source>
        <translation>设置页面</translation>
    </message>
    <message>
        <source>Apply and restart</source>
        <translation>应用并重启</translation>
    </message>
    <message>
        <source>%1 is invalid: settings cannot be changed and the engine will not start. See Managed settings for what to fix.</source>
        <translation>%1 无效：无法更改设置，引擎也不会启动。请在“受管理的设置”中查看需要修复的内容。</translation>
    </message>
    <message>
        <source>Applying takes effect at once; the VM keeps running.</source>
        <translation>应用后立即生效，虚拟机保持运行。</translation>
    </message>
    <message>
        <source>Applying restarts the VM (a full quit and relaunch) for: %1</source>
        <translation>应用以下设置需要重启虚拟机（完全退出并重新启动）：%1</translation>
    </message>
</context>
<context>
    <name>berth::gui::StorageView</name>
    <message>
        <source>No</source>
        <translation>否</translation>
    </message>
    <message>
        <source>1 container</source>
        <translation>1 个容器</translation>
    </message>
    <message>
        <source>%1 containers</source>
        <translation>%1 个容器</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <source>Images %1 · Containers %2 · Volumes %3 · Build cache %4</source>
        <translation>镜像 %1 · 容器 %2 · 卷 %3 · 构建缓存 %4</translation>
    </message>
    <message>
        <source>Remove…</source>
        <translation>删除…</translation>
    </message>
    <message>
        <source>Remove dangling images…</source>
        <translation>删除悬空镜像…</translation>
    </message>
    <message>
        <source>Remove unused volumes…</source>
        <translation>删除未使用的卷…</translation>
    </message>
    <message>
        <source>Berth</source>
        <translation>Berth</translation>
    </message>
    <message>
        <source>Images</source>
        <translation>镜像</translation>
    </message>
    <message>
        <source>Volumes</source>
        <translation>卷</translation>
    </message>
    <message>
        <source>Repository</source>
        <translation>仓库</translation>
    </message>
    <message>
        <source>Tag</source>
        <translation>标签</translation>
    </message>
    <message>
        <source>ID</source>
        <translation>ID</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Created</source>
        <translation>创建时间</translation>
    </message>
    <message>
        <source>In use</source>
        <translation>使用中</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Driver</source>
        <translation>驱动</translation>
    </message>
    <message>
        <source>Remove the selected image</source>
        <translation>删除所选镜像</translation>
    </message>
    <message>
        <source>Remove the selected volume</source>
        <translation>删除所选卷</translation>
    </message>
    <message>
        <source>Remove the images no tag names and no container uses</source>
        <translation>删除没有标签且没有容器使用的镜像</translation>
    </message>
    <message>
        <source>Remove every volume no container uses, named or not</source>
        <translation>删除所有没有容器使用的卷（无论是否命名）</translation>
    </message>
    <message>
        <source>Remove the image %1?</source>
        <translation>删除镜像 %1？</translation>
    </message>
    <message>
        <source>Remove the volume %1? The data in it is lost.</source>
        <translation>删除卷 %1？其中的数据将丢失。</translation>
    </message>
    <message>
        <source>Removing %1…</source>
        <translation>正在删除 %1…</translation>
    </message>
    <message>
        <source>Could not remove %1: %2</source>
        <translation>无法删除 %1：%2</translation>
    </message>
    <message>
        <source>Remove every image no tag names and no container uses?</source>
        <translation>删除所有没有标签且没有容器使用的镜像？</translation>
    </message>
    <message>
        <source>Remove every volume no container uses? The data in them is lost.</source>
        <translation>删除所有没有容器使用的卷？其中的数据将丢失。</translation>
    </message>
    <message>
        <source>Removing…</source>
        <translation>正在删除…</translation>
    </message>
    <message>
        <source>Could not remove them: %1</source>
        <translation>无法删除：%1</translation>
    </message>
    <message>
        <source>%1 reclaimed</source>
        <translation>回收了 %1</translation>
    </message>
</context>
<context>
    <name>berth::gui::TrayIcon</name>
    <message>
        <source>Open dashboard</source>
        <translation>打开仪表板</translation>
    </message>
    <message>
        <source>Settings…</source>
        <translation>设置…</translation>
    </message>
    <message>
        <source>Quit Berth</source>
        <translation>退出 Berth</translation>
    </message>
    <message>
        <source>Berth: %1</source>
        <translation>Berth：%1</translation>
    </message>
    <message>
        <source>Start</source>
        <translation>启动</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Restart</source>
        <translation>重启</translation>
    </message>
</context>
</TS>
