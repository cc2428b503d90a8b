// rng_test.cpp — tests of the splitmix64 generator and the distributions built on it.
#include "gradc/runtime/rng.h"

#include "test_util.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

namespace gradc::rt {
namespace {

TEST(RngTest, MatchesSplitmix64Reference) {
  // From the reference splitmix64.c (Vigna), seeded with 1234567.
  Rng rng(1234567);
  EXPECT_EQ(rng.nextU64(), 6457827717110365317ull);
  EXPECT_EQ(rng.nextU64(), 3203168211198807973ull);
  EXPECT_EQ(rng.nextU64(), 9817491932198370423ull);
  EXPECT_EQ(rng.nextU64(), 4593380528125082431ull);
  EXPECT_EQ(rng.nextU64(), 16408922859458223821ull);
  EXPECT_EQ(rng.counter(), 5u);
  EXPECT_EQ(Rng::outputAt(1234567, 2), 9817491932198370423ull);
}

TEST(RngTest, SameSeedSameStreamAndResumable) {
  Rng first(99), second(99), other(100);
  std::vector<uint64_t> a, b, c;
  for (int i = 0; i < 100; ++i) {
    a.push_back(first.nextU64());
    b.push_back(second.nextU64());
    c.push_back(other.nextU64());
  }
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  Rng resumed(99, 40);
  EXPECT_EQ(resumed.nextU64(), a[40]);
  EXPECT_EQ(resumed.seed(), 99u);
}

TEST(RngTest, UniformIsExactAndInRange) {
  // The top 24 bits of 6457827717110365317 are 5873360.
  EXPECT_EQ(Rng(1234567).uniform(), 5873360.0f / 16777216.0f);
  Rng rng(7);
  double sum = 0;
  constexpr int kDraws = 100000;
  for (int i = 0; i < kDraws; ++i) {
    float value = rng.uniform();
    ASSERT_GE(value, 0.0f);
    ASSERT_LT(value, 1.0f);
    sum += value;
  }
  EXPECT_NEAR(sum / kDraws, 0.5, 0.005);
}

TEST(RngTest, NormalHasRequestedMoments) {
  Rng rng(2024);
  constexpr int kDraws = 200000;
  double sum = 0, sumSquares = 0;
  for (int i = 0; i < kDraws; ++i) {
    double value = rng.normal(3.0f, 2.0f);
    ASSERT_TRUE(std::isfinite(value));
    sum += value;
    sumSquares += value * value;
  }
  double mean = sum / kDraws;
  EXPECT_NEAR(mean, 3.0, 0.02);
  EXPECT_NEAR(std::sqrt(sumSquares / kDraws - mean * mean), 2.0, 0.02);
  EXPECT_EQ(rng.counter(), 2u * kDraws);
}

TEST(RngTest, BelowStaysInRange) {
  Rng rng(5);
  for (int i = 0; i < 1000; ++i)
    ASSERT_LT(rng.below(7), 7u);
  EXPECT_EQ(rng.below(1), 0u);
  EXPECT_RT_ERROR(rng.below(0), "positive bound");
}

TEST(RngTest, ShuffleIsADeterministicPermutation) {
  // Fisher–Yates over splitmix64 with seed 42, computed independently.
  EXPECT_EQ(Rng(42).permutation(10), (std::vector<int64_t>{0, 9, 5, 8, 6, 4, 7, 2, 1, 3}));

  std::vector<int64_t> shuffled = Rng(11).permutation(1000);
  EXPECT_EQ(shuffled, Rng(11).permutation(1000));
  std::vector<int64_t> sorted = shuffled;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int64_t> identity(1000);
  std::iota(identity.begin(), identity.end(), 0);
  EXPECT_EQ(sorted, identity);
  EXPECT_NE(shuffled, identity);
  EXPECT_TRUE(Rng(1).permutation(0).empty());
  EXPECT_RT_ERROR(Rng(1).permutation(-1), "non-negative count");
}

TEST(RngTest, ShuffleIsUniformOverPermutations) {
  Rng rng(3);
  std::map<std::vector<int64_t>, int> counts;
  constexpr int kTrials = 60000;
  for (int i = 0; i < kTrials; ++i) {
    std::vector<int64_t> indices = {0, 1, 2};
    rng.shuffle(indices);
    ++counts[indices];
  }
  ASSERT_EQ(counts.size(), 6u);
  for (const auto &[permutation, count] : counts)
    EXPECT_NEAR(count, kTrials / 6, 400);
}

} // namespace
} // namespace gradc::rt
