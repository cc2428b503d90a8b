// kernels_conv_test.cpp — conv2d and pooling against direct loops and finite differences.
#include "gradc/runtime/kernels.h"

#include "kernel_test_util.h"
#include "test_util.h"

#include <limits>

namespace gradc::rt {
namespace {

using testing::convert;
using testing::expectNear;
using testing::numericGradient;
using testing::randomValues;

// The direct definition of zero-padded strided cross-correlation.
std::vector<double> naiveConv(const Conv2DShape &s, const std::vector<double> &x,
                              const std::vector<double> &w, const std::vector<double> *bias) {
  std::vector<double> y(s.n * s.o * s.oh * s.ow);
  for (int64_t i = 0; i < s.n; ++i)
    for (int64_t o = 0; o < s.o; ++o)
      for (int64_t oy = 0; oy < s.oh; ++oy)
        for (int64_t ox = 0; ox < s.ow; ++ox) {
          double sum = bias ? (*bias)[o] : 0.0;
          for (int64_t c = 0; c < s.c; ++c)
            for (int64_t ky = 0; ky < s.kh; ++ky)
              for (int64_t kx = 0; kx < s.kw; ++kx) {
                int64_t iy = oy * s.sh - s.ph + ky, ix = ox * s.sw - s.pw + kx;
                if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w)
                  continue;
                sum += w[((o * s.c + c) * s.kh + ky) * s.kw + kx] *
                       x[((i * s.c + c) * s.h + iy) * s.w + ix];
              }
          y[((i * s.o + o) * s.oh + oy) * s.ow + ox] = sum;
        }
  return y;
}

// Odd, non-square shapes with stride 2 and padding 1 on at least one axis.
std::vector<Conv2DShape> convShapes() {
  return {makeConv2DShape(2, 3, 7, 6, 4, 3, 2, 2, 2, 1, 1),
          makeConv2DShape(3, 2, 5, 8, 3, 2, 3, 2, 1, 1, 0),
          makeConv2DShape(1, 1, 4, 4, 2, 1, 1, 1, 1, 0, 0)};
}

std::string describe(const Conv2DShape &s) {
  return "n" + std::to_string(s.n) + " c" + std::to_string(s.c) + " " + std::to_string(s.h) +
         "x" + std::to_string(s.w) + " o" + std::to_string(s.o) + " k" + std::to_string(s.kh) +
         "x" + std::to_string(s.kw) + " s" + std::to_string(s.sh) + "x" + std::to_string(s.sw) +
         " p" + std::to_string(s.ph) + "x" + std::to_string(s.pw);
}

TEST(Conv2DShape, OutputSizeFollowsTheFloorFormula) {
  Conv2DShape s = makeConv2DShape(2, 3, 7, 6, 4, 3, 2, 2, 2, 1, 1);
  EXPECT_EQ(s.oh, 4); // (7 + 2 - 3) / 2 + 1
  EXPECT_EQ(s.ow, 4); // (6 + 2 - 2) / 2 + 1
}

TEST(Conv2DShape, KernelLargerThanPaddedInputIsAnError) {
  EXPECT_RT_ERROR(makeConv2DShape(1, 1, 3, 3, 1, 5, 1, 1, 1, 0, 0),
                  "vertical window of 5 does not fit the input of 3");
}

TEST(Conv2DShape, InconsistentOutputSizeIsAnError) {
  Conv2DShape s = makeConv2DShape(1, 1, 5, 5, 1, 3, 3, 1, 1, 0, 0);
  s.oh = 4;
  std::vector<float> x(25), w(9), y(16);
  EXPECT_RT_ERROR(conv2d<float>(s, x.data(), w.data(), nullptr, y.data()),
                  "output size 4x3 does not match the 3x3");
}

template <typename T> class ConvTest : public ::testing::Test {};
using FloatTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(ConvTest, FloatTypes);

TYPED_TEST(ConvTest, ForwardMatchesDirectDefinition) {
  using T = TypeParam;
  const double tolerance = std::is_same_v<T, float> ? 1e-5 : 1e-12;
  for (const Conv2DShape &s : convShapes()) {
    auto x = randomValues(s.n * s.c * s.h * s.w, 10);
    auto w = randomValues(s.o * s.c * s.kh * s.kw, 11);
    auto b = randomValues(s.o, 12);
    auto tx = convert<T>(x), tw = convert<T>(w), tb = convert<T>(b);
    std::vector<T> y(s.n * s.o * s.oh * s.ow);
    conv2d<T>(s, tx.data(), tw.data(), tb.data(), y.data());
    expectNear(y, naiveConv(s, x, w, &b), tolerance, describe(s) + " with bias");
    conv2d<T>(s, tx.data(), tw.data(), nullptr, y.data());
    expectNear(y, naiveConv(s, x, w, nullptr), tolerance, describe(s) + " without bias");
  }
}

TEST(Conv2D, GradientsMatchFiniteDifferences) {
  for (const Conv2DShape &s : convShapes()) {
    auto x = randomValues(s.n * s.c * s.h * s.w, 20);
    auto w = randomValues(s.o * s.c * s.kh * s.kw, 21);
    auto b = randomValues(s.o, 22);
    auto dy = randomValues(s.n * s.o * s.oh * s.ow, 23);

    std::vector<double> dx(x.size()), dw(w.size()), db(b.size());
    conv2dBackwardInput<double>(s, dy.data(), w.data(), dx.data());
    conv2dBackwardFilter<double>(s, x.data(), dy.data(), dw.data());
    conv2dBackwardBias<double>(s, dy.data(), db.data());

    auto byInput = [&](const std::vector<double> &v) { return naiveConv(s, v, w, &b); };
    auto byWeight = [&](const std::vector<double> &v) { return naiveConv(s, x, v, &b); };
    auto byBias = [&](const std::vector<double> &v) { return naiveConv(s, x, w, &v); };
    expectNear(dx, numericGradient(byInput, x, dy), 1e-7, describe(s) + " dx");
    expectNear(dw, numericGradient(byWeight, w, dy), 1e-7, describe(s) + " dweight");
    expectNear(db, numericGradient(byBias, b, dy), 1e-7, describe(s) + " dbias");
  }
}

TEST(Conv2D, FloatGradientsMatchDouble) {
  Conv2DShape s = convShapes()[0];
  auto x = randomValues(s.n * s.c * s.h * s.w, 30);
  auto w = randomValues(s.o * s.c * s.kh * s.kw, 31);
  auto dy = randomValues(s.n * s.o * s.oh * s.ow, 32);
  std::vector<double> dx(x.size()), dw(w.size()), db(s.o);
  conv2dBackwardInput<double>(s, dy.data(), w.data(), dx.data());
  conv2dBackwardFilter<double>(s, x.data(), dy.data(), dw.data());
  conv2dBackwardBias<double>(s, dy.data(), db.data());
  auto fx = convert<float>(x), fw = convert<float>(w), fdy = convert<float>(dy);
  std::vector<float> fdx(x.size()), fdw(w.size()), fdb(s.o);
  conv2dBackwardInput<float>(s, fdy.data(), fw.data(), fdx.data());
  conv2dBackwardFilter<float>(s, fx.data(), fdy.data(), fdw.data());
  conv2dBackwardBias<float>(s, fdy.data(), fdb.data());
  expectNear(fdx, dx, 1e-5, "dx");
  expectNear(fdw, dw, 1e-5, "dweight");
  expectNear(fdb, db, 1e-5, "dbias");
}

// The direct definitions of the two convolution gradients for dy.
void naiveConvBackward(const Conv2DShape &s, const std::vector<double> &x,
                       const std::vector<double> &w, const std::vector<double> &dy,
                       std::vector<double> &dx, std::vector<double> &dw) {
  dx.assign(x.size(), 0.0);
  dw.assign(w.size(), 0.0);
  for (int64_t i = 0; i < s.n; ++i)
    for (int64_t o = 0; o < s.o; ++o)
      for (int64_t oy = 0; oy < s.oh; ++oy)
        for (int64_t ox = 0; ox < s.ow; ++ox) {
          const double g = dy[((i * s.o + o) * s.oh + oy) * s.ow + ox];
          for (int64_t c = 0; c < s.c; ++c)
            for (int64_t ky = 0; ky < s.kh; ++ky)
              for (int64_t kx = 0; kx < s.kw; ++kx) {
                int64_t iy = oy * s.sh - s.ph + ky, ix = ox * s.sw - s.pw + kx;
                if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w)
                  continue;
                const int64_t wi = ((o * s.c + c) * s.kh + ky) * s.kw + kx;
                const int64_t xi = ((i * s.c + c) * s.h + iy) * s.w + ix;
                dx[xi] += w[wi] * g;
                dw[wi] += x[xi] * g;
              }
        }
}

