// kernels_softmax_test.cpp — softmax, log-softmax, cross-entropy, argmax and the
// confusion matrix against direct formulas and finite differences.
#include "gradc/runtime/kernels.h"

#include "kernel_test_util.h"
#include "test_util.h"

#include <cmath>
#include <limits>

namespace gradc::rt {
namespace {

using testing::convert;
using testing::expectNear;
using testing::numericGradient;
using testing::randomValues;

// Softmax over the middle axis of [outer, axis, inner], or its logarithm.
std::vector<double> naiveSoftmax(int64_t outer, int64_t axis, int64_t inner,
                                 const std::vector<double> &x, bool logarithm) {
  std::vector<double> y(x.size());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      double max = -INFINITY, sum = 0;
      for (int64_t a = 0; a < axis; ++a)
        max = std::max(max, x[(o * axis + a) * inner + i]);
      for (int64_t a = 0; a < axis; ++a)
        sum += std::exp(x[(o * axis + a) * inner + i] - max);
      for (int64_t a = 0; a < axis; ++a) {
        int64_t at = (o * axis + a) * inner + i;
        y[at] = logarithm ? x[at] - max - std::log(sum) : std::exp(x[at] - max) / sum;
      }
    }
  return y;
}

TEST(Softmax, MiddleAxisMatchesDefinition) {
  const int64_t outer = 3, axis = 4, inner = 5;
  auto x = randomValues(outer * axis * inner, 80, -4, 4);
  std::vector<double> y(x.size());
  softmax<double>(outer, axis, inner, x.data(), y.data());
  expectNear(y, naiveSoftmax(outer, axis, inner, x, false), 1e-14, "softmax");
  logSoftmax<double>(outer, axis, inner, x.data(), y.data());
  expectNear(y, naiveSoftmax(outer, axis, inner, x, true), 1e-14, "logSoftmax");
  auto fx = convert<float>(x);
  std::vector<float> fy(x.size());
  softmax<float>(outer, axis, inner, fx.data(), fy.data());
  expectNear(fy, naiveSoftmax(outer, axis, inner, x, false), 1e-6, "float softmax");
}

TEST(Softmax, LargeLogitsDoNotOverflow) {
  std::vector<float> x = {1000, 1001, 1002}, y(3);
  softmax<float>(1, 3, 1, x.data(), y.data());
  expectNear(y, naiveSoftmax(1, 3, 1, {0, 1, 2}, false), 1e-6);
  logSoftmax<float>(1, 3, 1, x.data(), y.data());
  expectNear(y, naiveSoftmax(1, 3, 1, {0, 1, 2}, true), 1e-6);
}

TEST(Softmax, BackwardsMatchFiniteDifferences) {
  const int64_t outer = 2, axis = 5, inner = 3;
  auto x = randomValues(outer * axis * inner, 81, -2, 2);
  auto dy = randomValues(x.size(), 82);
  std::vector<double> y(x.size()), dx(x.size());
  softmax<double>(outer, axis, inner, x.data(), y.data());
  softmaxBackward<double>(outer, axis, inner, y.data(), dy.data(), dx.data());
  expectNear(dx,
             numericGradient([&](const auto &v) { return naiveSoftmax(outer, axis, inner, v, false); },
                             x, dy),
             1e-7, "softmax");
  logSoftmax<double>(outer, axis, inner, x.data(), y.data());
  logSoftmaxBackward<double>(outer, axis, inner, y.data(), dy.data(), dx.data());
  expectNear(dx,
             numericGradient([&](const auto &v) { return naiveSoftmax(outer, axis, inner, v, true); },
                             x, dy),
             1e-7, "logSoftmax");
}

double naiveCrossEntropy(int64_t n, int64_t c, const std::vector<double> &logits,
                         const std::vector<int32_t> &labels) {
  auto logProbabilities = naiveSoftmax(n, c, 1, logits, true);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i)
    sum -= logProbabilities[i * c + labels[i]];
  return sum / static_cast<double>(n);
}

