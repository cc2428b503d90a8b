// kernels_rows_test.cpp — row gathers, their scatter-add gradient, and dropout.
#include "gradc/runtime/kernels.h"

#include "gradc/runtime/dropout_mask.h"

#include "kernel_test_util.h"
#include "test_util.h"

namespace gradc::rt {
namespace {

using testing::expectNear;
using testing::numericGradient;
using testing::randomValues;

TEST(GatherRows, CopiesTheRowsIdsName) {
  std::vector<float> table = {0, 1, 10, 11, 20, 21};
  std::vector<int32_t> ids = {2, 0, 2};
  std::vector<float> out(6);
  gatherRows<float>(3, 2, table.data(), ids.data(), 3, out.data());
  EXPECT_EQ(out, (std::vector<float>{20, 21, 0, 1, 20, 21}));
}

TEST(GatherRows, IdOutOfRangeIsAnError) {
  std::vector<float> table(6), out(4);
  std::vector<int32_t> ids = {1, 3};
  EXPECT_RT_ERROR(gatherRows<float>(3, 2, table.data(), ids.data(), 2, out.data()),
                  "gatherRows: id 3 at position 1 is outside [0, 3)");
  std::vector<int32_t> negative = {-1};
  EXPECT_RT_ERROR(scatterAddRows<float>(3, 2, negative.data(), 1, table.data(), out.data()),
                  "scatterAddRows: id -1 at position 0 is outside [0, 3)");
}

TEST(ScatterAddRows, IsTheGradientOfGatherRows) {
  const int64_t v = 4, d = 3;
  std::vector<int32_t> ids = {1, 3, 1, 0, 1};
  auto table = randomValues(v * d, 90);
  auto dy = randomValues(ids.size() * d, 91);
  std::vector<double> dtable(v * d, 99.0);
  scatterAddRows<double>(v, d, ids.data(), static_cast<int64_t>(ids.size()), dy.data(),
                         dtable.data());
  auto gather = [&](const std::vector<double> &t) {
    std::vector<double> out(ids.size() * d);
    gatherRows<double>(v, d, t.data(), ids.data(), static_cast<int64_t>(ids.size()),
                       out.data());
    return out;
  };
  expectNear(dtable, numericGradient(gather, table, dy), 1e-9);
  for (int64_t j = 0; j < d; ++j) // row 2 is never gathered: zeroed, not left as 99
    EXPECT_EQ(dtable[2 * d + j], 0.0);
}

TEST(Dropout, UsesTheSharedMaskElementByElement) {
  const int64_t count = 1000;
  auto x = randomValues<float>(count, 92, 0.5, 1.5);
  std::vector<float> y(count);
  dropout<float>(count, x.data(), 1234, 7, 0.3, y.data());
  int64_t dropped = 0;
  for (int64_t i = 0; i < count; ++i) {
    float expected = static_cast<float>(x[i] * dropoutScale(1234, 7, i, 0.3));
    EXPECT_EQ(y[i], expected) << "element " << i;
    dropped += y[i] == 0.0f;
  }
  EXPECT_GT(dropped, 230);
  EXPECT_LT(dropped, 370);
}

TEST(Dropout, ExtremeProbabilitiesAndInPlace) {
  std::vector<double> x = {1, 2, 3}, y(3);
  dropout<double>(3, x.data(), 5, 0, 0.0, y.data());
  EXPECT_EQ(y, x);
  dropout<double>(3, x.data(), 5, 0, 1.0, x.data());
  EXPECT_EQ(x, (std::vector<double>{0, 0, 0}));
  EXPECT_RT_ERROR(dropout<double>(3, x.data(), 5, 0, 1.5, y.data()),
                  "dropout: probability must be in [0, 1], got 1.5");
}

} // namespace
} // namespace gradc::rt
