#include "test_hooks.h"

#include <gtest/gtest.h>

using berth::guest::agent::parseTestHooks;
using berth::guest::agent::TestHooks;

TEST(TestHooks, NoneWithoutTheParameter)
{
    std::string error;
    EXPECT_EQ(parseTestHooks("console=ttyS0 panic=-1 quiet", &error), TestHooks{});
    EXPECT_EQ(parseTestHooks("", &error), TestHooks{});
    EXPECT_EQ(parseTestHooks("berth.test_hooks_more=failBoot xberth.test_hooks=failBoot", &error), TestHooks{});
}

TEST(TestHooks, NamedHooksAreOn)
{
    std::string error;
    const auto hooks = parseTestHooks("console=ttyS0 berth.test_hooks=ignoreShutdown,silentBoot quiet\n", &error);
    ASSERT_TRUE(hooks) << error;
    EXPECT_TRUE(hooks->ignoreShutdown);
    EXPECT_TRUE(hooks->silentBoot);
    EXPECT_FALSE(hooks->failBoot);
    EXPECT_TRUE(parseTestHooks("berth.test_hooks=failBoot", &error).value_or(TestHooks{}).failBoot);
    EXPECT_EQ(parseTestHooks("berth.test_hooks=", &error), TestHooks{});
}

TEST(TestHooks, AnUnknownNameIsRefused)
{
    std::string error;
    EXPECT_FALSE(parseTestHooks("berth.test_hooks=failBoot,failboot", &error));
    EXPECT_EQ(error, "unknown test hook 'failboot'");
}
