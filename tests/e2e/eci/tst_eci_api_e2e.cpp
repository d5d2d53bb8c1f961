// The engine API's ways around Enhanced Container Isolation, end to end on the real guest: what
// dockerd does with a container that never starts (docker cp mounts its volumes as the VM's
// root), requests written so that a plugin reading them naively sees something else than dockerd
// (percent-encoded routes, field names in other case, invalid UTF-8, bodies the plugin is not
// shown), volume options, and the settings that must hold with ECI on (blockDockerLoad, the
// unsafe 2375 listener, daemon options only an administrator may set).
//
// The engine first runs with ECI off, where containers and volumes that reach VM paths are made
// as a user could have made them before; then ECI is switched on with a restart.

#include "e2e_support.h"

#include <QFile>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>
#include <QSslSocket>
#include <QTcpSocket>
#include <QtTest>

using berth::e2e::kTinyImage;
using berth::e2e::Run;

class EciApiE2e : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();

    void createRefusesVmPaths_data();
    void createRefusesVmPaths();
    void archiveOfContainersThatReachVmPathsIsRefused();
    void ordinaryCopiesAndVolumesStillWork();
    void requestsAreReadAsDockerdReadsThem_data();
    void requestsAreReadAsDockerdReadsThem();
    void dockerLoadIsBlocked();
    void unsafeListenerIsOutOfContainersReach();
    void riskyDaemonOptionsAreRefused();

private:
    Run docker(const QStringList& args) const { return m_env.docker(QStringList{"--context", "berth"} + args); }

    // One raw request to the engine over TLS with the client certificate; the response's head.
    QByteArray rawRequest(const QByteArray& method, const QByteArray& target, const QByteArray& headers,
                          const QByteArray& body) const;

    berth::e2e::Environment m_env;
};

namespace {

constexpr const char* kRestricted = "because it's configured as a restricted host mount";

QByteArray statusLine(const QByteArray& response)
{
    return response.left(response.indexOf("\r\n"));
}

}  // namespace

QByteArray EciApiE2e::rawRequest(const QByteArray& method, const QByteArray& target, const QByteArray& headers,
                                 const QByteArray& body) const
{
    const QString certs = m_env.certsDir();
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setCaCertificates(QSslCertificate::fromPath(certs + "/ca.pem"));
    tls.setLocalCertificate(QSslCertificate::fromPath(certs + "/cert.pem").value(0));
    QFile key(certs + "/key.pem");
    if (!key.open(QIODevice::ReadOnly)) { return "no client key"; }
    tls.setPrivateKey(QSslKey(key.readAll(), QSsl::Ec));
    QSslSocket socket;
    socket.setSslConfiguration(tls);
    socket.connectToHostEncrypted("127.0.0.1", m_env.enginePort(), "localhost");
    if (!socket.waitForEncrypted(15000)) { return "TLS failed: " + socket.errorString().toUtf8(); }
    socket.write(method + " " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n" + headers + "\r\n"
                 + body);
    QByteArray response;
    while (socket.waitForReadyRead(30000)) { response += socket.readAll(); }
    return response + socket.readAll();
}

void EciApiE2e::initTestCase()
{
    QString why;
    if (!m_env.setUp(&why)) { QSKIP(qPrintable(why)); }
    const Run start = m_env.berthctl({"start"}, std::chrono::minutes(6));
    QVERIFY2(start.exitCode == 0, qPrintable(start.describe()));
    QVERIFY(m_env.importTinyImage());
    // Made with ECI off, as a user could have before turning it on.
    for (const QStringList& args :
         {QStringList{"volume", "create", "--opt", "type=none", "--opt", "o=bind", "--opt", "device=/etc", "api-etc"},
          QStringList{"volume", "create", "api-plain"},
          QStringList{"create", "--name", "api-bind", "-v", "/etc:/x", kTinyImage, "true"},
          QStringList{"create", "--name", "api-tmp", "-v", "/tmp:/x", kTinyImage, "true"},
          QStringList{"create", "--name", "api-volume", "-v", "api-etc:/x", kTinyImage, "true"},
          QStringList{"run", "--name", "api-plain", "-v", "api-plain:/d", kTinyImage, "sh", "-c",
                      "echo kept > /d/f && mkdir /d/sub"},
          QStringList{"create", "--name", "api-sub", "-v", "/var/lib/docker/volumes/api-plain/_data/sub:/s", kTinyImage,
                      "true"}}) {
        const Run made = docker(args);
        QVERIFY2(made.exitCode == 0, qPrintable(made.describe()));
    }
    for (const QStringList& set :
         {QStringList{"enhancedContainerIsolation", "true"}, QStringList{"blockDockerLoad", "true"},
          QStringList{"exposeDockerAPIOnTCP2375", "true"}}) {
        const Run done = m_env.berthctl(QStringList{"settings", "set"} + set);
        QVERIFY2(done.exitCode == 0, qPrintable(done.describe()));
    }
    const Run restart = m_env.berthctl({"restart"}, std::chrono::minutes(6));
    QVERIFY2(restart.exitCode == 0, qPrintable(restart.describe()));
}

