// kernels_sum.cpp — sums and means over the leading and trailing axes of a tensor.
#include "gradc/runtime/kernels.h"

#include "kernel_checks.h"

#include <omp.h>

#include <algorithm>

namespace gradc::rt {

using detail::elementCount;
using detail::requireNonNegative;

namespace {

// Below this many terms a sum runs on the calling thread.
constexpr int64_t kParallelSumTerms = int64_t(1) << 16;

// Running sums per lane: independent chains the compiler keeps in vector
// registers, instead of one chain that waits on each addition.
constexpr int kLanes = 8;

// Σ over o of Σ over i of x[(o·kept + k)·inner + i], in the documented order.
template <typename T>
double laneSum(int64_t outer, int64_t kept, int64_t inner, const T *x, int64_t k) {
  double lanes[kLanes] = {};
  const int64_t body = inner - inner % kLanes;
  for (int64_t o = 0; o < outer; ++o) {
    const T *row = x + (o * kept + k) * inner;
    for (int64_t i = 0; i < body; i += kLanes)
      for (int l = 0; l < kLanes; ++l)
        lanes[l] += static_cast<double>(row[i + l]);
    for (int64_t i = body; i < inner; ++i)
      lanes[i - body] += static_cast<double>(row[i]);
  }
  return ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) +
         ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
}

} // namespace

template <typename T>
void reduceSum(int64_t outer, int64_t kept, int64_t inner, const T *x, double divisor, T *y) {
  requireNonNegative("reduceSum", {{"outer", outer}, {"kept", kept}, {"inner", inner}});
  const int64_t terms = elementCount("reduceSum", {outer, kept, inner}, sizeof(T));
  if (kept == 0)
    return;
  const int threadCount = terms < kParallelSumTerms || omp_in_parallel() ? 1 : threads();
  if (inner == 1) {
    // Column sums of [outer, kept]: rows in order, each output one running
    // sum; blocks of columns keep their sums in registers and cache.
    constexpr int64_t kColumns = 256;
    const int64_t blocks = (kept + kColumns - 1) / kColumns;
#pragma omp parallel for schedule(static) num_threads(threadCount)
    for (int64_t block = 0; block < blocks; ++block) {
      const int64_t first = block * kColumns, count = std::min(kColumns, kept - first);
      double sums[kColumns] = {};
      for (int64_t o = 0; o < outer; ++o) {
        const T *row = x + o * kept + first;
        for (int64_t k = 0; k < count; ++k)
          sums[k] += static_cast<double>(row[k]);
      }
      for (int64_t k = 0; k < count; ++k)
        y[first + k] = static_cast<T>(sums[k] / divisor);
    }
    return;
  }
#pragma omp parallel for schedule(static) num_threads(threadCount)
  for (int64_t k = 0; k < kept; ++k)
    y[k] = static_cast<T>(laneSum(outer, kept, inner, x, k) / divisor);
}

#define GRADC_RT_INSTANTIATE(T)                                                      \
  template void reduceSum<T>(int64_t, int64_t, int64_t, const T *, double, T *);
GRADC_RT_INSTANTIATE(float)
GRADC_RT_INSTANTIATE(double)
#undef GRADC_RT_INSTANTIATE

} // namespace gradc::rt
