#include "berth/guest/eci/socket_proxy.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

#include "berth/guest/eci/request_target.h"

namespace berth::guest::eci {

namespace {

char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b)
{
    return a.size() == b.size()
        && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

std::string_view trim(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) { s.remove_prefix(1); }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) { s.remove_suffix(1); }
    return s;
}

// RFC 9110 tchar.
bool isTokenChar(unsigned char c)
{
    if (c >= '0' && c <= '9') { return true; }
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) { return true; }
    return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != 0;
}

bool isToken(std::string_view s)
{
    return !s.empty()
        && std::all_of(s.begin(), s.end(), [](char c) { return isTokenChar(static_cast<unsigned char>(c)); });
}

ParseResult bad(std::string error)
{
    ParseResult result;
    result.status = ParseResult::Status::Bad;
    result.error = std::move(error);
    return result;
}

// Splits the head into lines and checks the header fields; the start line is the caller's.
ParseResult parseHead(std::string_view data, std::vector<std::string_view>* lines)
{
    const auto end = data.find("\r\n\r\n");
    if (end == std::string_view::npos) {
        if (data.size() > kMaxHeadBytes) { return bad("request head too large"); }
        // A bare LF or a NUL already seen can never become valid: refuse now, not at the limit.
        for (std::size_t i = 0; i < data.size(); ++i) {
            const char c = data[i];
            if (c == '\0' || (c == '\n' && (i == 0 || data[i - 1] != '\r'))) { return bad("malformed head"); }
            if (c == '\r' && i + 1 < data.size() && data[i + 1] != '\n') { return bad("malformed head"); }
        }
        return {};
    }
    if (end + 4 > kMaxHeadBytes) { return bad("request head too large"); }
    std::string_view head = data.substr(0, end);
    for (std::size_t pos = 0;;) {
        const auto next = head.find("\r\n", pos);
        lines->push_back(head.substr(pos, next == std::string_view::npos ? std::string_view::npos : next - pos));
        if (next == std::string_view::npos) { break; }
        pos = next + 2;
    }
    for (const auto line : *lines) {
        for (const char c : line) {
            const auto u = static_cast<unsigned char>(c);
            if ((u < 0x20 && c != '\t') || u == 0x7f) { return bad("control character in the head"); }
        }
    }
    ParseResult result;
    result.status = ParseResult::Status::Ok;
    result.head.size = end + 4;
    for (std::size_t i = 1; i < lines->size(); ++i) {
        const std::string_view line = (*lines)[i];
        if (line.empty() || line.front() == ' ' || line.front() == '\t') { return bad("folded or empty header line"); }
        const auto colon = line.find(':');
        if (colon == std::string_view::npos) { return bad("header without a colon"); }
        const std::string_view name = line.substr(0, colon);
        if (!isToken(name)) { return bad("malformed header name"); }
        result.head.headers.emplace_back(std::string(name), std::string(trim(line.substr(colon + 1))));
    }
    return result;
}

bool validVersion(std::string_view v)
{
    return v == "HTTP/1.1" || v == "HTTP/1.0";
}

bool parseLength(std::string_view text, std::uint64_t* value)
{
    if (text.empty() || text.size() > 18) { return false; }
    std::uint64_t n = 0;
    for (const char c : text) {
        if (c < '0' || c > '9') { return false; }
        n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    *value = n;
    return true;
}

}  // namespace

std::vector<std::string> HttpHead::values(std::string_view name) const
{
    std::vector<std::string> out;
    for (const auto& [key, value] : headers) {
        if (equalsIgnoreCase(key, name)) { out.push_back(value); }
    }
    return out;
}

bool HttpHead::hasToken(std::string_view name, std::string_view token) const
{
    for (const auto& value : values(name)) {
        std::string_view rest = value;
        while (!rest.empty()) {
            const auto comma = rest.find(',');
            if (equalsIgnoreCase(trim(rest.substr(0, comma)), token)) { return true; }
            if (comma == std::string_view::npos) { break; }
            rest.remove_prefix(comma + 1);
        }
    }
    return false;
}

