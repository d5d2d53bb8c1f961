#pragma once

// Host side of the guest agent protocol, version 1: one JSON object per '\n'-terminated line,
// at most 64 KiB per line, over the virtio-serial port org.berth.agent.0.
//
//   guest -> host  {"type":"hello","version":1,"agent":"..."}
//                  {"type":"phase","name":"..."}
//                  {"type":"ready","version":1,"config":<guest config JSON>}
//                  {"type":"error","step":"...","message":"..."}
//                  {"type":"status","state":"..."}           (reply to status)
//                  {"type":"shutting-down"}
//   host -> guest  {"type":"status"}
//                  {"type":"shutdown","timeout":<seconds>}

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <nlohmann/json.hpp>

#include <functional>
#include <variant>

namespace berth::vm::agent {

inline constexpr int kProtocolVersion = 1;
inline constexpr qsizetype kMaxLineBytes = 64 * 1024;  // without the '\n'

// `features`: optional requests this agent understands beyond status and shutdown ("time").
struct Hello {
    int version = 0;
    QString agent;
    QStringList features;
};
struct Phase {
    QString name;
};
struct Ready {
    int version = 0;
    nlohmann::json config;
};
struct Error {
    QString step;
    QString message;
};
struct Status {
    QString state;
};
struct ShuttingDown {};

using Message = std::variant<Hello, Phase, Ready, Error, Status, ShuttingDown>;

struct ParseResult {
    std::optional<Message> message;
    QString error;  // set when message is empty: why the line was rejected
};

// Validates one line (without its '\n'). Never throws.
ParseResult parseLine(const QByteArray& line);

QByteArray statusRequest();
QByteArray shutdownRequest(int timeoutSeconds);
// The host's wall clock, for an agent whose hello lists the "time" feature to set the guest's.
QByteArray timeRequest(qint64 unixMillis);

// Splits a byte stream into lines, refusing lines over kMaxLineBytes without buffering them:
// the rest of an oversized line is skipped up to its '\n', then reading resumes.
class LineSplitter {
public:
    using LineHandler = std::function<void(const QByteArray& line)>;
    using OversizeHandler = std::function<void(qsizetype bytesDropped)>;

    LineSplitter(LineHandler onLine, OversizeHandler onOversize, qsizetype maxLine = kMaxLineBytes);
    void feed(const QByteArray& bytes);

private:
    LineHandler m_onLine;
    OversizeHandler m_onOversize;
    qsizetype m_maxLine;
    QByteArray m_buffer;
    bool m_skipping = false;
    qsizetype m_skipped = 0;
};

}  // namespace berth::vm::agent
