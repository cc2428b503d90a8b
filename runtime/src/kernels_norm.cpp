// kernels_norm.cpp — batch and layer normalization, forward and backward.
#include "gradc/runtime/kernels.h"

#include "kernel_checks.h"

#include <omp.h>

#include <algorithm>
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

// Mean and biased variance of every channel in one pass over x in memory
// order, in double: each sample's values of a channel (one row of `spatial`,
// in cache) are reduced two-pass, then merged into the channel's running
// count, mean and sum of squared deviations (Chan et al.'s pairwise update;
// Welford's when spatial is 1). As accurate as a two-pass algorithm, without
// reading x twice.
template <typename T>
void channelMoments(const ChannelLayout &layout, const T *x, std::vector<double> &mean,
                    std::vector<double> &var) {
  const int64_t c = layout.c, spatial = layout.spatial;
  mean.assign(c, 0.0);
  std::vector<double> m2(c, 0.0);
  const double nb = static_cast<double>(spatial);
  for (int64_t i = 0; i < layout.n; ++i) {
    const double na = static_cast<double>(i) * nb, total = na + nb;
    for (int64_t ch = 0; ch < c; ++ch) {
      const T *row = x + layout.at(i, ch, 0);
      double rowMean, rowM2 = 0;
      if (spatial == 1) {
        rowMean = row[0];
      } else {
        double sum = 0;
        for (int64_t s = 0; s < spatial; ++s)
          sum += row[s];
        rowMean = sum / nb;
        for (int64_t s = 0; s < spatial; ++s) {
          double d = row[s] - rowMean;
          rowM2 += d * d;
        }
      }
      double delta = rowMean - mean[ch];
      mean[ch] += delta * (nb / total);
      m2[ch] += rowM2 + delta * delta * (na * nb / total);
    }
  }
  double count = static_cast<double>(layout.n * spatial);
  var.assign(c, 0.0);
  if (count > 0)
    for (int64_t ch = 0; ch < c; ++ch)
      var[ch] = m2[ch] / count;
}

// Mean and biased variance of one row of d values, two-pass in double (the
// row is in cache for the second pass).
template <typename T> void rowMoments(const T *row, int64_t d, double &mean, double &var) {
  double sum = 0;
  for (int64_t j = 0; j < d; ++j)
    sum += row[j];
  mean = d > 0 ? sum / static_cast<double>(d) : 0.0;
  double squares = 0;
  for (int64_t j = 0; j < d; ++j) {
    double centered = row[j] - mean;
    squares += centered * centered;
  }
  var = d > 0 ? squares / static_cast<double>(d) : 0.0;
}

// y = (x − mean) · γ/√(var + eps) + β for every channel, in memory order.
template <typename T>
void normalizeChannels(const ChannelLayout &layout, const T *x, const double *mean,
                       const double *var, double eps, const T *gamma, const T *beta, T *y) {
  std::vector<double> scale(layout.c), offset(layout.c);
  for (int64_t ch = 0; ch < layout.c; ++ch) {
    scale[ch] = gamma[ch] / std::sqrt(var[ch] + eps);
    offset[ch] = beta[ch];
  }
  for (int64_t i = 0; i < layout.n; ++i)
    for (int64_t ch = 0; ch < layout.c; ++ch) {
      int64_t at = layout.at(i, ch, 0);
      double m = mean[ch], k = scale[ch], b = offset[ch];
      for (int64_t s = 0; s < layout.spatial; ++s)
        y[at + s] = static_cast<T>((x[at + s] - m) * k + b);
    }
}

} // namespace

// Training-mode batch normalization reads x twice: once for every channel's
// statistics, once to normalize.
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
  std::vector<double> batchMean, batchVar;
  channelMoments(layout, x, batchMean, batchVar);
  normalizeChannels(layout, x, batchMean.data(), batchVar.data(), eps, gamma, beta, y);
  double keep = 1.0 - static_cast<double>(momentum);
  for (int64_t ch = 0; ch < c; ++ch) {
    mean[ch] = static_cast<T>(batchMean[ch]);
    var[ch] = static_cast<T>(batchVar[ch]);
    newRunningMean[ch] =
        static_cast<T>(keep * runningMean[ch] + static_cast<double>(momentum) * batchMean[ch]);
    newRunningVar[ch] = static_cast<T>(keep * runningVar[ch] + static_cast<double>(momentum) *
                                                                   batchVar[ch] * unbiasing);
  }
}

template <typename T>
void batchNormEval(int64_t n, int64_t c, int64_t spatial, const T *x, const T *gamma,
                   const T *beta, const T *runningMean, const T *runningVar, T eps, T *y) {
  ChannelLayout layout = validateBatchNorm("batchNormEval", n, c, spatial, sizeof(T));
  std::vector<double> mean(runningMean, runningMean + c), var(runningVar, runningVar + c);
  normalizeChannels(layout, x, mean.data(), var.data(), eps, gamma, beta, y);
}

