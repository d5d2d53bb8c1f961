#pragma once

// The engine socket an allowed container gets (dockerSocketMount.imageList): a filtering proxy in
// front of /run/docker.sock that enforces dockerSocketMount.commandList. HTTP/1.1 between the
// container's client and dockerd, request by request: a request head is parsed strictly (what we
// decide on must be what dockerd routes), checked against the list, and either refused with
// Docker's message (HTTP 403, {"message": ...}, which the docker CLI prints) or forwarded on a
// fresh engine connection with its body (Content-Length or chunked); the response streams back
// as it comes (chunked logs, events, pull progress), and a hijacked connection (101 for
// `Upgrade: tcp`, or a response without framing, as attach and exec start send) becomes a plain
// two-way byte relay. Anything the parser cannot vouch for is refused: fail closed.
//
// The parsing and decision functions are pure and take any bytes (fuzz-friendly); serveConnection
// is the relay over file descriptors.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "berth/guest/eci/policy.h"

namespace berth::guest::eci {

// Where the proxy listens: the socket is 0666 (a container's root is an unprivileged ID in the VM)
// inside a 0700 root directory, so only a bind mount (which the runtime wrapper makes for allowed
// images) reaches it.
inline constexpr const char* kGuardedSocketDir = "/run/berth/eci/engine";
inline constexpr const char* kGuardedSocket = "/run/berth/eci/engine/docker.sock";
inline constexpr const char* kEngineSocket = "/run/docker.sock";
inline constexpr const char* kSocketProxyProgram = "/usr/lib/berth/bin/berth-eci-socket";

// A request head larger than this is refused (dockerd's own limit is 1 MiB; the CLI sends < 8 KiB
// plus X-Registry-Auth, which is a few KiB of base64).
inline constexpr std::size_t kMaxHeadBytes = 256 * 1024;

struct HttpHead {
    // Request: method, target, version. Response: version, status, reason.
    std::string method;
    std::string target;  // as sent: "/v1.43/images/x/push?tag=1"
    std::string path;  // request: the target's path, percent-decoded (what dockerd routes on)
    std::string version;  // "HTTP/1.1" or "HTTP/1.0"
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;  // in order, names as sent
    std::size_t size = 0;  // bytes of the head, the blank line included

    // Every value of a header (case-insensitive name).
    std::vector<std::string> values(std::string_view name) const;
    // Whether a comma-separated header (Connection, ...) has a token (case-insensitive).
    bool hasToken(std::string_view name, std::string_view token) const;
};

struct ParseResult {
    enum class Status { Incomplete, Ok, Bad } status = Status::Incomplete;
    HttpHead head;
    std::string error;  // with Bad
};

// A request head at the start of `data`: strict (single spaces, origin-form target, CRLF only, no
// obs-fold, token header names, no control bytes, a clean path without "//", "." or ".."
// segments once decoded). Incomplete while no blank line is there and the head is within limits.
ParseResult parseRequestHead(std::string_view data);
// A response head (from dockerd, trusted, but still parsed with the same care).
ParseResult parseResponseHead(std::string_view data);

struct BodyFraming {
    enum class Kind { None, Length, Chunked, UntilClose } kind = Kind::None;
    std::uint64_t length = 0;
};
// A request's body: Content-Length (all values equal, digits only) or "Transfer-Encoding: chunked"
// alone; both, or any other coding, is an error (the request-smuggling shapes). nullopt + error.
std::optional<BodyFraming> requestFraming(const HttpHead& request, std::string* error);
// A response's body, given the request's method: none for HEAD, 1xx, 204 and 304; chunked, a
// length, or else everything until the connection closes.
BodyFraming responseFraming(const HttpHead& response, std::string_view requestMethod);
// Whether the connection may carry another request after this exchange.
bool keepAlive(const HttpHead& request, const HttpHead& response);

// Finds where a chunked body ends, byte by byte, so the relay can pass the bytes on as they come.
// Strict: CRLF only, hex sizes without overflow, bounded extensions and trailers.
class ChunkedScanner {
public:
    // Consumes the body's bytes at the start of `data`; returns how many belong to the body
    // (less than data.size() only when the body ended or is malformed).
    std::size_t feed(std::string_view data);
    bool done() const { return m_state == State::Done; }
    bool bad() const { return m_state == State::Bad; }

private:
    enum class State {
        Size,
        Extension,
        SizeLf,
        Data,
        DataCr,
        DataLf,
        TrailerStart,
        Trailer,
        TrailerLf,
        FinalLf,
        Done,
        Bad
    };
    State m_state = State::Size;
    std::uint64_t m_remaining = 0;
    int m_digits = 0;
    std::size_t m_lineBytes = 0;
};

struct Decision {
    bool allowed = false;
    int status = 0;  // when refused: 400 (cannot be parsed or framed) or 403 (blocked)
    std::string message;  // when refused
};
// What to do with a parsed request: commandList's decision on the decoded path, and 403 with
// Docker's wording when blocked.
Decision decide(const Policy& policy, const HttpHead& request);
// Everything, from the bytes of a request head: the parse, the framing and the decision.
Decision decideRequest(const Policy& policy, std::string_view data);

// A complete response carrying {"message": ...} and "Connection: close".
std::string errorResponse(int status, const std::string& message);

// Serves one client connection until either side closes it; every request on it goes to a fresh
// connection to upstreamSocket. Takes ownership of `client` (closes it).
void serveConnection(int client, const Policy& policy, const std::string& upstreamSocket);

}  // namespace berth::guest::eci
