#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "berth/guest/eci/socket_proxy.h"

using namespace berth::guest::eci;
using nlohmann::json;
using Status = ParseResult::Status;

namespace {

Policy denyPolicy(std::vector<std::string> commands)
{
    Policy p;
    p.enabled = true;
    p.commandListType = "deny";
    p.commands = std::move(commands);
    return p;
}

Policy allowPolicy(std::vector<std::string> commands)
{
    Policy p = denyPolicy(std::move(commands));
    p.commandListType = "allow";
    return p;
}

std::string get(const std::string& target)
{
    return "GET " + target + " HTTP/1.1\r\nHost: docker\r\nUser-Agent: Docker-Client/20.10\r\n\r\n";
}

}  // namespace

TEST(SocketProxyParse, AWellFormedRequestHead)
{
    const std::string data = "POST /v1.43/containers/create?name=x HTTP/1.1\r\nHost: docker\r\n"
                             "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
    const ParseResult r = parseRequestHead(data);
    ASSERT_EQ(r.status, Status::Ok) << r.error;
    EXPECT_EQ(r.head.method, "POST");
    EXPECT_EQ(r.head.target, "/v1.43/containers/create?name=x");
    EXPECT_EQ(r.head.path, "/v1.43/containers/create");
    EXPECT_EQ(r.head.version, "HTTP/1.1");
    EXPECT_EQ(r.head.size, data.size() - 2);
    EXPECT_EQ(r.head.values("content-length"), std::vector<std::string>{"2"});
    std::string error;
    const auto framing = requestFraming(r.head, &error);
    ASSERT_TRUE(framing) << error;
    EXPECT_EQ(framing->kind, BodyFraming::Kind::Length);
    EXPECT_EQ(framing->length, 2U);
}

TEST(SocketProxyParse, IncompleteUntilTheBlankLine)
{
    const std::string full = get("/_ping");
    for (std::size_t n = 0; n < full.size(); ++n) {
        EXPECT_EQ(parseRequestHead(full.substr(0, n)).status, Status::Incomplete) << n;
    }
    EXPECT_EQ(parseRequestHead(full).status, Status::Ok);
}

TEST(SocketProxyParse, RefusesWhatDockerdMightReadDifferently)
{
    const std::vector<std::string> malformed = {
        "GET /_ping HTTP/1.1\nHost: x\n\n",  // bare LF
        "GET /_ping HTTP/1.1\r\nHost: x\nContent-Length: 5\r\n\r\n",  // bare LF inside
        "GET  /_ping HTTP/1.1\r\n\r\n",  // two spaces
        "GET /_ping  HTTP/1.1\r\n\r\n",
        "GET http://docker/v1.43/volumes/create HTTP/1.1\r\n\r\n",  // absolute form
        "GET * HTTP/1.1\r\n\r\n",
        "GET /_ping HTTP/2.0\r\n\r\n",
        "GET /_ping HTTP/1.1\r\nHost: x\r\n folded: yes\r\n\r\n",  // obs-fold
        "GET /_ping HTTP/1.1\r\nHost : x\r\n\r\n",  // space before colon
        "GET /_ping HTTP/1.1\r\nNoColon\r\n\r\n",
        std::string("GET /_ping HTTP/1.1\r\nHost: x\0y\r\n\r\n", 34),  // NUL
        "GET /_ping HTTP/1.1\r\nHost: x\ry\r\n\r\n",  // bare CR
    };
    for (std::size_t i = 0; i < malformed.size(); ++i) {
        EXPECT_EQ(parseRequestHead(malformed[i]).status, Status::Bad) << i << ": " << malformed[i];
    }
    // Paths dockerd's router would clean or decode into something else.
    for (const std::string target : {"/v1.43/images/../volumes/create", "/v1.43//volumes/create", "/./volumes/create",
                                     "/volumes/%2e%2e/x", "/_ping%3F/../volumes", "/_ping%3f", "/_ping%23",
                                     "/volumes%2", "/volumes%zz/create", "/x%00y", "/x%20y", "/a\\b"}) {
        EXPECT_EQ(parseRequestHead(get(target)).status, Status::Bad) << target;
    }
    EXPECT_EQ(parseRequestHead(std::string(kMaxHeadBytes + 1, 'A')).status, Status::Bad);
}

