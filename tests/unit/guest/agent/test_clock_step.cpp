#include "clock_step.h"

#include <gtest/gtest.h>

using berth::guest::clockStepMillis;

TEST(ClockStep, WithinASecondOfTheHostNothingChanges)
{
    EXPECT_FALSE(clockStepMillis(1'000'000, 1'000'000));
    EXPECT_FALSE(clockStepMillis(1'000'000, 1'000'999));
    EXPECT_FALSE(clockStepMillis(1'000'999, 1'000'000));
}

TEST(ClockStep, BehindOrAheadStepsToTheHost)
{
    EXPECT_EQ(clockStepMillis(1'000'000, 1'001'000), 1000);  // a second behind
    EXPECT_EQ(clockStepMillis(8'200'000, 1'000'000), -7'200'000);  // two hours ahead
    EXPECT_EQ(clockStepMillis(0, 1'800'000'000'000), 1'800'000'000'000);  // a guest that booted at 1970
}