// Batches large enough that the kernels split them into several blocks of
// samples (the last one partial) and run the blocks on several threads.
std::vector<Conv2DShape> batchedConvShapes() {
  return {makeConv2DShape(61, 3, 20, 17, 5, 3, 3, 1, 2, 1, 1), // stride 1x2, padding 1
          makeConv2DShape(37, 1, 28, 28, 6, 5, 5, 1, 1, 2, 2), // LeNet's first layer
          makeConv2DShape(29, 6, 14, 14, 16, 5, 5, 2, 2, 0, 1)};
}

TEST(Conv2D, BlocksOfSamplesOnSeveralThreadsMatchDirectDefinition) {
  const int saved = threads();
  setThreads(2);
  for (const Conv2DShape &s : batchedConvShapes()) {
    auto x = randomValues(s.n * s.c * s.h * s.w, 60);
    auto w = randomValues(s.o * s.c * s.kh * s.kw, 61);
    auto b = randomValues(s.o, 62);
    auto dy = randomValues(s.n * s.o * s.oh * s.ow, 63);
    std::vector<double> y(dy.size()), dx(x.size()), dw(w.size()), expectDx, expectDw;
    conv2d<double>(s, x.data(), w.data(), b.data(), y.data());
    expectNear(y, naiveConv(s, x, w, &b), 1e-12, describe(s) + " y");
    conv2dBackwardInput<double>(s, dy.data(), w.data(), dx.data());
    conv2dBackwardFilter<double>(s, x.data(), dy.data(), dw.data());
    naiveConvBackward(s, x, w, dy, expectDx, expectDw);
    expectNear(dx, expectDx, 1e-12, describe(s) + " dx");
    expectNear(dw, expectDw, 1e-11, describe(s) + " dweight");
  }
  setThreads(saved);
}