TEST(SocketProxyParse, PercentEncodingIsDecodedBeforeTheDecision)
{
    const ParseResult r = parseRequestHead(get("/v1.43/volume%73/create"));
    ASSERT_EQ(r.status, Status::Ok) << r.error;
    EXPECT_EQ(r.head.path, "/v1.43/volumes/create");
    EXPECT_FALSE(decide(denyPolicy({"volume*"}), r.head).allowed);
}

TEST(SocketProxyParse, BodyFramingRefusesSmugglingShapes)
{
    const auto framing = [](const std::string& headers, std::string version = "HTTP/1.1") {
        const ParseResult r = parseRequestHead("POST /build " + version + "\r\nHost: x\r\n" + headers + "\r\n");
        EXPECT_EQ(r.status, Status::Ok) << r.error;
        std::string error;
        return requestFraming(r.head, &error);
    };
    EXPECT_EQ(framing("Transfer-Encoding: chunked\r\n")->kind, BodyFraming::Kind::Chunked);
    EXPECT_EQ(framing("transfer-encoding: Chunked\r\n")->kind, BodyFraming::Kind::Chunked);
    EXPECT_EQ(framing("")->kind, BodyFraming::Kind::None);
    EXPECT_EQ(framing("Content-Length: 0\r\n")->kind, BodyFraming::Kind::None);
    EXPECT_EQ(framing("Content-Length: 7\r\nContent-Length: 7\r\n")->length, 7U);
    EXPECT_FALSE(framing("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n"));
    EXPECT_FALSE(framing("Transfer-Encoding: gzip, chunked\r\n"));
    EXPECT_FALSE(framing("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"));
    EXPECT_FALSE(framing("Transfer-Encoding: chunked\r\n", "HTTP/1.0"));
    EXPECT_FALSE(framing("Content-Length: 5\r\nContent-Length: 6\r\n"));
    EXPECT_FALSE(framing("Content-Length: -1\r\n"));
    EXPECT_FALSE(framing("Content-Length: 0x10\r\n"));
    EXPECT_FALSE(framing("Content-Length: 99999999999999999999\r\n"));
}

TEST(SocketProxyParse, ResponseFramingAndKeepAlive)
{
    const auto response = [](const std::string& text) {
        const ParseResult r = parseResponseHead(text);
        EXPECT_EQ(r.status, Status::Ok) << r.error << ": " << text;
        return r.head;
    };
    const HttpHead chunked = response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    EXPECT_EQ(responseFraming(chunked, "GET").kind, BodyFraming::Kind::Chunked);
    EXPECT_EQ(responseFraming(chunked, "HEAD").kind, BodyFraming::Kind::None);
    EXPECT_EQ(responseFraming(response("HTTP/1.1 204 No Content\r\n\r\n"), "POST").kind, BodyFraming::Kind::None);
    EXPECT_EQ(responseFraming(response("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n"), "GET").length, 12U);
    // attach without Upgrade: dockerd answers 200 with a raw stream and no framing.
    const HttpHead raw = response("HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\n");
    EXPECT_EQ(responseFraming(raw, "POST").kind, BodyFraming::Kind::UntilClose);
    EXPECT_EQ(response("HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n").status, 101);
    EXPECT_EQ(response("HTTP/1.1 200\r\n\r\n").status, 200);

    const HttpHead request = parseRequestHead(get("/_ping")).head;
    const HttpHead ok = response("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n");
    EXPECT_TRUE(keepAlive(request, ok));
    EXPECT_FALSE(keepAlive(request, response("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")));
    EXPECT_FALSE(keepAlive(parseRequestHead("GET /_ping HTTP/1.1\r\nConnection: Close\r\n\r\n").head, ok));
    EXPECT_FALSE(keepAlive(parseRequestHead("GET /_ping HTTP/1.0\r\n\r\n").head, ok));
    EXPECT_TRUE(keepAlive(parseRequestHead("GET /_ping HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").head, ok));
    EXPECT_EQ(parseResponseHead("HTTP/1.1 2x0 OK\r\n\r\n").status, Status::Bad);
    EXPECT_EQ(parseResponseHead("SPDY/3 200 OK\r\n\r\n").status, Status::Bad);
}

