// math_test.cpp — the vectorizable float exp, erf, tanh and sigmoid against the C library's double ones.
#include "gradc/runtime/math.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace gradc::rt {
namespace {

// |got − exact| in units of the last place of exact rounded to float.
double ulps(float got, double exact) {
  const float rounded = static_cast<float>(exact);
  double ulp = std::fabs(std::nextafter(rounded, std::numeric_limits<float>::infinity()) -
                         rounded);
  if (ulp == 0)
    ulp = std::numeric_limits<float>::denorm_min();
  return std::fabs(static_cast<double>(got) - exact) / ulp;
}

TEST(Math, ExpIsWithinOneUlpWhereverItIsNormal) {
  double worst = 0;
  for (double x = -87.3; x < 88.7; x += 0.00037)
    worst = std::max(worst, ulps(math::exp(static_cast<float>(x)),
                                 std::exp(static_cast<double>(static_cast<float>(x)))));
  EXPECT_LT(worst, 1.0);
  EXPECT_EQ(math::exp(0.0f), 1.0f);
  EXPECT_EQ(math::exp(-100.0f), 0.0f);
  EXPECT_EQ(math::exp(-std::numeric_limits<float>::infinity()), 0.0f);
  EXPECT_EQ(math::exp(89.0f), std::numeric_limits<float>::infinity());
  EXPECT_EQ(math::exp(std::numeric_limits<float>::infinity()),
            std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(math::exp(std::numeric_limits<float>::quiet_NaN())));
  EXPECT_EQ(math::exp(1.0), std::exp(1.0));
}

TEST(Math, ErfIsWithinOnePointFourUlpAndOdd) {
  double worst = 0, total = 0;
  int64_t count = 0;
  for (double x = -4.5; x < 4.5; x += 0.000013) {
    const float xf = static_cast<float>(x);
    const double u = ulps(math::erf(xf), std::erf(static_cast<double>(xf)));
    worst = std::max(worst, u);
    total += u;
    ++count;
    EXPECT_EQ(math::erf(-xf), -math::erf(xf));
  }
  EXPECT_LT(worst, 1.4);
  EXPECT_LT(total / static_cast<double>(count), 0.3);
  EXPECT_EQ(math::erf(0.0f), 0.0f);
  EXPECT_TRUE(std::signbit(math::erf(-0.0f)));
  EXPECT_EQ(math::erf(4.0f), 1.0f);
  EXPECT_EQ(math::erf(-std::numeric_limits<float>::infinity()), -1.0f);
  EXPECT_TRUE(std::isnan(math::erf(std::numeric_limits<float>::quiet_NaN())));
  EXPECT_EQ(math::erf(0.5), std::erf(0.5));
}

TEST(Math, TanhIsWithinTwoUlpAndOdd) {
  double worst = 0;
  for (double x = 0; x < 10; x += 0.000025) {
    const float xf = static_cast<float>(x);
    worst = std::max(worst, ulps(math::tanh(xf), std::tanh(static_cast<double>(xf))));
    EXPECT_EQ(math::tanh(-xf), -math::tanh(xf));
  }
  EXPECT_LT(worst, 2.0);
  // The polynomial's end and the exponential's start agree there.
  EXPECT_LT(ulps(math::tanh(0.625f), std::tanh(0.625)), 2.0);
  EXPECT_LT(ulps(math::tanh(std::nextafter(0.625f, 0.0f)),
                 std::tanh(static_cast<double>(std::nextafter(0.625f, 0.0f)))),
            2.0);
  EXPECT_EQ(math::tanh(1e-30f), 1e-30f);
  EXPECT_EQ(math::tanh(0.0f), 0.0f);
  EXPECT_TRUE(std::signbit(math::tanh(-0.0f)));
  EXPECT_EQ(math::tanh(50.0f), 1.0f);
  EXPECT_EQ(math::tanh(-std::numeric_limits<float>::infinity()), -1.0f);
  EXPECT_TRUE(std::isnan(math::tanh(std::numeric_limits<float>::quiet_NaN())));
  EXPECT_EQ(math::tanh(0.5), std::tanh(0.5));
}

TEST(Math, SigmoidIsTheLogisticFunction) {
  double worst = 0;
  for (double x = -80; x < 20; x += 0.0001) {
    const float xf = static_cast<float>(x);
    const double exact = 1.0 / (1.0 + std::exp(-static_cast<double>(xf)));
    worst = std::max(worst, ulps(math::sigmoid(xf), exact));
  }
  EXPECT_LT(worst, 3.0);
  EXPECT_EQ(math::sigmoid(0.0f), 0.5f);
  EXPECT_EQ(math::sigmoid(-100.0f), 0.0f);
  EXPECT_EQ(math::sigmoid(100.0f), 1.0f);
  EXPECT_TRUE(std::isnan(math::sigmoid(std::numeric_limits<float>::quiet_NaN())));
}

} // namespace
} // namespace gradc::rt