void EciApiE2e::cleanupTestCase()
{
    m_env.tearDown();
}

void EciApiE2e::createRefusesVmPaths_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::newRow("bind") << QStringList{"-v", "/etc:/x"};
    QTest::newRow("bind read-only") << QStringList{"-v", "/tmp:/x:ro"};
    QTest::newRow("mount bind") << QStringList{"--mount", "type=bind,src=/usr,dst=/x"};
    QTest::newRow("docker's own state") << QStringList{"-v", "/var/lib/docker:/x"};
    QTest::newRow("volume binding a VM path") << QStringList{"-v", "api-etc:/x"};
    QTest::newRow("new volume with bind options")
        << QStringList{"--mount",
                       "type=volume,src=api-new,dst=/x,volume-opt=type=none,volume-opt=o=bind,"
                       "volume-opt=device=/etc"};
    QTest::newRow("anonymous volume with bind options")
        << QStringList{"--mount", "type=volume,dst=/x,volume-opt=type=tmpfs,volume-opt=o=bind,volume-opt=device=/"};
    QTest::newRow("volumes from a container binding /etc") << QStringList{"--volumes-from", "api-bind"};
    QTest::newRow("volumes from a container using a bind volume") << QStringList{"--volumes-from", "api-volume:ro"};
    // A path inside a volume: a container writing the volume may make any part of it a link to a
    // VM path while dockerd resolves it as the VM's root (for docker cp, or creating it at start).
    QTest::newRow("bind of a path inside a volume")
        << QStringList{"-v", "/var/lib/docker/volumes/api-plain/_data/sub:/x"};
    QTest::newRow("volumes from a container binding a path inside a volume")
        << QStringList{"--volumes-from", "api-sub"};
}

// Refused at create: a container that never starts cannot reach the VM through docker cp.
void EciApiE2e::createRefusesVmPaths()
{
    QFETCH(QStringList, args);
    const Run create = docker(QStringList{"create"} + args + QStringList{kTinyImage, "true"});
    QVERIFY2(create.exitCode != 0, qPrintable(create.describe()));
    QVERIFY2(create.output.contains("authorization denied by plugin berth-eci"), qPrintable(create.describe()));
    QVERIFY2(docker({"volume", "inspect", "api-new"}).exitCode != 0, "a refused create made its volume");
}

void EciApiE2e::archiveOfContainersThatReachVmPathsIsRefused()
{
    const Run readEtc = docker({"cp", "api-bind:/x/hostname", "-"});
    QVERIFY2(readEtc.exitCode != 0 && readEtc.output.contains(kRestricted), qPrintable(readEtc.describe()));
    QFile payload(m_env.home() + "/payload");
    QVERIFY(payload.open(QIODevice::WriteOnly));
    payload.write("written from outside\n");
    payload.close();
    const Run writeTmp = docker({"cp", payload.fileName(), "api-tmp:/x/berth-api-e2e"});
    QVERIFY2(writeTmp.exitCode != 0 && writeTmp.output.contains(kRestricted), qPrintable(writeTmp.describe()));
    const Run throughVolume = docker({"cp", "api-volume:/x/hostname", "-"});
    QVERIFY2(throughVolume.exitCode != 0, qPrintable(throughVolume.describe()));
    // A bind of a path inside a volume, either way (the CLI's HEAD before a copy in shows no reason).
    const Run insideVolume = docker({"cp", "api-sub:/s", "-"});
    QVERIFY2(insideVolume.exitCode != 0 && insideVolume.output.contains(kRestricted),
             qPrintable(insideVolume.describe()));
    const QByteArray put = rawRequest("PUT", "/v1.41/containers/api-sub/archive?path=/s", "Content-Length: 0\r\n", {});
    QVERIFY2(statusLine(put).contains(" 403 "), put.constData());
    // By ID prefix and by an encoded name too: what dockerd resolves is what is checked.
    const QByteArray id = docker({"inspect", "--format", "{{.Id}}", "api-bind"}).output.trimmed();
    QVERIFY(id.size() == 64);
    QVERIFY2(docker({"cp", QString::fromLatin1(id.left(12)) + ":/x/hostname", "-"}).exitCode != 0, "by ID prefix");
    const QByteArray encoded = rawRequest("GET", "/v1.41/containers/%61pi-bind/archive?path=/x/hostname", {}, {});
    QVERIFY2(statusLine(encoded).contains(" 403 "), encoded.constData());
    // A mount of the engine socket's directory is the runtime's to refuse at start (with Docker's
    // message, by image); a container holding one cannot be read through docker cp meanwhile.
    const Run holder = docker({"create", "--name", "api-run", "-v", "/var/run:/hostrun", kTinyImage, "true"});
    QVERIFY2(holder.exitCode == 0, qPrintable(holder.describe()));
    const Run socketDir = docker({"cp", "api-run:/hostrun/docker.pid", "-"});
    QVERIFY2(socketDir.exitCode != 0 && socketDir.output.contains(kRestricted), qPrintable(socketDir.describe()));
    const Run startHolder = docker({"start", "-a", "api-run"});
    QVERIFY2(startHolder.exitCode != 0 && startHolder.output.contains("docker socket mount denied"),
             qPrintable(startHolder.describe()));
    // The start is refused too, before dockerd sets up the mounts (it would create a missing bind
    // source as the VM's root), and the runtime would refuse it after.
    for (const char* name : {"api-tmp", "api-sub"}) {
        const Run start = docker({"start", "-a", name});
        QVERIFY2(start.exitCode != 0 && start.output.contains("authorization denied by plugin berth-eci")
                     && start.output.contains(kRestricted),
                 qPrintable(start.describe()));
    }
}

