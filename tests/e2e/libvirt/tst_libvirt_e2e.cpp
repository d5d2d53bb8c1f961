// End to end, the Apply & restart path with a change of VM manager: the engine starts on QEMU,
// `berthctl settings set vm.manager libvirt` and `berthctl restart` move the same VM (data disk,
// engine port, TLS material) to a libvirt domain, and back again. After each switch the docker
// CLI reaches the engine over TLS, a named volume written before still holds its data, and a
// container runs. Every case shares one engine; they run in order.
//
// libvirtd and virtlogd are started when they do not run and stopped afterwards if this test
// started them. The domain is defined in the daemon (qemu:///system for root), so the test
// undefines it at the end.

#include "e2e_support.h"
#include "libvirt/libvirt_backend.h"
#include "libvirt_daemons.h"

#include <QtTest>

#include <unistd.h>

using berth::e2e::Run;

class LibvirtE2e : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();

    void startsOnQemuAndWritesAVolume();
    void applyAndRestartMovesTheEngineToLibvirt();
    void applyAndRestartMovesItBackToQemu();
    void stopLeavesNoDomainRunning();

private:
    QStringList runningDomains() const;
    bool domainDefined() const;
    int qemuProbes() const;
    void checkEngineServes(const char* manager);

    berth::e2e::Environment m_env;
    berth::testing::LibvirtDaemons m_daemons;
    QString m_uri;
    QString m_domain;
    bool m_engineStarted = false;
};

void LibvirtE2e::initTestCase()
{
    if (const QString why = berth::testing::LibvirtDaemons::notInstalledReason(); !why.isEmpty()) {
        QSKIP(qPrintable(why));
    }
    QString why;
    if (!m_env.setUp(&why)) { QSKIP(qPrintable(why)); }
    m_uri = berth::testing::LibvirtDaemons::defaultUri();
    qInfo("libvirt at %s", qPrintable(m_uri));
    const QString daemons = m_daemons.ensureRunning(m_uri);
    QVERIFY2(daemons.isEmpty(), qPrintable(daemons));

    // The engine's instance is the default one of its (temporary) home, so its domain name is the
    // one libvirtDomainName gives there: computed with the engine's data directory.
    qputenv("XDG_DATA_HOME", m_env.environment().value("XDG_DATA_HOME").toUtf8());
    m_domain = berth::vm::libvirtDomainName(m_env.instanceDir());
    if (domainDefined()) {
        QSKIP(qPrintable(QStringLiteral("a libvirt domain named %1 already exists at %2 (another Berth's?); "
                                        "this test leaves it alone")
                             .arg(m_domain, m_uri)));
    }
}

void LibvirtE2e::cleanupTestCase()
{
    m_env.tearDown();
    // The definition outlives the temporary home it points into: remove it, but only ours.
    if (m_engineStarted && domainDefined()) {
        const Run undefine = m_env.run("virsh", {"-q", "-c", m_uri, "undefine", m_domain}, std::chrono::seconds(30));
        if (undefine.exitCode != 0) { qWarning("%s", qPrintable(undefine.describe())); }
    }
    m_daemons.stopStarted();
}

// How many QEMU processes the libvirtd we started launched to examine QEMU (0 for one we did not
// start): a few when its capability cache holds, dozens per start when it goes stale at each use.
int LibvirtE2e::qemuProbes() const
{
    QFile log(m_daemons.libvirtdLog());
    return log.open(QIODevice::ReadOnly) ? static_cast<int>(log.readAll().count("Try to probe capabilities of")) : 0;
}

QStringList LibvirtE2e::runningDomains() const
{
    const Run list = m_env.run("virsh", {"-c", m_uri, "list", "--name"}, std::chrono::seconds(30));
    if (list.exitCode != 0) { qWarning("%s", qPrintable(list.describe())); }
    return QString::fromUtf8(list.output).split('\n', Qt::SkipEmptyParts);
}

bool LibvirtE2e::domainDefined() const
{
    return m_env.run("virsh", {"-q", "-c", m_uri, "dominfo", m_domain}, std::chrono::seconds(30)).exitCode == 0;
}