TEST(SoftmaxCrossEntropy, IsTheMeanNegativeLogLikelihood) {
  const int64_t n = 5, c = 3;
  auto logits = randomValues(n * c, 83, -3, 3);
  std::vector<int32_t> labels = {0, 2, 1, 2, 0};
  double loss = 0;
  softmaxCrossEntropy<double>(n, c, logits.data(), labels.data(), &loss);
  EXPECT_NEAR(loss, naiveCrossEntropy(n, c, logits, labels), 1e-14);
  auto fl = convert<float>(logits);
  float floatLoss = 0;
  softmaxCrossEntropy<float>(n, c, fl.data(), labels.data(), &floatLoss);
  EXPECT_NEAR(floatLoss, loss, 1e-6);
}

TEST(SoftmaxCrossEntropy, UniformLogitsGiveLogC) {
  std::vector<float> logits(2 * 10, 0.5f);
  std::vector<int32_t> labels = {3, 9};
  float loss = 0;
  softmaxCrossEntropy<float>(2, 10, logits.data(), labels.data(), &loss);
  EXPECT_NEAR(loss, std::log(10.0), 1e-6);
}

TEST(SoftmaxCrossEntropy, BackwardMatchesFiniteDifferences) {
  const int64_t n = 4, c = 5;
  auto logits = randomValues(n * c, 84, -2, 2);
  std::vector<int32_t> labels = {4, 0, 3, 3};
  std::vector<double> dlogits(logits.size());
  softmaxCrossEntropyBackward<double>(n, c, logits.data(), labels.data(), 0.5,
                                      dlogits.data());
  auto loss = [&](const std::vector<double> &v) {
    return std::vector<double>{naiveCrossEntropy(n, c, v, labels)};
  };
  expectNear(dlogits, numericGradient(loss, logits, {0.5}), 1e-8);
}

TEST(SoftmaxCrossEntropy, LabelOutOfRangeNamesTheSample) {
  std::vector<float> logits(3 * 4), dlogits(3 * 4);
  std::vector<int32_t> labels = {1, 2, 4};
  float loss = 0;
  EXPECT_RT_ERROR(softmaxCrossEntropy<float>(3, 4, logits.data(), labels.data(), &loss),
                  "softmaxCrossEntropy: label 4 of sample 2 is outside [0, 4)");
  labels[2] = -1;
  EXPECT_RT_ERROR(softmaxCrossEntropyBackward<float>(3, 4, logits.data(), labels.data(), 1.0f,
                                                     dlogits.data()),
                  "label -1 of sample 2 is outside [0, 4)");
}

// ignore_index: the ignored samples count neither in the sum nor in the
// divisor, their gradient rows are zero, and every sample ignored gives NaN
// with a zero gradient, as PyTorch.
TEST(SoftmaxCrossEntropy, IgnoredLabelsCountNowhere) {
  const int64_t n = 6, c = 4;
  auto logits = randomValues(n * c, 85, -3, 3);
  std::vector<int32_t> labels = {1, -100, 3, -100, 0, 2};
  std::vector<double> keptLogits;
  std::vector<int32_t> kept;
  for (int64_t i = 0; i < n; ++i)
    if (labels[i] != -100) {
      kept.push_back(labels[i]);
      keptLogits.insert(keptLogits.end(), logits.begin() + i * c, logits.begin() + (i + 1) * c);
    }
  double loss = 0, fused = 0;
  softmaxCrossEntropy<double>(n, c, logits.data(), labels.data(), &loss, -100);
  EXPECT_NEAR(loss, naiveCrossEntropy(4, c, keptLogits, kept), 1e-14);
  std::vector<double> dlogits(n * c), fusedGrad(n * c);
  softmaxCrossEntropyBackward<double>(n, c, logits.data(), labels.data(), 0.5, dlogits.data(),
                                      -100);
  softmaxCrossEntropyWithGrad<double>(n, c, logits.data(), labels.data(), 0.5, &fused,
                                      fusedGrad.data(), -100);
  EXPECT_EQ(fused, loss);
  EXPECT_EQ(fusedGrad, dlogits);
  auto keptLoss = [&](const std::vector<double> &v) {
    return std::vector<double>{naiveCrossEntropy(4, c, v, kept)};
  };
  std::vector<double> expected = numericGradient(keptLoss, keptLogits, {0.5});
  for (int64_t i = 0, k = 0; i < n; ++i)
    for (int64_t j = 0; j < c; ++j) {
      if (labels[i] == -100)
        EXPECT_EQ(dlogits[i * c + j], 0.0);
      else
        EXPECT_NEAR(dlogits[i * c + j], expected[k * c + j], 1e-8);
      k += labels[i] != -100 && j == c - 1;
    }
  std::vector<int32_t> none(n, -100);
  softmaxCrossEntropyWithGrad<double>(n, c, logits.data(), none.data(), 1.0, &loss,
                                      dlogits.data(), -100);
  EXPECT_TRUE(std::isnan(loss));
  EXPECT_EQ(dlogits, std::vector<double>(n * c, 0.0));
  // An ignored index inside [0, c) ignores that class's samples; another
  // label outside [0, c) is still an error.
  std::vector<int32_t> three = {3, 1, 3, 3, 3, 3};
  softmaxCrossEntropy<double>(n, c, logits.data(), three.data(), &loss, 3);
  EXPECT_NEAR(loss, naiveCrossEntropy(1, c, {logits.begin() + c, logits.begin() + 2 * c}, {1}),
              1e-14);
  EXPECT_RT_ERROR(softmaxCrossEntropy<double>(n, c, logits.data(), labels.data(), &loss, 3),
                  "label -100 of sample 1 is outside [0, 4) and is not the ignored index 3");
}

