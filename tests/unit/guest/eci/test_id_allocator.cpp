#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "berth/guest/eci/id_allocator.h"
#include "temp_dir.h"

using namespace berth::guest::eci;

TEST(IdBlockAllocator, HandsOutConsecutiveExclusiveBlocks)
{
    const berth::test::TempDir dir("berth-eci-alloc");
    IdBlockAllocator a(dir.path + "/state");
    EXPECT_EQ(a.allocate("one"), 100000U);
    EXPECT_EQ(a.allocate("two"), 165536U);
    EXPECT_EQ(a.allocate("three"), 231072U);
    EXPECT_EQ(a.allocate("two"), 165536U);  // asking again changes nothing
}

TEST(IdBlockAllocator, AFreedBlockIsReusedLowestFirst)
{
    const berth::test::TempDir dir("berth-eci-alloc");
    IdBlockAllocator a(dir.path);
    a.allocate("one");
    a.allocate("two");
    a.allocate("three");
    ASSERT_TRUE(a.release("two"));
    EXPECT_FALSE(a.release("two"));
    EXPECT_EQ(a.allocate("four"), 165536U);
    EXPECT_EQ(a.allocate("five"), 296608U);
}

TEST(IdBlockAllocator, ASharedBlockStaysTakenUntilEveryUserIsGone)
{
    const berth::test::TempDir dir("berth-eci-alloc");
    IdBlockAllocator a(dir.path);
    const auto base = a.allocate("owner");
    a.recordShared("joiner", base);
    a.release("owner");
    EXPECT_EQ(a.allocate("other"), 165536U);
    a.release("joiner");
    EXPECT_EQ(a.allocate("later"), 100000U);
}

TEST(IdBlockAllocator, StateSurvivesRestartsAndIsFreedAtBoot)
{
    const berth::test::TempDir dir("berth-eci-alloc");
    {
        IdBlockAllocator a(dir.path);
        a.allocate("one");
        a.allocate("two");
        a.setChownedUpper("two", "/var/lib/docker/overlay2/x/diff");
    }
    IdBlockAllocator b(dir.path);
    EXPECT_EQ(b.allocate("three"), 231072U);
    ASSERT_TRUE(b.find("two"));
    EXPECT_EQ(b.find("two")->chownedUpper, "/var/lib/docker/overlay2/x/diff");
    const auto all = b.takeAll();
    EXPECT_EQ(all.size(), 3U);
    EXPECT_TRUE(b.entries().empty());
    EXPECT_EQ(b.allocate("fresh"), 100000U);
}

TEST(IdBlockAllocator, ExhaustionIsAnErrorNotASharedBlock)
{
    const berth::test::TempDir dir("berth-eci-alloc");
    IdBlockAllocator a(dir.path, 100000, 2);
    a.allocate("one");
    a.allocate("two");
    EXPECT_THROW(a.allocate("three"), std::runtime_error);
}

TEST(IdBlockAllocator, ACorruptStateFileIsTreatedAsEmpty)
{
    const berth::test::TempDir dir("berth-eci-alloc");
    IdBlockAllocator a(dir.path);
    std::ofstream(a.stateFile()) << "{not json";
    EXPECT_EQ(a.allocate("one"), 100000U);
}

TEST(IdBlockAllocator, ConcurrentProcessesNeverShareABlock)
{
    const berth::test::TempDir dir("berth-eci-alloc");
    constexpr int kProcesses = 6;
    constexpr int kEach = 5;
    for (int p = 0; p < kProcesses; ++p) {
        if (::fork() == 0) {
            IdBlockAllocator a(dir.path);
            for (int i = 0; i < kEach; ++i) { a.allocate("c" + std::to_string(p) + "-" + std::to_string(i)); }
            ::_exit(0);
        }
    }
    for (int p = 0; p < kProcesses; ++p) {
        int status = 0;
        ::wait(&status);
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    IdBlockAllocator a(dir.path);
    std::set<std::uint32_t> bases;
    for (const auto& e : a.entries()) { bases.insert(e.base); }
    EXPECT_EQ(a.entries().size(), static_cast<std::size_t>(kProcesses * kEach));
    EXPECT_EQ(bases.size(), static_cast<std::size_t>(kProcesses * kEach));
}

TEST(IdBlockAllocator, BlocksOfAPastBootAreFreedOnceByWhoeverComesFirst)
{
    const berth::test::TempDir dir("berth-eci-alloc");
    IdBlockAllocator a(dir.path);
    EXPECT_TRUE(a.takeStale("boot-1").empty());  // first boot: nothing to free
    a.allocate("one");
    a.setChownedUpper("one", "/u");
    EXPECT_TRUE(a.takeStale("boot-1").empty());  // same boot: the running container keeps its block
    EXPECT_EQ(a.entries().size(), 1U);
    const auto stale = a.takeStale("boot-2");
    ASSERT_EQ(stale.size(), 1U);
    EXPECT_EQ(stale[0].chownedUpper, "/u");
    EXPECT_TRUE(a.takeStale("boot-2").empty());
    EXPECT_EQ(a.allocate("two"), 100000U);
}
