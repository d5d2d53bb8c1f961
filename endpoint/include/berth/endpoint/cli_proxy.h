#pragma once

// The proxy variables for containers and builds started through Berth's engine: the docker CLI
// (and compose and buildx with it) adds HTTP_PROXY, HTTPS_PROXY and NO_PROXY, in both cases, to
// each container it creates and as build arguments, from config.json's "proxies" entry of the
// daemon host it talks to. Berth writes only the entry of its own endpoint, so other engines the
// user reaches keep what they had.

#include <QProcessEnvironment>
#include <QString>

namespace berth::endpoint {

struct CliProxy {
    QString http;
    QString https;
    QString noProxy;  // comma-separated

    [[nodiscard]] bool none() const { return http.isEmpty() && https.isEmpty(); }
};

struct CliProxyResult {
    bool changed = false;  // config.json was written
    QString error;  // empty unless it could not be read or written; it is then left as it was
};

// Sets (or, for none(), removes) the "proxies" entry for `daemonHost`, e.g.
// "tcp://127.0.0.1:2376", in the user's config.json ($DOCKER_CONFIG or ~/.docker). Everything
// else in the file is kept as it was, member order included; a file that is not a JSON object is
// not touched.
CliProxyResult setCliProxy(const QString& daemonHost, const CliProxy& proxy,
                           const QProcessEnvironment& environment = QProcessEnvironment::systemEnvironment());

}  // namespace berth::endpoint
