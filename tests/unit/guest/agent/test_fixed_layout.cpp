#include "fixed_layout.h"

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

// In a child, as the agent and berth-fixed-layout-exec use it: the test's own layout stays.
TEST(FixedLayout, AddsNoRandomizeAndKeepsTheRestOfThePersonality)
{
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        const int before = ::personality(0xffffffff);
        berth::guest::fixAddressLayout();
        ::_exit(::personality(0xffffffff) == (before | ADDR_NO_RANDOMIZE) ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
}