ParseResult parseRequestHead(std::string_view data)
{
    std::vector<std::string_view> lines;
    ParseResult result = parseHead(data, &lines);
    if (result.status != ParseResult::Status::Ok) { return result; }
    const std::string_view line = lines.front();
    const auto first = line.find(' ');
    const auto second = first == std::string_view::npos ? first : line.find(' ', first + 1);
    if (second == std::string_view::npos || line.find(' ', second + 1) != std::string_view::npos) {
        return bad("malformed request line");
    }
    const std::string_view method = line.substr(0, first);
    const std::string_view target = line.substr(first + 1, second - first - 1);
    const std::string_view version = line.substr(second + 1);
    if (!isToken(method)) { return bad("malformed method"); }
    if (!validVersion(version)) { return bad("unsupported HTTP version"); }
    if (target.empty() || target.front() != '/') { return bad("the target is not an absolute path"); }
    for (const char c : target) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f) { return bad("a character the target may not carry"); }
    }
    std::string error;
    auto path = decodePath(target, &error);
    if (!path) { return bad(error); }
    result.head.method = std::string(method);
    result.head.target = std::string(target);
    result.head.path = std::move(*path);
    result.head.version = std::string(version);
    return result;
}

ParseResult parseResponseHead(std::string_view data)
{
    std::vector<std::string_view> lines;
    ParseResult result = parseHead(data, &lines);
    if (result.status != ParseResult::Status::Ok) { return result; }
    const std::string_view line = lines.front();
    // "HTTP/1.1 200 OK" (the reason may be empty, or hold spaces).
    if (line.size() < 12 || !validVersion(line.substr(0, 8)) || line[8] != ' '
        || (line.size() > 12 && line[12] != ' ')) {
        return bad("malformed status line");
    }
    int status = 0;
    for (std::size_t i = 9; i < 12; ++i) {
        if (line[i] < '0' || line[i] > '9') { return bad("malformed status code"); }
        status = status * 10 + (line[i] - '0');
    }
    if (status < 100) { return bad("malformed status code"); }
    result.head.version = std::string(line.substr(0, 8));
    result.head.status = status;
    return result;
}

std::optional<BodyFraming> requestFraming(const HttpHead& request, std::string* error)
{
    const auto codings = request.values("Transfer-Encoding");
    const auto lengths = request.values("Content-Length");
    if (!codings.empty()) {
        if (!lengths.empty() || codings.size() != 1 || !equalsIgnoreCase(codings.front(), "chunked")
            || request.version != "HTTP/1.1") {
            *error = "unsupported body framing (Transfer-Encoding)";
            return std::nullopt;
        }
        return BodyFraming{BodyFraming::Kind::Chunked, 0};
    }
    if (lengths.empty()) { return BodyFraming{}; }
    std::uint64_t length = 0;
    for (const auto& value : lengths) {
        std::uint64_t n = 0;
        if (!parseLength(value, &n) || (&value != &lengths.front() && n != length)) {
            *error = "malformed Content-Length";
            return std::nullopt;
        }
        length = n;
    }
    if (length == 0) { return BodyFraming{}; }
    return BodyFraming{BodyFraming::Kind::Length, length};
}

BodyFraming responseFraming(const HttpHead& response, std::string_view requestMethod)
{
    if (requestMethod == "HEAD" || (response.status >= 100 && response.status < 200) || response.status == 204
        || response.status == 304) {
        return {};
    }
    if (response.hasToken("Transfer-Encoding", "chunked")) { return {BodyFraming::Kind::Chunked, 0}; }
    const auto lengths = response.values("Content-Length");
    std::uint64_t length = 0;
    if (lengths.size() == 1 && parseLength(lengths.front(), &length)) {
        return length == 0 ? BodyFraming{} : BodyFraming{BodyFraming::Kind::Length, length};
    }
    return {BodyFraming::Kind::UntilClose, 0};
}

bool keepAlive(const HttpHead& request, const HttpHead& response)
{
    const auto open = [](const HttpHead& head) {
        if (head.hasToken("Connection", "close")) { return false; }
        return head.version == "HTTP/1.1" || head.hasToken("Connection", "keep-alive");
    };
    return open(request) && open(response);
}