// The engine answers over TLS through the berth context, the volume kept its note, a container runs.
void LibvirtE2e::checkEngineServes(const char* manager)
{
    const Run version = m_env.docker({"--context", "berth", "version", "--format", "{{.Server.Version}}"});
    QVERIFY2(version.exitCode == 0, qPrintable(version.describe()));
    QVERIFY2(version.output.trimmed().startsWith(m_env.engineVersionPrefix()), qPrintable(version.describe()));

    // --pull=never: an engine that lost its data (e.g. booted without its data disk) fails here at
    // once instead of trying Docker Hub until the client gives up.
    const Run read = m_env.docker({"--context", "berth", "run", "--rm", "--pull=never", "-v", "berth-e2e-data:/data",
                                   berth::e2e::kTinyImage, "cat", "/data/note"});
    if (read.exitCode != 0) { QFAIL(qPrintable(read.describe() + m_env.diagnostics())); }
    QCOMPARE(read.output.trimmed(), QByteArray("written on qemu"));

    const Run hello = m_env.docker(
        {"--context", "berth", "run", "--rm", "--pull=never", berth::e2e::kTinyImage, "echo", "hello from", manager});
    if (hello.exitCode != 0) { QFAIL(qPrintable(hello.describe() + m_env.diagnostics())); }
    QCOMPARE(hello.output.trimmed(), QByteArray("hello from ") + manager);

    // The user's home is shared by default (virtiofs, its virtiofsd started by Berth for either
    // backend): a container's write lands there, owned by the user.
    const QString written = m_env.home() + "/written-on-" + manager;
    const Run share = m_env.docker({"--context", "berth", "run", "--rm", "--pull=never", "-v",
                                    m_env.home() + ":/home-share", berth::e2e::kTinyImage, "sh", "-c",
                                    QString("echo %1 > /home-share/written-on-%1").arg(manager)});
    if (share.exitCode != 0) { QFAIL(qPrintable(share.describe() + m_env.diagnostics())); }
    QFile file(written);
    QVERIFY2(file.open(QIODevice::ReadOnly), qPrintable(written));
    QCOMPARE(file.readAll().trimmed(), QByteArray(manager));
    QCOMPARE(QFileInfo(written).ownerId(), ::getuid());

    // A published port reaches the host's loopback through this backend's QEMU monitor, and
    // leaves it with the container.
    const quint16 port = QByteArray(manager) == "libvirt" ? 18082 : 18081;
    const Run web = m_env.docker(
        {"--context", "berth", "run", "-d", "--name", "berth-e2e-web", "-p", QString("%1:8000").arg(port),
         "--pull=never", berth::e2e::kTinyImage, "sh", "-c",
         QString("echo served by %1 > /tmp/index.html && exec busybox httpd -f -p 8000 -h /tmp").arg(manager)});
    QVERIFY2(web.exitCode == 0, qPrintable(web.describe()));
    const bool served = m_env.waitForHostPort(port, QByteArray("served by ") + manager);
    m_env.docker({"--context", "berth", "rm", "-f", "berth-e2e-web"});
    QVERIFY2(served, qPrintable(QString("nothing answered on the host's 127.0.0.1:%1").arg(port)));
    QVERIFY2(m_env.waitForHostPort(port, {}), "the port stayed open after its container was removed");
}

void LibvirtE2e::startsOnQemuAndWritesAVolume()
{
    m_engineStarted = true;
    const Run start = m_env.berthctl({"start"}, std::chrono::minutes(6));
    QVERIFY2(start.exitCode == 0, qPrintable(start.describe()));
    qInfo("engine up on QEMU in %.1f s", start.seconds);
    QCOMPARE(QString::fromStdString(m_env.status()["engine"].value("vmManager", "")), QStringLiteral("qemu"));
    QVERIFY2(!runningDomains().contains(m_domain), "QEMU run directly is no libvirt domain");

    QVERIFY(m_env.importTinyImage());
    const Run write = m_env.docker({"--context", "berth", "run", "--rm", "-v", "berth-e2e-data:/data",
                                    berth::e2e::kTinyImage, "sh", "-c", "echo written on qemu > /data/note"});
    QVERIFY2(write.exitCode == 0, qPrintable(write.describe()));
}

void LibvirtE2e::applyAndRestartMovesTheEngineToLibvirt()
{
    // What Settings > Resources > Apply & restart does, through the settings core.
    for (const QStringList& set : {QStringList{"vm.manager", "libvirt"}, QStringList{"vm.libvirtUri", m_uri}}) {
        const Run done = m_env.berthctl(QStringList{"settings", "set"} + set);
        QVERIFY2(done.exitCode == 0, qPrintable(done.describe()));
    }
    const quint16 port = m_env.enginePort();
    const Run restart = m_env.berthctl({"restart"}, std::chrono::minutes(6));
    if (restart.exitCode != 0) { QFAIL(qPrintable(restart.describe() + m_daemons.printLibvirtdLogTail(40))); }
    qInfo("restart QEMU -> libvirt took %.1f s; libvirt examined QEMU's capabilities %d times so far", restart.seconds,
          qemuProbes());

    const auto engine = m_env.status()["engine"];
    QCOMPARE(QString::fromStdString(engine.value("vmManager", "")), QStringLiteral("libvirt (%1)").arg(m_uri));
    QCOMPARE(QString::fromStdString(engine.value("state", "")), QStringLiteral("running"));
    QCOMPARE(m_env.enginePort(), port);  // the docker context did not have to change
    const QStringList running = runningDomains();
    QVERIFY2(running.contains(m_domain),
             qPrintable(QStringLiteral("%1 not in virsh list: %2").arg(m_domain, running.join(", "))));
    checkEngineServes("libvirt");
}

void LibvirtE2e::applyAndRestartMovesItBackToQemu()
{
    const Run set = m_env.berthctl({"settings", "set", "vm.manager", "qemu"});
    QVERIFY2(set.exitCode == 0, qPrintable(set.describe()));
    const Run restart = m_env.berthctl({"restart"}, std::chrono::minutes(6));
    QVERIFY2(restart.exitCode == 0, qPrintable(restart.describe()));
    qInfo("restart libvirt -> QEMU took %.1f s", restart.seconds);

    QCOMPARE(QString::fromStdString(m_env.status()["engine"].value("vmManager", "")), QStringLiteral("qemu"));
    QVERIFY2(!runningDomains().contains(m_domain), "the switch back shut the libvirt domain down");
    QVERIFY2(domainDefined(), "the domain stays defined for virsh and virt-manager");
    checkEngineServes("qemu");
}

void LibvirtE2e::stopLeavesNoDomainRunning()
{
    const Run stop = m_env.berthctl({"stop"}, std::chrono::minutes(2));
    QVERIFY2(stop.exitCode == 0, qPrintable(stop.describe()));
    QCOMPARE(m_env.engineState(), QStringLiteral("stopped"));
    QVERIFY2(!runningDomains().contains(m_domain), "a domain is still running after stop");
}

QTEST_GUILESS_MAIN(LibvirtE2e)
#include "tst_libvirt_e2e.moc"
