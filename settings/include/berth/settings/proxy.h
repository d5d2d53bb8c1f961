#pragma once

// Proxies, as Docker Desktop's `proxy` (what the engine pulls and pushes through) and
// `containersProxy` (the variables containers and builds get) describe them, resolved for one
// launch of the VM.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::settings {

class Settings;

// What is wrong with a proxy address, if anything. "" means no proxy; otherwise
// [scheme://][user:password@]host[:port], the scheme one of http, https, socks5, socks5h.
std::optional<std::string> proxyAddressError(std::string_view address);

struct ProxyAddresses {
    std::string http;  // for http:// destinations
    std::string https;  // for https:// destinations
    std::vector<std::string> exclude;  // hosts, domains and networks reached directly

    bool operator==(const ProxyAddresses&) const = default;
    [[nodiscard]] bool none() const { return http.empty() && https.empty(); }
    [[nodiscard]] std::string noProxy() const;  // exclude, as NO_PROXY lists it
};

// One variable of the environment "system" reads, if set.
using EnvironmentLookup = std::function<std::optional<std::string>(std::string_view name)>;

enum class ProxyUse { Engine, Containers };

// The addresses the group's mode names: "manual" its own, "system" the environment's HTTP_PROXY,
// HTTPS_PROXY and NO_PROXY (either case), as a desktop session exports them. An environment value
// that is not a proxy address is left out rather than handed to the engine; without an
// environment, "system" is no proxy.
ProxyAddresses resolveProxy(const Settings& settings, ProxyUse use, const EnvironmentLookup& environment);

// The same proxies as seen from inside the VM: on QEMU's user network the host's loopback is
// 10.0.2.2, so a proxy on 127.0.0.1, localhost or [::1] is reached there.
ProxyAddresses seenFromGuest(ProxyAddresses addresses);

}  // namespace berth::settings