std::size_t ChunkedScanner::feed(std::string_view data)
{
    constexpr std::size_t kMaxLine = 4096;  // an extension or a trailer line
    std::size_t i = 0;
    while (i < data.size() && m_state != State::Done && m_state != State::Bad) {
        const char c = data[i];
        switch (m_state) {
        case State::Size:
            if (const int v = hexValue(c); v >= 0) {
                if (++m_digits > 15) {
                    m_state = State::Bad;
                    break;
                }  // < 2^60: no overflow
                m_remaining = m_remaining * 16 + static_cast<std::uint64_t>(v);
            } else if (m_digits > 0 && c == ';') {
                m_state = State::Extension;
                m_lineBytes = 0;
            } else if (m_digits > 0 && c == '\r') {
                m_state = State::SizeLf;
            } else {
                m_state = State::Bad;
                break;
            }
            ++i;
            break;
        case State::Extension:
            if (c == '\r') {
                m_state = State::SizeLf;
            } else if (c == '\n' || ++m_lineBytes > kMaxLine) {
                m_state = State::Bad;
                break;
            }
            ++i;
            break;
        case State::SizeLf:
            if (c != '\n') {
                m_state = State::Bad;
                break;
            }
            ++i;
            m_digits = 0;
            m_state = m_remaining == 0 ? State::TrailerStart : State::Data;
            break;
        case State::Data: {
            const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(m_remaining, data.size() - i));
            i += n;
            m_remaining -= n;
            if (m_remaining == 0) { m_state = State::DataCr; }
            break;
        }
        case State::DataCr:
            if (c != '\r') {
                m_state = State::Bad;
                break;
            }
            ++i;
            m_state = State::DataLf;
            break;
        case State::DataLf:
            if (c != '\n') {
                m_state = State::Bad;
                break;
            }
            ++i;
            m_state = State::Size;
            break;
        case State::TrailerStart:
            ++i;
            if (c == '\r') {
                m_state = State::FinalLf;
            } else if (isTokenChar(static_cast<unsigned char>(c))) {
                m_state = State::Trailer;
                m_lineBytes = 1;
            } else {
                m_state = State::Bad;
            }
            break;
        case State::Trailer:
            if (c == '\r') {
                m_state = State::TrailerLf;
            } else if (c == '\n' || c == '\0' || ++m_lineBytes > kMaxLine) {
                m_state = State::Bad;
                break;
            }
            ++i;
            break;
        case State::TrailerLf:
            if (c != '\n') {
                m_state = State::Bad;
                break;
            }
            ++i;
            m_state = State::TrailerStart;
            break;
        case State::FinalLf:
            if (c != '\n') {
                m_state = State::Bad;
                break;
            }
            ++i;
            m_state = State::Done;
            break;
        case State::Done:
        case State::Bad: break;
        }
    }
    return i;
}

Decision decide(const Policy& policy, const HttpHead& request)
{
    if (commandAllowed(policy, request.method, request.path)) { return {true, 0, {}}; }
    return {false, 403, blockedCommandMessage(request.target)};
}

Decision decideRequest(const Policy& policy, std::string_view data)
{
    const ParseResult parsed = parseRequestHead(data);
    if (parsed.status == ParseResult::Status::Incomplete) { return {false, 400, "incomplete request head"}; }
    if (parsed.status == ParseResult::Status::Bad) { return {false, 400, "bad request: " + parsed.error}; }
    std::string error;
    if (!requestFraming(parsed.head, &error)) { return {false, 400, "bad request: " + error}; }
    return decide(policy, parsed.head);
}

