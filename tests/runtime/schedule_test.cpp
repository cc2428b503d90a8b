// schedule_test.cpp — learning-rate schedules against hand-computed values.
#include "gradc/runtime/schedule.h"

#include "test_util.h"

#include <cmath>

namespace gradc::rt {
namespace {

Schedule schedule(std::string kind) {
  Schedule result;
  result.kind = std::move(kind);
  return result;
}

TEST(Schedule, ConstantIgnoresTheStep) {
  EXPECT_EQ(learningRate(schedule("constant"), 0.1, 0), 0.1);
  EXPECT_EQ(learningRate(schedule("constant"), 0.1, 12345), 0.1);
}

TEST(Schedule, StepDecaysEveryNSteps) {
  Schedule s = schedule("step");
  s.every = 3;
  s.gamma = 0.5;
  EXPECT_DOUBLE_EQ(learningRate(s, 0.1, 0), 0.1);
  EXPECT_DOUBLE_EQ(learningRate(s, 0.1, 2), 0.1);
  EXPECT_DOUBLE_EQ(learningRate(s, 0.1, 3), 0.05);
  EXPECT_DOUBLE_EQ(learningRate(s, 0.1, 7), 0.025);
}

TEST(Schedule, ExponentialDecaysEveryStep) {
  Schedule s = schedule("exponential");
  s.gamma = 0.9;
  EXPECT_DOUBLE_EQ(learningRate(s, 0.1, 0), 0.1);
  EXPECT_DOUBLE_EQ(learningRate(s, 0.1, 2), 0.081);
}

TEST(Schedule, LinearWarmsUpThenDecaysToMinimum) {
  Schedule s = schedule("linear");
  s.steps = 10;
  s.warmup = 2;
  s.minLr = 0.02;
  EXPECT_DOUBLE_EQ(learningRate(s, 0.1, 0), 0.0);
  EXPECT_DOUBLE_EQ(learningRate(s, 0.1, 1), 0.05);
  EXPECT_DOUBLE_EQ(learningRate(s, 0.1, 2), 0.1);
  EXPECT_DOUBLE_EQ(learningRate(s, 0.1, 6), 0.06); // halfway: 0.02 + 0.08 / 2
  EXPECT_DOUBLE_EQ(learningRate(s, 0.1, 10), 0.02);
  EXPECT_DOUBLE_EQ(learningRate(s, 0.1, 50), 0.02);
}

TEST(Schedule, OneCycleFollowsTorch) {
  // torch.optim.lr_scheduler.OneCycleLR(SGD(lr=0.1), max_lr=0.1, total_steps=10,
  // pct_start=0.3, cycle_momentum=False): the learning rate of steps 0..9.
  const double torchLr[] = {0.0040000000000000036, 0.052000000000000005, 0.1,
                            0.09504846320134738,   0.0811745653949763,   0.06112620219362893,
                            0.03887419780637107,   0.0188258346050237,   0.004951936798652629,
                            4e-07};
  Schedule s = schedule("one_cycle");
  s.steps = 10;
  for (int64_t step = 0; step < 10; ++step)
    EXPECT_NEAR(learningRate(s, 0.1, step), torchLr[step], 1e-15) << "step " << step;
  EXPECT_NEAR(learningRate(s, 0.1, 25), 4e-07, 1e-15); // stays at the end
  s.pctStart = 0;
  EXPECT_RT_ERROR(learningRate(s, 0.1, 0), "pct_start must be in (0, 1]");
}

TEST(Schedule, CosineWarmsUpThenAnnealsToMinimum) {
  Schedule s = schedule("cosine");
  s.steps = 10;
  s.warmup = 2;
  s.minLr = 0.01;
  EXPECT_DOUBLE_EQ(learningRate(s, 0.1, 0), 0.0);  // warmup from 0
  EXPECT_DOUBLE_EQ(learningRate(s, 0.1, 1), 0.05);
  EXPECT_DOUBLE_EQ(learningRate(s, 0.1, 2), 0.1);  // progress 0
  EXPECT_DOUBLE_EQ(learningRate(s, 0.1, 4), 0.01 + 0.09 * (1 + std::sqrt(0.5)) / 2); // 1/4
  EXPECT_DOUBLE_EQ(learningRate(s, 0.1, 6), 0.055); // halfway: cos(π/2) = 0
  EXPECT_DOUBLE_EQ(learningRate(s, 0.1, 10), 0.01);
  EXPECT_DOUBLE_EQ(learningRate(s, 0.1, 25), 0.01); // stays at min_lr
}

TEST(Schedule, CosineWithoutWarmupStartsAtTheBaseRate) {
  Schedule s = schedule("cosine");
  s.steps = 4;
  EXPECT_DOUBLE_EQ(learningRate(s, 0.2, 0), 0.2);
  EXPECT_DOUBLE_EQ(learningRate(s, 0.2, 2), 0.1);
  EXPECT_NEAR(learningRate(s, 0.2, 4), 0.0, 1e-17);
}

TEST(Schedule, InvalidSchedulesAreErrors) {
  EXPECT_RT_ERROR(learningRate(schedule("triangle"), 0.1, 0),
                  "unknown learning-rate schedule 'triangle'");
  Schedule step = schedule("step");
  step.every = 0;
  EXPECT_RT_ERROR(validateSchedule(step), "invalid step schedule: every must be at least 1");
  Schedule cosine = schedule("cosine");
  cosine.steps = 5;
  cosine.warmup = 6;
  EXPECT_RT_ERROR(validateSchedule(cosine), "warmup must be in [0, steps = 5], got 6");
  EXPECT_RT_ERROR(learningRate(schedule("constant"), 0.1, -1), "negative step -1");
}

} // namespace
} // namespace gradc::rt
