#pragma once

// The engine endpoint's TLS material: a per-install CA, the server certificate dockerd presents
// in the guest, and the client certificate the host (and the user's docker CLI) presents to it.
// dockerd runs with --tlsverify, so only holders of a client certificate signed by this CA get in.
//
// Layout of the certs directory (0700; keys 0600), the client side where the docker CLI expects
// it (ca.pem, cert.pem, key.pem):
//   ca.pem  ca-key.pem                    the CA
//   cert.pem  key.pem                     client (EKU clientAuth)
//   server-cert.pem  server-key.pem       server (EKU serverAuth; SAN IP 127.0.0.1, ::1, DNS localhost)

#include <QByteArray>
#include <QString>

#include <chrono>

namespace berth::endpoint {

struct EngineCertPaths {
    QString dir;
    QString caCert() const { return dir + QStringLiteral("/ca.pem"); }
    QString caKey() const { return dir + QStringLiteral("/ca-key.pem"); }
    QString clientCert() const { return dir + QStringLiteral("/cert.pem"); }
    QString clientKey() const { return dir + QStringLiteral("/key.pem"); }
    QString serverCert() const { return dir + QStringLiteral("/server-cert.pem"); }
    QString serverKey() const { return dir + QStringLiteral("/server-key.pem"); }
};

// $XDG_DATA_HOME/berth/certs
QString defaultEngineCertsDir();

struct EngineCertsResult {
    bool ok = false;
    bool created = false;  // new material was written (first run, or the old set was unusable)
    QString message;  // why it was (re)created, or what failed
};

// Makes sure a usable set exists in `paths.dir`: reuses it when every file parses, the keys match,
// both leaves chain to the CA, and nothing expires within `renewBefore`; otherwise creates a new
// CA and both leaves (the old files are overwritten; a client holding old ones must be updated,
// which the docker context update does).
EngineCertsResult ensureEngineCerts(const EngineCertPaths& paths,
                                    std::chrono::hours renewBefore = std::chrono::hours(24 * 30));

// The JSON handed to the guest as fw_cfg opt/berth/tls: {"ca": PEM, "cert": PEM, "key": PEM},
// the server side only. Empty with `error` set when a file cannot be read.
QByteArray guestTlsJson(const EngineCertPaths& paths, QString* error);

// Writes guestTlsJson() to `file` with mode 0600 (atomically). False with `error` on failure.
bool writeGuestTlsFile(const EngineCertPaths& paths, const QString& file, QString* error);

}  // namespace berth::endpoint