TEST(SocketProxyChunked, FindsTheEndWhateverTheSplit)
{
    const std::string body = "5\r\nhello\r\n1A;ext=1\r\n" + std::string(26, 'x') + "\r\n0\r\nTrailer: t\r\n\r\n";
    const std::string data = body + "GET /next";
    for (std::size_t split = 0; split <= data.size(); ++split) {
        ChunkedScanner scanner;
        std::size_t used = scanner.feed(std::string_view(data).substr(0, split));
        if (!scanner.done()) { used += scanner.feed(std::string_view(data).substr(used)); }
        EXPECT_TRUE(scanner.done()) << split;
        EXPECT_EQ(used, body.size()) << split;
    }
}

TEST(SocketProxyChunked, RefusesMalformedBodies)
{
    for (const std::string body : {"5\nhello\r\n0\r\n\r\n", "5\r\nhelloX\r\n0\r\n\r\n", "g\r\n", ";x\r\n",
                                   "10000000000000000\r\n", "0\r\n\n", "0\r\nTrailer\n\r\n", "5 \r\nhello\r\n"}) {
        ChunkedScanner scanner;
        scanner.feed(body);
        EXPECT_TRUE(scanner.bad()) << body;
        EXPECT_FALSE(scanner.done()) << body;
    }
}

TEST(SocketProxyDecision, DenyListWithGroupWildcards)
{
    const Policy policy = denyPolicy({"volume*", "push", "build"});
    const auto allowed = [&](const std::string& method, const std::string& target) {
        return decideRequest(policy, method + " " + target + " HTTP/1.1\r\nHost: docker\r\n\r\n").allowed;
    };
    EXPECT_TRUE(allowed("GET", "/_ping"));
    EXPECT_TRUE(allowed("GET", "/v1.43/version"));
    EXPECT_TRUE(allowed("GET", "/v1.43/containers/json"));
    EXPECT_TRUE(allowed("POST", "/v1.43/containers/create"));
    EXPECT_FALSE(allowed("POST", "/v1.43/volumes/create"));
    EXPECT_FALSE(allowed("GET", "/volumes"));
    EXPECT_FALSE(allowed("POST", "/v1.43/images/myimage/push?tag=latest"));
    EXPECT_FALSE(allowed("POST", "/v1.43/build?t=x"));

    const Decision refused = decideRequest(policy, "POST /v1.43/images/myimage/push?tag=latest HTTP/1.1\r\n\r\n");
    EXPECT_EQ(refused.status, 403);
    EXPECT_EQ(refused.message,
              "enhanced container isolation: docker command \"/v1.43/images/myimage/push?tag=latest\" "
              "is blocked; if you wish to allow it, configure the docker socket command list in the "
              "Berth settings or admin-settings.");
}

TEST(SocketProxyDecision, AllowListAndMalformedRequests)
{
    const Policy policy = allowPolicy({"ps", "container*", "image*"});
    EXPECT_TRUE(decideRequest(policy, get("/_ping")).allowed);
    EXPECT_TRUE(decideRequest(policy, get("/v1.43/containers/json")).allowed);
    EXPECT_TRUE(decideRequest(policy, get("/v1.43/images/json")).allowed);
    EXPECT_FALSE(decideRequest(policy, get("/v1.43/volumes")).allowed);
    EXPECT_FALSE(decideRequest(policy, get("/v1.43/info")).allowed);
    EXPECT_FALSE(decideRequest(policy, get("/v1.43/plugins")).allowed);  // unknown: not on an allow list
    const Decision bad
        = decideRequest(policy, "GET /_ping HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n");
    EXPECT_FALSE(bad.allowed);
    EXPECT_EQ(bad.status, 400);
    EXPECT_FALSE(decideRequest(policy, "GET /_ping HTTP/1.1\r\n").allowed);  // incomplete
}

TEST(SocketProxyDecision, TheRefusalIsWhatTheDockerCliPrints)
{
    const std::string response = errorResponse(403, "docker command \"/x\" is blocked");
    const ParseResult r = parseResponseHead(response);
    ASSERT_EQ(r.status, Status::Ok);
    EXPECT_EQ(r.head.status, 403);
    EXPECT_EQ(r.head.values("Content-Type"), std::vector<std::string>{"application/json"});
    const std::string body = response.substr(r.head.size);
    EXPECT_EQ(r.head.values("Content-Length"), std::vector<std::string>{std::to_string(body.size())});
    EXPECT_EQ(json::parse(body)["message"], "docker command \"/x\" is blocked");
    EXPECT_FALSE(keepAlive(parseRequestHead(get("/_ping")).head, r.head));
}

