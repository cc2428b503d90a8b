// kernels_recurrent_test.cpp — the LSTM and GRU kernels against their
// definition (one unit at a time in double) and their backward against
// central differences, over sizes that leave vector remainders (hidden 13),
// a single step and a single sequence, in float and double.
#include "gradc/runtime/kernels.h"
#include "gradc/runtime/error.h"

#include "kernel_test_util.h"

#include <cmath>

namespace gradc::rt {
namespace {

using testing::convert;
using testing::expectNear;
using testing::numericGradient;
using testing::randomValues;

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

struct Weights {
  std::vector<double> x, wIh, wHh, bIh, bHh;
};

Weights randomWeights(const RecurrentShape &s, int64_t gates, uint32_t seed) {
  const size_t g = static_cast<size_t>(gates * s.hidden);
  return {randomValues(s.batch * s.steps * s.in, seed, -1.5, 1.5),
          randomValues(g * s.in, seed + 1, -0.6, 0.6),
          randomValues(g * s.hidden, seed + 2, -0.6, 0.6), randomValues(g, seed + 3, -0.5, 0.5),
          randomValues(g, seed + 4, -0.5, 0.5)};
}

/// y of torch.nn.LSTM / nn.GRU (one layer, batch_first, zero state), unit by unit.
std::vector<double> naive(bool lstm, const RecurrentShape &s, const Weights &w) {
  const int64_t h = s.hidden, gates = lstm ? 4 : 3;
  std::vector<double> y(s.batch * s.steps * h);
  for (int64_t b = 0; b < s.batch; ++b) {
    std::vector<double> state(h, 0.0), cell(h, 0.0);
    for (int64_t t = 0; t < s.steps; ++t) {
      std::vector<double> in(gates * h), hid(gates * h);
      for (int64_t j = 0; j < gates * h; ++j) {
        in[j] = w.bIh[j];
        hid[j] = w.bHh[j];
        for (int64_t k = 0; k < s.in; ++k)
          in[j] += w.wIh[j * s.in + k] * w.x[(b * s.steps + t) * s.in + k];
        for (int64_t k = 0; k < h; ++k)
          hid[j] += w.wHh[j * h + k] * state[k];
      }
      std::vector<double> next(h);
      for (int64_t u = 0; u < h; ++u) {
        if (lstm) {
          double i = sigmoid(in[u] + hid[u]), f = sigmoid(in[h + u] + hid[h + u]);
          double g = std::tanh(in[2 * h + u] + hid[2 * h + u]);
          double o = sigmoid(in[3 * h + u] + hid[3 * h + u]);
          cell[u] = f * cell[u] + i * g;
          next[u] = o * std::tanh(cell[u]);
        } else {
          double r = sigmoid(in[u] + hid[u]), z = sigmoid(in[h + u] + hid[h + u]);
          double n = std::tanh(in[2 * h + u] + r * hid[2 * h + u]);
          next[u] = (1 - z) * n + z * state[u];
        }
        y[(b * s.steps + t) * h + u] = next[u];
      }
      state = next;
    }
  }
  return y;
}

/// The kernel's forward in T; the saved tensors in `saved` (gates, then cells).
template <typename T>
std::vector<T> forward(bool lstm, const RecurrentShape &s, const Weights &w,
                       std::vector<T> *gates = nullptr, std::vector<T> *cells = nullptr) {
  std::vector<T> x = convert<T>(w.x), wi = convert<T>(w.wIh), wh = convert<T>(w.wHh),
                 bi = convert<T>(w.bIh), bh = convert<T>(w.bHh);
  std::vector<T> y(s.batch * s.steps * s.hidden), g(s.steps * s.batch * 4 * s.hidden),
      c(s.steps * s.batch * s.hidden);
  if (lstm)
    rt::lstm<T>(s, x.data(), wi.data(), wh.data(), bi.data(), bh.data(), y.data(), g.data(),
                c.data());
  else
    rt::gru<T>(s, x.data(), wi.data(), wh.data(), bi.data(), bh.data(), y.data(), g.data());
  if (gates)
    *gates = g;
  if (cells)
    *cells = c;
  return y;
}

struct Case {
  int64_t batch, steps, in, hidden;
};

class Recurrent : public ::testing::TestWithParam<Case> {};

TEST_P(Recurrent, ForwardMatchesTheDefinition) {
  const Case c = GetParam();
  RecurrentShape s = makeRecurrentShape(c.batch, c.steps, c.in, c.hidden);
  for (bool lstm : {true, false}) {
    Weights w = randomWeights(s, lstm ? 4 : 3, 7);
    std::vector<double> expected = naive(lstm, s, w);
    expectNear(forward<double>(lstm, s, w), expected, 1e-12, lstm ? "lstm f64" : "gru f64");
    expectNear(forward<float>(lstm, s, w), expected, 2e-6, lstm ? "lstm f32" : "gru f32");
  }
}

class RecurrentBackward : public ::testing::TestWithParam<Case> {};

TEST_P(RecurrentBackward, MatchesCentralDifferences) {
  const Case c = GetParam();
  RecurrentShape s = makeRecurrentShape(c.batch, c.steps, c.in, c.hidden);
  for (bool lstm : {true, false}) {
    const int64_t gates = lstm ? 4 : 3;
    Weights w = randomWeights(s, gates, 11);
    std::vector<double> gatesSaved, cellsSaved;
    std::vector<double> y = forward<double>(lstm, s, w, &gatesSaved, &cellsSaved);
    std::vector<double> dy = randomValues(y.size(), 13);
    std::vector<double> dx(w.x.size()), dwIh(w.wIh.size()), dwHh(w.wHh.size()),
        dbIh(w.bIh.size()), dbHh(w.bHh.size());
    if (lstm)
      lstmBackward<double>(s, w.x.data(), w.wIh.data(), w.wHh.data(), y.data(),
                           gatesSaved.data(), cellsSaved.data(), dy.data(), dx.data(),
                           dwIh.data(), dwHh.data(), dbIh.data(), dbHh.data());
    else
      gruBackward<double>(s, w.x.data(), w.wIh.data(), w.wHh.data(), y.data(),
                          gatesSaved.data(), dy.data(), dx.data(), dwIh.data(), dwHh.data(),
                          dbIh.data(), dbHh.data());
    auto along = [&](std::vector<double> Weights::*member) {
      return numericGradient(
          [&](const std::vector<double> &at) {
            Weights moved = w;
            moved.*member = at;
            return naive(lstm, s, moved);
          },
          w.*member, dy);
    };
    const std::string kind = lstm ? "lstm " : "gru ";
    expectNear(dx, along(&Weights::x), 1e-7, kind + "dx");
    expectNear(dwIh, along(&Weights::wIh), 1e-7, kind + "dw_ih");
    expectNear(dwHh, along(&Weights::wHh), 1e-7, kind + "dw_hh");
    expectNear(dbIh, along(&Weights::bIh), 1e-7, kind + "db_ih");
    expectNear(dbHh, along(&Weights::bHh), 1e-7, kind + "db_hh");
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, Recurrent,
                         ::testing::Values(Case{3, 5, 4, 13}, Case{1, 1, 2, 3},
                                           Case{2, 7, 1, 8}, Case{40, 3, 6, 64}));
// 40 × 64 is too large for central differences: ThreadsAgree covers it.
INSTANTIATE_TEST_SUITE_P(Shapes, RecurrentBackward,
                         ::testing::Values(Case{3, 5, 4, 13}, Case{1, 1, 2, 3},
                                           Case{2, 7, 1, 8}));

// 40 × 64 units run each step's rows on two threads: the gradients agree
// with one thread's.
TEST(Recurrent, ThreadsAgree) {
  RecurrentShape s = makeRecurrentShape(40, 3, 6, 64);
  const int saved = threads();
  for (bool lstm : {true, false}) {
    Weights w = randomWeights(s, lstm ? 4 : 3, 17);
    std::vector<double> dy = randomValues(s.batch * s.steps * s.hidden, 19);
    std::vector<std::vector<double>> results[2];
    for (int threads : {1, 2}) {
      setThreads(threads);
      std::vector<double> gates, cells;
      std::vector<double> y = forward<double>(lstm, s, w, &gates, &cells);
      std::vector<double> dx(w.x.size()), dwIh(w.wIh.size()), dwHh(w.wHh.size()),
          dbIh(w.bIh.size()), dbHh(w.bHh.size());
      if (lstm)
        lstmBackward<double>(s, w.x.data(), w.wIh.data(), w.wHh.data(), y.data(), gates.data(),
                             cells.data(), dy.data(), dx.data(), dwIh.data(), dwHh.data(),
                             dbIh.data(), dbHh.data());
      else
        gruBackward<double>(s, w.x.data(), w.wIh.data(), w.wHh.data(), y.data(), gates.data(),
                            dy.data(), dx.data(), dwIh.data(), dwHh.data(), dbIh.data(),
                            dbHh.data());
      results[threads - 1] = {y, dx, dwIh, dwHh, dbIh, dbHh};
    }
    expectNear(results[0][0], naive(lstm, s, w), 1e-12, "y against the definition");
    for (size_t i = 0; i < results[0].size(); ++i)
      expectNear(results[1][i], results[0][i], 1e-12, "result " + std::to_string(i));
  }
  setThreads(saved);
}

TEST(Recurrent, NullDxSkipsTheInputGradient) {
  RecurrentShape s = makeRecurrentShape(2, 3, 4, 5);
  Weights w = randomWeights(s, 4, 3);
  std::vector<double> gates, cells;
  std::vector<double> y = forward<double>(true, s, w, &gates, &cells);
  std::vector<double> dy = randomValues(y.size(), 5), dwIh(w.wIh.size()), dwHh(w.wHh.size()),
                      dbIh(20), dbHh(20), dwIhAll(w.wIh.size()), dx(w.x.size());
  lstmBackward<double>(s, w.x.data(), w.wIh.data(), w.wHh.data(), y.data(), gates.data(),
                       cells.data(), dy.data(), nullptr, dwIh.data(), dwHh.data(), dbIh.data(),
                       dbHh.data());
  lstmBackward<double>(s, w.x.data(), w.wIh.data(), w.wHh.data(), y.data(), gates.data(),
                       cells.data(), dy.data(), dx.data(), dwIhAll.data(), dwHh.data(),
                       dbIh.data(), dbHh.data());
  EXPECT_EQ(dwIh, dwIhAll);
}

TEST(Recurrent, ShapesAreValidated) {
  EXPECT_THROW(makeRecurrentShape(0, 3, 4, 5), Error);
  EXPECT_THROW(makeRecurrentShape(2, 3, 4, -1), Error);
  EXPECT_THROW(makeRecurrentShape(int64_t(1) << 40, int64_t(1) << 20, 4, 5), Error);
}

} // namespace
} // namespace gradc::rt
