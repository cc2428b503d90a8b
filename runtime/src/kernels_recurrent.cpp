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
#include "gradc/runtime/vector_clones.h"
#include "kernel_checks.h"
#include "scratch.h"

#include <omp.h>

#include <algorithm>
#include <cstring>
#include <vector>

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

/// After the steps: dx = dInput · wIh (when dx is given), the input side's
/// weight and bias gradients from dInput, and the hidden side's from dHidden
/// against each step's previous state (made in scratch slot `slot`; dbHh
/// null: none).
template <typename T>
void weightGradients(const RecurrentShape &s, int64_t gates, const T *x, const T *wIh,
                     const T *y, const T *dInput, const T *dHidden, int slot, T *dx, T *dwIh,
                     T *dwHh, T *dbIh, T *dbHh) {
  if (dx)
    gemm<T>(false, false, s.batch * s.steps, s.in, gates, T(1), dInput, wIh, T(0), dx);
  gateProducts<T>(s, gates, dInput, x, s.in, dwIh, dbIh);
  T *prev = scratch<T>(slot, s.batch * s.steps * s.hidden);
  shiftSteps<T>(s, y, prev);
  gateProducts<T>(s, gates, dHidden, prev, s.hidden, dwHh, dbHh);
}

} // namespace

// ---------------------------------------------------------------------------
// One batch row of one step. Each is a function of its own so that its loop
// over units vectorizes: its pointers are restrict (the rows never overlap)
// and no branch is left in the loop (the state before the first step is a
// row of zeros). Each is compiled for AVX-512, AVX2 and the baseline, the
// widest the processor has chosen when the program starts
// (GRADC_VECTOR_CLONES, gradc/runtime/vector_clones.h); the file is built without
// fused multiply-adds, so every width rounds alike.

/// LSTM: the pre-activations p + (q + bHh) (p = x·wIhᵀ + bIh, q = h·wHhᵀ),
/// the gates into a [4h], the cell state into c and the hidden state into
/// out and yRow.
template <typename T>
GRADC_VECTOR_CLONES void lstmRow(int64_t h, const T *__restrict p, const T *__restrict q,
             const T *__restrict bHh, const T *__restrict before, T *__restrict a,
             T *__restrict c, T *__restrict out, T *__restrict yRow) {
  for (int64_t u = 0; u < h; ++u) {
    // As torch's cell: (x·wIhᵀ + bIh) + (h·wHhᵀ + bHh).
    const T i = math::sigmoid(p[u] + (q[u] + bHh[u]));
    const T f = math::sigmoid(p[h + u] + (q[h + u] + bHh[h + u]));
    const T g = math::tanh(p[2 * h + u] + (q[2 * h + u] + bHh[2 * h + u]));
    const T o = math::sigmoid(p[3 * h + u] + (q[3 * h + u] + bHh[3 * h + u]));
    const T cv = f * before[u] + i * g;
    const T hv = o * math::tanh(cv);
    a[u] = i;
    a[h + u] = f;
    a[2 * h + u] = g;
    a[3 * h + u] = o;
    c[u] = cv;
    out[u] = hv;
    yRow[u] = hv;
  }
}

/// LSTM backward: from the gates a, the cell states c and before, dy and
/// the state gradients dh (from the next step) and dc (updated in place),
/// the pre-activations' gradients into d and da.
template <typename T>
GRADC_VECTOR_CLONES void lstmBackwardRow(int64_t h, const T *__restrict a, const T *__restrict c,
                     const T *__restrict before, const T *__restrict dy,
                     const T *__restrict dh, T *__restrict dc, T *__restrict d,
                     T *__restrict da) {
  for (int64_t u = 0; u < h; ++u) {
    const T i = a[u], f = a[h + u], g = a[2 * h + u], o = a[3 * h + u];
    const T dht = dy[u] + dh[u];
    const T tc = math::tanh(c[u]);
    const T dct = dht * o * (T(1) - tc * tc) + dc[u];
    const T di = dct * g * i * (T(1) - i);
    const T df = dct * before[u] * f * (T(1) - f);
    const T dg = dct * i * (T(1) - g * g);
    const T dout = dht * tc * o * (T(1) - o);
    d[u] = da[u] = di;
    d[h + u] = da[h + u] = df;
    d[2 * h + u] = da[2 * h + u] = dg;
    d[3 * h + u] = da[3 * h + u] = dout;
    dc[u] = dct * f;
  }
}

/// GRU: from p = x·wIhᵀ + bIh and q = h·wHhᵀ + bHh [3h] and the state
/// before, r, z, n and q's new-gate part into a [4h], the state into out and
/// yRow (out may be before: each unit reads its own before it writes).
template <typename T>
GRADC_VECTOR_CLONES void gruRow(int64_t h, const T *__restrict p, const T *__restrict q, const T *before,
            T *__restrict a, T *out, T *__restrict yRow) {
  for (int64_t u = 0; u < h; ++u) {
    const T r = math::sigmoid(p[u] + q[u]);
    const T z = math::sigmoid(p[h + u] + q[h + u]);
    const T qn = q[2 * h + u];
    const T n = math::tanh(p[2 * h + u] + r * qn);
    const T hv = (T(1) - z) * n + z * before[u];
    a[u] = r;
    a[h + u] = z;
    a[2 * h + u] = n;
    a[3 * h + u] = qn;
    out[u] = hv;
    yRow[u] = hv;
  }
}

