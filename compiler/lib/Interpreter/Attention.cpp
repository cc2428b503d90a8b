//===- Attention.cpp - Interpreting nn.attention and its backward ---------===//
//
// The textbook form: every head's whole probability matrix is materialized
// and the gradients follow from it (dS = P ∘ (dP − rowsum(dP ∘ P))), in
// double. The backward recomputes everything from q, k and v and ignores the
// forward's y and logsumexp operands, so it checks the kernel's shortcut
// through them rather than repeating it.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include <cmath>
#include <limits>

using namespace mlir;

namespace gradc::interp::detail {

namespace {

/// Indexing of one head of [B, T, C] tensors.
struct Heads {
  int64_t batch, queries, keys, width, heads, dim;
  bool causal;
  double scale;

  int64_t q(int64_t b, int64_t i, int64_t h, int64_t d) const {
    return (b * queries + i) * width + h * dim + d;
  }
  int64_t k(int64_t b, int64_t j, int64_t h, int64_t d) const {
    return (b * keys + j) * width + h * dim + d;
  }
  bool sees(int64_t i, int64_t j) const { return !causal || j <= i; }
};

template <typename OpT> Heads headsOf(OpT op) {
  llvm::ArrayRef<int64_t> q = cast<RankedTensorType>(op.getQ().getType()).getShape();
  int64_t keys = cast<RankedTensorType>(op.getK().getType()).getDimSize(1);
  int64_t heads = op.getHeads();
  return {q[0], q[1], keys, q[2], heads, q[2] / heads, op.getCausal(),
          op.getScale().convertToDouble()};
}

/// P [queries, keys] of head h of batch row b (zero where masked), and the
/// logsumexp of each row.
void probabilities(const Heads &s, const Tensor &q, const Tensor &k, int64_t b, int64_t h,
                   std::vector<double> &p, std::vector<double> &lse) {
  p.assign(s.queries * s.keys, 0.0);
  lse.assign(s.queries, 0.0);
  for (int64_t i = 0; i < s.queries; ++i) {
    double max = -std::numeric_limits<double>::infinity();
    for (int64_t j = 0; j < s.keys; ++j) {
      if (!s.sees(i, j))
        continue;
      double score = 0.0;
      for (int64_t d = 0; d < s.dim; ++d)
        score += q.data[s.q(b, i, h, d)] * k.data[s.k(b, j, h, d)];
      p[i * s.keys + j] = score * s.scale;
      max = std::max(max, p[i * s.keys + j]);
    }
    double sum = 0.0;
    for (int64_t j = 0; j < s.keys; ++j)
      if (s.sees(i, j)) {
        p[i * s.keys + j] = std::exp(p[i * s.keys + j] - max);
        sum += p[i * s.keys + j];
      }
    for (int64_t j = 0; j < s.keys; ++j)
      p[i * s.keys + j] /= sum;
    lse[i] = max + std::log(sum);
  }
}

} // namespace

FailureOr<Results> evalAttention(nn::AttentionOp op, Operands in) {
  const Tensor &q = *in[0], &k = *in[1], &v = *in[2];
  Heads s = headsOf(op);
  Results results{zeros(op.getResult().getType()), zeros(op.getLogsumexp().getType())};
  Tensor &y = results[0], &logsumexp = results[1];
  std::vector<double> p, lse;
  for (int64_t b = 0; b < s.batch; ++b)
    for (int64_t h = 0; h < s.heads; ++h) {
      probabilities(s, q, k, b, h, p, lse);
      for (int64_t i = 0; i < s.queries; ++i) {
        logsumexp.data[(b * s.heads + h) * s.queries + i] = lse[i];
        for (int64_t d = 0; d < s.dim; ++d) {
          double sum = 0.0;
          for (int64_t j = 0; j < s.keys; ++j)
            sum += p[i * s.keys + j] * v.data[s.k(b, j, h, d)];
          y.data[s.q(b, i, h, d)] = sum;
        }
      }
    }
  return results;
}

FailureOr<Results> evalAttentionBackward(nn::AttentionBackwardOp op, Operands in) {
  const Tensor &q = *in[0], &k = *in[1], &v = *in[2], &dy = *in[5];
  Heads s = headsOf(op);
  Results results;
  for (Value result : op->getResults())
    results.push_back(zeros(result.getType()));
  Tensor &dq = results[0], &dk = results[1], &dv = results[2];
  std::vector<double> p, lse, dp;
  for (int64_t b = 0; b < s.batch; ++b)
    for (int64_t h = 0; h < s.heads; ++h) {
      probabilities(s, q, k, b, h, p, lse);
      dp.assign(s.queries * s.keys, 0.0);
      for (int64_t i = 0; i < s.queries; ++i)
        for (int64_t j = 0; j < s.keys; ++j)
          for (int64_t d = 0; d < s.dim; ++d) {
            double g = dy.data[s.q(b, i, h, d)];
            dv.data[s.k(b, j, h, d)] += p[i * s.keys + j] * g;
            dp[i * s.keys + j] += g * v.data[s.k(b, j, h, d)];
          }
      for (int64_t i = 0; i < s.queries; ++i) {
        double rowDot = 0.0;
        for (int64_t j = 0; j < s.keys; ++j)
          rowDot += dp[i * s.keys + j] * p[i * s.keys + j];
        for (int64_t j = 0; j < s.keys; ++j) {
          double ds = p[i * s.keys + j] * (dp[i * s.keys + j] - rowDot) * s.scale;
          for (int64_t d = 0; d < s.dim; ++d) {
            dq.data[s.q(b, i, h, d)] += ds * k.data[s.k(b, j, h, d)];
            dk.data[s.k(b, j, h, d)] += ds * q.data[s.q(b, i, h, d)];
          }
        }
      }
    }
  return results;
}

} // namespace gradc::interp::detail