std::string errorResponse(int status, const std::string& message)
{
    const char* reason = status == 403 ? "Forbidden"
        : status == 400                ? "Bad Request"
        : status == 502                ? "Bad Gateway"
        : status == 503                ? "Service Unavailable"
                                       : "Error";
    const std::string body
        = nlohmann::json{{"message", message}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    return "HTTP/1.1 " + std::to_string(status) + " " + reason
        + "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size())
        + "\r\nConnection: close\r\n\r\n" + body;
}

// ---- The relay ---------------------------------------------------------------------------------

namespace {

constexpr std::size_t kBuffer = 64 * 1024;

bool sendAll(int fd, std::string_view data)
{
    while (!data.empty()) {
        const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) { continue; }
        if (n <= 0) { return false; }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

// Appends what arrives; false at end of stream or error, or once `watch` (when given) hangs up:
// a client gone while an endless response (events, logs --follow) is quiet frees its connection.
bool receiveMore(int fd, std::string* buffer, int watch = -1)
{
    char chunk[kBuffer];
    for (;;) {
        if (watch >= 0) {
            // Only hang-ups are watched on the client: bytes it sends now wait for the next request.
            pollfd fds[2] = {{fd, POLLIN, 0}, {watch, POLLRDHUP, 0}};
            if (::poll(fds, 2, -1) < 0) {
                if (errno == EINTR) { continue; }
                return false;
            }
            if ((fds[1].revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0) { return false; }
            if (fds[0].revents == 0) { continue; }
        }
        const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n < 0 && errno == EINTR) { continue; }
        if (n <= 0) { return false; }
        buffer->append(chunk, static_cast<std::size_t>(n));
        return true;
    }
}

int connectUnix(const std::string& path)
{
    sockaddr_un address{};
    if (path.size() >= sizeof address.sun_path) { return -1; }
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) { return -1; }
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        const int saved = errno;
        ::close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

// Passes one body from `from` to `to`: first what `buffered` already holds, then from the socket.
// Leaves in `buffered` whatever followed the body. False when `from` ended early, the body is
// malformed, or `watch` hung up. *sinkFailed when writing to `to` failed: a request body is still
// read to its end (dockerd may have answered early, and the client should get that answer); a
// response is not (its reader, `watch`, is gone).
bool relayBody(int from, std::string* buffered, int to, const BodyFraming& framing, bool* sinkFailed, int watch = -1)
{
    const auto pass = [&](std::string_view bytes) {
        if (!*sinkFailed && !sendAll(to, bytes)) { *sinkFailed = true; }
        return !(*sinkFailed && watch >= 0);
    };
    if (framing.kind == BodyFraming::Kind::Length) {
        std::uint64_t remaining = framing.length;
        for (;;) {
            const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, buffered->size()));
            if (!pass(std::string_view(*buffered).substr(0, n))) { return false; }
            buffered->erase(0, n);
            remaining -= n;
            if (remaining == 0) { return true; }
            if (!receiveMore(from, buffered, watch)) { return false; }
        }
    }
    if (framing.kind == BodyFraming::Kind::Chunked) {
        ChunkedScanner scanner;
        for (;;) {
            const std::size_t n = scanner.feed(*buffered);
            if (!pass(std::string_view(*buffered).substr(0, n))) { return false; }
            buffered->erase(0, n);
            if (scanner.done()) { return true; }
            if (scanner.bad() || !receiveMore(from, buffered, watch)) { return false; }
        }
    }
    return true;
}

// A hijacked connection: bytes both ways until both sides are done, half-closes passed on.
void splice(int client, int upstream)
{
    bool clientOpen = true;
    bool upstreamOpen = true;
    char chunk[kBuffer];
    while (clientOpen || upstreamOpen) {
        pollfd fds[2] = {{clientOpen ? client : -1, POLLIN, 0}, {upstreamOpen ? upstream : -1, POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR) { continue; }
            return;
        }
        for (int side = 0; side < 2; ++side) {
            if (fds[side].fd < 0 || fds[side].revents == 0) { continue; }
            const int from = side == 0 ? client : upstream;
            const int to = side == 0 ? upstream : client;
            const ssize_t n = ::recv(from, chunk, sizeof chunk, 0);
            if (n < 0 && errno == EINTR) { continue; }
            if (n > 0 && sendAll(to, std::string_view(chunk, static_cast<std::size_t>(n)))) { continue; }
            if (n > 0) { return; }  // the other side is gone for good
            ::shutdown(to, SHUT_WR);
            (side == 0 ? clientOpen : upstreamOpen) = false;
            // dockerd closing the stream ends the exchange even if the client keeps its end open
            // only to read: its read side now sees EOF and it closes.
        }
    }
}

// Refuses a request: the answer first, then whatever the client still sends is read and dropped
// for a short while, so the client sees the answer rather than a broken pipe.
void refuse(int client, int status, const std::string& message)
{
    if (!sendAll(client, errorResponse(status, message))) { return; }
    ::shutdown(client, SHUT_WR);
    timeval timeout{2, 0};
    ::setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    char chunk[kBuffer];
    std::size_t drained = 0;
    while (drained < 64 * 1024 * 1024) {
        const ssize_t n = ::recv(client, chunk, sizeof chunk, 0);
        if (n <= 0) { break; }
        drained += static_cast<std::size_t>(n);
    }
}

class Fd {
public:
    explicit Fd(int fd = -1) : m_fd(fd) {}
    ~Fd() { reset(); }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return m_fd; }
    void reset(int fd = -1)
    {
        if (m_fd >= 0) { ::close(m_fd); }
        m_fd = fd;
    }

private:
    int m_fd;
};

