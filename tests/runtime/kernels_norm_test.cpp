// kernels_norm_test.cpp — batch and layer normalization against direct formulas and
// finite differences.
#include "gradc/runtime/kernels.h"

#include "kernel_test_util.h"
#include "test_util.h"

#include <cmath>

namespace gradc::rt {
namespace {

using testing::convert;
using testing::expectNear;
using testing::numericGradient;
using testing::randomValues;

struct NaiveBatchNorm {
  std::vector<double> y, mean, var, runningMean, runningVar;
};

// Training-mode batch norm over x [n, c, spatial], written out from the definition.
NaiveBatchNorm naiveBatchNorm(int64_t n, int64_t c, int64_t spatial,
                              const std::vector<double> &x, const std::vector<double> &gamma,
                              const std::vector<double> &beta,
                              const std::vector<double> &runningMean,
                              const std::vector<double> &runningVar, double eps,
                              double momentum) {
  NaiveBatchNorm r{std::vector<double>(x.size()), {}, {}, {}, {}};
  double count = static_cast<double>(n * spatial);
  for (int64_t ch = 0; ch < c; ++ch) {
    double sum = 0, squares = 0;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t s = 0; s < spatial; ++s)
        sum += x[(i * c + ch) * spatial + s];
    double mean = sum / count;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t s = 0; s < spatial; ++s)
        squares += std::pow(x[(i * c + ch) * spatial + s] - mean, 2);
    double var = squares / count;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t s = 0; s < spatial; ++s) {
        int64_t at = (i * c + ch) * spatial + s;
        r.y[at] = gamma[ch] * (x[at] - mean) / std::sqrt(var + eps) + beta[ch];
      }
    r.mean.push_back(mean);
    r.var.push_back(var);
    r.runningMean.push_back((1 - momentum) * runningMean[ch] + momentum * mean);
    r.runningVar.push_back((1 - momentum) * runningVar[ch] +
                           momentum * squares / (count - 1));
  }
  return r;
}

TEST(BatchNorm, TrainingMatchesDefinitionAndUpdatesRunningStatistics) {
  for (int64_t spatial : {1, 6}) {
    const int64_t n = 5, c = 3;
    auto x = randomValues(n * c * spatial, 60, -2, 3);
    auto gamma = randomValues(c, 61), beta = randomValues(c, 62);
    auto rm = randomValues(c, 63), rv = randomValues(c, 64, 0.5, 2);
    NaiveBatchNorm expected = naiveBatchNorm(n, c, spatial, x, gamma, beta, rm, rv, 1e-5, 0.1);
    std::vector<double> y(x.size()), mean(c), var(c), newRm(c), newRv(c);
    batchNormTrain<double>(n, c, spatial, x.data(), gamma.data(), beta.data(), rm.data(),
                           rv.data(), 1e-5, 0.1, y.data(), mean.data(), var.data(),
                           newRm.data(), newRv.data());
    expectNear(y, expected.y, 1e-12, "y");
    expectNear(mean, expected.mean, 1e-12, "mean");
    expectNear(var, expected.var, 1e-12, "biased var");
    expectNear(newRm, expected.runningMean, 1e-12, "running mean");
    expectNear(newRv, expected.runningVar, 1e-12, "running var (unbiased)");

    // The running statistics may be updated in place, and float agrees.
    auto fx = convert<float>(x), fg = convert<float>(gamma), fb = convert<float>(beta);
    auto frm = convert<float>(rm), frv = convert<float>(rv);
    std::vector<float> fy(x.size()), fmean(c), fvar(c);
    batchNormTrain<float>(n, c, spatial, fx.data(), fg.data(), fb.data(), frm.data(),
                          frv.data(), 1e-5f, 0.1f, fy.data(), fmean.data(), fvar.data(),
                          frm.data(), frv.data());
    expectNear(fy, expected.y, 1e-5, "float y");
    expectNear(frm, expected.runningMean, 1e-6, "float running mean, in place");
    expectNear(frv, expected.runningVar, 1e-6, "float running var, in place");
  }
}

TEST(BatchNorm, OneValuePerChannelIsAnError) {
  std::vector<float> x(2), p(2), out(2);
  EXPECT_RT_ERROR(batchNormTrain<float>(1, 2, 1, x.data(), p.data(), p.data(), p.data(),
                                        p.data(), 1e-5f, 0.1f, out.data(), out.data(),
                                        out.data(), out.data(), out.data()),
                  "expected more than 1 value per channel when training, got 1");
}

TEST(BatchNorm, EvaluationUsesRunningStatistics) {
  const int64_t n = 2, c = 2, spatial = 3;
  auto x = randomValues(n * c * spatial, 65);
  std::vector<double> gamma = {2, 0.5}, beta = {1, -1}, rm = {0.25, -0.5}, rv = {4, 0.25};
  std::vector<double> y(x.size()), expected(x.size());
  for (int64_t i = 0; i < n; ++i)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t s = 0; s < spatial; ++s) {
        int64_t at = (i * c + ch) * spatial + s;
        expected[at] = gamma[ch] * (x[at] - rm[ch]) / std::sqrt(rv[ch] + 1e-3) + beta[ch];
      }
  batchNormEval<double>(n, c, spatial, x.data(), gamma.data(), beta.data(), rm.data(),
                        rv.data(), 1e-3, y.data());
  expectNear(y, expected, 1e-12);
}

