// kernels_attention.cpp — multi-head scaled dot-product attention and its
// gradients, a block of keys at a time (flash attention's tiling on a CPU).
//
// Every (batch row, head) pair is independent: the pairs are shared among the
// threads, and each pair is computed by one thread in a fixed order, so the
// results do not depend on the number of threads. Within a pair, queries are
// taken kQueryBlock at a time against kKeyBlock keys at a time; a key block is
// first transposed into scratch ([head width, keys]) so that the inner loops
// of the scores run over contiguous keys and those of the mixes over
// contiguous channels, both without reassociating a sum.
#include "gradc/runtime/kernels.h"

#include "kernel_checks.h"
#include "scratch.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace gradc::rt {

using detail::elementCount;
using detail::requirePositive;
using detail::scratch;

namespace {

constexpr int64_t kQueryBlock = 32;
constexpr int64_t kKeyBlock = 64;
// Below this many multiply-adds a call runs on the calling thread.
constexpr int64_t kParallelAttentionWork = int64_t(1) << 16;

struct Layout {
  int64_t dim;        // head width D
  int64_t pairs;      // batch · heads
  int64_t queryBatch; // queries · width: one batch row of q and y
  int64_t keyBatch;   // keys · width
};

Layout layoutOf(const AttentionShape &s) {
  return {s.width / s.heads, s.batch * s.heads, s.queries * s.width, s.keys * s.width};
}

int threadsFor(const AttentionShape &s, const Layout &l) {
  double work = double(s.batch) * double(s.queries) * double(s.keys) * double(s.width);
  if (work < double(kParallelAttentionWork) || omp_in_parallel())
    return 1;
  return static_cast<int>(std::min<int64_t>(threads(), l.pairs));
}

/// The keys query `i` sees in the key block [j0, j0 + count): a prefix.
inline int64_t visibleKeys(const AttentionShape &s, int64_t i, int64_t j0, int64_t count) {
  if (!s.causal)
    return count;
  return std::clamp<int64_t>(i - j0 + 1, 0, count);
}

/// to [dim, count] ← rows [j0, j0 + count) of one head of a [keys, width] matrix.
template <typename T>
void transposeBlock(const T *from, int64_t width, int64_t dim, int64_t j0, int64_t count,
                    double *to) {
  for (int64_t j = 0; j < count; ++j) {
    const T *row = from + (j0 + j) * width;
    for (int64_t d = 0; d < dim; ++d)
      to[d * count + j] = row[d];
  }
}

/// scores[j] = scale · Σ_d query[d] · keysT[d][j] for j < count, keysT
/// [dim, stride].
template <typename T>
void scoreRow(const T *query, const double *keysT, int64_t dim, int64_t stride, int64_t count,
              double scale, double *scores) {
  std::fill(scores, scores + count, 0.0);
  for (int64_t d = 0; d < dim; ++d) {
    const double qd = query[d];
    const double *kd = keysT + d * stride;
    for (int64_t j = 0; j < count; ++j)
      scores[j] += qd * kd[j];
  }
  for (int64_t j = 0; j < count; ++j)
    scores[j] *= scale;
}

template <typename T> struct ForwardScratch {
  double *keysT;   // [dim, kKeyBlock]
  double *scores;  // [kKeyBlock]
  double *acc;     // [kQueryBlock, dim]
  double *max; // [kQueryBlock]
  double *sum; // [kQueryBlock]
};

template <typename T>
void attentionPair(const AttentionShape &s, const Layout &l, int64_t pair, const T *q,
                   const T *k, const T *v, T *y, double *logsumexp, const ForwardScratch<T> &w) {
  const int64_t b = pair / s.heads, h = pair % s.heads, dim = l.dim;
  const T *qh = q + b * l.queryBatch + h * dim;
  const T *kh = k + b * l.keyBatch + h * dim;
  const T *vh = v + b * l.keyBatch + h * dim;
  T *yh = y + b * l.queryBatch + h * dim;
  double *lse = logsumexp + pair * s.queries;
  for (int64_t i0 = 0; i0 < s.queries; i0 += kQueryBlock) {
    const int64_t rows = std::min(kQueryBlock, s.queries - i0);
    std::fill(w.acc, w.acc + rows * dim, 0.0);
    std::fill(w.max, w.max + rows, -std::numeric_limits<double>::infinity());
    std::fill(w.sum, w.sum + rows, 0.0);
    const int64_t keyEnd = s.causal ? i0 + rows : s.keys;
    for (int64_t j0 = 0; j0 < keyEnd; j0 += kKeyBlock) {
      const int64_t count = std::min(kKeyBlock, keyEnd - j0);
      transposeBlock(kh, s.width, dim, j0, count, w.keysT);
      for (int64_t r = 0; r < rows; ++r) {
        const int64_t i = i0 + r, seen = visibleKeys(s, i, j0, count);
        if (seen == 0)
          continue;
        scoreRow(qh + i * s.width, w.keysT, dim, count, seen, s.scale, w.scores);
        double blockMax = w.scores[0];
        for (int64_t j = 1; j < seen; ++j)
          blockMax = std::max(blockMax, w.scores[j]);
        const double newMax = std::max(w.max[r], blockMax);
        // exp(-inf) = 0 for the first block.
        const double correction = std::exp(w.max[r] - newMax);
        double *acc = w.acc + r * dim;
        if (correction != 1.0) {
          for (int64_t d = 0; d < dim; ++d)
            acc[d] *= correction;
        }
        double sum = w.sum[r] * correction;
        for (int64_t j = 0; j < seen; ++j) {
          const double p = std::exp(w.scores[j] - newMax);
          sum += p;
          const T *vj = vh + (j0 + j) * s.width;
          for (int64_t d = 0; d < dim; ++d)
            acc[d] += p * static_cast<double>(vj[d]);
        }
        w.max[r] = newMax;
        w.sum[r] = sum;
      }
    }
    for (int64_t r = 0; r < rows; ++r) {
      const double inverse = 1.0 / w.sum[r];
      T *out = yh + (i0 + r) * s.width;
      const double *acc = w.acc + r * dim;
      for (int64_t d = 0; d < dim; ++d)
        out[d] = static_cast<T>(acc[d] * inverse);
      lse[i0 + r] = w.max[r] + std::log(w.sum[r]);
    }
  }
}

template <typename T> struct BackwardScratch {
  double *keysT;   // [dim, kKeyBlock]
  double *valuesT; // [dim, kKeyBlock]
  double *dk;      // [kKeyBlock, dim]
  double *dv;      // [kKeyBlock, dim]
  double *probs;   // [kKeyBlock]
  double *dprobs;  // [kKeyBlock]
  double *dq;      // [dim]
};

template <typename T>
void attentionBackwardPair(const AttentionShape &s, const Layout &l, int64_t pair,
                           const T *q, const T *k, const T *v, const T *y,
                           const double *logsumexp, const T *dy, T *dq, T *dk, T *dv,
                           const BackwardScratch<T> &w) {
  const int64_t b = pair / s.heads, h = pair % s.heads, dim = l.dim;
  const int64_t qOffset = b * l.queryBatch + h * dim, kOffset = b * l.keyBatch + h * dim;
  const T *qh = q + qOffset, *yh = y + qOffset, *dyh = dy + qOffset;
  const T *kh = k + kOffset, *vh = v + kOffset;
  T *dqh = dq + qOffset, *dkh = dk + kOffset, *dvh = dv + kOffset;
  const double *lse = logsumexp + pair * s.queries;
  double *dqi = w.dq;
  for (int64_t i = 0; i < s.queries; ++i)
    std::fill(dqh + i * s.width, dqh + i * s.width + dim, T(0));
  for (int64_t j0 = 0; j0 < s.keys; j0 += kKeyBlock) {
    const int64_t count = std::min(kKeyBlock, s.keys - j0);
    transposeBlock(kh, s.width, dim, j0, count, w.keysT);
    transposeBlock(vh, s.width, dim, j0, count, w.valuesT);
    std::fill(w.dk, w.dk + count * dim, 0.0);
    std::fill(w.dv, w.dv + count * dim, 0.0);
    for (int64_t i = s.causal ? j0 : 0; i < s.queries; ++i) {
      const int64_t seen = visibleKeys(s, i, j0, count);
      const T *qi = qh + i * s.width, *dyi = dyh + i * s.width, *yi = yh + i * s.width;
      // p = exp(scale · q kᵀ − logsumexp)
      scoreRow(qi, w.keysT, dim, count, seen, s.scale, w.probs);
      const double rowLse = lse[i];
      for (int64_t j = 0; j < seen; ++j)
        w.probs[j] = std::exp(w.probs[j] - rowLse);
      // dp = dy vᵀ; the softmax's Σ_j p_j dp_j is Σ_d dy_d y_d.
      scoreRow(dyi, w.valuesT, dim, count, seen, 1.0, w.dprobs);
      double rowDot = 0.0;
      for (int64_t d = 0; d < dim; ++d)
        rowDot += static_cast<double>(dyi[d]) * static_cast<double>(yi[d]);
      std::fill(dqi, dqi + dim, 0.0);
      for (int64_t j = 0; j < seen; ++j) {
        const double p = w.probs[j];
        const double ds = p * (w.dprobs[j] - rowDot) * s.scale;
        double *dvj = w.dv + j * dim, *dkj = w.dk + j * dim;
        const T *kj = kh + (j0 + j) * s.width;
        for (int64_t d = 0; d < dim; ++d) {
          dvj[d] += p * static_cast<double>(dyi[d]);
          dkj[d] += ds * static_cast<double>(qi[d]);
          dqi[d] += ds * static_cast<double>(kj[d]);
        }
      }
      T *dqRow = dqh + i * s.width;
      for (int64_t d = 0; d < dim; ++d)
        dqRow[d] = static_cast<T>(static_cast<double>(dqRow[d]) + dqi[d]);
    }
    for (int64_t j = 0; j < count; ++j)
      for (int64_t d = 0; d < dim; ++d) {
        dkh[(j0 + j) * s.width + d] = static_cast<T>(w.dk[j * dim + d]);
        dvh[(j0 + j) * s.width + d] = static_cast<T>(w.dv[j * dim + d]);
      }
  }
}

/// The doubles of scratch one thread uses, for a head width `dim`.
int64_t forwardScratch(int64_t dim) {
  return dim * kKeyBlock + kKeyBlock + kQueryBlock * dim + 2 * kQueryBlock;
}
int64_t backwardScratch(int64_t dim) { return 4 * dim * kKeyBlock + 2 * kKeyBlock + dim; }

} // namespace