TEST(Conv2D, ResultsDoNotDependOnTheThreadCount) {
  const int saved = threads();
  for (const Conv2DShape &s : batchedConvShapes()) {
    auto x = randomValues<float>(s.n * s.c * s.h * s.w, 70);
    auto w = randomValues<float>(s.o * s.c * s.kh * s.kw, 71);
    auto dy = randomValues<float>(s.n * s.o * s.oh * s.ow, 72);
    std::vector<float> y[2], dx[2], dw[2];
    for (int run = 0; run < 2; ++run) {
      setThreads(run + 1);
      y[run].resize(dy.size()), dx[run].resize(x.size()), dw[run].resize(w.size());
      conv2d<float>(s, x.data(), w.data(), nullptr, y[run].data());
      conv2dBackwardInput<float>(s, dy.data(), w.data(), dx[run].data());
      conv2dBackwardFilter<float>(s, x.data(), dy.data(), dw[run].data());
    }
    EXPECT_EQ(y[0], y[1]) << describe(s);
    EXPECT_EQ(dx[0], dx[1]) << describe(s);
    EXPECT_EQ(dw[0], dw[1]) << describe(s);
  }
  setThreads(saved);
}

// --- pooling ---------------------------------------------------------------

std::vector<double> naiveMaxPool(const Pool2DShape &s, const std::vector<double> &x) {
  std::vector<double> y(s.n * s.c * s.oh * s.ow);
  for (int64_t p = 0; p < s.n * s.c; ++p)
    for (int64_t oy = 0; oy < s.oh; ++oy)
      for (int64_t ox = 0; ox < s.ow; ++ox) {
        double best = -std::numeric_limits<double>::infinity();
        for (int64_t ky = 0; ky < s.kh; ++ky)
          for (int64_t kx = 0; kx < s.kw; ++kx) {
            int64_t iy = oy * s.sh - s.ph + ky, ix = ox * s.sw - s.pw + kx;
            if (iy >= 0 && iy < s.h && ix >= 0 && ix < s.w)
              best = std::max(best, x[(p * s.h + iy) * s.w + ix]);
          }
        y[(p * s.oh + oy) * s.ow + ox] = best;
      }
  return y;
}