// ---- The relay, against a fake engine on a real unix socket ------------------------------------

namespace {

bool sendText(int fd, const std::string& text)
{
    return ::send(fd, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size());
}

std::string receiveUntil(int fd, const std::string& marker)
{
    std::string data;
    char buffer[4096];
    while (data.find(marker) == std::string::npos) {
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0) { break; }
        data.append(buffer, static_cast<std::size_t>(n));
    }
    return data;
}

std::string receiveAll(int fd)
{
    std::string data;
    char buffer[4096];
    for (;;) {
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0) { return data; }
        data.append(buffer, static_cast<std::size_t>(n));
    }
}

// One request per connection, as the proxy sends them; answers by path.
class FakeEngine {
public:
    FakeEngine()
    {
        char dir[] = "/tmp/berth-proxy-test-XXXXXX";
        m_dir = ::mkdtemp(dir);
        m_path = m_dir + "/docker.sock";
        m_listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::strncpy(address.sun_path, m_path.c_str(), sizeof address.sun_path - 1);
        if (::bind(m_listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0
            || ::listen(m_listener, 16) != 0) {
            ADD_FAILURE() << "cannot listen on " << m_path;
        }
        m_thread = std::thread([this] { run(); });
    }
    ~FakeEngine()
    {
        ::shutdown(m_listener, SHUT_RDWR);
        m_thread.join();
        ::close(m_listener);
        std::filesystem::remove_all(m_dir);
    }
    const std::string& path() const { return m_path; }
    int connections() const { return m_connections; }
    std::vector<std::string> requests() const
    {
        std::lock_guard lock(m_mutex);
        return m_requests;
    }

private:
    void run()
    {
        for (;;) {
            const int fd = ::accept(m_listener, nullptr, nullptr);
            if (fd < 0) { return; }
            ++m_connections;
            serve(fd);
            ::close(fd);
        }
    }
    void serve(int fd)
    {
        std::string data = receiveUntil(fd, "\r\n\r\n");
        const ParseResult r = parseRequestHead(data);
        if (r.status != Status::Ok) { return; }
        std::string body = data.substr(r.head.size);
        std::string error;
        const auto framing = requestFraming(r.head, &error);
        if (framing && framing->kind == BodyFraming::Kind::Chunked) {
            while (body.find("0\r\n\r\n") == std::string::npos) {
                const std::string more = receiveUntil(fd, "0\r\n\r\n");
                if (more.empty()) { break; }
                body += more;
            }
        } else if (framing && framing->kind == BodyFraming::Kind::Length) {
            while (body.size() < framing->length) {
                char c[4096];
                const ssize_t n = ::recv(fd, c, sizeof c, 0);
                if (n <= 0) { break; }
                body.append(c, static_cast<std::size_t>(n));
            }
        }
        {
            std::lock_guard lock(m_mutex);
            m_requests.push_back(data.substr(0, r.head.size) + body);
        }
        const std::string& path = r.head.path;
        if (path == "/_ping") {
            sendText(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK");
        } else if (path == "/v1.43/events") {
            // A stream: the head and a first chunk now, the rest when the test asks.
            sendText(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nevent1\r\n");
            receiveUntil(fd, "never");  // until the proxy hangs up
        } else if (path == "/v1.43/containers/json") {
            sendText(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n[]\r\n0\r\n\r\n");
        } else if (path == "/v1.43/build") {
            sendText(fd, "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
        } else if (path == "/v1.43/exec/abc/start") {
            sendText(fd,
                     "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n"
                     "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n");
            const std::string input = receiveAll(fd);  // stdin until the client half-closes
            sendText(fd, "echo:" + input);
        } else {
            sendText(fd, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        }
    }

    std::string m_dir;
    std::string m_path;
    int m_listener = -1;
    std::thread m_thread;
    std::atomic<int> m_connections{0};
    mutable std::mutex m_mutex;
    std::vector<std::string> m_requests;
};

struct Relay {
    Relay(const Policy& policy, const std::string& upstream)
    {
        int fds[2];
        EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
        client = fds[0];
        thread = std::thread([fd = fds[1], policy, upstream] { serveConnection(fd, policy, upstream); });
    }
    ~Relay()
    {
        ::close(client);
        thread.join();
    }
    int client = -1;
    std::thread thread;
};

}  // namespace

TEST(SocketProxyRelay, KeepAliveChunkedResponsesAndAChunkedUpload)
{
    FakeEngine engine;
    Relay relay(denyPolicy({"volume*"}), engine.path());
    ASSERT_TRUE(sendText(relay.client, get("/_ping")));
    EXPECT_EQ(receiveUntil(relay.client, "\r\n\r\nOK"), "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK");
    ASSERT_TRUE(sendText(relay.client, get("/v1.43/containers/json")));
    EXPECT_EQ(receiveUntil(relay.client, "0\r\n\r\n"),
              "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n[]\r\n0\r\n\r\n");
    const std::string upload = "3\r\ntar\r\n0\r\n\r\n";
    ASSERT_TRUE(sendText(relay.client,
                         "POST /v1.43/build HTTP/1.1\r\nHost: docker\r\nTransfer-Encoding: chunked\r\n"
                         "Expect: 100-continue\r\n\r\n"));
    EXPECT_EQ(receiveUntil(relay.client, "\r\n\r\n"), "HTTP/1.1 100 Continue\r\n\r\n");
    ASSERT_TRUE(sendText(relay.client, upload));
    EXPECT_EQ(receiveUntil(relay.client, upload),
              "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(upload.size()) + "\r\n\r\n" + upload);
    EXPECT_EQ(engine.connections(), 3);
    const auto requests = engine.requests();
    ASSERT_EQ(requests.size(), 3U);
    EXPECT_EQ(requests[2].find("Expect"), std::string::npos);  // answered by the proxy
}

TEST(SocketProxyRelay, ABlockedCommandNeverReachesTheEngine)
{
    FakeEngine engine;
    Relay relay(denyPolicy({"volume*"}), engine.path());
    ASSERT_TRUE(
        sendText(relay.client, "POST /v1.43/volumes/create HTTP/1.1\r\nHost: docker\r\nContent-Length: 2\r\n\r\n{}"));
    const std::string response = receiveAll(relay.client);
    const ParseResult r = parseResponseHead(response);
    ASSERT_EQ(r.status, Status::Ok) << response;
    EXPECT_EQ(r.head.status, 403);
    EXPECT_EQ(json::parse(response.substr(r.head.size))["message"], blockedCommandMessage("/v1.43/volumes/create"));
    EXPECT_EQ(engine.connections(), 0);
}

TEST(SocketProxyRelay, AMalformedRequestIsRefusedAndTheConnectionEnds)
{
    FakeEngine engine;
    Relay relay(denyPolicy({}), engine.path());
    ASSERT_TRUE(
        sendText(relay.client, "POST /_ping HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"));
    const std::string response = receiveAll(relay.client);
    EXPECT_EQ(response.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0U) << response;
    EXPECT_EQ(engine.connections(), 0);
}

TEST(SocketProxyRelay, AnUpgradedExecStreamsBothWaysWithHalfClose)
{
    FakeEngine engine;
    Relay relay(denyPolicy({"volume*"}), engine.path());
    const std::string body = R"({"Detach":false,"Tty":false})";
    ASSERT_TRUE(sendText(relay.client,
                         "POST /v1.43/exec/abc/start HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\n"
                         "Upgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: "
                             + std::to_string(body.size()) + "\r\n\r\n" + body));
    const std::string head = receiveUntil(relay.client, "\r\n\r\n");
    EXPECT_EQ(head.rfind("HTTP/1.1 101 UPGRADED\r\n", 0), 0U) << head;
    ASSERT_TRUE(sendText(relay.client, "stdin bytes"));
    ::shutdown(relay.client, SHUT_WR);  // the CLI's end of stdin
    EXPECT_EQ(receiveAll(relay.client), "echo:stdin bytes");
    EXPECT_EQ(engine.requests().at(0).substr(engine.requests().at(0).size() - body.size()), body);
}

TEST(SocketProxyRelay, AStreamingResponseArrivesBeforeItEndsAndAClientHangUpEndsIt)
{
    FakeEngine engine;
    auto relay = std::make_unique<Relay>(denyPolicy({}), engine.path());
    ASSERT_TRUE(sendText(relay->client, get("/v1.43/events")));
    EXPECT_EQ(receiveUntil(relay->client, "event1\r\n"),
              "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nevent1\r\n");
    relay.reset();  // joins the relay: it noticed the client leaving while the engine was quiet
}
