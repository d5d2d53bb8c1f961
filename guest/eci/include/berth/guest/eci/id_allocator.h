#pragma once

// Exclusive 65536-ID blocks for containers' user namespaces: the first container gets host IDs
// 100000..165535, the next 165536..231071, and so on; a block is reused only after every container
// in it is gone. State lives in one JSON file on the data disk, changed under an flock, so
// concurrent runtime invocations and restarts of the VM agree on it.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace berth::guest::eci {

class IdBlockAllocator {
public:
    struct Entry {
        std::string containerId;
        std::uint32_t base = 0;
        bool joined = false;  // shares another container's namespace and block
        std::string chownedUpper;  // an overlay upper dir shifted by +base, to shift back when done
    };

    static constexpr std::uint32_t kFirstBase = 100000;
    static constexpr std::uint32_t kBlockCount = 4096;  // Sysbox-EE's default reservation

    // stateDir: e.g. /var/lib/docker/berth-eci; created when missing.
    explicit IdBlockAllocator(std::string stateDir, std::uint32_t firstBase = kFirstBase,
                              std::uint32_t blockCount = kBlockCount);

    // The lowest block no entry uses, recorded for the container (its existing block when it has
    // one). Throws std::runtime_error when every block is taken: exclusivity is the promise.
    std::uint32_t allocate(const std::string& containerId);
    // A container that joins another's user namespace lives in that block too.
    void recordShared(const std::string& containerId, std::uint32_t base);
    void setChownedUpper(const std::string& containerId, const std::string& upper);
    // Forgets the container; its block is free once no other entry uses it.
    std::optional<Entry> release(const std::string& containerId);
    std::optional<Entry> find(const std::string& containerId) const;
    std::vector<Entry> entries() const;
    // At boot no container runs yet: returns every entry (to undo chowned uppers) and forgets them.
    std::vector<Entry> takeAll();
    // The same, done once per boot by whoever comes first: when the state was written during
    // another boot (bootId: /proc/sys/kernel/random/boot_id), its entries are returned and
    // forgotten; otherwise nothing changes and the result is empty.
    std::vector<Entry> takeStale(const std::string& bootId);

    const std::string& stateFile() const { return m_stateFile; }

private:
    class Locked;
    std::string m_dir;
    std::string m_stateFile;
    std::string m_lockFile;
    std::uint32_t m_firstBase;
    std::uint32_t m_blockCount;
};

}  // namespace berth::guest::eci
