// kernel_test_util.h — random inputs and finite-difference gradient checks for kernel tests.
#ifndef GRADC_TESTS_RUNTIME_KERNEL_TEST_UTIL_H
#define GRADC_TESTS_RUNTIME_KERNEL_TEST_UTIL_H

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace gradc::rt::testing {

/// Uniform values in [low, high) from a fixed seed, as T.
template <typename T = double>
std::vector<T> randomValues(size_t count, uint32_t seed, double low = -1.0,
                            double high = 1.0) {
  std::mt19937 engine(seed);
  std::uniform_real_distribution<double> distribution(low, high);
  std::vector<T> values(count);
  for (T &value : values)
    value = static_cast<T>(distribution(engine));
  return values;
}

template <typename To, typename From> std::vector<To> convert(const std::vector<From> &from) {
  return std::vector<To>(from.begin(), from.end());
}

/// Expects a and b to agree elementwise within tolerance · max(1, |b|).
template <typename A, typename B>
void expectNear(const std::vector<A> &actual, const std::vector<B> &expected,
                double tolerance, const std::string &what = "") {
  ASSERT_EQ(actual.size(), expected.size()) << what;
  for (size_t i = 0; i < actual.size(); ++i) {
    double bound = tolerance * std::max(1.0, std::fabs(static_cast<double>(expected[i])));
    EXPECT_NEAR(static_cast<double>(actual[i]), static_cast<double>(expected[i]), bound)
        << what << " at element " << i;
  }
}

/// The gradient of L(v) = Σ_j weights[j] · f(v)[j] with respect to v, by central
/// differences: the reference a backward kernel given dy = weights must match.
template <typename Forward>
std::vector<double> numericGradient(Forward &&f, std::vector<double> point,
                                    const std::vector<double> &weights, double step = 1e-6) {
  std::vector<double> gradient(point.size());
  auto objective = [&](const std::vector<double> &at) {
    std::vector<double> out = f(at);
    double sum = 0;
    for (size_t j = 0; j < out.size(); ++j)
      sum += weights[j] * out[j];
    return sum;
  };
  for (size_t i = 0; i < point.size(); ++i) {
    double saved = point[i];
    point[i] = saved + step;
    double up = objective(point);
    point[i] = saved - step;
    double down = objective(point);
    point[i] = saved;
    gradient[i] = (up - down) / (2 * step);
  }
  return gradient;
}

} // namespace gradc::rt::testing

#endif // GRADC_TESTS_RUNTIME_KERNEL_TEST_UTIL_H