AttentionShape makeAttentionShape(int64_t batch, int64_t queries, int64_t keys,
                                  int64_t width, int64_t heads, bool causal,
                                  double scale) {
  requirePositive("attention", {{"batch", batch},
                                {"queries", queries},
                                {"keys", keys},
                                {"width", width},
                                {"heads", heads}});
  if (width % heads != 0)
    throw Error("attention: heads (" + std::to_string(heads) + ") must divide the width (" +
                std::to_string(width) + ")");
  if (causal && queries != keys)
    throw Error("attention: causal attention needs as many keys as queries, got " +
                std::to_string(queries) + " queries and " + std::to_string(keys) + " keys");
  if (!(scale > 0.0 && std::isfinite(scale)))
    throw Error("attention: scale must be finite and positive");
  elementCount("attention", {batch, std::max(queries, keys), width});
  elementCount("attention", {batch, heads, queries});
  return {batch, queries, keys, width, heads, causal, scale};
}

int64_t attentionScratchBytes(const AttentionShape &s, bool backward) {
  const int64_t dim = s.width / s.heads;
  return (backward ? backwardScratch(dim) : forwardScratch(dim)) * int64_t(sizeof(double));
}

template <typename T>
void attention(const AttentionShape &shape, const T *q, const T *k, const T *v, T *y,
               double *logsumexp) {
  const AttentionShape s = makeAttentionShape(shape.batch, shape.queries, shape.keys,
                                              shape.width, shape.heads, shape.causal,
                                              shape.scale);
  const Layout l = layoutOf(s);
  const int threadCount = threadsFor(s, l);
  const int64_t perThread = forwardScratch(l.dim);
  double *all = scratch<double>(0, elementCount("attention", {threadCount, perThread}));
#pragma omp parallel num_threads(threadCount)
  {
    double *mine = all + omp_get_thread_num() * perThread;
    const int64_t keys = l.dim * kKeyBlock, acc = kQueryBlock * l.dim;
    const ForwardScratch<T> w{mine, mine + keys, mine + keys + kKeyBlock,
                              mine + keys + kKeyBlock + acc,
                              mine + keys + kKeyBlock + acc + kQueryBlock};
#pragma omp for schedule(static)
    for (int64_t pair = 0; pair < l.pairs; ++pair)
      attentionPair(s, l, pair, q, k, v, y, logsumexp, w);
  }
}

