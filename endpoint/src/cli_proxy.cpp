#include "berth/endpoint/cli_proxy.h"

#include "berth/endpoint/cli_tools.h"

#include <QDir>
#include <QFile>
#include <QSaveFile>

#include <nlohmann/json.hpp>

namespace berth::endpoint {

CliProxyResult setCliProxy(const QString& daemonHost, const CliProxy& proxy, const QProcessEnvironment& environment)
{
    using Json = nlohmann::ordered_json;  // keeps the user's member order
    CliProxyResult result;
    const QString dir = userDockerConfigDir(environment);
    const QString path = QDir(dir).filePath(QStringLiteral("config.json"));
    QFile file(path);
    Json config = Json::object();
    if (file.exists()) {
        if (!file.open(QIODevice::ReadOnly)) {
            result.error = QStringLiteral("cannot read %1: %2").arg(path, file.errorString());
            return result;
        }
        config = Json::parse(file.readAll().toStdString(), nullptr, /*allow_exceptions=*/false);
        file.close();
        if (!config.is_object()) {
            result.error = QStringLiteral("%1 is not a JSON object; the containers' proxy is not set").arg(path);
            return result;
        }
    }
    const std::string host = daemonHost.toStdString();
    Json& proxies = config["proxies"];
    if (!proxies.is_object() && !proxies.is_null()) {
        result.error = QStringLiteral("%1: \"proxies\" is not an object; the containers' proxy is not set").arg(path);
        return result;
    }
    Json wanted = Json::object();
    const auto put = [&wanted](const char* name, const QString& value) {
        if (!value.isEmpty()) { wanted[name] = value.toStdString(); }
    };
    put("httpProxy", proxy.http);
    put("httpsProxy", proxy.https);
    if (!proxy.none()) { put("noProxy", proxy.noProxy); }
    const bool had = proxies.is_object() && proxies.contains(host);
    if (proxy.none() ? !had : had && proxies[host] == wanted) { return result; }
    if (proxy.none()) {
        proxies.erase(host);
        if (proxies.empty()) { config.erase("proxies"); }
    } else {
        proxies[host] = wanted;
    }
    if (!QDir().mkpath(dir)) {
        result.error = QStringLiteral("cannot create %1").arg(dir);
        return result;
    }
    // Replaced whole, never half written; config.json may hold credentials, so it stays private.
    QSaveFile out(path);
    if (!out.open(QIODevice::WriteOnly)) {
        result.error = QStringLiteral("cannot write %1: %2").arg(path, out.errorString());
        return result;
    }
    out.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    out.write(QByteArray::fromStdString(config.dump(1, '\t') + "\n"));
    if (!out.commit()) {
        result.error = QStringLiteral("cannot write %1: %2").arg(path, out.errorString());
        return result;
    }
    result.changed = true;
    return result;
}

}  // namespace berth::endpoint
