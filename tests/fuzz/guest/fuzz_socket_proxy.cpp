// libFuzzer target over the ECI socket filter's parsers and decision (socket_proxy.h): any bytes
// from a container must give a clean verdict, never a crash, and a verdict of "allowed" must come
// with a head the parser fully vouched for.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "berth/guest/eci/socket_proxy.h"

using namespace berth::guest::eci;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    static const Policy deny = [] {
        Policy p;
        p.enabled = true;
        p.commands = {"volume*", "push", "image*"};
        return p;
    }();
    static const Policy allow = [] {
        Policy p = deny;
        p.commandListType = "allow";
        p.commands = {"ps", "container*"};
        return p;
    }();

    const ParseResult request = parseRequestHead(text);
    if (request.status == ParseResult::Status::Ok) {
        const HttpHead& head = request.head;
        // What is decided on is a clean absolute path; the head ends where the parser said.
        if (head.path.empty() || head.path.front() != '/' || head.size > text.size()
            || text.substr(head.size - 4, 4) != "\r\n\r\n" || head.path.find("/../") != std::string::npos) {
            std::abort();
        }
        std::string error;
        (void)requestFraming(head, &error);
        (void)keepAlive(head, head);
    }
    (void)decideRequest(deny, text);
    (void)decideRequest(allow, text);

    const ParseResult response = parseResponseHead(text);
    if (response.status == ParseResult::Status::Ok) { (void)responseFraming(response.head, "GET"); }

    // The chunked scanner, fed in two pieces: the split must not change where the body ends.
    ChunkedScanner whole;
    const std::size_t all = whole.feed(text);
    ChunkedScanner split;
    const std::size_t cut = size / 2;
    std::size_t used = split.feed(text.substr(0, cut));
    if (used == cut && !split.done() && !split.bad()) { used += split.feed(text.substr(cut)); }
    if (whole.done() != split.done() || (whole.done() && all != used)) { std::abort(); }
    return 0;
}
