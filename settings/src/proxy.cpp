#include "berth/settings/proxy.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <variant>

#include "berth/settings/schema.h"
#include "berth/settings/settings.h"

namespace berth::settings {

namespace {

// The host's loopback as the VM reaches it through QEMU's user network.
constexpr std::string_view kHostLoopbackFromGuest = "10.0.2.2";

struct AddressParts {
    std::string scheme;  // with "://", or empty
    std::string userinfo;  // with "@", or empty
    std::string host;  // brackets kept for IPv6
    std::string port;  // with ":", or empty
    std::string path;  // "" or "/"
};

std::variant<AddressParts, std::string> split(std::string_view address)
{
    AddressParts parts;
    std::string_view rest = address;
    if (const auto scheme = rest.find("://"); scheme != std::string_view::npos) {
        std::string name(rest.substr(0, scheme));
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
        constexpr std::array<std::string_view, 4> kSchemes = {"http", "https", "socks5", "socks5h"};
        if (std::find(kSchemes.begin(), kSchemes.end(), name) == kSchemes.end()) {
            return "the scheme \"" + std::string(rest.substr(0, scheme)) + "\" is not http, https, socks5 or socks5h";
        }
        parts.scheme = std::string(rest.substr(0, scheme + 3));
        rest.remove_prefix(scheme + 3);
    }
    if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
        parts.path = std::string(rest.substr(slash));
        rest = rest.substr(0, slash);
        if (parts.path != "/") { return std::string("a proxy address has no path"); }
    }
    if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
        parts.userinfo = std::string(rest.substr(0, at + 1));
        rest.remove_prefix(at + 1);
    }
    std::string_view port;
    if (rest.starts_with('[')) {
        const auto close = rest.find(']');
        if (close == std::string_view::npos) { return std::string("the IPv6 address has no closing ]"); }
        parts.host = std::string(rest.substr(0, close + 1));
        const auto after = rest.substr(close + 1);
        if (!after.empty() && !after.starts_with(':')) { return std::string("unexpected text after the IPv6 address"); }
        port = after;
    } else {
        const auto colon = rest.rfind(':');
        parts.host = std::string(rest.substr(0, colon));
        if (colon != std::string_view::npos) { port = rest.substr(colon); }
    }
    if (parts.host.empty() || parts.host == "[]") { return std::string("the host is missing"); }
    if (std::any_of(parts.host.begin(), parts.host.end(),
                    [](unsigned char c) { return std::isspace(c) != 0 || c == '?' || c == '#'; })) {
        return std::string("the host holds a space or a character hosts cannot have");
    }
    if (!port.empty()) {
        unsigned number = 0;
        const auto digits = port.substr(1);
        const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
        if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || number == 0
            || number > 65535) {
            return "the port \"" + std::string(digits) + "\" is not a number from 1 to 65535";
        }
        parts.port = std::string(port);
    }
    return parts;
}

bool isLoopback(const std::string& host)
{
    std::string lower = host;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    return lower == "localhost" || lower.starts_with("127.") || lower == "[::1]";
}

std::string asSeenFromGuest(const std::string& address)
{
    if (address.empty()) { return address; }
    auto parsed = split(address);
    auto* parts = std::get_if<AddressParts>(&parsed);
    if (parts == nullptr || !isLoopback(parts->host)) { return address; }
    return parts->scheme + parts->userinfo + std::string(kHostLoopbackFromGuest) + parts->port + parts->path;
}

std::optional<std::string> variable(const EnvironmentLookup& environment, std::string_view upper)
{
    std::string lower(upper);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    // curl and most tools read the lower-case name first; so does this.
    for (const std::string& name : {lower, std::string(upper)}) {
        if (auto value = environment(name); value && !value->empty()) { return value; }
    }
    return std::nullopt;
}

std::vector<std::string> commaList(std::string_view text)
{
    std::vector<std::string> out;
    while (!text.empty()) {
        const auto comma = text.find(',');
        std::string_view item = text.substr(0, comma);
        while (!item.empty() && std::isspace(static_cast<unsigned char>(item.front())) != 0) { item.remove_prefix(1); }
        while (!item.empty() && std::isspace(static_cast<unsigned char>(item.back())) != 0) { item.remove_suffix(1); }
        if (!item.empty()) { out.emplace_back(item); }
        if (comma == std::string_view::npos) { break; }
        text.remove_prefix(comma + 1);
    }
    return out;
}

}  // namespace

std::optional<std::string> proxyAddressError(std::string_view address)
{
    if (address.empty()) { return std::nullopt; }
    auto parsed = split(address);
    if (const auto* problem = std::get_if<std::string>(&parsed)) {
        return "\"" + std::string(address) + "\" is not a proxy address: " + *problem;
    }
    return std::nullopt;
}

std::string ProxyAddresses::noProxy() const
{
    std::string out;
    for (const auto& item : exclude) {
        if (!out.empty()) { out += ','; }
        out += item;
    }
    return out;
}

ProxyAddresses resolveProxy(const Settings& settings, ProxyUse use, const EnvironmentLookup& environment)
{
    const bool engine = use == ProxyUse::Engine;
    const auto value = [&](std::string_view key) { return settings.get(key).value; };
    ProxyAddresses out;
    if (value(engine ? keys::kProxyMode : keys::kContainersProxyMode) == "manual") {
        out.http = value(engine ? keys::kProxyHttp : keys::kContainersProxyHttp).get<std::string>();
        out.https = value(engine ? keys::kProxyHttps : keys::kContainersProxyHttps).get<std::string>();
        out.exclude
            = value(engine ? keys::kProxyExclude : keys::kContainersProxyExclude).get<std::vector<std::string>>();
        return out;
    }
    if (!environment) { return out; }
    const auto address = [&](std::string_view name) {
        const auto found = variable(environment, name);
        return found && !proxyAddressError(*found) ? *found : std::string();
    };
    out.http = address("HTTP_PROXY");
    out.https = address("HTTPS_PROXY");
    if (const auto bypass = variable(environment, "NO_PROXY")) { out.exclude = commaList(*bypass); }
    return out;
}

ProxyAddresses seenFromGuest(ProxyAddresses addresses)
{
    addresses.http = asSeenFromGuest(addresses.http);
    addresses.https = asSeenFromGuest(addresses.https);
    return addresses;
}

}  // namespace berth::settings