// The backward pass reads x and dy twice: once for every channel's two sums,
// once for dx.
template <typename T>
void batchNormBackward(int64_t n, int64_t c, int64_t spatial, const T *x, const T *dy,
                       const T *gamma, const T *mean, const T *var, T eps, T *dx, T *dgamma,
                       T *dbeta) {
  ChannelLayout layout = validateBatchNorm("batchNormBackward", n, c, spatial, sizeof(T));
  double count = static_cast<double>(n * spatial);
  std::vector<double> invStd(c), sumDy(c, 0.0), sumDyXhat(c, 0.0);
  for (int64_t ch = 0; ch < c; ++ch)
    invStd[ch] = 1.0 / std::sqrt(static_cast<double>(var[ch]) + eps);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t ch = 0; ch < c; ++ch) {
      int64_t at = layout.at(i, ch, 0);
      double m = mean[ch], k = invStd[ch], s1 = 0, s2 = 0;
      for (int64_t s = 0; s < spatial; ++s) {
        s1 += dy[at + s];
        s2 += dy[at + s] * (x[at + s] - m) * k;
      }
      sumDy[ch] += s1;
      sumDyXhat[ch] += s2;
    }
  for (int64_t ch = 0; ch < c; ++ch) {
    if (dgamma != nullptr)
      dgamma[ch] = static_cast<T>(sumDyXhat[ch]);
    if (dbeta != nullptr)
      dbeta[ch] = static_cast<T>(sumDy[ch]);
  }
  if (count == 0)
    return;
  // dx = γ/σ · (dy − mean(dy) − x̂ · mean(dy · x̂))
  for (int64_t i = 0; i < n; ++i)
    for (int64_t ch = 0; ch < c; ++ch) {
      int64_t at = layout.at(i, ch, 0);
      double m = mean[ch], k = invStd[ch], scale = gamma[ch] * k;
      double meanDy = sumDy[ch] / count, meanDyXhat = sumDyXhat[ch] / count;
      for (int64_t s = 0; s < spatial; ++s) {
        double xhat = (x[at + s] - m) * k;
        dx[at + s] = static_cast<T>(scale * (dy[at + s] - meanDy - xhat * meanDyXhat));
      }
    }
}

namespace {

// Layer normalization runs its rows on the kernels' threads from this many
// values on; the rows are independent, so the result does not depend on the
// thread count.
constexpr int64_t kParallelNormValues = int64_t(1) << 15;
// The backward pass sums dγ and dβ over fixed chunks of rows, then the
// chunks in order: the same sums for any number of threads.
constexpr int64_t kNormChunkRows = 64;

int normThreads(int64_t rows, int64_t d) {
  if (rows * d < kParallelNormValues || omp_in_parallel())
    return 1;
  return static_cast<int>(std::min<int64_t>(threads(), (rows + kNormChunkRows - 1) /
                                                           kNormChunkRows));
}

} // namespace

template <typename T>
void layerNorm(int64_t rows, int64_t d, const T *x, const T *gamma, const T *beta, T eps,
               T *y) {
  requireNonNegative("layerNorm", {{"rows", rows}, {"d", d}});
  elementCount("layerNorm", {rows, d}, sizeof(T));
#pragma omp parallel for num_threads(normThreads(rows, d)) schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const T *row = x + r * d;
    double mean, var;
    rowMoments(row, d, mean, var);
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
  const int64_t chunks = (rows + kNormChunkRows - 1) / kNormChunkRows;
  // Per chunk of rows: Σ dy · x̂ (dγ) and Σ dy (dβ) over its rows.
  std::vector<double> gammaSums(static_cast<size_t>(chunks * d), 0.0);
  std::vector<double> betaSums(static_cast<size_t>(chunks * d), 0.0);
#pragma omp parallel for num_threads(normThreads(rows, d)) schedule(static)
  for (int64_t chunk = 0; chunk < chunks; ++chunk) {
    double *gammaSum = gammaSums.data() + chunk * d;
    double *betaSum = betaSums.data() + chunk * d;
    const int64_t end = std::min(rows, (chunk + 1) * kNormChunkRows);
    for (int64_t r = chunk * kNormChunkRows; r < end; ++r) {
      const T *row = x + r * d;
      const T *grad = dy + r * d;
      double mean, var;
      rowMoments(row, d, mean, var);
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
  }
  for (int64_t j = 0; j < d; ++j) {
    double gammaTotal = 0, betaTotal = 0;
    for (int64_t chunk = 0; chunk < chunks; ++chunk) {
      gammaTotal += gammaSums[static_cast<size_t>(chunk * d + j)];
      betaTotal += betaSums[static_cast<size_t>(chunk * d + j)];
    }
    if (dgamma != nullptr)
      dgamma[j] = static_cast<T>(gammaTotal);
    if (dbeta != nullptr)
      dbeta[j] = static_cast<T>(betaTotal);
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
