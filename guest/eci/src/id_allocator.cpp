#include "berth/guest/eci/id_allocator.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "berth/guest/eci/spec_rewrite.h"

namespace berth::guest::eci {

namespace {

using nlohmann::json;

std::runtime_error systemError(const std::string& what)
{
    return std::runtime_error(what + ": " + std::strerror(errno));
}

std::vector<IdBlockAllocator::Entry> parse(const std::string& text, std::string& bootId)
{
    std::vector<IdBlockAllocator::Entry> out;
    const json doc = json::parse(text, nullptr, false);
    if (doc.is_object() && doc.contains("bootId") && doc["bootId"].is_string()) { bootId = doc["bootId"]; }
    if (!doc.is_object() || !doc.contains("containers") || !doc["containers"].is_array()) { return out; }
    for (const auto& item : doc["containers"]) {
        if (!item.is_object() || !item.contains("id") || !item.contains("base")) { continue; }
        IdBlockAllocator::Entry entry;
        entry.containerId = item.value("id", std::string());
        entry.base = item.value("base", 0U);
        entry.joined = item.value("joined", false);
        entry.chownedUpper = item.value("chownedUpper", std::string());
        if (!entry.containerId.empty() && entry.base != 0) { out.push_back(std::move(entry)); }
    }
    return out;
}

std::string serialize(const std::vector<IdBlockAllocator::Entry>& entries, const std::string& bootId)
{
    json list = json::array();
    for (const auto& e : entries) {
        json item = {{"id", e.containerId}, {"base", e.base}};
        if (e.joined) { item["joined"] = true; }
        if (!e.chownedUpper.empty()) { item["chownedUpper"] = e.chownedUpper; }
        list.push_back(std::move(item));
    }
    json doc = {{"version", 1}, {"blockSize", kIdBlockSize}, {"containers", list}};
    if (!bootId.empty()) { doc["bootId"] = bootId; }
    return doc.dump(1) + "\n";
}

}  // namespace

// Holds the lock for one read-modify-write of the state file.
class IdBlockAllocator::Locked {
public:
    explicit Locked(const IdBlockAllocator& a) : m_a(a)
    {
        std::filesystem::create_directories(a.m_dir);
        m_fd = ::open(a.m_lockFile.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (m_fd < 0) { throw systemError("cannot open " + a.m_lockFile); }
        while (::flock(m_fd, LOCK_EX) != 0) {
            if (errno != EINTR) {
                ::close(m_fd);
                throw systemError("cannot lock " + a.m_lockFile);
            }
        }
        std::ifstream in(a.m_stateFile);
        std::stringstream text;
        text << in.rdbuf();
        entries = parse(text.str(), bootId);
    }
    ~Locked() { ::close(m_fd); }
    Locked(const Locked&) = delete;
    Locked& operator=(const Locked&) = delete;

    void save() const
    {
        // Written beside and renamed over, with fsync, so a crash leaves the old or the new state.
        const std::string temp = m_a.m_stateFile + ".tmp";
        const std::string text = serialize(entries, bootId);
        const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) { throw systemError("cannot write " + temp); }
        std::size_t done = 0;
        while (done < text.size()) {
            const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
            if (n < 0 && errno == EINTR) { continue; }
            if (n <= 0) {
                ::close(fd);
                throw systemError("cannot write " + temp);
            }
            done += static_cast<std::size_t>(n);
        }
        if (::fsync(fd) != 0 || ::close(fd) != 0) { throw systemError("cannot write " + temp); }
        if (::rename(temp.c_str(), m_a.m_stateFile.c_str()) != 0) {
            throw systemError("cannot replace " + m_a.m_stateFile);
        }
    }

    std::vector<Entry> entries;
    std::string bootId;

private:
    const IdBlockAllocator& m_a;
    int m_fd = -1;
};

IdBlockAllocator::IdBlockAllocator(std::string stateDir, std::uint32_t firstBase, std::uint32_t blockCount)
    : m_dir(std::move(stateDir)),
      m_stateFile(m_dir + "/id-blocks.json"),
      m_lockFile(m_dir + "/id-blocks.lock"),
      m_firstBase(firstBase),
      m_blockCount(blockCount)
{}

std::uint32_t IdBlockAllocator::allocate(const std::string& containerId)
{
    Locked state(*this);
    for (const auto& e : state.entries) {
        if (e.containerId == containerId) { return e.base; }
    }
    std::set<std::uint32_t> used;
    for (const auto& e : state.entries) { used.insert(e.base); }
    for (std::uint32_t i = 0; i < m_blockCount; ++i) {
        const std::uint32_t base = m_firstBase + i * kIdBlockSize;
        if (used.count(base) == 0) {
            state.entries.push_back({containerId, base, false, {}});
            state.save();
            return base;
        }
    }
    throw std::runtime_error("user-namespace ID range exhausted (" + std::to_string(m_blockCount)
                             + " containers hold a block each); remove unused containers");
}

void IdBlockAllocator::recordShared(const std::string& containerId, std::uint32_t base)
{
    Locked state(*this);
    std::erase_if(state.entries, [&](const Entry& e) { return e.containerId == containerId; });
    state.entries.push_back({containerId, base, true, {}});
    state.save();
}

void IdBlockAllocator::setChownedUpper(const std::string& containerId, const std::string& upper)
{
    Locked state(*this);
    for (auto& e : state.entries) {
        if (e.containerId == containerId) { e.chownedUpper = upper; }
    }
    state.save();
}

std::optional<IdBlockAllocator::Entry> IdBlockAllocator::release(const std::string& containerId)
{
    Locked state(*this);
    const auto it = std::find_if(state.entries.begin(), state.entries.end(),
                                 [&](const Entry& e) { return e.containerId == containerId; });
    if (it == state.entries.end()) { return std::nullopt; }
    Entry entry = *it;
    state.entries.erase(it);
    state.save();
    return entry;
}

std::optional<IdBlockAllocator::Entry> IdBlockAllocator::find(const std::string& containerId) const
{
    Locked state(*this);
    for (const auto& e : state.entries) {
        if (e.containerId == containerId) { return e; }
    }
    return std::nullopt;
}

std::vector<IdBlockAllocator::Entry> IdBlockAllocator::entries() const
{
    Locked state(*this);
    return state.entries;
}

std::vector<IdBlockAllocator::Entry> IdBlockAllocator::takeAll()
{
    Locked state(*this);
    std::vector<Entry> all = std::move(state.entries);
    state.entries.clear();
    state.save();
    return all;
}

std::vector<IdBlockAllocator::Entry> IdBlockAllocator::takeStale(const std::string& bootId)
{
    Locked state(*this);
    if (state.bootId == bootId) { return {}; }
    std::vector<Entry> stale = std::move(state.entries);
    state.entries.clear();
    state.bootId = bootId;
    state.save();
    return stale;
}

}  // namespace berth::guest::eci
