// kernels_norm.cpp — batch and layer normalization, forward and backward.
#include "gradc/runtime/kernels.h"

#include "kernel_checks.h"

#include <cmath>
#include <vector>

namespace gradc::rt {

using detail::elementCount;
using detail::requireNonNegative;

namespace {

// x [n, c, spatial]: element s of sample i in channel ch.
struct ChannelLayout {
  int64_t n, c, spatial;
  int64_t at(int64_t i, int64_t ch, int64_t s) const { return (i * c + ch) * spatial + s; }
};

ChannelLayout validateBatchNorm(const char *kernel, int64_t n, int64_t c, int64_t spatial,
                                size_t elementBytes) {
  requireNonNegative(kernel, {{"n", n}, {"c", c}, {"spatial", spatial}});
  elementCount(kernel, {n, c, spatial}, static_cast<int64_t>(elementBytes));
  return {n, c, spatial};
}

// Mean and biased variance of one channel, two-pass, in double.
template <typename T>
void channelMoments(const ChannelLayout &layout, const T *x, int64_t ch, double &mean,
                    double &var) {
  double count = static_cast<double>(layout.n * layout.spatial);
  double sum = 0;
  for (int64_t i = 0; i < layout.n; ++i)
    for (int64_t s = 0; s < layout.spatial; ++s)
      sum += x[layout.at(i, ch, s)];
  mean = sum / count;
  double squares = 0;
  for (int64_t i = 0; i < layout.n; ++i)
    for (int64_t s = 0; s < layout.spatial; ++s) {
      double centered = x[layout.at(i, ch, s)] - mean;
      squares += centered * centered;
    }
  var = squares / count;
}

template <typename T>
void normalizeChannel(const ChannelLayout &layout, const T *x, int64_t ch, double mean,
                      double var, double eps, double gamma, double beta, T *y) {
  double scale = gamma / std::sqrt(var + eps);
  for (int64_t i = 0; i < layout.n; ++i)
    for (int64_t s = 0; s < layout.spatial; ++s) {
      int64_t at = layout.at(i, ch, s);
      y[at] = static_cast<T>((x[at] - mean) * scale + beta);
    }
}

} // namespace

template <typename T>
void batchNormTrain(int64_t n, int64_t c, int64_t spatial, const T *x, const T *gamma,
                    const T *beta, const T *runningMean, const T *runningVar, T eps,
                    T momentum, T *y, T *mean, T *var, T *newRunningMean, T *newRunningVar) {
  ChannelLayout layout = validateBatchNorm("batchNormTrain", n, c, spatial, sizeof(T));
  int64_t count = n * spatial;
  if (count < 2 && c > 0)
    throw Error("batchNormTrain: expected more than 1 value per channel when training, "
                "got " + std::to_string(count));
  double unbiasing = static_cast<double>(count) / static_cast<double>(count - 1);
  for (int64_t ch = 0; ch < c; ++ch) {
    double batchMean, batchVar;
    channelMoments(layout, x, ch, batchMean, batchVar);
    normalizeChannel(layout, x, ch, batchMean, batchVar, eps, gamma[ch], beta[ch], y);
    mean[ch] = static_cast<T>(batchMean);
    var[ch] = static_cast<T>(batchVar);
    double keep = 1.0 - static_cast<double>(momentum);
    newRunningMean[ch] =
        static_cast<T>(keep * runningMean[ch] + static_cast<double>(momentum) * batchMean);
    newRunningVar[ch] = static_cast<T>(keep * runningVar[ch] + static_cast<double>(momentum) *
                                                                   batchVar * unbiasing);
  }
}

template <typename T>
void batchNormEval(int64_t n, int64_t c, int64_t spatial, const T *x, const T *gamma,
                   const T *beta, const T *runningMean, const T *runningVar, T eps, T *y) {
  ChannelLayout layout = validateBatchNorm("batchNormEval", n, c, spatial, sizeof(T));
  for (int64_t ch = 0; ch < c; ++ch)
    normalizeChannel(layout, x, ch, runningMean[ch], runningVar[ch], eps, gamma[ch],
                     beta[ch], y);
}

template <typename T>
void batchNormBackward(int64_t n, int64_t c, int64_t spatial, const T *x, const T *dy,
                       const T *gamma, const T *mean, const T *var, T eps, T *dx, T *dgamma,
                       T *dbeta) {
  ChannelLayout layout = validateBatchNorm("batchNormBackward", n, c, spatial, sizeof(T));
  double count = static_cast<double>(n * spatial);
  for (int64_t ch = 0; ch < c; ++ch) {
    double invStd = 1.0 / std::sqrt(static_cast<double>(var[ch]) + eps);
    double channelMean = mean[ch];
    double sumDy = 0, sumDyXhat = 0;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t s = 0; s < spatial; ++s) {
        int64_t at = layout.at(i, ch, s);
        sumDy += dy[at];
        sumDyXhat += dy[at] * (x[at] - channelMean) * invStd;
      }
    if (dgamma != nullptr)
      dgamma[ch] = static_cast<T>(sumDyXhat);
    if (dbeta != nullptr)
      dbeta[ch] = static_cast<T>(sumDy);
    if (count == 0)
      continue;
    // dx = γ/σ · (dy − mean(dy) − x̂ · mean(dy · x̂))
    double scale = gamma[ch] * invStd;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t s = 0; s < spatial; ++s) {
        int64_t at = layout.at(i, ch, s);
        double xhat = (x[at] - channelMean) * invStd;
        dx[at] = static_cast<T>(scale * (dy[at] - sumDy / count - xhat * sumDyXhat / count));
      }
  }
}

