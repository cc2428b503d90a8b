// kernels_softmax.cpp — softmax, log-softmax, softmax cross-entropy, argmax and the
// confusion matrix classification metrics are computed from.
#include "gradc/runtime/kernels.h"

#include "kernel_checks.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace gradc::rt {

using detail::elementCount;
using detail::requireNonNegative;
using detail::requirePositive;

namespace {

void validateAxis(const char *kernel, int64_t outer, int64_t axis, int64_t inner,
                  size_t elementBytes) {
  requireNonNegative(kernel, {{"outer", outer}, {"axis", axis}, {"inner", inner}});
  elementCount(kernel, {outer, axis, inner}, static_cast<int64_t>(elementBytes));
}

// The maximum and log Σ exp(x − max) of one slice x[0], x[stride], ...
template <typename T>
void logSumExp(const T *x, int64_t count, int64_t stride, double &max, double &logSum) {
  max = -std::numeric_limits<double>::infinity();
  for (int64_t a = 0; a < count; ++a)
    max = std::max<double>(max, x[a * stride]);
  // Every element −∞ (or none): shift by 0 so that −∞ − max is not ∞ − ∞.
  if (std::isinf(max) && max < 0)
    max = 0;
  double sum = 0;
  for (int64_t a = 0; a < count; ++a)
    sum += std::exp(x[a * stride] - max);
  logSum = std::log(sum);
}

void checkLabels(const char *kernel, int64_t n, int64_t c, const int32_t *labels,
                 int64_t ignoreIndex) {
  for (int64_t i = 0; i < n; ++i)
    if ((labels[i] < 0 || labels[i] >= c) && labels[i] != ignoreIndex)
      throw Error(std::string(kernel) + ": label " + std::to_string(labels[i]) +
                  " of sample " + std::to_string(i) + " is outside [0, " +
                  std::to_string(c) + ")" +
                  (ignoreIndex == kNoIgnoreIndex
                       ? std::string()
                       : " and is not the ignored index " + std::to_string(ignoreIndex)));
}

/// Softmax cross-entropy's rows are summed in chunks of this many, then the
/// chunks in order: the same sum on any number of threads.
constexpr int64_t kLossChunkRows = 64;

/// The threads for n rows of c logits: one below 2^15 logits.
int lossThreads(int64_t n, int64_t c) {
  constexpr int64_t kParallelLogits = int64_t(1) << 15;
  if (n * c < kParallelLogits || omp_in_parallel())
    return 1;
  return static_cast<int>(std::min<int64_t>(threads(), (n + kLossChunkRows - 1) / kLossChunkRows));
}

/// The loss and (when dlogits is given) its gradient, row by row: loss =
/// Σ (logsumexp − logit[label]) / m and dlogits = (p − onehot) · dloss / m
/// over the m rows not ignored. One definition for the three kernels, so
/// that they agree bitwise.
template <typename T>
void crossEntropyRows(const char *kernel, int64_t n, int64_t c, const T *logits,
                      const int32_t *labels, double dloss, T *loss, T *dlogits,
                      int64_t ignoreIndex) {
  requirePositive(kernel, {{"n", n}, {"c", c}});
  elementCount(kernel, {n, c}, sizeof(T));
  checkLabels(kernel, n, c, labels, ignoreIndex);
  int64_t counted = n;
  if (ignoreIndex != kNoIgnoreIndex)
    counted = std::count_if(labels, labels + n,
                            [&](int32_t label) { return label != ignoreIndex; });
  // PyTorch's mean over no sample: NaN; its gradient: zero.
  const double scale = counted > 0 ? dloss / static_cast<double>(counted) : 0.0;
  const int64_t chunks = (n + kLossChunkRows - 1) / kLossChunkRows;
  std::vector<double> partial(static_cast<size_t>(chunks), 0.0);
#pragma omp parallel for num_threads(lossThreads(n, c)) schedule(static)
  for (int64_t chunk = 0; chunk < chunks; ++chunk) {
    double sum = 0;
    for (int64_t i = chunk * kLossChunkRows; i < std::min(n, (chunk + 1) * kLossChunkRows);
         ++i) {
      const T *row = logits + i * c;
      const bool ignored = labels[i] == ignoreIndex;
      double max, logSum;
      logSumExp(row, c, 1, max, logSum);
      if (!ignored)
        sum += max + logSum - row[labels[i]];
      if (!dlogits)
        continue;
      T *out = dlogits + i * c;
      if (ignored) {
        std::fill(out, out + c, T(0));
        continue;
      }
      for (int64_t j = 0; j < c; ++j) {
        double probability = std::exp(row[j] - max - logSum);
        out[j] = static_cast<T>((probability - (j == labels[i] ? 1.0 : 0.0)) * scale);
      }
    }
    partial[static_cast<size_t>(chunk)] = sum;
  }
  if (!loss)
    return;
  double total = 0;
  for (double sum : partial)
    total += sum;
  *loss = static_cast<T>(counted > 0 ? total / static_cast<double>(counted)
                                     : std::numeric_limits<double>::quiet_NaN());
}

} // namespace

template <typename T>
void softmax(int64_t outer, int64_t axis, int64_t inner, const T *x, T *y) {
  validateAxis("softmax", outer, axis, inner, sizeof(T));
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      int64_t base = o * axis * inner + i;
      double max, logSum;
      logSumExp(x + base, axis, inner, max, logSum);
      double sum = std::exp(logSum);
      for (int64_t a = 0; a < axis; ++a)
        y[base + a * inner] = static_cast<T>(std::exp(x[base + a * inner] - max) / sum);
    }
}