/// GRU backward: from the saved a, the state before, dy and dh (the next
/// step's gradient, overwritten with the direct part dh'·z), the input
/// side's gradients into di and the hidden side's into dq and dHidden.
template <typename T>
GRADC_VECTOR_CLONES void gruBackwardRow(int64_t h, const T *__restrict a, const T *__restrict before,
                    const T *__restrict dy, T *__restrict dh, T *__restrict di,
                    T *__restrict dq, T *__restrict dHidden) {
  for (int64_t u = 0; u < h; ++u) {
    const T r = a[u], z = a[h + u], n = a[2 * h + u], qn = a[3 * h + u];
    const T dht = dy[u] + dh[u];
    const T dn = dht * (T(1) - z) * (T(1) - n * n);
    const T dr = dn * qn * r * (T(1) - r);
    const T dz = dht * (before[u] - n) * z * (T(1) - z);
    di[u] = dr;
    di[h + u] = dz;
    di[2 * h + u] = dn;
    dq[u] = dHidden[u] = dr;
    dq[h + u] = dHidden[h + u] = dz;
    dq[2 * h + u] = dHidden[2 * h + u] = dn * r;
    dh[u] = dht * z;
  }
}

// ---------------------------------------------------------------------------
// LSTM

template <typename T>
void lstm(const RecurrentShape &s, const T *x, const T *wIh, const T *wHh, const T *bIh,
          const T *bHh, T *y, T *gates, T *cells) {
  const int64_t batch = s.batch, steps = s.steps, h = s.hidden, g4 = 4 * h;
  // x·wIhᵀ + bIh for every step [batch, steps, 4h]; one step's h·wHhᵀ
  // [batch, 4h]; the hidden state [batch, h].
  T *projected = scratch<T>(0, batch * steps * g4);
  T *product = scratch<T>(1, batch * g4);
  T *state = scratch<T>(2, batch * h);
  linear<T>(batch * steps, s.in, g4, x, wIh, bIh, projected);
  // The state before the first step: its product, and its cell state.
  T *zeros = scratch<T>(3, std::max(batch * h, g4));
  std::fill(zeros, zeros + std::max(batch * h, g4), T(0));
  const int workers = stepThreads(s);
  for (int64_t t = 0; t < steps; ++t) {
    T *step = gates + t * batch * g4;
    T *cell = cells + t * batch * h;
    const T *cellBefore = t > 0 ? cells + (t - 1) * batch * h : zeros;
    if (t > 0)
      gemm<T>(false, true, batch, g4, h, T(1), state, wHh, T(0), product);
#pragma omp parallel for num_threads(workers) schedule(static)
    for (int64_t b = 0; b < batch; ++b)
      lstmRow<T>(h, projected + (b * steps + t) * g4, t > 0 ? product + b * g4 : zeros,
                 bHh, cellBefore + b * h, step + b * g4, cell + b * h, state + b * h,
                 y + (b * steps + t) * h);
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
  const std::vector<T> zeros(batch * h, T(0));
  const int workers = stepThreads(s);
  for (int64_t t = steps - 1; t >= 0; --t) {
    const T *step = gates + t * batch * g4;
    const T *cell = cells + t * batch * h;
    const T *cellBefore = t > 0 ? cells + (t - 1) * batch * h : zeros.data();
#pragma omp parallel for num_threads(workers) schedule(static)
    for (int64_t b = 0; b < batch; ++b)
      lstmBackwardRow<T>(h, step + b * g4, cell + b * h, cellBefore + b * h,
                         dy + (b * steps + t) * h, dh + b * h, dc + b * h, daStep + b * g4,
                         da + (b * steps + t) * g4);
    if (t > 0)
      gemm<T>(false, false, batch, h, g4, T(1), daStep, wHh, T(0), dh);
  }
  // One set of pre-activation gradients serves both sides.
  weightGradients<T>(s, g4, x, wIh, y, da, da, 1, dx, dwIh, dwHh, dbIh, nullptr);
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
  std::fill(state, state + batch * h, T(0));
  const int workers = stepThreads(s);
  for (int64_t t = 0; t < steps; ++t) {
    T *step = gates + t * batch * g4;
    if (t > 0)
      linear<T>(batch, h, g3, state, wHh, bHh, hidden);
#pragma omp parallel for num_threads(workers) schedule(static)
    for (int64_t b = 0; b < batch; ++b)
      // At the first step the state is zero: its product is bHh alone.
      gruRow<T>(h, projected + (b * steps + t) * g3, t > 0 ? hidden + b * g3 : bHh,
                state + b * h, step + b * g4, state + b * h, y + (b * steps + t) * h);
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
  const std::vector<T> zeros(h, T(0));
  const int workers = stepThreads(s);
  for (int64_t t = steps - 1; t >= 0; --t) {
    const T *step = gates + t * batch * g4;
#pragma omp parallel for num_threads(workers) schedule(static)
    for (int64_t b = 0; b < batch; ++b)
      gruBackwardRow<T>(h, step + b * g4, t > 0 ? y + (b * steps + t - 1) * h : zeros.data(),
                        dy + (b * steps + t) * h, dh + b * h, dInput + (b * steps + t) * g3,
                        dStep + b * g3, dHidden + (b * steps + t) * g3);
    if (t > 0)
      gemm<T>(false, false, batch, h, g3, T(1), dStep, wHh, T(1), dh);
  }
  weightGradients<T>(s, g3, x, wIh, y, dInput, dHidden, 2, dx, dwIh, dwHh, dbIh, dbHh);
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