// One exchange; false when the connection must end after it.
bool exchange(int client, std::string* fromClient, const Policy& policy, const std::string& upstreamSocket)
{
    ParseResult request;
    for (;;) {
        request = parseRequestHead(*fromClient);
        if (request.status != ParseResult::Status::Incomplete) { break; }
        if (!receiveMore(client, fromClient)) { return false; }  // the client is done
    }
    if (request.status == ParseResult::Status::Bad) {
        refuse(client, 400, "bad request: " + request.error);
        return false;
    }
    const HttpHead& head = request.head;
    std::string error;
    const auto framing = requestFraming(head, &error);
    if (!framing) {
        refuse(client, 400, "bad request: " + error);
        return false;
    }
    if (const Decision decision = decide(policy, head); !decision.allowed) {
        refuse(client, decision.status, decision.message);
        return false;
    }
    fromClient->erase(0, head.size);

    // The head goes on as parsed (every field checked), without Expect: the proxy answers that.
    std::string forward = head.method + " " + head.target + " " + head.version + "\r\n";
    for (const auto& [name, value] : head.headers) {
        if (equalsIgnoreCase(name, "Expect")) { continue; }
        forward += name + ": " + value + "\r\n";
    }
    forward += "\r\n";
    if (head.hasToken("Expect", "100-continue") && framing->kind != BodyFraming::Kind::None
        && !sendAll(client, "HTTP/1.1 100 Continue\r\n\r\n")) {
        return false;
    }

    Fd upstream(connectUnix(upstreamSocket));
    if (upstream.get() < 0) {
        refuse(client, 502,
               "enhanced container isolation: cannot reach the engine: " + std::string(std::strerror(errno)));
        return false;
    }
    bool upstreamFailed = !sendAll(upstream.get(), forward);
    if (!relayBody(client, fromClient, upstream.get(), *framing, &upstreamFailed)) { return false; }

    // The response (after any interim 1xx), streamed back as it comes.
    std::string fromUpstream;
    ParseResult response;
    for (;;) {
        response = parseResponseHead(fromUpstream);
        if (response.status == ParseResult::Status::Ok && response.head.status >= 100 && response.head.status < 200
            && response.head.status != 101) {
            if (!sendAll(client, std::string_view(fromUpstream).substr(0, response.head.size))) { return false; }
            fromUpstream.erase(0, response.head.size);
            continue;
        }
        if (response.status != ParseResult::Status::Incomplete) { break; }
        if (!receiveMore(upstream.get(), &fromUpstream, client)) {
            if (fromUpstream.empty()) {
                refuse(client, 502, "enhanced container isolation: the engine closed the connection");
            }
            return false;
        }
    }
    if (response.status == ParseResult::Status::Bad) { return false; }
    if (!sendAll(client, std::string_view(fromUpstream).substr(0, response.head.size))) { return false; }
    fromUpstream.erase(0, response.head.size);

    const BodyFraming answer = responseFraming(response.head, head.method);
    if (response.head.status == 101 || answer.kind == BodyFraming::Kind::UntilClose) {
        // Hijacked (attach, exec start): what either side already sent goes first.
        if (!sendAll(client, fromUpstream) || !sendAll(upstream.get(), *fromClient)) { return false; }
        fromClient->clear();
        splice(client, upstream.get());
        return false;
    }
    bool clientFailed = false;
    if (!relayBody(upstream.get(), &fromUpstream, client, answer, &clientFailed, client) || clientFailed) {
        return false;
    }
    return keepAlive(head, response.head) && !upstreamFailed;
}

}  // namespace

void serveConnection(int client, const Policy& policy, const std::string& upstreamSocket)
{
    Fd owned(client);
    std::string fromClient;
    while (exchange(client, &fromClient, policy, upstreamSocket)) {}
}

}  // namespace berth::guest::eci
