#include "berth/endpoint/endpoint_certs.h"

#include <QDir>
#include <QFile>
#include <QSaveFile>
#include <QStandardPaths>

#include <nlohmann/json.hpp>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <spdlog/spdlog.h>

#include <ctime>
#include <memory>

namespace berth::endpoint {

namespace {

template <auto Free> struct Deleter {
    template <typename T> void operator()(T* p) const { Free(p); }
};
using Key = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, Deleter<X509_free>>;
using Bio = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
using Store = std::unique_ptr<X509_STORE, Deleter<X509_STORE_free>>;
using StoreCtx = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX_free>>;
using Ext = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>>;

constexpr long kCaDays = 3650;
constexpr long kLeafDays = 825;
constexpr long kSecondsPerDay = 24 * 3600;

QString opensslError()
{
    const unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0) { return QStringLiteral("unknown OpenSSL error"); }
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    return QString::fromLatin1(text);
}

QByteArray readFile(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) { return {}; }
    return file.readAll();
}

Cert parseCert(const QByteArray& pem)
{
    Bio bio(BIO_new_mem_buf(pem.constData(), static_cast<int>(pem.size())));
    return Cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
}

Key parseKey(const QByteArray& pem)
{
    Bio bio(BIO_new_mem_buf(pem.constData(), static_cast<int>(pem.size())));
    return Key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
}

QByteArray certPem(X509* cert)
{
    Bio bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) { return {}; }
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return QByteArray(data, static_cast<qsizetype>(size));
}

QByteArray keyPem(EVP_PKEY* key)
{
    Bio bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) { return {}; }
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return QByteArray(data, static_cast<qsizetype>(size));
}

bool addExtension(X509* cert, X509V3_CTX* ctx, int nid, const char* value)
{
    Ext ext(X509V3_EXT_nconf_nid(nullptr, ctx, nid, value));
    return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

enum class Role { Ca, Server, Client };

// One certificate for `key`, signed by `issuerKey` (the CA's, or `key` itself for the CA).
Cert makeCert(Role role, const char* commonName, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuerKey, QString* error)
{
    Cert cert(X509_new());
    std::unique_ptr<BIGNUM, Deleter<BN_free>> serial(BN_new());
    bool ok = cert && serial && X509_set_version(cert.get(), 2) == 1
        && BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1
        && BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) != nullptr
        // An hour of slack for a guest clock that lags the host's.
        && X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) != nullptr
        && X509_gmtime_adj(X509_getm_notAfter(cert.get()), (role == Role::Ca ? kCaDays : kLeafDays) * kSecondsPerDay)
            != nullptr
        && X509_set_pubkey(cert.get(), key) == 1;
    X509_NAME* name = ok ? X509_get_subject_name(cert.get()) : nullptr;
    ok = ok && name
        && X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("Berth"), -1, -1,
                                      0)
            == 1
        && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(commonName), -1,
                                      -1, 0)
            == 1
        && X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name) == 1;
    if (ok) {
        X509V3_CTX ctx;
        X509V3_set_ctx(&ctx, issuer ? issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
        ok = addExtension(cert.get(), &ctx, NID_subject_key_identifier, "hash")
            && addExtension(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always");
        switch (role) {
        case Role::Ca:
            ok = ok && addExtension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0")
                && addExtension(cert.get(), &ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
            break;
        case Role::Server:
            ok = ok && addExtension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE")
                && addExtension(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature,keyEncipherment")
                && addExtension(cert.get(), &ctx, NID_ext_key_usage, "serverAuth")
                && addExtension(cert.get(), &ctx, NID_subject_alt_name, "IP:127.0.0.1,IP:::1,DNS:localhost");
            break;
        case Role::Client:
            ok = ok && addExtension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE")
                && addExtension(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature")
                && addExtension(cert.get(), &ctx, NID_ext_key_usage, "clientAuth");
            break;
        }
    }
    ok = ok && X509_sign(cert.get(), issuerKey, EVP_sha256()) > 0;
    if (!ok) {
        *error = QStringLiteral("cannot create the %1 certificate: %2")
                     .arg(QString::fromLatin1(commonName), opensslError());
        return nullptr;
    }
    return cert;
}

Key makeKey(QString* error)
{
    Key key(EVP_EC_gen("P-256"));
    if (!key) { *error = QStringLiteral("cannot create a key: %1").arg(opensslError()); }
    return key;
}

bool writePrivate(const QString& path, const QByteArray& data, QString* error)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        *error = QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    // Restrict before the contents land, so a key is never readable by others, not even briefly.
    file.setPermissions(QFile::ReadOwner | QFile::WriteOwner);
    if (file.write(data) != data.size() || !file.commit()) {
        *error = QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    return true;
}

// Why the set in `paths` cannot be used; empty when it can.
QString problemWith(const EngineCertPaths& paths, std::chrono::hours renewBefore)
{
    struct Pair {
        const char* what;
        QString certFile;
        QString keyFile;
    };
    const Pair pairs[] = {{"CA", paths.caCert(), paths.caKey()},
                          {"server", paths.serverCert(), paths.serverKey()},
                          {"client", paths.clientCert(), paths.clientKey()}};
    Cert ca;
    Store store(X509_STORE_new());
    if (!store) { return QStringLiteral("out of memory"); }
    time_t horizon = std::time(nullptr)
        + static_cast<time_t>(std::chrono::duration_cast<std::chrono::seconds>(renewBefore).count());
    for (const auto& pair : pairs) {
        if (!QFile::exists(pair.certFile) || !QFile::exists(pair.keyFile)) {
            return QStringLiteral("the %1 certificate or key is missing").arg(QString::fromLatin1(pair.what));
        }
        Cert cert = parseCert(readFile(pair.certFile));
        Key key = parseKey(readFile(pair.keyFile));
        if (!cert || !key) {
            ERR_clear_error();
            return QStringLiteral("%1 cannot be read as a PEM certificate and key").arg(pair.certFile);
        }
        if (X509_check_private_key(cert.get(), key.get()) != 1) {
            ERR_clear_error();
            return QStringLiteral("the %1 key does not match its certificate").arg(QString::fromLatin1(pair.what));
        }
        if (X509_cmp_time(X509_get0_notAfter(cert.get()), &horizon) <= 0) {
            return QStringLiteral("the %1 certificate expires within %2 days or has expired")
                .arg(QString::fromLatin1(pair.what))
                .arg(renewBefore.count() / 24);
        }
        if (!ca) {
            ca = std::move(cert);
            if (X509_check_ca(ca.get()) == 0 || X509_STORE_add_cert(store.get(), ca.get()) != 1) {
                ERR_clear_error();
                return QStringLiteral("ca.pem is not a usable CA certificate");
            }
            continue;
        }
        StoreCtx ctx(X509_STORE_CTX_new());
        if (!ctx || X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), nullptr) != 1) {
            return QStringLiteral("out of memory");
        }
        X509_STORE_CTX_set_purpose(
            ctx.get(), pair.certFile == paths.serverCert() ? X509_PURPOSE_SSL_SERVER : X509_PURPOSE_SSL_CLIENT);
        if (X509_verify_cert(ctx.get()) != 1) {
            const QString why = QString::fromLatin1(X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get())));
            ERR_clear_error();
            return QStringLiteral("the %1 certificate does not verify against ca.pem (%2)")
                .arg(QString::fromLatin1(pair.what), why);
        }
    }
    return {};
}