void EciApiE2e::ordinaryCopiesAndVolumesStillWork()
{
    const Run read = docker({"cp", "api-plain:/d/f", "-"});
    QVERIFY2(read.exitCode == 0 && read.output.contains("kept"), qPrintable(read.describe()));
    const Run create = docker({"create", "--name", "api-ordinary", "-v", "api-plain:/d", "--volumes-from", "api-plain",
                               "--tmpfs", "/t", kTinyImage, "cat", "/d/f"});
    QVERIFY2(create.exitCode == 0, qPrintable(create.describe()));
    const Run copyIn = docker({"cp", m_env.home() + "/payload", "api-ordinary:/d/payload"});
    QVERIFY2(copyIn.exitCode == 0, qPrintable(copyIn.describe()));
    const Run run = docker({"start", "-a", "api-ordinary"});
    QVERIFY2(run.exitCode == 0 && run.output.contains("kept"), qPrintable(run.describe()));
    const Run tmpfs = docker(
        {"volume", "create", "--opt", "type=tmpfs", "--opt", "device=tmpfs", "--opt", "o=size=16m", "api-tmpfs"});
    QVERIFY2(tmpfs.exitCode == 0, qPrintable(tmpfs.describe()));
    const Run useTmpfs = docker({"run", "--rm", "-v", "api-tmpfs:/t", kTinyImage, "sh", "-c", "ls /t && echo ok"});
    QVERIFY2(useTmpfs.exitCode == 0 && useTmpfs.output.contains("ok"), qPrintable(useTmpfs.describe()));
    if (m_env.guestSuite() != "bookworm") {
        // Linux >= 6.3 ID-maps tmpfs: the container's root owns the volume like any other.
        const Run write = docker({"run", "--rm", "-v", "api-tmpfs:/t", kTinyImage, "sh", "-c",
                                  "touch /t/written && stat -c %u:%g /t/written"});
        QVERIFY2(write.exitCode == 0 && write.output.trimmed() == "0:0", qPrintable(write.describe()));
    }
    docker({"rm", "-f", "api-ordinary"});
}