template <typename T>
void logSoftmax(int64_t outer, int64_t axis, int64_t inner, const T *x, T *y) {
  validateAxis("logSoftmax", outer, axis, inner, sizeof(T));
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      int64_t base = o * axis * inner + i;
      double max, logSum;
      logSumExp(x + base, axis, inner, max, logSum);
      for (int64_t a = 0; a < axis; ++a)
        y[base + a * inner] = static_cast<T>(x[base + a * inner] - max - logSum);
    }
}

template <typename T>
void softmaxBackward(int64_t outer, int64_t axis, int64_t inner, const T *y, const T *dy,
                     T *dx) {
  validateAxis("softmaxBackward", outer, axis, inner, sizeof(T));
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      int64_t base = o * axis * inner + i;
      double dot = 0;
      for (int64_t a = 0; a < axis; ++a)
        dot += static_cast<double>(dy[base + a * inner]) * y[base + a * inner];
      for (int64_t a = 0; a < axis; ++a) {
        int64_t at = base + a * inner;
        dx[at] = static_cast<T>(y[at] * (dy[at] - dot));
      }
    }
}

template <typename T>
void logSoftmaxBackward(int64_t outer, int64_t axis, int64_t inner, const T *y,
                        const T *dy, T *dx) {
  validateAxis("logSoftmaxBackward", outer, axis, inner, sizeof(T));
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      int64_t base = o * axis * inner + i;
      double sum = 0;
      for (int64_t a = 0; a < axis; ++a)
        sum += dy[base + a * inner];
      for (int64_t a = 0; a < axis; ++a) {
        int64_t at = base + a * inner;
        dx[at] = static_cast<T>(dy[at] - std::exp(static_cast<double>(y[at])) * sum);
      }
    }
}

template <typename T>
void softmaxCrossEntropy(int64_t n, int64_t c, const T *logits, const int32_t *labels,
                         T *loss, int64_t ignoreIndex) {
  crossEntropyRows<T>("softmaxCrossEntropy", n, c, logits, labels, 0.0, loss, nullptr,
                      ignoreIndex);
}

template <typename T>
void softmaxCrossEntropyBackward(int64_t n, int64_t c, const T *logits,
                                 const int32_t *labels, T dloss, T *dlogits,
                                 int64_t ignoreIndex) {
  crossEntropyRows<T>("softmaxCrossEntropyBackward", n, c, logits, labels,
                      static_cast<double>(dloss), nullptr, dlogits, ignoreIndex);
}

template <typename T>
void softmaxCrossEntropyWithGrad(int64_t n, int64_t c, const T *logits,
                                 const int32_t *labels, T dloss, T *loss, T *dlogits,
                                 int64_t ignoreIndex) {
  crossEntropyRows<T>("softmaxCrossEntropyWithGrad", n, c, logits, labels,
                      static_cast<double>(dloss), loss, dlogits, ignoreIndex);
}

template <typename T>
void argmax(int64_t outer, int64_t axis, int64_t inner, const T *x, int32_t *out) {
  validateAxis("argmax", outer, axis, inner, sizeof(T));
  if (axis > std::numeric_limits<int32_t>::max())
    throw Error("argmax: axis of " + std::to_string(axis) + " does not fit int32 indices");
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      const T *slice = x + o * axis * inner + i;
      int64_t best = 0;
      for (int64_t a = 1; a < axis; ++a) {
        T value = slice[a * inner], bestValue = slice[best * inner];
        if (std::isnan(bestValue))
          break;
        if (value > bestValue || std::isnan(value))
          best = a;
      }
      out[o * inner + i] = static_cast<int32_t>(best);
    }
}

void confusionMatrix(int64_t n, int64_t classes, const int32_t *pred,
                     const int32_t *labels, int32_t *out) {
  requireNonNegative("confusionMatrix", {{"n", n}, {"classes", classes}});
  int64_t cells = elementCount("confusionMatrix", {classes, classes}, sizeof(int32_t));
  std::fill(out, out + cells, 0);
  for (int64_t i = 0; i < n; ++i)
    if (labels[i] >= 0 && labels[i] < classes && pred[i] >= 0 && pred[i] < classes)
      ++out[static_cast<int64_t>(labels[i]) * classes + pred[i]];
}

#define GRADC_RT_INSTANTIATE(T)                                                      \
  template void softmax<T>(int64_t, int64_t, int64_t, const T *, T *);               \
  template void logSoftmax<T>(int64_t, int64_t, int64_t, const T *, T *);            \
  template void softmaxBackward<T>(int64_t, int64_t, int64_t, const T *, const T *,  \
                                   T *);                                             \
  template void logSoftmaxBackward<T>(int64_t, int64_t, int64_t, const T *,          \
                                      const T *, T *);                               \
  template void softmaxCrossEntropy<T>(int64_t, int64_t, const T *, const int32_t *, \
                                       T *, int64_t);                                \
  template void softmaxCrossEntropyBackward<T>(int64_t, int64_t, const T *,          \
                                               const int32_t *, T, T *, int64_t);    \
  template void softmaxCrossEntropyWithGrad<T>(int64_t, int64_t, const T *,          \
                                               const int32_t *, T, T *, T *, int64_t); \
  template void argmax<T>(int64_t, int64_t, int64_t, const T *, int32_t *);
GRADC_RT_INSTANTIATE(float)
GRADC_RT_INSTANTIATE(double)
#undef GRADC_RT_INSTANTIATE

} // namespace gradc::rt
