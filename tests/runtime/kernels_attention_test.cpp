// kernels_attention_test.cpp — blocked multi-head attention against the
// definition (whole score matrices) and finite differences, across the block
// sizes, and independent of the number of threads.
#include "gradc/runtime/kernels.h"
#include "gradc/runtime/error.h"

#include "kernel_test_util.h"

#include <cmath>
#include <limits>

namespace gradc::rt {
namespace {

using testing::convert;
using testing::expectNear;
using testing::numericGradient;
using testing::randomValues;

struct Naive {
  std::vector<double> y, lse;
};

// softmax(scale q kᵀ) v per batch row and head, from the whole score matrix.
Naive naiveAttention(const AttentionShape &s, const std::vector<double> &q,
                     const std::vector<double> &k, const std::vector<double> &v) {
  const int64_t dim = s.width / s.heads;
  Naive r{std::vector<double>(s.batch * s.queries * s.width),
          std::vector<double>(s.batch * s.heads * s.queries)};
  for (int64_t b = 0; b < s.batch; ++b)
    for (int64_t h = 0; h < s.heads; ++h)
      for (int64_t i = 0; i < s.queries; ++i) {
        std::vector<double> scores(s.keys, -std::numeric_limits<double>::infinity());
        double max = -std::numeric_limits<double>::infinity();
        for (int64_t j = 0; j < s.keys; ++j) {
          if (s.causal && j > i)
            continue;
          double dot = 0;
          for (int64_t d = 0; d < dim; ++d)
            dot += q[(b * s.queries + i) * s.width + h * dim + d] *
                   k[(b * s.keys + j) * s.width + h * dim + d];
          scores[j] = dot * s.scale;
          max = std::max(max, scores[j]);
        }
        double sum = 0;
        for (int64_t j = 0; j < s.keys; ++j)
          sum += std::exp(scores[j] - max);
        r.lse[(b * s.heads + h) * s.queries + i] = max + std::log(sum);
        for (int64_t d = 0; d < dim; ++d) {
          double mix = 0;
          for (int64_t j = 0; j < s.keys; ++j)
            mix += std::exp(scores[j] - max) / sum * v[(b * s.keys + j) * s.width + h * dim + d];
          r.y[(b * s.queries + i) * s.width + h * dim + d] = mix;
        }
      }
  return r;
}

struct Case {
  int64_t batch, queries, keys, width, heads;
  bool causal;
};

// Shorter than a block, across query and key blocks (32 and 64), and
// cross-attention with more keys than queries.
const Case kCases[] = {{2, 5, 5, 8, 2, true},     {1, 70, 70, 6, 3, true},
                       {2, 33, 33, 4, 1, true},   {1, 7, 130, 8, 4, false},
                       {2, 40, 40, 12, 2, false}};

AttentionShape shapeOf(const Case &c) {
  return makeAttentionShape(c.batch, c.queries, c.keys, c.width, c.heads, c.causal,
                            1.0 / std::sqrt(double(c.width / c.heads)));
}

TEST(Attention, MatchesTheDefinitionInDoubleAndFloat) {
  for (const Case &c : kCases) {
    AttentionShape s = shapeOf(c);
    auto q = randomValues(c.batch * c.queries * c.width, 1, -2, 2);
    auto k = randomValues(c.batch * c.keys * c.width, 2, -2, 2);
    auto v = randomValues(c.batch * c.keys * c.width, 3);
    Naive expected = naiveAttention(s, q, k, v);
    std::vector<double> y(expected.y.size()), lse(expected.lse.size());
    attention<double>(s, q.data(), k.data(), v.data(), y.data(), lse.data());
    std::string what = "T=" + std::to_string(c.queries) + " heads=" + std::to_string(c.heads);
    expectNear(y, expected.y, 1e-12, what + " y");
    expectNear(lse, expected.lse, 1e-12, what + " logsumexp");

    auto fq = convert<float>(q), fk = convert<float>(k), fv = convert<float>(v);
    std::vector<float> fy(y.size());
    std::vector<double> flse(lse.size());
    attention<float>(s, fq.data(), fk.data(), fv.data(), fy.data(), flse.data());
    expectNear(fy, expected.y, 1e-5, what + " float y");
    expectNear(flse, expected.lse, 1e-5, what + " float logsumexp");
  }
}

TEST(Attention, BackwardMatchesFiniteDifferences) {
  for (const Case &c : kCases) {
    AttentionShape s = shapeOf(c);
    auto q = randomValues(c.batch * c.queries * c.width, 4, -2, 2);
    auto k = randomValues(c.batch * c.keys * c.width, 5, -2, 2);
    auto v = randomValues(c.batch * c.keys * c.width, 6);
    auto dy = randomValues(q.size(), 7);
    std::vector<double> y(q.size()), lse(c.batch * c.heads * c.queries);
    attention<double>(s, q.data(), k.data(), v.data(), y.data(), lse.data());
    std::vector<double> dq(q.size()), dk(k.size()), dv(v.size());
    attentionBackward<double>(s, q.data(), k.data(), v.data(), y.data(), lse.data(),
                              dy.data(), dq.data(), dk.data(), dv.data());
    std::string what = "T=" + std::to_string(c.queries) + " heads=" + std::to_string(c.heads);
    expectNear(dq, numericGradient([&](const std::vector<double> &at) {
                 return naiveAttention(s, at, k, v).y;
               }, q, dy), 1e-6, what + " dq");
    expectNear(dk, numericGradient([&](const std::vector<double> &at) {
                 return naiveAttention(s, q, at, v).y;
               }, k, dy), 1e-6, what + " dk");
    expectNear(dv, numericGradient([&](const std::vector<double> &at) {
                 return naiveAttention(s, q, k, at).y;
               }, v, dy), 1e-6, what + " dv");
  }
}

TEST(Attention, ResultsDoNotDependOnTheNumberOfThreads) {
  const int saved = threads();
  AttentionShape s = makeAttentionShape(4, 100, 100, 64, 4, true, 0.25);
  auto q = convert<float>(randomValues(4 * 100 * 64, 8));
  auto k = convert<float>(randomValues(q.size(), 9));
  auto v = convert<float>(randomValues(q.size(), 10));
  auto dy = convert<float>(randomValues(q.size(), 11));
  std::vector<std::vector<float>> outputs[2];
  std::vector<double> lses[2];
  for (int run = 0; run < 2; ++run) {
    setThreads(run + 1);
    std::vector<float> y(q.size()), dq(q.size()), dk(q.size()), dv(q.size());
    std::vector<double> lse(4 * 4 * 100);
    attention<float>(s, q.data(), k.data(), v.data(), y.data(), lse.data());
    attentionBackward<float>(s, q.data(), k.data(), v.data(), y.data(), lse.data(), dy.data(),
                             dq.data(), dk.data(), dv.data());
    outputs[run] = {y, dq, dk, dv};
    lses[run] = lse;
  }
  setThreads(saved);
  for (size_t i = 0; i < outputs[0].size(); ++i)
    EXPECT_EQ(outputs[0][i], outputs[1][i]) << "output " << i;
  EXPECT_EQ(lses[0], lses[1]);
}

TEST(Attention, ScratchDoesNotGrowWithTheSequence) {
  AttentionShape shortOne = makeAttentionShape(1, 64, 64, 128, 4, true, 0.2);
  AttentionShape longOne = makeAttentionShape(1, 4096, 4096, 128, 4, true, 0.2);
  for (bool backward : {false, true})
    EXPECT_EQ(attentionScratchBytes(shortOne, backward),
              attentionScratchBytes(longOne, backward));
}

TEST(Attention, RefusesInconsistentShapes) {
  EXPECT_THROW(makeAttentionShape(1, 4, 4, 10, 3, false, 1.0), Error);
  EXPECT_THROW(makeAttentionShape(1, 4, 5, 8, 2, true, 1.0), Error);
  EXPECT_THROW(makeAttentionShape(0, 4, 4, 8, 2, true, 1.0), Error);
  EXPECT_THROW(makeAttentionShape(1, 4, 4, 8, 2, true, -1.0), Error);
  EXPECT_THROW(makeAttentionShape(int64_t(1) << 40, int64_t(1) << 40, 4, 8, 2, false, 1.0),
               Error);
}

} // namespace
} // namespace gradc::rt