std::vector<double> naiveAvgPool(const Pool2DShape &s, const std::vector<double> &x) {
  std::vector<double> y(s.n * s.c * s.oh * s.ow);
  for (int64_t p = 0; p < s.n * s.c; ++p)
    for (int64_t oy = 0; oy < s.oh; ++oy)
      for (int64_t ox = 0; ox < s.ow; ++ox) {
        double sum = 0;
        for (int64_t ky = 0; ky < s.kh; ++ky)
          for (int64_t kx = 0; kx < s.kw; ++kx) {
            int64_t iy = oy * s.sh - s.ph + ky, ix = ox * s.sw - s.pw + kx;
            if (iy >= 0 && iy < s.h && ix >= 0 && ix < s.w)
              sum += x[(p * s.h + iy) * s.w + ix];
          }
        y[(p * s.oh + oy) * s.ow + ox] = sum / static_cast<double>(s.kh * s.kw);
      }
  return y;
}

// Non-square, stride 2 with padding 1, and overlapping 3x3 windows at stride 1.
std::vector<Pool2DShape> poolShapes() {
  return {makePool2DShape(2, 3, 7, 6, 3, 2, 2, 2, 1, 1),
          makePool2DShape(1, 2, 5, 5, 3, 3, 1, 1, 1, 0),
          makePool2DShape(2, 1, 6, 4, 2, 2, 2, 2, 0, 0)};
}

TYPED_TEST(ConvTest, PoolingForwardMatchesDirectDefinition) {
  using T = TypeParam;
  const double tolerance = std::is_same_v<T, float> ? 1e-6 : 1e-14;
  for (const Pool2DShape &s : poolShapes()) {
    auto x = randomValues(s.n * s.c * s.h * s.w, 40);
    auto tx = convert<T>(x);
    std::vector<T> y(s.n * s.c * s.oh * s.ow);
    maxPool2d<T>(s, tx.data(), y.data());
    expectNear(y, naiveMaxPool(s, x), tolerance, "max");
    avgPool2d<T>(s, tx.data(), y.data());
    expectNear(y, naiveAvgPool(s, x), tolerance, "avg");
  }
}

TEST(Pool2D, GradientsMatchFiniteDifferences) {
  for (const Pool2DShape &s : poolShapes()) {
    auto x = randomValues(s.n * s.c * s.h * s.w, 50); // distinct values: no ties
    auto dy = randomValues(s.n * s.c * s.oh * s.ow, 51);
    std::vector<double> dx(x.size());
    maxPool2dBackward<double>(s, x.data(), dy.data(), dx.data());
    expectNear(dx, numericGradient([&](const auto &v) { return naiveMaxPool(s, v); }, x, dy),
               1e-7, "max");
    avgPool2dBackward<double>(s, dy.data(), dx.data());
    expectNear(dx, numericGradient([&](const auto &v) { return naiveAvgPool(s, v); }, x, dy),
               1e-7, "avg");
  }
}

TEST(Pool2D, MaxGradientGoesToFirstMaximumInRowMajorOrder) {
  // One 2x3 window holding its maximum twice: (0, 2) comes before (1, 0).
  Pool2DShape s = makePool2DShape(1, 1, 2, 3, 2, 3, 1, 1, 0, 0);
  std::vector<double> x = {1, 2, 5,
                           5, 0, 5};
  std::vector<double> dy = {3}, dx(6), y(1);
  maxPool2d<double>(s, x.data(), y.data());
  EXPECT_EQ(y[0], 5);
  maxPool2dBackward<double>(s, x.data(), dy.data(), dx.data());
  EXPECT_EQ(dx, (std::vector<double>{0, 0, 3, 0, 0, 0}));
}

TEST(Pool2D, OverlappingWindowsAddTheirGradients) {
  // 3-wide windows at stride 1 over a row whose maximum is in the middle:
  // all three windows pick it.
  Pool2DShape s = makePool2DShape(1, 1, 1, 5, 1, 3, 1, 1, 0, 0);
  std::vector<double> x = {0, 1, 9, 2, 3}, dy = {1, 10, 100}, dx(5);
  maxPool2dBackward<double>(s, x.data(), dy.data(), dx.data());
  EXPECT_EQ(dx, (std::vector<double>{0, 0, 111, 0, 0}));
}

