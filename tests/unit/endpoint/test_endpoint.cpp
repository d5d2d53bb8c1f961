// The engine endpoint's TLS material and API client against a fake dockerd with --tlsverify:
// real handshakes on loopback, so a certificate that would not work with dockerd fails here.
#include "berth/endpoint/docker_api.h"
#include "berth/endpoint/endpoint_certs.h"
#include "berth/endpoint/engine_events.h"

#include "fake_docker_api.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <QFile>
#include <QSslCertificate>
#include <QSslKey>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QUrl>

#include <nlohmann/json.hpp>

#include <memory>

#include <sys/stat.h>

using namespace berth::endpoint;
using namespace berth::endpoint::testing;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

namespace {

int modeOf(const QString& path)
{
    struct stat st {};
    return ::stat(QFile::encodeName(path).constData(), &st) == 0 ? static_cast<int>(st.st_mode & 07777) : -1;
}

QByteArray readAll(const QString& path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

struct PingResult {
    bool done = false;
    bool ok = false;
    QString why;
};

PingResult ping(const DockerApi& api, QObject* context)
{
    PingResult result;
    api.ping(context, [&](bool ok, const QString& why) { result = {true, ok, why}; });
    EXPECT_TRUE(QTest::qWaitFor([&] { return result.done; }, 10000));
    return result;
}

class EngineEndpoint : public ::testing::Test {
protected:
    void SetUp() override
    {
        ASSERT_TRUE(m_dir.isValid());
        m_certs.dir = m_dir.filePath("certs");
        const auto result = ensureEngineCerts(m_certs);
        ASSERT_TRUE(result.ok) << result.message.toStdString();
        ASSERT_TRUE(result.created);
    }

    DockerApi api(quint16 port, std::chrono::milliseconds timeout = 5s) const
    {
        QString error;
        const auto tls = DockerApi::tlsConfiguration(m_certs, &error);
        EXPECT_TRUE(tls.has_value()) << error.toStdString();
        return DockerApi(port, tls.value_or(QSslConfiguration()), timeout);
    }

    QTemporaryDir m_dir;
    EngineCertPaths m_certs;
    QObject m_context;
};

}  // namespace

TEST_F(EngineEndpoint, CreatesPrivateFilesInTheDockerCliLayout)
{
    EXPECT_EQ(modeOf(m_certs.dir), 0700);
    for (const auto& file : {m_certs.caCert(), m_certs.caKey(), m_certs.clientCert(), m_certs.clientKey(),
                             m_certs.serverCert(), m_certs.serverKey()}) {
        EXPECT_EQ(modeOf(file), 0600) << file.toStdString();
    }
    const auto server = QSslCertificate::fromPath(m_certs.serverCert());
    ASSERT_EQ(server.size(), 1);
    const auto names = server.first().subjectAlternativeNames();
    EXPECT_TRUE(names.values(QSsl::IpAddressEntry).contains(QStringLiteral("127.0.0.1")));
    EXPECT_TRUE(names.values(QSsl::DnsEntry).contains(QStringLiteral("localhost")));
}

TEST_F(EngineEndpoint, ReusesAValidSetAndReplacesACorruptOne)
{
    const QByteArray ca = readAll(m_certs.caCert());
    auto again = ensureEngineCerts(m_certs);
    EXPECT_TRUE(again.ok);
    EXPECT_FALSE(again.created);
    EXPECT_EQ(readAll(m_certs.caCert()), ca);

    QFile key(m_certs.clientKey());
    ASSERT_TRUE(key.open(QIODevice::WriteOnly | QIODevice::Truncate));
    key.write("-----BEGIN PRIVATE KEY-----\ngarbage\n-----END PRIVATE KEY-----\n");
    key.close();
    again = ensureEngineCerts(m_certs);
    EXPECT_TRUE(again.ok);
    EXPECT_TRUE(again.created);
    EXPECT_THAT(again.message.toStdString(), HasSubstr("unusable"));
    EXPECT_NE(readAll(m_certs.caCert()), ca);

    ASSERT_TRUE(QFile::remove(m_certs.serverCert()));
    again = ensureEngineCerts(m_certs);
    EXPECT_TRUE(again.created);
    EXPECT_THAT(again.message.toStdString(), HasSubstr("missing"));
}

TEST_F(EngineEndpoint, RenewsCertificatesCloseToExpiry)
{
    // The leaves live 825 days: asking for more headroom than that is "expires soon".
    const auto result = ensureEngineCerts(m_certs, std::chrono::hours(24 * 900));
    EXPECT_TRUE(result.created);
    EXPECT_THAT(result.message.toStdString(), HasSubstr("expires"));
}

TEST_F(EngineEndpoint, GuestTlsFileHoldsTheServerSideOnly)
{
    const QString file = m_dir.filePath("tls.json");
    QString error;
    ASSERT_TRUE(writeGuestTlsFile(m_certs, file, &error)) << error.toStdString();
    EXPECT_EQ(modeOf(file), 0600);
    const auto json = nlohmann::json::parse(readAll(file).toStdString());
    EXPECT_EQ(json.size(), 3u);
    EXPECT_EQ(json.at("ca").get<std::string>(), readAll(m_certs.caCert()).toStdString());
    EXPECT_EQ(json.at("cert").get<std::string>(), readAll(m_certs.serverCert()).toStdString());
    EXPECT_EQ(json.at("key").get<std::string>(), readAll(m_certs.serverKey()).toStdString());
    EXPECT_NE(json.at("key").get<std::string>(), readAll(m_certs.clientKey()).toStdString());
}

TEST_F(EngineEndpoint, ClientWithTheClientCertificateIsAccepted)
{
    FakeDockerApi engine(m_certs);
    engine.route("GET /_ping", {200, "OK"});
    const auto result = ping(api(engine.port()), &m_context);
    EXPECT_TRUE(result.ok) << result.why.toStdString();
    EXPECT_EQ(engine.requests, QStringList{"GET /_ping"});
}

TEST_F(EngineEndpoint, ClientWithoutACertificateIsRefused)
{
    FakeDockerApi engine(m_certs);
    engine.route("GET /_ping", {200, "OK"});
    QString error;
    auto tls = DockerApi::tlsConfiguration(m_certs, &error).value();
    tls.setLocalCertificate(QSslCertificate());
    tls.setPrivateKey(QSslKey());
    const auto result = ping(DockerApi(engine.port(), tls), &m_context);
    EXPECT_FALSE(result.ok);
    EXPECT_TRUE(engine.requests.isEmpty());
}

TEST_F(EngineEndpoint, ClientCertificateFromAnotherCaIsRefused)
{
    FakeDockerApi engine(m_certs);
    engine.route("GET /_ping", {200, "OK"});
    EngineCertPaths other{m_dir.filePath("other")};
    ASSERT_TRUE(ensureEngineCerts(other).ok);
    // Trusts the right server, but presents a client certificate signed by a different CA.
    QString error;
    auto tls = DockerApi::tlsConfiguration(m_certs, &error).value();
    const auto foreign = DockerApi::tlsConfiguration(other, &error).value();
    tls.setLocalCertificate(foreign.localCertificate());
    tls.setPrivateKey(foreign.privateKey());
    const auto result = ping(DockerApi(engine.port(), tls), &m_context);
    EXPECT_FALSE(result.ok);
    EXPECT_TRUE(engine.requests.isEmpty());
}

TEST_F(EngineEndpoint, ServerFromAnotherCaIsNotTrusted)
{
    EngineCertPaths other{m_dir.filePath("other")};
    ASSERT_TRUE(ensureEngineCerts(other).ok);
    FakeDockerApi impostor(other);
    impostor.route("GET /_ping", {200, "OK"});
    const auto result = ping(api(impostor.port()), &m_context);
    EXPECT_FALSE(result.ok);
    EXPECT_THAT(result.why.toStdString(), HasSubstr("TLS"));
    EXPECT_TRUE(impostor.requests.isEmpty());
}

TEST_F(EngineEndpoint, PingFailsFastWhenNothingListensOrNothingAnswers)
{
    quint16 closedPort = 0;
    {
        QTcpServer probe;
        ASSERT_TRUE(probe.listen(QHostAddress::LocalHost, 0));
        closedPort = probe.serverPort();
    }
    auto result = ping(api(closedPort), &m_context);
    EXPECT_FALSE(result.ok);
    EXPECT_THAT(result.why.toStdString(), HasSubstr("refused"));

    FakeDockerApi engine(m_certs);
    engine.silent = true;
    QElapsedTimer clock;
    clock.start();
    result = ping(api(engine.port(), 300ms), &m_context);
    EXPECT_FALSE(result.ok);
    EXPECT_THAT(result.why.toStdString(), HasSubstr("no answer within 300 ms"));
    EXPECT_LT(clock.elapsed(), 5000);
}

TEST_F(EngineEndpoint, ListsContainersWithTheirRuntimeAndRemovesThem)
{
    FakeDockerApi engine(m_certs);
    engine.route(
        "GET /containers/json?all=1",
        {200,
         R"([{"Id":"abc123","Names":["/web"],"Image":"nginx","State":"running","Ports":[)"
         R"({"IP":"0.0.0.0","PrivatePort":80,"PublicPort":8080,"Type":"tcp"},{"PrivatePort":443,"Type":"tcp"},)"
         R"({"IP":"::","PrivatePort":53,"PublicPort":5353,"Type":"udp"},{"PublicPort":"x"}]},)"
         R"( {"Id":"def456","Names":["/db"],"Image":"postgres","State":"exited","Status":"Exited (3) 2 hours ago",)"
         R"("Created":1700000000}])",
         /*chunked=*/true});
    engine.route("GET /containers/abc123/json", {200, R"({"Id":"abc123","HostConfig":{"Runtime":"sysbox-runc"}})"});
    engine.route("DELETE /containers/abc123?force=1", {204, {}});
    engine.route("DELETE /containers/def456?force=1", {409, R"({"message":"removal in progress"})"});
    const DockerApi client = api(engine.port());

    QList<ContainerSummary> list;
    QString error = QStringLiteral("unset");
    client.listContainers(&m_context, [&](const QList<ContainerSummary>& l, const QString& e) {
        list = l;
        error = e;
    });
    ASSERT_TRUE(QTest::qWaitFor([&] { return error != QLatin1String("unset"); }, 10000));
    EXPECT_TRUE(error.isEmpty()) << error.toStdString();
    ASSERT_EQ(list.size(), 2);
    EXPECT_EQ(list[0].id, "abc123");
    EXPECT_EQ(list[0].name, "web");
    EXPECT_EQ(list[0].image, "nginx");
    // Only ports with a host port, malformed ones skipped.
    EXPECT_EQ(list[0].ports, (QList<PublishedPort>{{"tcp", "0.0.0.0", 8080, 80}, {"udp", "::", 5353, 53}}));
    EXPECT_TRUE(list[1].ports.isEmpty());
    EXPECT_EQ(list[1].status, "Exited (3) 2 hours ago");
    EXPECT_EQ(list[1].created, 1700000000);
    EXPECT_EQ(list[1].state, "exited");

    QString runtime;
    error = QStringLiteral("unset");
    client.containerRuntime("abc123", &m_context, [&](const QString& r, const QString& e) {
        runtime = r;
        error = e;
    });
    ASSERT_TRUE(QTest::qWaitFor([&] { return error != QLatin1String("unset"); }, 10000));
    EXPECT_EQ(runtime, "sysbox-runc");

    QStringList removeErrors;
    client.removeContainer("abc123", &m_context, [&](const QString& e) { removeErrors << e; });
    client.removeContainer("def456", &m_context, [&](const QString& e) { removeErrors << e; });
    ASSERT_TRUE(QTest::qWaitFor([&] { return removeErrors.size() == 2; }, 10000));
    EXPECT_TRUE(removeErrors.contains(QString()));
    EXPECT_TRUE(removeErrors.contains(QStringLiteral("HTTP 409: removal in progress")));
}

TEST_F(EngineEndpoint, ReadsTheVersion)
{
    FakeDockerApi engine(m_certs);
    engine.route("GET /version", {200, R"({"Version":"20.10.24+dfsg1","ApiVersion":"1.41","Os":"linux"})"});
    nlohmann::json version;
    bool done = false;
    api(engine.port()).version(&m_context, [&](const nlohmann::json& v, const QString&) {
        version = v;
        done = true;
    });
    ASSERT_TRUE(QTest::qWaitFor([&] { return done; }, 10000));
    EXPECT_EQ(version.value("ApiVersion", ""), "1.41");
}

TEST_F(EngineEndpoint, DroppedWithItsContextAndWaitedForSynchronously)
{
    FakeDockerApi engine(m_certs);
    engine.route("GET /_ping", {200, "OK"});
    const DockerApi client = api(engine.port());
    bool called = false;
    {
        QObject shortLived;
        client.ping(&shortLived, [&](bool, const QString&) { called = true; });
    }
    bool ok = false;
    const bool finished = DockerApi::waitFor(
        [&](QObject* ctx, std::function<void()> finish) {
            client.ping(ctx, [&ok, finish](bool pong, const QString&) {
                ok = pong;
                finish();
            });
        },
        10s);
    EXPECT_TRUE(finished);
    EXPECT_TRUE(ok);
    EXPECT_FALSE(called);
}

// A context destroyed while its request waits on an open connection (a window closed while the
// engine works on its request): the answer never comes, not even from the socket's teardown.
TEST_F(EngineEndpoint, ContextDestroyedOnAnOpenConnectionIsNeverAnswered)
{
    FakeDockerApi engine(m_certs);
    engine.silent = true;
    const DockerApi client = api(engine.port());
    int called = 0;
    auto context = std::make_unique<QObject>();
    client.diskUsage(context.get(), [&called](const DiskUsage&, const QString&) { ++called; });
    ASSERT_TRUE(QTest::qWaitFor([&] { return engine.requests.contains(QStringLiteral("GET /system/df")); }, 10000));
    context.reset();
    QCoreApplication::processEvents();
    EXPECT_EQ(called, 0);
}

TEST(HttpResponseParser, HandlesLengthChunksAndGarbage)
{
    HttpResponse r;
    ASSERT_TRUE(parseHttpResponse("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOKextra", &r));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "OK");