void EciApiE2e::requestsAreReadAsDockerdReadsThem_data()
{
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QByteArray>("headers");
    QTest::addColumn<QByteArray>("body");
    const QByteArray json = "Content-Type: application/json\r\n";
    const QByteArray bindRoot = R"({"Name":"api-raw","DriverOpts":{"type":"none","o":"bind","device":"/"}})";
    const auto sized
        = [&](const QByteArray& body) { return json + "Content-Length: " + QByteArray::number(body.size()) + "\r\n"; };
    QTest::newRow("percent-encoded route") << QByteArray("/v1.41/%76olumes/create") << sized(bindRoot) << bindRoot;
    const QByteArray upper = R"({"Name":"api-raw","DriverOpts":{"type":"none","O":"bind","Device":"/"}})";
    QTest::newRow("option names in other case") << QByteArray("/v1.41/volumes/create") << sized(upper) << upper;
    const QByteArray folded = R"({"Name":"api-raw","driveropts":{"type":"none","o":"bind","device":"/"}})";
    QTest::newRow("field name in other case") << QByteArray("/v1.41/volumes/create") << sized(folded) << folded;
    const QByteArray invalid = "{\"Name\":\"api-raw\",\"Labels\":{\"x\":\"\xff\"},"
                               "\"DriverOpts\":{\"type\":\"none\",\"o\":\"bind\",\"device\":\"/\"}}";
    QTest::newRow("invalid UTF-8") << QByteArray("/v1.41/volumes/create") << sized(invalid) << invalid;
    const QByteArray create = R"({"Image":"berth-e2e/tiny:1","hostconfig":{"BINDS":["/etc:/x"]}})";
    QTest::newRow("create with field names in other case")
        << QByteArray("/v1.41/containers/create?name=api-raw") << sized(create) << create;
    const QByteArray plain = R"({"Image":"berth-e2e/tiny:1","HostConfig":{"Binds":["/etc:/x"]}})";
    QTest::newRow("create with a charset") << QByteArray("/v1.41/containers/create?name=api-raw")
                                           << "Content-Type: application/json; charset=utf-8\r\nContent-Length: "
            + QByteArray::number(plain.size()) + "\r\n"
                                           << plain;
    const QByteArray chunked = QByteArray::number(plain.size(), 16) + "\r\n" + plain + "\r\n0\r\n\r\n";
    QTest::newRow("create chunked") << QByteArray("/v1.41/containers/create?name=api-raw")
                                    << json + "Transfer-Encoding: chunked\r\n"
                                    << chunked;
}

// The plugin decides on what dockerd routes and decodes; what it cannot read is refused.
void EciApiE2e::requestsAreReadAsDockerdReadsThem()
{
    QFETCH(QByteArray, target);
    QFETCH(QByteArray, headers);
    QFETCH(QByteArray, body);
    const QByteArray response = rawRequest("POST", target, headers, body);
    QVERIFY2(statusLine(response).contains(" 403 ") || statusLine(response).contains(" 400 "), response.constData());
    QVERIFY2(docker({"volume", "inspect", "api-raw"}).exitCode != 0, "the volume was created");
    QVERIFY2(docker({"container", "inspect", "api-raw"}).exitCode != 0, "the container was created");
}

void EciApiE2e::dockerLoadIsBlocked()
{
    const QString archive = m_env.home() + "/tiny.tar";
    const Run save = docker({"save", "-o", archive, kTinyImage});
    QVERIFY2(save.exitCode == 0, qPrintable(save.describe()));
    const Run load = docker({"load", "-i", archive});
    QVERIFY2(load.exitCode != 0 && load.output.contains("blockDockerLoad"), qPrintable(load.describe()));
}

// exposeDockerAPIOnTCP2375 answers the host's forward, never a container.
void EciApiE2e::unsafeListenerIsOutOfContainersReach()
{
    QTcpSocket host;
    host.connectToHost("127.0.0.1", 2375);
    QVERIFY2(host.waitForConnected(10000), qPrintable(host.errorString()));
    host.write("GET /_ping HTTP/1.0\r\n\r\n");
    QByteArray answer;
    while (host.waitForReadyRead(15000)) { answer += host.readAll(); }
    QVERIFY2(answer.startsWith("HTTP/1.0 200") || answer.startsWith("HTTP/1.1 200"), answer.constData());
    // The VM's own address, the bridge's, and QEMU's gateway, which is the host's loopback where
    // the forward to this listener is.
    for (const QString address : {"10.0.2.15", "172.17.0.1", "10.0.2.2"}) {
        const Run probe
            = docker({"run", "--rm", kTinyImage, "sh", "-c",
                      "wget -T 5 -q -O- http://" + address + ":2375/_ping && echo REACHED || echo refused"});
        QVERIFY2(probe.exitCode == 0 && !probe.output.contains("REACHED"), qPrintable(probe.describe()));
    }
}

void EciApiE2e::riskyDaemonOptionsAreRefused()
{
    const Run set = m_env.berthctl(
        {"settings", "set", "linuxVM.dockerDaemonOptions", R"({"userland-proxy-path": "/tmp/proxy", "debug": true})"});
    QVERIFY2(set.exitCode != 0, qPrintable(set.describe()));
    QVERIFY2(set.output.contains("can only be set by an administrator"), qPrintable(set.describe()));
}

QTEST_GUILESS_MAIN(EciApiE2e)
#include "tst_eci_api_e2e.moc"