template <typename T>
void attentionBackward(const AttentionShape &shape, const T *q, const T *k, const T *v,
                       const T *y, const double *logsumexp, const T *dy, T *dq, T *dk, T *dv) {
  const AttentionShape s = makeAttentionShape(shape.batch, shape.queries, shape.keys,
                                              shape.width, shape.heads, shape.causal,
                                              shape.scale);
  const Layout l = layoutOf(s);
  const int threadCount = threadsFor(s, l);
  const int64_t block = l.dim * kKeyBlock;
  const int64_t perThread = backwardScratch(l.dim);
  double *all = scratch<double>(0, elementCount("attentionBackward", {threadCount, perThread}));
#pragma omp parallel num_threads(threadCount)
  {
    double *mine = all + omp_get_thread_num() * perThread;
    const BackwardScratch<T> w{mine,
                               mine + block,
                               mine + 2 * block,
                               mine + 3 * block,
                               mine + 4 * block,
                               mine + 4 * block + kKeyBlock,
                               mine + 4 * block + 2 * kKeyBlock};
#pragma omp for schedule(static)
    for (int64_t pair = 0; pair < l.pairs; ++pair)
      attentionBackwardPair(s, l, pair, q, k, v, y, logsumexp, dy, dq, dk, dv, w);
  }
}

#define GRADC_RT_INSTANTIATE(T)                                                        \
  template void attention<T>(const AttentionShape &, const T *, const T *, const T *,   \
                             T *, double *);                                           \
  template void attentionBackward<T>(const AttentionShape &, const T *, const T *,     \
                                     const T *, const T *, const double *, const T *,  \
                                     T *, T *, T *);
GRADC_RT_INSTANTIATE(float)
GRADC_RT_INSTANTIATE(double)
#undef GRADC_RT_INSTANTIATE

} // namespace gradc::rt
