#include "berth/vm/agent_protocol.h"

namespace berth::vm::agent {

namespace {

ParseResult reject(QString why)
{
    return {std::nullopt, std::move(why)};
}

bool stringField(const nlohmann::json& object, const char* key, QString* out)
{
    const auto found = object.find(key);
    if (found == object.end() || !found->is_string()) { return false; }
    *out = QString::fromStdString(found->get<std::string>());
    return true;
}

bool intField(const nlohmann::json& object, const char* key, int* out)
{
    const auto found = object.find(key);
    if (found == object.end() || !found->is_number_integer()) { return false; }
    *out = found->get<int>();
    return true;
}

}  // namespace

ParseResult parseLine(const QByteArray& line)
{
    if (line.size() > kMaxLineBytes) {
        return reject(QStringLiteral("line of %1 bytes exceeds the %2-byte limit").arg(line.size()).arg(kMaxLineBytes));
    }
    const auto json = nlohmann::json::parse(line.constData(), line.constData() + line.size(), nullptr, false);
    if (json.is_discarded()) { return reject(QStringLiteral("not JSON: %1").arg(QString::fromUtf8(line.left(80)))); }
    if (!json.is_object()) { return reject(QStringLiteral("not a JSON object")); }
    QString type;
    if (!stringField(json, "type", &type)) { return reject(QStringLiteral("no \"type\" string")); }

    if (type == QLatin1String("hello")) {
        Hello hello;
        if (!intField(json, "version", &hello.version)) {
            return reject(QStringLiteral("hello without an integer \"version\""));
        }
        stringField(json, "agent", &hello.agent);
        if (const auto features = json.find("features"); features != json.end() && features->is_array()) {
            for (const auto& feature : *features) {
                if (feature.is_string()) { hello.features << QString::fromStdString(feature.get<std::string>()); }
            }
        }
        return {hello, {}};
    }
    if (type == QLatin1String("phase")) {
        Phase phase;
        if (!stringField(json, "name", &phase.name)) {
            return reject(QStringLiteral("phase without a \"name\" string"));
        }
        return {phase, {}};
    }
    if (type == QLatin1String("ready")) {
        Ready ready;
        if (!intField(json, "version", &ready.version)) {
            return reject(QStringLiteral("ready without an integer \"version\""));
        }
        if (const auto config = json.find("config"); config != json.end()) { ready.config = *config; }
        return {ready, {}};
    }
    if (type == QLatin1String("error")) {
        Error error;
        stringField(json, "step", &error.step);
        if (!stringField(json, "message", &error.message)) {
            return reject(QStringLiteral("error without a \"message\" string"));
        }
        return {error, {}};
    }
    if (type == QLatin1String("status")) {
        Status status;
        if (!stringField(json, "state", &status.state)) {
            return reject(QStringLiteral("status without a \"state\" string"));
        }
        return {status, {}};
    }
    if (type == QLatin1String("shutting-down")) { return {ShuttingDown{}, {}}; }
    return reject(QStringLiteral("unknown message type \"%1\"").arg(type.left(40)));
}

QByteArray statusRequest()
{
    return QByteArrayLiteral("{\"type\":\"status\"}\n");
}

QByteArray shutdownRequest(int timeoutSeconds)
{
    return QByteArray::fromStdString(nlohmann::json{{"type", "shutdown"}, {"timeout", timeoutSeconds}}.dump()) + '\n';
}

QByteArray timeRequest(qint64 unixMillis)
{
    return QByteArray::fromStdString(nlohmann::json{{"type", "time"}, {"unixMillis", unixMillis}}.dump()) + '\n';
}

LineSplitter::LineSplitter(LineHandler onLine, OversizeHandler onOversize, qsizetype maxLine)
    : m_onLine(std::move(onLine)),
      m_onOversize(std::move(onOversize)),
      m_maxLine(maxLine)
{}

void LineSplitter::feed(const QByteArray& bytes)
{
    qsizetype pos = 0;
    while (pos < bytes.size()) {
        const qsizetype newline = bytes.indexOf('\n', pos);
        const qsizetype end = newline < 0 ? bytes.size() : newline;
        if (m_skipping) {
            m_skipped += end - pos;
        } else {
            m_buffer.append(bytes.constData() + pos, end - pos);
            if (m_buffer.size() > m_maxLine) {
                m_skipping = true;
                m_skipped = m_buffer.size();
                m_buffer.clear();
            }
        }
        if (newline < 0) { break; }
        if (m_skipping) {
            m_skipping = false;
            m_onOversize(m_skipped);
            m_skipped = 0;
        } else {
            QByteArray line;
            line.swap(m_buffer);
            m_onLine(line);
        }
        pos = newline + 1;
    }
}

}  // namespace berth::vm::agent
