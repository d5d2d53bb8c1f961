#pragma once

// Host side of the guest agent protocol: the messages are contracts::agent's
// (contracts/include/berth/contracts/agent_protocol.h, the guest agent's too); here they are read
// from the agent's lines and the host's requests written, in Qt's types.

#include "berth/contracts/agent_protocol.h"

#include <QByteArray>
#include <QString>

#include <functional>
#include <optional>

namespace berth::vm::agent {

struct ParseResult {
    std::optional<contracts::agent::GuestMessage> message;
    QString error;  // set when message is empty: why the line was rejected
};

// Validates one line (without its '\n'). Never throws.
ParseResult parseLine(const QByteArray& line);

QByteArray statusRequest();
QByteArray shutdownRequest(int timeoutSeconds);
// The host's wall clock, for an agent whose hello lists the "time" feature to set the guest's.
QByteArray timeRequest(qint64 unixMillis);

// Splits a byte stream into lines, refusing lines over the protocol's limit
// (contracts::agent::kMaxLineBytes, without the '\n') without buffering them:
// the rest of an oversized line is skipped up to its '\n', then reading resumes.
class LineSplitter {
public:
    using LineHandler = std::function<void(const QByteArray& line)>;
    using OversizeHandler = std::function<void(qsizetype bytesDropped)>;

    LineSplitter(LineHandler onLine, OversizeHandler onOversize, qsizetype maxLine = contracts::agent::kMaxLineBytes);
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
