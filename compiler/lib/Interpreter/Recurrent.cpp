//===- Recurrent.cpp - Interpreting nn.lstm, nn.gru and their backward ----===//
//
// The textbook form, one batch row, step and unit at a time in double, with
// every product a plain sum over its terms. The backward runs from the saved
// gates as the ops define them; the gradients' sum over steps is written out
// as it is stated (no product over all steps at once), so the kernel's
// reorganisation is checked rather than repeated.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include <cmath>

using namespace mlir;

namespace gradc::interp::detail {

namespace {

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

/// Sizes of a layer over x [B, T, in] with w_hh [gates·H, H].
struct Sizes {
  int64_t batch, steps, in, hidden;
};

Sizes sizesOf(Value x, Value wHh) {
  ArrayRef<int64_t> xs = cast<RankedTensorType>(x.getType()).getShape();
  return {xs[0], xs[1], xs[2], cast<RankedTensorType>(wHh.getType()).getDimSize(1)};
}

/// w[row] · v over `count` terms, v a pointer into a tensor's data.
double dot(const Tensor &w, int64_t row, int64_t count, const double *v) {
  double sum = 0.0;
  for (int64_t j = 0; j < count; ++j)
    sum += w.data[row * count + j] * v[j];
  return sum;
}

/// dw[row] += g · v and dv += g · w[row], over `count` terms.
void accumulate(const Tensor &w, Tensor &dw, int64_t row, int64_t count, double g,
                const double *v, double *dv) {
  for (int64_t j = 0; j < count; ++j) {
    dw.data[row * count + j] += g * v[j];
    if (dv)
      dv[j] += g * w.data[row * count + j];
  }
}

/// Gate row `row`'s share of one step's gradients: `input`, its
/// pre-activation's gradient on the input side, into dW_ih, db_ih and dx_t;
/// `hidden`, on the hidden side, into dW_hh, db_hh and dh_{t−1}.
void accumulateGate(const Tensor &wIh, const Tensor &wHh, Results &grads, const Sizes &s,
                    int64_t row, double input, double hidden, const double *xt, double *dxt,
                    const double *hBefore, double *dhBefore) {
  accumulate(wIh, grads[1], row, s.in, input, xt, dxt);
  accumulate(wHh, grads[2], row, s.hidden, hidden, hBefore, dhBefore);
  grads[3].data[row] += input;
  grads[4].data[row] += hidden;
}

} // namespace

FailureOr<Results> evalLstm(nn::LstmOp op, Operands in) {
  const Tensor &x = *in[0], &wIh = *in[1], &wHh = *in[2], &bIh = *in[3], &bHh = *in[4];
  Sizes s = sizesOf(op.getX(), op.getWHh());
  const int64_t h = s.hidden;
  Results results{zeros(op.getResult().getType()), zeros(op.getGates().getType()),
                  zeros(op.getCells().getType())};
  Tensor &y = results[0], &gates = results[1], &cells = results[2];
  std::vector<double> state(h), cell(h), next(h), nextCell(h), a(4 * h);
  for (int64_t b = 0; b < s.batch; ++b) {
    std::fill(state.begin(), state.end(), 0.0);
    std::fill(cell.begin(), cell.end(), 0.0);
    for (int64_t t = 0; t < s.steps; ++t) {
      const double *xt = &x.data[(b * s.steps + t) * s.in];
      for (int64_t j = 0; j < 4 * h; ++j)
        a[j] = dot(wIh, j, s.in, xt) + bIh.data[j] + dot(wHh, j, h, state.data()) +
               bHh.data[j];
      double *saved = &gates.data[(t * s.batch + b) * 4 * h];
      for (int64_t u = 0; u < h; ++u) {
        double i = sigmoid(a[u]), f = sigmoid(a[h + u]), g = std::tanh(a[2 * h + u]),
               o = sigmoid(a[3 * h + u]);
        nextCell[u] = f * cell[u] + i * g;
        next[u] = o * std::tanh(nextCell[u]);
        saved[u] = i, saved[h + u] = f, saved[2 * h + u] = g, saved[3 * h + u] = o;
        cells.data[(t * s.batch + b) * h + u] = nextCell[u];
        y.data[(b * s.steps + t) * h + u] = next[u];
      }
      std::swap(state, next);
      std::swap(cell, nextCell);
    }
  }
  return results;
}

FailureOr<Results> evalLstmBackward(nn::LstmBackwardOp op, Operands in) {
  const Tensor &x = *in[0], &wIh = *in[1], &wHh = *in[2], &y = *in[3], &gates = *in[4],
               &cells = *in[5], &dy = *in[6];
  Sizes s = sizesOf(op.getX(), op.getWHh());
  const int64_t h = s.hidden;
  Results results;
  for (Value result : op->getResults())
    results.push_back(zeros(result.getType()));
  Tensor &dx = results[0];
  std::vector<double> dh(h), dc(h), dhBefore(h), zero(h, 0.0);
  for (int64_t b = 0; b < s.batch; ++b) {
    std::fill(dh.begin(), dh.end(), 0.0);
    std::fill(dc.begin(), dc.end(), 0.0);
    for (int64_t t = s.steps - 1; t >= 0; --t) {
      const double *g = &gates.data[(t * s.batch + b) * 4 * h];
      const double *c = &cells.data[(t * s.batch + b) * h];
      const double *cBefore = t > 0 ? &cells.data[((t - 1) * s.batch + b) * h] : zero.data();
      const double *hBefore = t > 0 ? &y.data[(b * s.steps + t - 1) * h] : zero.data();
      const double *xt = &x.data[(b * s.steps + t) * s.in];
      double *dxt = &dx.data[(b * s.steps + t) * s.in];
      std::fill(dhBefore.begin(), dhBefore.end(), 0.0);
      for (int64_t u = 0; u < h; ++u) {
        double i = g[u], f = g[h + u], gv = g[2 * h + u], o = g[3 * h + u];
        double dht = dy.data[(b * s.steps + t) * h + u] + dh[u];
        double tc = std::tanh(c[u]);
        double dct = dht * o * (1 - tc * tc) + dc[u];
        double da[4] = {dct * gv * i * (1 - i), dct * cBefore[u] * f * (1 - f),
                        dct * i * (1 - gv * gv), dht * tc * o * (1 - o)};
        dc[u] = dct * f;
        for (int gate = 0; gate < 4; ++gate)
          accumulateGate(wIh, wHh, results, s, gate * h + u, da[gate], da[gate], xt, dxt,
                         hBefore, dhBefore.data());
      }
      std::swap(dh, dhBefore);
    }
  }
  return results;
}

FailureOr<Results> evalGru(nn::GruOp op, Operands in) {
  const Tensor &x = *in[0], &wIh = *in[1], &wHh = *in[2], &bIh = *in[3], &bHh = *in[4];
  Sizes s = sizesOf(op.getX(), op.getWHh());
  const int64_t h = s.hidden;
  Results results{zeros(op.getResult().getType()), zeros(op.getGates().getType())};
  Tensor &y = results[0], &gates = results[1];
  std::vector<double> state(h), next(h), pi(3 * h), ph(3 * h);
  for (int64_t b = 0; b < s.batch; ++b) {
    std::fill(state.begin(), state.end(), 0.0);
    for (int64_t t = 0; t < s.steps; ++t) {
      const double *xt = &x.data[(b * s.steps + t) * s.in];
      for (int64_t j = 0; j < 3 * h; ++j) {
        pi[j] = dot(wIh, j, s.in, xt) + bIh.data[j];
        ph[j] = dot(wHh, j, h, state.data()) + bHh.data[j];
      }
      double *saved = &gates.data[(t * s.batch + b) * 4 * h];
      for (int64_t u = 0; u < h; ++u) {
        double r = sigmoid(pi[u] + ph[u]), z = sigmoid(pi[h + u] + ph[h + u]);
        double n = std::tanh(pi[2 * h + u] + r * ph[2 * h + u]);
        next[u] = (1 - z) * n + z * state[u];
        saved[u] = r, saved[h + u] = z, saved[2 * h + u] = n, saved[3 * h + u] = ph[2 * h + u];
        y.data[(b * s.steps + t) * h + u] = next[u];
      }
      std::swap(state, next);
    }
  }
  return results;
}

FailureOr<Results> evalGruBackward(nn::GruBackwardOp op, Operands in) {
  const Tensor &x = *in[0], &wIh = *in[1], &wHh = *in[2], &y = *in[3], &gates = *in[4],
               &dy = *in[5];
  Sizes s = sizesOf(op.getX(), op.getWHh());
  const int64_t h = s.hidden;
  Results results;
  for (Value result : op->getResults())
    results.push_back(zeros(result.getType()));
  Tensor &dx = results[0];
  std::vector<double> dh(h), dhBefore(h), zero(h, 0.0);
  for (int64_t b = 0; b < s.batch; ++b) {
    std::fill(dh.begin(), dh.end(), 0.0);
    for (int64_t t = s.steps - 1; t >= 0; --t) {
      const double *g = &gates.data[(t * s.batch + b) * 4 * h];
      const double *hBefore = t > 0 ? &y.data[(b * s.steps + t - 1) * h] : zero.data();
      const double *xt = &x.data[(b * s.steps + t) * s.in];
      double *dxt = &dx.data[(b * s.steps + t) * s.in];
      std::fill(dhBefore.begin(), dhBefore.end(), 0.0);
      for (int64_t u = 0; u < h; ++u) {
        double r = g[u], z = g[h + u], n = g[2 * h + u], qn = g[3 * h + u];
        double dht = dy.data[(b * s.steps + t) * h + u] + dh[u];
        dhBefore[u] += dht * z;
        double dn = dht * (1 - z) * (1 - n * n);
        double dr = dn * qn * r * (1 - r);
        double dz = dht * (hBefore[u] - n) * z * (1 - z);
        double input[3] = {dr, dz, dn}, hidden[3] = {dr, dz, dn * r};
        for (int gate = 0; gate < 3; ++gate)
          accumulateGate(wIh, wHh, results, s, gate * h + u, input[gate], hidden[gate], xt,
                         dxt, hBefore, dhBefore.data());
      }
      std::swap(dh, dhBefore);
    }
  }
  return results;
}

} // namespace gradc::interp::detail