template <typename T>
void layerNorm(int64_t rows, int64_t d, const T *x, const T *gamma, const T *beta, T eps,
               T *y) {
  requireNonNegative("layerNorm", {{"rows", rows}, {"d", d}});
  elementCount("layerNorm", {rows, d}, sizeof(T));
  ChannelLayout layout{1, 1, d};
  for (int64_t r = 0; r < rows; ++r) {
    const T *row = x + r * d;
    double mean, var;
    channelMoments(layout, row, 0, mean, var);
    double invStd = 1.0 / std::sqrt(var + eps);
    for (int64_t j = 0; j < d; ++j)
      y[r * d + j] = static_cast<T>((row[j] - mean) * invStd * gamma[j] + beta[j]);
  }
}

template <typename T>
void layerNormBackward(int64_t rows, int64_t d, const T *x, const T *dy, const T *gamma,
                       T eps, T *dx, T *dgamma, T *dbeta) {
  requireNonNegative("layerNormBackward", {{"rows", rows}, {"d", d}});
  elementCount("layerNormBackward", {rows, d}, sizeof(T));
  ChannelLayout layout{1, 1, d};
  std::vector<double> gammaSum(static_cast<size_t>(d), 0.0);
  std::vector<double> betaSum(static_cast<size_t>(d), 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    const T *row = x + r * d;
    const T *grad = dy + r * d;
    double mean, var;
    channelMoments(layout, row, 0, mean, var);
    double invStd = 1.0 / std::sqrt(var + eps);
    // With g = dy ⊙ γ: dx = (g − mean(g) − x̂ · mean(g ⊙ x̂)) / σ.
    double sumG = 0, sumGXhat = 0;
    for (int64_t j = 0; j < d; ++j) {
      double xhat = (row[j] - mean) * invStd;
      double g = static_cast<double>(grad[j]) * gamma[j];
      sumG += g;
      sumGXhat += g * xhat;
      gammaSum[j] += grad[j] * xhat;
      betaSum[j] += grad[j];
    }
    double width = static_cast<double>(d);
    for (int64_t j = 0; j < d; ++j) {
      double xhat = (row[j] - mean) * invStd;
      double g = static_cast<double>(grad[j]) * gamma[j];
      dx[r * d + j] = static_cast<T>(invStd * (g - sumG / width - xhat * sumGXhat / width));
    }
  }
  for (int64_t j = 0; j < d; ++j) {
    if (dgamma != nullptr)
      dgamma[j] = static_cast<T>(gammaSum[j]);
    if (dbeta != nullptr)
      dbeta[j] = static_cast<T>(betaSum[j]);
  }
}

#define GRADC_RT_INSTANTIATE(T)                                                      \
  template void batchNormTrain<T>(int64_t, int64_t, int64_t, const T *, const T *,   \
                                  const T *, const T *, const T *, T, T, T *, T *,   \
                                  T *, T *, T *);                                    \
  template void batchNormEval<T>(int64_t, int64_t, int64_t, const T *, const T *,    \
                                 const T *, const T *, const T *, T, T *);           \
  template void batchNormBackward<T>(int64_t, int64_t, int64_t, const T *, const T *, \
                                     const T *, const T *, const T *, T, T *, T *,   \
                                     T *);                                           \
  template void layerNorm<T>(int64_t, int64_t, const T *, const T *, const T *, T,   \
                             T *);                                                   \
  template void layerNormBackward<T>(int64_t, int64_t, const T *, const T *,         \
                                     const T *, T, T *, T *, T *);
GRADC_RT_INSTANTIATE(float)
GRADC_RT_INSTANTIATE(double)
#undef GRADC_RT_INSTANTIATE

} // namespace gradc::rt
