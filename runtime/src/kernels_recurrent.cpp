// kernels_recurrent.cpp — LSTM and GRU layers and their backpropagation
// through time.
//
// The products follow cuDNN's plan for a layer: the inputs of every step go
// through one GEMM before the recurrence, each step costs one GEMM of the
// whole batch's hidden state by the recurrent weights and one pass over the
// gates, and in the backward the weight gradients are one GEMM each over all
// steps (the per-step gate gradients are kept for them). Each pass over a
// step's gates runs the batch rows on the kernels' threads; the loops over a
// row's units vectorize (math.h's sigmoid and tanh). The GEMMs' shapes and
// the sums' orders do not depend on the thread count beyond what gemm says.
#include "gradc/runtime/kernels.h"
#include "gradc/runtime/math.h"
#include "kernel_checks.h"
#include "scratch.h"

#include <omp.h>

#include <algorithm>
#include <cstring>

namespace gradc::rt {

using detail::scratch;

RecurrentShape makeRecurrentShape(int64_t batch, int64_t steps, int64_t in, int64_t hidden) {
  const char *kernel = "recurrent layer";
  detail::requirePositive(kernel, {{"batch", batch}, {"steps", steps}, {"in", in},
                                   {"hidden", hidden}});
  // The largest arrays: [batch, steps, 4·hidden] gates and their gradients,
  // x and dx, and the weights.
  detail::elementCount(kernel, {batch, steps, hidden, 4});
  detail::elementCount(kernel, {batch, steps, in});
  detail::elementCount(kernel, {hidden, 4, std::max(in, hidden)});
  return {batch, steps, in, hidden};
}

namespace {

/// Worker threads for a pass over `units` hidden units of a step: one below
/// a few thousand (the parallel region would cost more than it saves), and
/// never more than the batch rows.
int stepThreads(const RecurrentShape &s) {
  constexpr int64_t kParallelUnits = 2048;
  if (s.batch * s.hidden < kParallelUnits || omp_in_parallel())
    return 1;
  return static_cast<int>(std::min<int64_t>(threads(), s.batch));
}

/// prev[b, t] = y[b, t − 1] and prev[b, 0] = 0: each row of y next to the
/// row of the step it feeds, so that dW_hh is one product over all steps.
template <typename T> void shiftSteps(const RecurrentShape &s, const T *y, T *prev) {
  const int64_t h = s.hidden;
  for (int64_t b = 0; b < s.batch; ++b) {
    T *row = prev + b * s.steps * h;
    std::fill(row, row + h, T(0));
    std::memcpy(row + h, y + b * s.steps * h, sizeof(T) * (s.steps - 1) * h);
  }
}

/// The weight and bias gradients from the gate gradients of every step:
/// dw = daᵀ · operand over all batch rows and steps, db = Σ da in double.
template <typename T>
void gateProducts(const RecurrentShape &s, int64_t gates, const T *da, const T *operand,
                  int64_t width, T *dw, T *db) {
  const int64_t rows = s.batch * s.steps;
  gemm<T>(true, false, gates, width, rows, T(1), da, operand, T(0), dw);
  if (db)
    reduceSum<T>(rows, gates, 1, da, 1.0, db);
}

} // namespace

// ---------------------------------------------------------------------------
// LSTM

template <typename T>
void lstm(const RecurrentShape &s, const T *x, const T *wIh, const T *wHh, const T *bIh,
          const T *bHh, T *y, T *gates, T *cells) {
  const int64_t batch = s.batch, steps = s.steps, h = s.hidden, g4 = 4 * h;
  // x·wIhᵀ + bIh for every step, [batch, steps, 4h].
  T *projected = scratch<T>(0, batch * steps * g4);
  T *state = scratch<T>(1, batch * h);
  linear<T>(batch * steps, s.in, g4, x, wIh, bIh, projected);
  const int workers = stepThreads(s);
  for (int64_t t = 0; t < steps; ++t) {
    T *step = gates + t * batch * g4;
    T *cell = cells + t * batch * h;
    const T *cellBefore = t > 0 ? cells + (t - 1) * batch * h : nullptr;
    if (t > 0)
      gemm<T>(false, true, batch, g4, h, T(1), state, wHh, T(0), step);
#pragma omp parallel for num_threads(workers) schedule(static)
    for (int64_t b = 0; b < batch; ++b) {
      T *a = step + b * g4;
      const T *p = projected + (b * steps + t) * g4;
      T *c = cell + b * h;
      T *out = state + b * h;
      T *yRow = y + (b * steps + t) * h;
      // As torch's cell: (x·wIhᵀ + bIh) + (h·wHhᵀ + bHh).
      if (t > 0)
        for (int64_t j = 0; j < g4; ++j)
          a[j] = p[j] + (a[j] + bHh[j]);
      else
        for (int64_t j = 0; j < g4; ++j)
          a[j] = p[j] + bHh[j];
      T *in = a, *forget = a + h, *cand = a + 2 * h, *outGate = a + 3 * h;
      const T *before = cellBefore ? cellBefore + b * h : nullptr;
      for (int64_t u = 0; u < h; ++u) {
        const T i = math::sigmoid(in[u]), f = math::sigmoid(forget[u]);
        const T gv = math::tanh(cand[u]), o = math::sigmoid(outGate[u]);
        const T cv = before ? f * before[u] + i * gv : i * gv;
        const T hv = o * math::tanh(cv);
        in[u] = i;
        forget[u] = f;
        cand[u] = gv;
        outGate[u] = o;
        c[u] = cv;
        out[u] = hv;
        yRow[u] = hv;
      }
    }
  }
}

template <typename T>
void lstmBackward(const RecurrentShape &s, const T *x, const T *wIh, const T *wHh,
                  const T *y, const T *gates, const T *cells, const T *dy, T *dx, T *dwIh,
                  T *dwHh, T *dbIh, T *dbHh) {
  const int64_t batch = s.batch, steps = s.steps, h = s.hidden, g4 = 4 * h;
  // The gradients of the gates' pre-activations, [batch, steps, 4h], the
  // current step's [batch, 4h], and the state's gradients flowing back.
  T *da = scratch<T>(0, batch * steps * g4);
  T *daStep = scratch<T>(1, batch * g4);
  T *dh = scratch<T>(2, batch * h);
  T *dc = scratch<T>(3, batch * h);
  std::fill(dh, dh + batch * h, T(0));
  std::fill(dc, dc + batch * h, T(0));
  const int workers = stepThreads(s);
  for (int64_t t = steps - 1; t >= 0; --t) {
    const T *step = gates + t * batch * g4;
    const T *cell = cells + t * batch * h;
    const T *cellBefore = t > 0 ? cells + (t - 1) * batch * h : nullptr;
#pragma omp parallel for num_threads(workers) schedule(static)
    for (int64_t b = 0; b < batch; ++b) {
      const T *a = step + b * g4;
      const T *in = a, *forget = a + h, *cand = a + 2 * h, *outGate = a + 3 * h;
      const T *c = cell + b * h;
      const T *before = cellBefore ? cellBefore + b * h : nullptr;
      const T *dyRow = dy + (b * steps + t) * h;
      T *dhRow = dh + b * h, *dcRow = dc + b * h;
      T *d = daStep + b * g4;
      for (int64_t u = 0; u < h; ++u) {
        const T i = in[u], f = forget[u], gv = cand[u], o = outGate[u];
        const T dht = dyRow[u] + dhRow[u];
        const T tc = math::tanh(c[u]);
        const T dct = dht * o * (T(1) - tc * tc) + dcRow[u];
        const T cb = before ? before[u] : T(0);
        d[u] = dct * gv * i * (T(1) - i);
        d[h + u] = dct * cb * f * (T(1) - f);
        d[2 * h + u] = dct * i * (T(1) - gv * gv);
        d[3 * h + u] = dht * tc * o * (T(1) - o);
        dcRow[u] = dct * f;
      }
      std::memcpy(da + (b * steps + t) * g4, d, sizeof(T) * g4);
    }
    if (t > 0)
      gemm<T>(false, false, batch, h, g4, T(1), daStep, wHh, T(0), dh);
  }
  if (dx)
    gemm<T>(false, false, batch * steps, s.in, g4, T(1), da, wIh, T(0), dx);
  gateProducts<T>(s, g4, da, x, s.in, dwIh, dbIh);
  T *prev = scratch<T>(1, batch * steps * h);
  shiftSteps<T>(s, y, prev);
  gateProducts<T>(s, g4, da, prev, h, dwHh, nullptr);
  std::memcpy(dbHh, dbIh, sizeof(T) * g4);
}

// ---------------------------------------------------------------------------
// GRU

template <typename T>
void gru(const RecurrentShape &s, const T *x, const T *wIh, const T *wHh, const T *bIh,
         const T *bHh, T *y, T *gates) {
  const int64_t batch = s.batch, steps = s.steps, h = s.hidden, g3 = 3 * h, g4 = 4 * h;
  // x·wIhᵀ + bIh for every step, [batch, steps, 3h], and h·wHhᵀ + bHh of one.
  T *projected = scratch<T>(0, batch * steps * g3);
  T *hidden = scratch<T>(1, batch * g3);
  T *state = scratch<T>(2, batch * h);
  linear<T>(batch * steps, s.in, g3, x, wIh, bIh, projected);
  const int workers = stepThreads(s);
  for (int64_t t = 0; t < steps; ++t) {
    T *step = gates + t * batch * g4;
    if (t > 0)
      linear<T>(batch, h, g3, state, wHh, bHh, hidden);
#pragma omp parallel for num_threads(workers) schedule(static)
    for (int64_t b = 0; b < batch; ++b) {
      const T *p = projected + (b * steps + t) * g3;
      // At the first step the state is zero: its product is bHh alone.
      const T *q = t > 0 ? hidden + b * g3 : bHh;
      T *a = step + b * g4;
      T *out = state + b * h;
      T *yRow = y + (b * steps + t) * h;
      const T *before = t > 0 ? out : nullptr;
      for (int64_t u = 0; u < h; ++u) {
        const T r = math::sigmoid(p[u] + q[u]);
        const T z = math::sigmoid(p[h + u] + q[h + u]);
        const T qn = q[2 * h + u];
        const T n = math::tanh(p[2 * h + u] + r * qn);
        const T hv = before ? (T(1) - z) * n + z * before[u] : (T(1) - z) * n;
        a[u] = r;
        a[h + u] = z;
        a[2 * h + u] = n;
        a[3 * h + u] = qn;
        out[u] = hv;
        yRow[u] = hv;
      }
    }
  }
}

template <typename T>
void gruBackward(const RecurrentShape &s, const T *x, const T *wIh, const T *wHh,
                 const T *y, const T *gates, const T *dy, T *dx, T *dwIh, T *dwHh, T *dbIh,
                 T *dbHh) {
  const int64_t batch = s.batch, steps = s.steps, h = s.hidden, g3 = 3 * h, g4 = 4 * h;
  // The gradients of the input side's pre-activations (r, z, and n's input
  // part) and of the hidden side's (r, z, and h·Whnᵀ + bhn), [batch, steps,
  // 3h] each; the hidden side's of the current step; the state's gradient.
  T *dInput = scratch<T>(0, batch * steps * g3);
  T *dHidden = scratch<T>(1, batch * steps * g3);
  T *dStep = scratch<T>(2, batch * g3);
  T *dh = scratch<T>(3, batch * h);
  std::fill(dh, dh + batch * h, T(0));
  const int workers = stepThreads(s);
  for (int64_t t = steps - 1; t >= 0; --t) {
    const T *step = gates + t * batch * g4;
#pragma omp parallel for num_threads(workers) schedule(static)
    for (int64_t b = 0; b < batch; ++b) {
      const T *a = step + b * g4;
      const T *before = t > 0 ? y + (b * steps + t - 1) * h : nullptr;
      const T *dyRow = dy + (b * steps + t) * h;
      T *dhRow = dh + b * h;
      T *di = dInput + (b * steps + t) * g3;
      T *dq = dStep + b * g3;
      for (int64_t u = 0; u < h; ++u) {
        const T r = a[u], z = a[h + u], n = a[2 * h + u], qn = a[3 * h + u];
        const T hb = before ? before[u] : T(0);
        const T dht = dyRow[u] + dhRow[u];
        const T dn = dht * (T(1) - z) * (T(1) - n * n);
        const T dr = dn * qn * r * (T(1) - r);
        const T dz = dht * (hb - n) * z * (T(1) - z);
        di[u] = dr;
        di[h + u] = dz;
        di[2 * h + u] = dn;
        dq[u] = dr;
        dq[h + u] = dz;
        dq[2 * h + u] = dn * r;
        dhRow[u] = dht * z;
      }
      std::memcpy(dHidden + (b * steps + t) * g3, dq, sizeof(T) * g3);
    }
    if (t > 0)
      gemm<T>(false, false, batch, h, g3, T(1), dStep, wHh, T(1), dh);
  }
  if (dx)
    gemm<T>(false, false, batch * steps, s.in, g3, T(1), dInput, wIh, T(0), dx);
  gateProducts<T>(s, g3, dInput, x, s.in, dwIh, dbIh);
  T *prev = scratch<T>(2, batch * steps * h);
  shiftSteps<T>(s, y, prev);
  gateProducts<T>(s, g3, dHidden, prev, h, dwHh, dbHh);
}

#define GRADC_RT_INSTANTIATE(T)                                                          \
  template void lstm<T>(const RecurrentShape &, const T *, const T *, const T *,          \
                        const T *, const T *, T *, T *, T *);                             \
  template void lstmBackward<T>(const RecurrentShape &, const T *, const T *, const T *,  \
                                const T *, const T *, const T *, const T *, T *, T *,     \
                                T *, T *, T *);                                           \
  template void gru<T>(const RecurrentShape &, const T *, const T *, const T *,           \
                       const T *, const T *, T *, T *);                                   \
  template void gruBackward<T>(const RecurrentShape &, const T *, const T *, const T *,   \
                               const T *, const T *, const T *, T *, T *, T *, T *, T *);
GRADC_RT_INSTANTIATE(float)
GRADC_RT_INSTANTIATE(double)
#undef GRADC_RT_INSTANTIATE

} // namespace gradc::rt