bool createAll(const EngineCertPaths& paths, QString* error)
{
    Key caKey = makeKey(error);
    Key serverKey = caKey ? makeKey(error) : nullptr;
    Key clientKey = serverKey ? makeKey(error) : nullptr;
    if (!clientKey) { return false; }
    Cert ca = makeCert(Role::Ca, "Berth engine CA", caKey.get(), nullptr, caKey.get(), error);
    Cert server = ca ? makeCert(Role::Server, "Berth engine", serverKey.get(), ca.get(), caKey.get(), error) : nullptr;
    Cert client
        = server ? makeCert(Role::Client, "Berth client", clientKey.get(), ca.get(), caKey.get(), error) : nullptr;
    if (!client) { return false; }
    // Keys and certificates alike are 0600: none of it is for other users.
    return writePrivate(paths.caKey(), keyPem(caKey.get()), error)
        && writePrivate(paths.caCert(), certPem(ca.get()), error)
        && writePrivate(paths.serverKey(), keyPem(serverKey.get()), error)
        && writePrivate(paths.serverCert(), certPem(server.get()), error)
        && writePrivate(paths.clientKey(), keyPem(clientKey.get()), error)
        && writePrivate(paths.clientCert(), certPem(client.get()), error);
}

}  // namespace

QString defaultEngineCertsDir()
{
    return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) + QStringLiteral("/berth/certs");
}

EngineCertsResult ensureEngineCerts(const EngineCertPaths& paths, std::chrono::hours renewBefore)
{
    EngineCertsResult result;
    if (!QDir().mkpath(paths.dir)
        || !QFile::setPermissions(paths.dir, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner)) {
        result.message = QStringLiteral("cannot create the certificate directory %1").arg(paths.dir);
        return result;
    }
    const bool any
        = QFile::exists(paths.caCert()) || QFile::exists(paths.clientCert()) || QFile::exists(paths.serverCert());
    const QString problem = problemWith(paths, renewBefore);
    if (problem.isEmpty()) {
        result.ok = true;
        return result;
    }
    const QString reason
        = any ? QStringLiteral("the existing ones are unusable: %1").arg(problem) : QStringLiteral("none exist yet");
    QString error;
    if (!createAll(paths, &error)) {
        result.message = QStringLiteral("cannot create the engine's TLS certificates in %1: %2").arg(paths.dir, error);
        spdlog::error("certs: {}", result.message.toStdString());
        return result;
    }
    result.ok = true;
    result.created = true;
    result.message = QStringLiteral("Created new engine TLS certificates in %1 because %2").arg(paths.dir, reason);
    if (any) {
        spdlog::warn("certs: {}", result.message.toStdString());
    } else {
        spdlog::info("certs: {}", result.message.toStdString());
    }
    return result;
}

QByteArray guestTlsJson(const EngineCertPaths& paths, QString* error)
{
    const QByteArray ca = readFile(paths.caCert());
    const QByteArray cert = readFile(paths.serverCert());
    const QByteArray key = readFile(paths.serverKey());
    if (ca.isEmpty() || cert.isEmpty() || key.isEmpty()) {
        *error = QStringLiteral("cannot read the server certificate files in %1").arg(paths.dir);
        return {};
    }
    const nlohmann::json json = {{"ca", ca.toStdString()}, {"cert", cert.toStdString()}, {"key", key.toStdString()}};
    return QByteArray::fromStdString(json.dump());
}

bool writeGuestTlsFile(const EngineCertPaths& paths, const QString& file, QString* error)
{
    const QByteArray json = guestTlsJson(paths, error);
    return !json.isEmpty() && writePrivate(file, json, error);
}

}  // namespace berth::endpoint
