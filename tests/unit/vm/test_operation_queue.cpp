// The merging rules on their own: which requests become work, which merge, which are dropped.
#include "operation_queue.h"

#include <gtest/gtest.h>

using namespace berth::vm;

namespace {

LaunchPlan planWith(const char* guestConfig, int memoryMiB = kDefaultMemoryMiB)
{
    return planFor(guestConfig, {kDefaultCpus, memoryMiB, 0});
}

}  // namespace

TEST(OperationQueueTest, RepeatedStartsWhileWaitingBecomeOneWithTheLatestPlan)
{
    OperationQueue queue;
    EXPECT_TRUE(queue.requestLaunch(EngineOperation::Start, planWith(R"({"v":1})"), nullptr).queued);
    EXPECT_FALSE(queue.requestLaunch(EngineOperation::Start, planWith(R"({"v":2})"), nullptr).queued);
    ASSERT_TRUE(queue.beginNext());
    EXPECT_EQ(queue.current()->plan.guestConfig, R"({"v":2})");
    EXPECT_FALSE(queue.beginNext()) << "nothing else waits, and one is in progress";
}

TEST(OperationQueueTest, AStartWhileRunningWithTheSamePlanIsDoneAtOnce)
{
    OperationQueue queue;
    const LaunchPlan running = planWith(R"({"eci": true})");
    const auto merge = queue.requestLaunch(EngineOperation::Start, planWith(R"({ "eci" : true })"), &running);
    EXPECT_FALSE(merge.queued);
    ASSERT_EQ(merge.dropped.size(), 1u);
    EXPECT_TRUE(merge.dropped.front().ok);
    EXPECT_EQ(merge.dropped.front().message, "Already running");
    EXPECT_FALSE(queue.isBusy());
}

TEST(OperationQueueTest, AStartWhileRunningWithAnotherPlanIsARestart)
{
    OperationQueue queue;
    const LaunchPlan running = planWith(R"({"eci":true})");
    EXPECT_TRUE(queue.requestLaunch(EngineOperation::Start, planWith(R"({"eci":true})", 1024), &running).queued);
    ASSERT_TRUE(queue.beginNext());
    EXPECT_EQ(queue.current()->kind, EngineOperation::Restart);
}

TEST(OperationQueueTest, ARestartBeforeQemuLaunchesReplacesThePlanInProgress)
{
    OperationQueue queue;
    queue.requestLaunch(EngineOperation::Restart, planWith(R"({"v":1})"), nullptr);
    ASSERT_TRUE(queue.beginNext());
    const auto merge = queue.requestLaunch(EngineOperation::Restart, planWith(R"({"v":2})"), nullptr);
    EXPECT_FALSE(merge.queued);
    EXPECT_EQ(merge.progress, "Merged into the restart in progress");
    EXPECT_EQ(queue.current()->plan.guestConfig, R"({"v":2})");
}

TEST(OperationQueueTest, AfterLaunchAnotherPlanQueuesOneRestartAndTheLaunchedPlanDropsIt)
{
    OperationQueue queue;
    queue.requestLaunch(EngineOperation::Restart, planWith(R"({"v":"B"})"), nullptr);
    ASSERT_TRUE(queue.beginNext());
    queue.current()->launched = true;
    EXPECT_FALSE(queue.launchWaits());
    EXPECT_TRUE(queue.requestLaunch(EngineOperation::Restart, planWith(R"({"v":"C"})"), nullptr).queued);
    EXPECT_TRUE(queue.launchWaits()) << "the engine host holds the running launch's success back";
    EXPECT_EQ(queue.requestLaunch(EngineOperation::Restart, planWith(R"({"v":"D"})"), nullptr).progress,
              "Merged into the pending restart");
    const auto back = queue.requestLaunch(EngineOperation::Restart, planWith(R"({"v":"B"})"), nullptr);
    ASSERT_EQ(back.dropped.size(), 1u);
    EXPECT_TRUE(back.dropped.front().ok);
    EXPECT_NE(back.dropped.front().message.indexOf("Superseded"), -1);
    EXPECT_FALSE(queue.launchWaits());
    queue.finishCurrent();
    EXPECT_FALSE(queue.isBusy()) << "the queued restart to D is gone";
}

TEST(OperationQueueTest, AStopCancelsWaitingLaunchesAndMergesIntoAWaitingStop)
{
    OperationQueue queue;
    queue.push({EngineOperation::Stop, {}, false});
    queue.requestLaunch(EngineOperation::Start, planWith("{}"), nullptr);
    std::vector<DroppedOperation> cancelled;
    EXPECT_TRUE(queue.mergeStopIntoWaiting(true, &cancelled));
    ASSERT_EQ(cancelled.size(), 1u);
    EXPECT_EQ(cancelled.front().kind, EngineOperation::Start);
    EXPECT_FALSE(cancelled.front().ok);
    EXPECT_FALSE(queue.launchWaits()) << "a waiting stop is no launch";
    ASSERT_TRUE(queue.beginNext());
    EXPECT_EQ(queue.current()->kind, EngineOperation::Stop);
    EXPECT_TRUE(queue.current()->force) << "the later stop's force is kept";
}

TEST(OperationQueueTest, PlansDifferInBackendResourcesForwardsOrConfig)
{
    const LaunchPlan base = planWith(R"({"a":1,"b":2})");
    EXPECT_TRUE(sameLaunch(base, planWith(R"({"b":2, "a":1})")));
    LaunchPlan other = base;
    other.resources.cpus = 4;
    EXPECT_FALSE(sameLaunch(base, other));
    other = base;
    other.extraForwards = {{2375, 2375}};
    EXPECT_FALSE(sameLaunch(base, other));
    other = base;
    other.guestConfig = R"({"a":1})";
    EXPECT_FALSE(sameLaunch(base, other));
}
