#include "agent_protocol.h"

namespace berth::vm::agent {

ParseResult parseLine(const QByteArray& line)
{
    std::string error;
    auto message = contracts::agent::parseGuestMessage(std::string_view(line.constData(), line.size()), &error);
    if (!message) { return {std::nullopt, QString::fromStdString(error)}; }
    return {std::move(message), {}};
}

QByteArray statusRequest()
{
    return QByteArray::fromStdString(contracts::agent::toLine(contracts::agent::StatusRequest{}));
}

QByteArray shutdownRequest(int timeoutSeconds)
{
    return QByteArray::fromStdString(contracts::agent::toLine(contracts::agent::ShutdownRequest{timeoutSeconds}));
}

QByteArray timeRequest(qint64 unixMillis)
{
    return QByteArray::fromStdString(contracts::agent::toLine(contracts::agent::TimeRequest{unixMillis}));
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