    r = {};
    ASSERT_TRUE(parseHttpResponse(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\n[1,\r\n2\r\n2]\r\n0\r\n\r\n", &r));
    EXPECT_EQ(r.body, "[1,2]");

    r = {};
    EXPECT_FALSE(parseHttpResponse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nshort", &r));
    EXPECT_FALSE(r.error.isEmpty());
    r = {};
    EXPECT_FALSE(parseHttpResponse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", &r));
    r = {};
    EXPECT_FALSE(parseHttpResponse("SSH-2.0-OpenSSH\r\n\r\n", &r));
    r = {};
    EXPECT_FALSE(parseHttpResponse("", &r));
    EXPECT_THAT(r.error.toStdString(), HasSubstr("without answering"));
}

namespace {

TEST_F(EngineEndpoint, EventsArriveOneObjectALineUntilTheEngineClosesTheStream)
{
    FakeDockerApi engine(m_certs);
    const QByteArray filters = R"({"type":["container"]})";
    engine.route("GET /events?filters=" + QUrl::toPercentEncoding(QString::fromUtf8(filters)),
                 {200,
                  R"({"Type":"container","Action":"start"})"
                  "\n"
                  R"({"Type":"container",)",
                  false, /*stream=*/true});
    QString error;
    const auto tls = DockerApi::tlsConfiguration(m_certs, &error);
    ASSERT_TRUE(tls) << error.toStdString();
    EngineEvents events(engine.port(), *tls);
    QList<QByteArray> received;
    QString ended;
    bool opened = false;
    QObject::connect(&events, &EngineEvents::opened, [&] { opened = true; });
    QObject::connect(&events, &EngineEvents::eventReceived, [&](const QByteArray& json) { received << json; });
    QObject::connect(&events, &EngineEvents::ended, [&](const QString& reason) { ended = reason; });
    events.start(filters);
    ASSERT_TRUE(QTest::qWaitFor([&] { return received.size() == 1; }, 10000));
    EXPECT_TRUE(opened);
    EXPECT_EQ(received[0], R"({"Type":"container","Action":"start"})");
    // The rest of a line split across writes, then another whole one.
    engine.pushEvent(R"("Action":"die"})");
    engine.pushEvent(R"({"Type":"container","Action":"stop"})");
    ASSERT_TRUE(QTest::qWaitFor([&] { return received.size() == 3; }, 10000));
    EXPECT_EQ(received[1], R"({"Type":"container","Action":"die"})");
    EXPECT_TRUE(ended.isEmpty());
    engine.closeStreams();
    ASSERT_TRUE(QTest::qWaitFor([&] { return !ended.isEmpty(); }, 10000));
    EXPECT_FALSE(events.isActive());
}

TEST_F(EngineEndpoint, AnEventStreamTheEngineRefusesEndsWithItsStatus)
{
    FakeDockerApi engine(m_certs);  // every route answers 404
    QString error;
    const auto tls = DockerApi::tlsConfiguration(m_certs, &error);
    ASSERT_TRUE(tls) << error.toStdString();
    EngineEvents events(engine.port(), *tls);
    QString ended;
    QObject::connect(&events, &EngineEvents::ended, [&](const QString& reason) { ended = reason; });
    events.start("{}");
    ASSERT_TRUE(QTest::qWaitFor([&] { return !ended.isEmpty(); }, 10000));
    EXPECT_THAT(ended.toStdString(), ::testing::HasSubstr("404"));
}

}  // namespace