TEST(BatchNorm, BackwardMatchesFiniteDifferences) {
  const int64_t n = 3, c = 2, spatial = 5;
  auto x = randomValues(n * c * spatial, 66);
  auto gamma = randomValues(c, 67, 0.5, 1.5), beta = randomValues(c, 68);
  std::vector<double> rm(c, 0.0), rv(c, 1.0);
  auto dy = randomValues(x.size(), 69);
  const double eps = 1e-5;
  auto forward = [&](const std::vector<double> &xv, const std::vector<double> &g,
                     const std::vector<double> &b) {
    return naiveBatchNorm(n, c, spatial, xv, g, b, rm, rv, eps, 0.1);
  };
  NaiveBatchNorm stats = forward(x, gamma, beta);
  std::vector<double> dx(x.size()), dgamma(c), dbeta(c);
  batchNormBackward<double>(n, c, spatial, x.data(), dy.data(), gamma.data(),
                            stats.mean.data(), stats.var.data(), eps, dx.data(),
                            dgamma.data(), dbeta.data());
  expectNear(dx, numericGradient([&](const auto &v) { return forward(v, gamma, beta).y; }, x, dy),
             1e-6, "dx");
  expectNear(dgamma,
             numericGradient([&](const auto &v) { return forward(x, v, beta).y; }, gamma, dy),
             1e-6, "dgamma");
  expectNear(dbeta,
             numericGradient([&](const auto &v) { return forward(x, gamma, v).y; }, beta, dy),
             1e-6, "dbeta");

  // A frozen layer passes null parameter gradients.
  std::vector<double> dxOnly(x.size());
  batchNormBackward<double>(n, c, spatial, x.data(), dy.data(), gamma.data(),
                            stats.mean.data(), stats.var.data(), eps, dxOnly.data(), nullptr,
                            nullptr);
  EXPECT_EQ(dxOnly, dx);
}

std::vector<double> naiveLayerNorm(int64_t rows, int64_t d, const std::vector<double> &x,
                                   const std::vector<double> &gamma,
                                   const std::vector<double> &beta, double eps) {
  std::vector<double> y(x.size());
  for (int64_t r = 0; r < rows; ++r) {
    double mean = 0, var = 0;
    for (int64_t j = 0; j < d; ++j)
      mean += x[r * d + j] / static_cast<double>(d);
    for (int64_t j = 0; j < d; ++j)
      var += std::pow(x[r * d + j] - mean, 2) / static_cast<double>(d);
    for (int64_t j = 0; j < d; ++j)
      y[r * d + j] = (x[r * d + j] - mean) / std::sqrt(var + eps) * gamma[j] + beta[j];
  }
  return y;
}

TEST(LayerNorm, ForwardMatchesDefinition) {
  const int64_t rows = 4, d = 7;
  auto x = randomValues(rows * d, 70, -3, 5);
  auto gamma = randomValues(d, 71), beta = randomValues(d, 72);
  std::vector<double> y(x.size());
  layerNorm<double>(rows, d, x.data(), gamma.data(), beta.data(), 1e-5, y.data());
  auto expected = naiveLayerNorm(rows, d, x, gamma, beta, 1e-5);
  expectNear(y, expected, 1e-12);
  auto fx = convert<float>(x), fg = convert<float>(gamma), fb = convert<float>(beta);
  std::vector<float> fy(x.size());
  layerNorm<float>(rows, d, fx.data(), fg.data(), fb.data(), 1e-5f, fy.data());
  expectNear(fy, expected, 1e-5, "float");
}

TEST(LayerNorm, BackwardMatchesFiniteDifferences) {
  const int64_t rows = 3, d = 5;
  auto x = randomValues(rows * d, 73);
  auto gamma = randomValues(d, 74, 0.5, 1.5), beta = randomValues(d, 75);
  auto dy = randomValues(x.size(), 76);
  std::vector<double> dx(x.size()), dgamma(d), dbeta(d);
  layerNormBackward<double>(rows, d, x.data(), dy.data(), gamma.data(), 1e-5, dx.data(),
                            dgamma.data(), dbeta.data());
  auto byX = [&](const auto &v) { return naiveLayerNorm(rows, d, v, gamma, beta, 1e-5); };
  auto byGamma = [&](const auto &v) { return naiveLayerNorm(rows, d, x, v, beta, 1e-5); };
  auto byBeta = [&](const auto &v) { return naiveLayerNorm(rows, d, x, gamma, v, 1e-5); };
  expectNear(dx, numericGradient(byX, x, dy), 1e-6, "dx");
  expectNear(dgamma, numericGradient(byGamma, gamma, dy), 1e-6, "dgamma");
  expectNear(dbeta, numericGradient(byBeta, beta, dy), 1e-6, "dbeta");
}

} // namespace
} // namespace gradc::rt
