#include "channel.h"

#include "guest_system.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

using namespace std::chrono_literals;

namespace berth::guest::agent {

namespace {

constexpr std::size_t kTraceBytes = 300;  // of a line on the console: enough to tell what it was

std::string traced(std::string line)
{
    if (!line.empty() && line.back() == '\n') { line.pop_back(); }
    if (line.size() > kTraceBytes) {
        line = line.substr(0, kTraceBytes) + "... (" + std::to_string(line.size()) + " bytes)";
    }
    return line;
}

}  // namespace

void Channel::open()
{
    // virtio_console makes /sys/class/virtio-ports/vportNpM; there is no udev for the symlink.
    for (int attempt = 0; attempt < 500 && m_fd < 0; ++attempt) {
        if (DIR* dir = ::opendir("/sys/class/virtio-ports")) {
            while (const dirent* entry = ::readdir(dir)) {
                if (entry->d_name[0] == '.') { continue; }
                const auto name = readFile(std::string("/sys/class/virtio-ports/") + entry->d_name + "/name");
                if (name && name->substr(0, name->find('\n')) == protocol::kPortName) {
                    m_fd = ::open((std::string("/dev/") + entry->d_name).c_str(),
                                  O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
                    break;
                }
            }
            ::closedir(dir);
        }
        if (m_fd < 0) { std::this_thread::sleep_for(10ms); }  // the port shows up asynchronously
    }
    log(m_fd >= 0 ? "channel open" : "no virtio-serial port org.berth.agent.0: the host cannot be told anything");
}

void Channel::send(const protocol::GuestMessage& message)
{
    const std::string line = protocol::toLine(message);
    std::lock_guard lock(m_mutex);
    if (m_fd < 0 || !m_connected) {
        if (m_trace) { log("(no host) " + traced(line)); }
        return;
    }
    if (m_trace) { log("-> " + traced(line)); }
    std::size_t done = 0;
    for (int stalls = 0; done < line.size() && stalls < 200;) {
        const ssize_t n = ::write(m_fd, line.data() + done, line.size() - done);
        if (n > 0) {
            done += static_cast<std::size_t>(n);
        } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            ++stalls;
            pollfd pfd{m_fd, POLLOUT, 0};
            ::poll(&pfd, 1, 10);
        } else {
            return;
        }
    }
}

void Channel::setPhase(const std::string& name)
{
    log("phase: " + name);
    {
        std::lock_guard lock(m_mutex);
        m_phase = name;
        m_state = "booting: " + name;
    }
    send(protocol::Phase{name});
}

void Channel::setOutcome(const protocol::GuestMessage& message)
{
    {
        std::lock_guard lock(m_mutex);
        m_outcome = message;
        m_state = std::holds_alternative<protocol::Ready>(message) ? "ready" : "error";
    }
    send(message);
}

void Channel::setState(const std::string& state)
{
    std::lock_guard lock(m_mutex);
    m_state = state;
}

std::string Channel::state() const
{
    std::lock_guard lock(m_mutex);
    return m_state;
}

void Channel::onPoll(short revents)
{
    const bool connected = (revents & POLLHUP) == 0;
    bool changed = false;
    {
        std::lock_guard lock(m_mutex);
        changed = connected != m_connected;
        m_connected = connected;
    }
    if (changed) { log(connected ? "host connected" : "host disconnected"); }
    if (changed && connected) { replay(); }
}

void Channel::replay()
{
    send(helloMessage());
    std::string phase;
    std::optional<protocol::GuestMessage> outcome;
    {
        std::lock_guard lock(m_mutex);
        phase = m_phase;
        outcome = m_outcome;
    }
    if (!phase.empty()) { send(protocol::Phase{phase}); }
    if (outcome) { send(*outcome); }
}

std::vector<LineReader::Line> Channel::readLines()
{
    std::vector<LineReader::Line> lines;
    char chunk[4096];
    for (;;) {
        const ssize_t n = ::read(m_fd, chunk, sizeof chunk);
        if (n <= 0) { break; }
        for (auto& line : m_reader.feed(std::string_view(chunk, static_cast<std::size_t>(n)))) {
            if (m_trace) { log("<- " + (line.tooLong ? std::string("(a line over 64 KiB)") : traced(line.text))); }
            lines.push_back(std::move(line));
        }
    }
    return lines;
}

}  // namespace berth::guest::agent
