#pragma once

// The agent's end of the virtio-serial port org.berth.agent.0: JSON lines to and from the host
// (berth/contracts/agent_protocol.h). It remembers hello, the last phase and the boot's outcome, and sends them again
// whenever a host connects, so a host that connects late or comes back misses nothing.

#include "protocol.h"

#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace berth::guest::agent {

class Channel {
public:
    void open();
    int fd() const { return m_fd; }
    bool connected() const
    {
        std::lock_guard lock(m_mutex);
        return m_connected;
    }
    // Every line sent and received goes to the console too (the test guest's serial log).
    void setTrace(bool trace) { m_trace = trace; }
    void send(const protocol::GuestMessage& message);
    // Remembered and replayed when the host (re)connects: hello, the last phase, ready or error.
    void setPhase(const std::string& name);
    void setOutcome(const protocol::GuestMessage& message);  // Ready or Error
    void setState(const std::string& state);
    std::string state() const;
    // Polled: tracks the host connecting and disconnecting (POLLHUP while nobody listens).
    void onPoll(short revents);
    // Complete lines received; the rest is kept for the next read.
    std::vector<LineReader::Line> readLines();

private:
    void replay();

    int m_fd = -1;
    bool m_connected = false;
    bool m_trace = false;
    LineReader m_reader;
    mutable std::mutex m_mutex;
    std::string m_phase;
    std::optional<protocol::GuestMessage> m_outcome;
    std::string m_state = "booting";
};

}  // namespace berth::guest::agent
