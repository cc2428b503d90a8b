// kernels_rows.cpp — embedding lookups (row gathers) and their gradient, and dropout.
#include "gradc/runtime/kernels.h"

#include "gradc/runtime/dropout_mask.h"

#include "kernel_checks.h"

#include <algorithm>
#include <sstream>

namespace gradc::rt {

using detail::elementCount;
using detail::requireNonNegative;

namespace {

void checkIds(const char *kernel, int64_t v, const int32_t *ids, int64_t count) {
  for (int64_t i = 0; i < count; ++i)
    if (ids[i] < 0 || ids[i] >= v)
      throw Error(std::string(kernel) + ": id " + std::to_string(ids[i]) + " at position " +
                  std::to_string(i) + " is outside [0, " + std::to_string(v) + ")");
}

} // namespace

template <typename T>
void gatherRows(int64_t v, int64_t d, const T *table, const int32_t *ids, int64_t count,
                T *out) {
  requireNonNegative("gatherRows", {{"v", v}, {"d", d}, {"count", count}});
  elementCount("gatherRows", {v, d}, sizeof(T));
  elementCount("gatherRows", {count, d}, sizeof(T));
  checkIds("gatherRows", v, ids, count);
  for (int64_t i = 0; i < count; ++i)
    std::copy(table + ids[i] * d, table + (ids[i] + 1) * d, out + i * d);
}

template <typename T>
void scatterAddRows(int64_t v, int64_t d, const int32_t *ids, int64_t count,
                    const T *updates, T *out) {
  requireNonNegative("scatterAddRows", {{"v", v}, {"d", d}, {"count", count}});
  int64_t size = elementCount("scatterAddRows", {v, d}, sizeof(T));
  elementCount("scatterAddRows", {count, d}, sizeof(T));
  checkIds("scatterAddRows", v, ids, count);
  std::fill(out, out + size, T(0));
  for (int64_t i = 0; i < count; ++i) {
    T *row = out + ids[i] * d;
    const T *update = updates + i * d;
    for (int64_t j = 0; j < d; ++j)
      row[j] += update[j];
  }
}

template <typename T>
void dropout(int64_t count, const T *x, uint64_t key, uint64_t stream, double p, T *y) {
  requireNonNegative("dropout", {{"count", count}});
  elementCount("dropout", {count}, sizeof(T));
  if (!(p >= 0.0 && p <= 1.0)) {
    std::ostringstream message;
    message << "dropout: probability must be in [0, 1], got " << p;
    throw Error(message.str());
  }
  for (int64_t i = 0; i < count; ++i)
    y[i] = static_cast<T>(x[i] * dropoutScale(key, stream, static_cast<uint64_t>(i), p));
}

#define GRADC_RT_INSTANTIATE(T)                                                      \
  template void gatherRows<T>(int64_t, int64_t, const T *, const int32_t *, int64_t, \
                              T *);                                                  \
  template void scatterAddRows<T>(int64_t, int64_t, const int32_t *, int64_t,        \
                                  const T *, T *);                                   \
  template void dropout<T>(int64_t, const T *, uint64_t, uint64_t, double, T *);
GRADC_RT_INSTANTIATE(float)
GRADC_RT_INSTANTIATE(double)
#undef GRADC_RT_INSTANTIATE

} // namespace gradc::rt
