// kernels_sum_test.cpp — reduceSum against sums in long double, and its
// independence of the thread count.
#include "gradc/runtime/kernels.h"

#include "kernel_test_util.h"
#include "test_util.h"

namespace gradc::rt {
namespace {

using testing::randomValues;

struct SumShape {
  int64_t outer, kept, inner;
};

// Odd extents around the eight lanes, column sums (inner 1), whole-tensor
// sums (kept 1), and sizes past the threshold for running on threads.
std::vector<SumShape> sumShapes() {
  return {{1, 1, 1},   {3, 1, 7},    {1, 1, 17},   {5, 3, 9},    {64, 6, 784},
          {64, 512, 1}, {7, 300, 1}, {1, 1, 100003}, {2, 17, 4099}, {1, 5, 8}};
}

template <typename T> class SumTest : public ::testing::Test {};
using FloatTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(SumTest, FloatTypes);

TYPED_TEST(SumTest, MatchesExactSumsAndMeans) {
  using T = TypeParam;
  for (const SumShape &s : sumShapes()) {
    auto x = randomValues<T>(s.outer * s.kept * s.inner, 90, -1.0, 3.0);
    for (double divisor : {1.0, double(s.outer * s.inner)}) {
      std::vector<T> y(s.kept, T(-7));
      reduceSum<T>(s.outer, s.kept, s.inner, x.data(), divisor, y.data());
      for (int64_t k = 0; k < s.kept; ++k) {
        long double exact = 0;
        for (int64_t o = 0; o < s.outer; ++o)
          for (int64_t i = 0; i < s.inner; ++i)
            exact += x[(o * s.kept + k) * s.inner + i];
        const double expected = static_cast<double>(exact / divisor);
        // Rounding once to T, plus double's rounding over the terms.
        const double bound = (std::is_same_v<T, float> ? 6e-8 : 2e-16) *
                                 std::max(1.0, std::fabs(expected)) +
                             1e-15 * double(s.outer * s.inner) * 3.0 / divisor;
        EXPECT_NEAR(static_cast<double>(y[k]), expected, bound)
            << s.outer << "x" << s.kept << "x" << s.inner << " output " << k << " divisor "
            << divisor;
      }
    }
  }
}

TEST(ReduceSum, ResultsDoNotDependOnTheThreadCount) {
  const int saved = threads();
  for (const SumShape &s : sumShapes()) {
    auto x = randomValues<float>(s.outer * s.kept * s.inner, 91);
    std::vector<float> one(s.kept), two(s.kept);
    setThreads(1);
    reduceSum<float>(s.outer, s.kept, s.inner, x.data(), 1.0, one.data());
    setThreads(2);
    reduceSum<float>(s.outer, s.kept, s.inner, x.data(), 1.0, two.data());
    EXPECT_EQ(one, two) << s.outer << "x" << s.kept << "x" << s.inner;
  }
  setThreads(saved);
}

TEST(ReduceSum, EmptyAxesSumToZero) {
  std::vector<float> y(3, 5.0f);
  reduceSum<float>(0, 3, 4, nullptr, 1.0, y.data());
  EXPECT_EQ(y, (std::vector<float>{0, 0, 0}));
}

TEST(ReduceSum, RefusesNegativeSizes) {
  std::vector<float> y(1);
  EXPECT_RT_ERROR(reduceSum<float>(2, -1, 1, y.data(), 1.0, y.data()),
                  "reduceSum: kept must not be negative, got -1");
}

} // namespace
} // namespace gradc::rt