// Many rows run on two threads; the loss is the same sum, in the same order,
// as on one.
TEST(SoftmaxCrossEntropy, ThreadsGiveTheSameBits) {
  const int64_t n = 1000, c = 63;
  auto logits = convert<float>(randomValues(n * c, 86, -4, 4));
  std::vector<int32_t> labels(n);
  for (int64_t i = 0; i < n; ++i)
    labels[i] = static_cast<int32_t>((i * 7) % c);
  const int saved = threads();
  float loss[2];
  std::vector<float> grads[2];
  for (int t = 1; t <= 2; ++t) {
    setThreads(t);
    grads[t - 1].resize(n * c);
    softmaxCrossEntropyWithGrad<float>(n, c, logits.data(), labels.data(), 1.0f, &loss[t - 1],
                                       grads[t - 1].data());
  }
  setThreads(saved);
  EXPECT_EQ(loss[0], loss[1]);
  EXPECT_EQ(grads[0], grads[1]);
}

TEST(Argmax, FirstIndexWinsTiesAlongTheMiddleAxis) {
  // x [1, 3, 2]: column 0 is {1, 7, 7} (tie: 1), column 1 is {5, 2, 5} (tie: 0).
  std::vector<double> x = {1, 5, 7, 2, 7, 5};
  std::vector<int32_t> out(2);
  argmax<double>(1, 3, 2, x.data(), out.data());
  EXPECT_EQ(out, (std::vector<int32_t>{1, 0}));
  std::vector<float> rows = {0, 3, 3, 9, -1, 2};
  argmax<float>(2, 3, 1, rows.data(), out.data());
  EXPECT_EQ(out, (std::vector<int32_t>{1, 0}));
}

TEST(Argmax, NaNCountsAsLargest) {
  std::vector<float> x = {1, std::numeric_limits<float>::quiet_NaN(), 5};
  std::vector<int32_t> out(1);
  argmax<float>(1, 3, 1, x.data(), out.data());
  EXPECT_EQ(out[0], 1);
}

TEST(ConfusionMatrix, CountsLabelPredictionPairsAndIgnoresOutOfRange) {
  std::vector<int32_t> pred = {0, 1, 1, 2, 2, 5, 0};
  std::vector<int32_t> labels = {0, 1, 2, 2, 0, 1, -1};
  std::vector<int32_t> out(9, 77);
  confusionMatrix(7, 3, pred.data(), labels.data(), out.data());
  EXPECT_EQ(out, (std::vector<int32_t>{1, 0, 1,   // label 0: predicted 0, 2
                                       0, 1, 0,   // label 1: predicted 1 (5 ignored)
                                       0, 1, 1})); // label 2: predicted 1, 2
}

} // namespace
} // namespace gradc::rt