TEST(Pool2D, PaddingNeverWins) {
  // All inputs negative: zero padding must not become the maximum.
  Pool2DShape s = makePool2DShape(1, 1, 3, 3, 2, 2, 2, 2, 1, 1);
  std::vector<double> x = {-9, -8, -7, -6, -5, -4, -3, -2, -1};
  std::vector<double> y(s.oh * s.ow), dy(s.oh * s.ow, 1.0), dx(9);
  maxPool2d<double>(s, x.data(), y.data());
  EXPECT_EQ(y, (std::vector<double>{-9, -7, -3, -1}));
  maxPool2dBackward<double>(s, x.data(), dy.data(), dx.data());
  EXPECT_EQ(dx, (std::vector<double>{1, 0, 1, 0, 0, 0, 1, 0, 1}));
}

TEST(Pool2D, AverageCountsPaddingInTheDivisor) {
  Pool2DShape s = makePool2DShape(1, 1, 2, 2, 2, 2, 2, 2, 1, 1);
  std::vector<double> x = {4, 8, 12, 16}, y(4);
  avgPool2d<double>(s, x.data(), y.data());
  EXPECT_EQ(y, (std::vector<double>{1, 2, 3, 4}));
}

// The first maximal element of a window in row-major order, where a NaN
// beats any number and the first NaN wins; -1 for an empty window.
int64_t naiveArgmax(const Pool2DShape &s, const std::vector<double> &x, int64_t p,
                    int64_t oy, int64_t ox) {
  int64_t best = -1;
  for (int64_t ky = 0; ky < s.kh; ++ky)
    for (int64_t kx = 0; kx < s.kw; ++kx) {
      int64_t iy = oy * s.sh - s.ph + ky, ix = ox * s.sw - s.pw + kx;
      if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w)
        continue;
      int64_t at = (p * s.h + iy) * s.w + ix;
      if (best < 0 || (std::isnan(x[at]) && !std::isnan(x[best])) ||
          (!std::isnan(x[best]) && x[at] > x[best]))
        best = at;
    }
  return best;
}

TYPED_TEST(ConvTest, MaxPoolTiesAndNaNFollowTheFirstMaximum) {
  using T = TypeParam;
  // Odd heights and widths (a last row and column no 2x2 window reads), values
  // from a few levels (many ties), NaNs; the 2x2 stride-2 window, the same
  // window with padding, and a 3x3 one.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const Pool2DShape &s :
       {makePool2DShape(3, 5, 9, 7, 2, 2, 2, 2, 0, 0), makePool2DShape(2, 3, 9, 7, 2, 2, 2, 2, 1, 1),
        makePool2DShape(2, 3, 8, 11, 3, 3, 2, 2, 1, 1), makePool2DShape(64, 6, 28, 28, 2, 2, 2, 2, 0, 0)}) {
    auto x = randomValues(s.n * s.c * s.h * s.w, 80);
    for (size_t i = 0; i < x.size(); ++i)
      x[i] = i % 53 == 7 ? nan : std::round(x[i] * 2) / 2; // -1, -0.5, 0, 0.5, 1
    auto dy = randomValues(s.n * s.c * s.oh * s.ow, 81);
    std::vector<double> expectY(dy.size()), expectDx(x.size(), 0.0);
    for (int64_t p = 0; p < s.n * s.c; ++p)
      for (int64_t oy = 0; oy < s.oh; ++oy)
        for (int64_t ox = 0; ox < s.ow; ++ox) {
          int64_t out = (p * s.oh + oy) * s.ow + ox;
          int64_t best = naiveArgmax(s, x, p, oy, ox);
          expectY[out] = x[best];
          expectDx[best] += static_cast<double>(static_cast<T>(dy[out]));
        }
    auto tx = convert<T>(x), tdy = convert<T>(dy);
    std::vector<T> y(dy.size()), dx(x.size(), T(7));
    maxPool2d<T>(s, tx.data(), y.data());
    maxPool2dBackward<T>(s, tx.data(), tdy.data(), dx.data());
    for (size_t i = 0; i < y.size(); ++i) {
      if (std::isnan(expectY[i]))
        EXPECT_TRUE(std::isnan(y[i])) << "y at " << i;
      else
        EXPECT_EQ(static_cast<double>(y[i]), expectY[i]) << "y at " << i;
    }
    expectNear(dx, expectDx, 1e-6, "dx");
  }
}

TEST(Pool2D, PaddingAboveHalfTheWindowIsAnError) {
  EXPECT_RT_ERROR(makePool2DShape(1, 1, 4, 4, 2, 2, 2, 2, 2, 0),
                  "padding 2x0 is more than half the 2x2 window");
}

} // namespace
} // namespace gradc::rt
