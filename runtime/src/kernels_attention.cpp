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
#include "gradc/runtime/math.h"

#include "kernel_checks.h"
#include "scratch.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
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

#define GRADC_ALWAYS_INLINE inline __attribute__((always_inline))

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
GRADC_ALWAYS_INLINE int64_t visibleKeys(const AttentionShape &s, int64_t i, int64_t j0,
                                        int64_t count) {
  if (!s.causal)
    return count;
  return std::clamp<int64_t>(i - j0 + 1, 0, count);
}

/// exp for the probabilities: math::exp, a loop vectorizes it (float), or
/// the C library's (double).
GRADC_ALWAYS_INLINE float expOf(float x) { return math::exp(x); }
GRADC_ALWAYS_INLINE double expOf(double x) { return std::exp(x); }

/// to [dim, stride] ← rows [j0, j0 + count) of one head of a [keys, width]
/// matrix, transposed.
template <typename T, typename A>
GRADC_ALWAYS_INLINE void transposeBlock(const T *from, int64_t width, int64_t dim, int64_t j0,
                                        int64_t count, int64_t stride, A *to) {
  for (int64_t j = 0; j < count; ++j) {
    const T *row = from + (j0 + j) * width;
    for (int64_t d = 0; d < dim; ++d)
      to[d * stride + j] = static_cast<A>(row[d]);
  }
}

/// to [count, dim] ← rows [i0, i0 + count) of one head of a [rows, width] matrix.
template <typename T, typename A>
GRADC_ALWAYS_INLINE void copyBlock(const T *from, int64_t width, int64_t dim, int64_t i0,
                                   int64_t count, A *to) {
  for (int64_t i = 0; i < count; ++i)
    for (int64_t d = 0; d < dim; ++d)
      to[i * dim + d] = static_cast<A>(from[(i0 + i) * width + d]);
}

/// Columns of C a register block holds: one AVX-512 register of floats.
constexpr int64_t kLanes = 16;

/// kLanes values of A as one vector (GCC's vector extension: a register of
/// the widest instruction set the function is compiled for, or several), its
/// operations elementwise and rounded as the scalar ones.
template <typename A> struct LanesOf;
template <> struct LanesOf<float> {
  typedef float type __attribute__((vector_size(kLanes * sizeof(float))));
};
template <> struct LanesOf<double> {
  typedef double type __attribute__((vector_size(kLanes * sizeof(double))));
};
template <typename A> using Lanes = typename LanesOf<A>::type;

template <typename A> GRADC_ALWAYS_INLINE Lanes<A> loadLanes(const A *from) {
  Lanes<A> v;
  std::memcpy(&v, from, sizeof v);
  return v;
}
template <typename A> GRADC_ALWAYS_INLINE void storeLanes(A *to, Lanes<A> v) {
  std::memcpy(to, &v, sizeof v);
}

/// C[i][0, n) = (accumulate ? C[i][·] : 0) + Σ_p a(i, p) · B[p][0, n) for
/// i < m, the sum over p in order for every element: a(i, p) is
/// a[i · aRow + p · aCol], row p of B starts at b + p · ldb, row i of C at
/// c + i · ldc. Blocks of kLanes columns of two rows of C stay in registers
/// across p, each block of B loaded once for both.
template <typename A>
GRADC_ALWAYS_INLINE void gemmRows(int64_t m, int64_t n, int64_t k, const A *__restrict a,
                                  int64_t aRow, int64_t aCol, const A *__restrict b,
                                  int64_t ldb, A *__restrict c, int64_t ldc, bool accumulate) {
  const int64_t blocked = n - n % kLanes;
  int64_t i = 0;
  for (; i + 2 <= m; i += 2) {
    const A *a0 = a + i * aRow, *a1 = a0 + aRow;
    A *c0 = c + i * ldc, *c1 = c0 + ldc;
    for (int64_t j0 = 0; j0 < blocked; j0 += kLanes) {
      Lanes<A> acc0 = accumulate ? loadLanes(c0 + j0) : Lanes<A>{};
      Lanes<A> acc1 = accumulate ? loadLanes(c1 + j0) : Lanes<A>{};
      for (int64_t p = 0; p < k; ++p) {
        const Lanes<A> bp = loadLanes(b + p * ldb + j0);
        acc0 += a0[p * aCol] * bp;
        acc1 += a1[p * aCol] * bp;
      }
      storeLanes(c0 + j0, acc0);
      storeLanes(c1 + j0, acc1);
    }
    for (int64_t j = blocked; j < n; ++j) {
      A sum0 = accumulate ? c0[j] : A(0), sum1 = accumulate ? c1[j] : A(0);
      for (int64_t p = 0; p < k; ++p) {
        sum0 += a0[p * aCol] * b[p * ldb + j];
        sum1 += a1[p * aCol] * b[p * ldb + j];
      }
      c0[j] = sum0;
      c1[j] = sum1;
    }
  }
  for (; i < m; ++i) {
    const A *ai = a + i * aRow;
    A *ci = c + i * ldc;
    for (int64_t j0 = 0; j0 < blocked; j0 += kLanes) {
      Lanes<A> acc = accumulate ? loadLanes(ci + j0) : Lanes<A>{};
      for (int64_t p = 0; p < k; ++p)
        acc += ai[p * aCol] * loadLanes(b + p * ldb + j0);
      storeLanes(ci + j0, acc);
    }
    for (int64_t j = blocked; j < n; ++j) {
      A sum = accumulate ? ci[j] : A(0);
      for (int64_t p = 0; p < k; ++p)
        sum += ai[p * aCol] * b[p * ldb + j];
      ci[j] = sum;
    }
  }
}

/// The scratch of one thread, in the accumulation type A.
template <typename A> struct ForwardScratch {
  A *keysT;   // [dim, kKeyBlock]
  A *values;  // [kKeyBlock, dim]
  A *queries; // [kQueryBlock, dim]
  A *probs;   // [kQueryBlock, kKeyBlock]: scores, then their exponentials
  A *acc;     // [kQueryBlock, dim]
  double *max; // [kQueryBlock]
  double *sum; // [kQueryBlock]
};

/// One (batch row, head) pair: a block of queries at a time, against a block
/// of keys at a time, with a running maximum and sum per query.
template <typename T, typename A>
GRADC_ALWAYS_INLINE void forwardPair(const AttentionShape &s, const Layout &l, int64_t pair,
                                     const T *q, const T *k, const T *v, T *y,
                                     double *logsumexp, const ForwardScratch<A> &w) {
  const int64_t b = pair / s.heads, h = pair % s.heads, dim = l.dim;
  const T *qh = q + b * l.queryBatch + h * dim;
  const T *kh = k + b * l.keyBatch + h * dim;
  const T *vh = v + b * l.keyBatch + h * dim;
  T *yh = y + b * l.queryBatch + h * dim;
  double *lse = logsumexp + pair * s.queries;
  const A scale = static_cast<A>(s.scale);
  for (int64_t i0 = 0; i0 < s.queries; i0 += kQueryBlock) {
    const int64_t rows = std::min(kQueryBlock, s.queries - i0);
    copyBlock(qh, s.width, dim, i0, rows, w.queries);
    for (int64_t e = 0; e < rows * dim; ++e)
      w.acc[e] = 0;
    for (int64_t r = 0; r < rows; ++r) {
      w.max[r] = -std::numeric_limits<double>::infinity();
      w.sum[r] = 0.0;
    }
    const int64_t keyEnd = s.causal ? i0 + rows : s.keys;
    for (int64_t j0 = 0; j0 < keyEnd; j0 += kKeyBlock) {
      const int64_t count = std::min(kKeyBlock, keyEnd - j0);
      transposeBlock(kh, s.width, dim, j0, count, kKeyBlock, w.keysT);
      copyBlock(vh, s.width, dim, j0, count, w.values);
      // scores = q kᵀ for the block, then scaled, exponentiated and summed
      // row by row; the keys a query does not see get probability 0.
      gemmRows(rows, count, dim, w.queries, dim, 1, w.keysT, kKeyBlock, w.probs, kKeyBlock,
               false);
      for (int64_t r = 0; r < rows; ++r) {
        const int64_t seen = visibleKeys(s, i0 + r, j0, count);
        A *scores = w.probs + r * kKeyBlock;
        if (seen == 0) {
          for (int64_t j = 0; j < count; ++j)
            scores[j] = 0;
          continue;
        }
        for (int64_t j = 0; j < seen; ++j)
          scores[j] *= scale;
        A blockMax = scores[0];
        for (int64_t j = 1; j < seen; ++j)
          blockMax = std::max(blockMax, scores[j]);
        const double newMax = std::max(w.max[r], static_cast<double>(blockMax));
        // exp(-inf) = 0 for the first block.
        const A correction = static_cast<A>(std::exp(w.max[r] - newMax));
        const A shift = static_cast<A>(newMax);
        A blockSum = 0;
        for (int64_t j = 0; j < seen; ++j) {
          scores[j] = expOf(scores[j] - shift);
          blockSum += scores[j];
        }
        for (int64_t j = seen; j < count; ++j)
          scores[j] = 0;
        A *acc = w.acc + r * dim;
        for (int64_t d = 0; d < dim; ++d)
          acc[d] *= correction;
        w.max[r] = newMax;
        w.sum[r] = w.sum[r] * static_cast<double>(correction) + static_cast<double>(blockSum);
      }
      // acc += p v
      gemmRows(rows, dim, count, w.probs, kKeyBlock, 1, w.values, dim, w.acc, dim, true);
    }
    for (int64_t r = 0; r < rows; ++r) {
      const A inverse = static_cast<A>(1.0 / w.sum[r]);
      T *out = yh + (i0 + r) * s.width;
      const A *acc = w.acc + r * dim;
      for (int64_t d = 0; d < dim; ++d)
        out[d] = static_cast<T>(acc[d] * inverse);
      lse[i0 + r] = w.max[r] + std::log(w.sum[r]);
    }
  }
}

template <typename A> struct BackwardScratch {
  A *keysT;   // [dim, kKeyBlock]
  A *valuesT; // [dim, kKeyBlock]
  A *keys;    // [kKeyBlock, dim]
  A *dk;      // [kKeyBlock, dim]
  A *dv;      // [kKeyBlock, dim]
  A *queries; // [kQueryBlock, dim]
  A *dys;     // [kQueryBlock, dim]
  A *dqs;     // [kQueryBlock, dim]
  A *probs;   // [kQueryBlock, kKeyBlock]
  A *dscores; // [kQueryBlock, kKeyBlock]: dp, then ds
  A *rowDot;  // [kQueryBlock]
};

/// The gradients of one (batch row, head) pair: a block of keys at a time,
/// against the blocks of queries that see it, the probabilities recomputed
/// from logsumexp:
///   p = exp(scale · q kᵀ − lse), dp = dy vᵀ, ds = p (dp − Σ_d dy_d y_d) scale,
///   dq += ds k, dk += dsᵀ q, dv += pᵀ dy.
template <typename T, typename A>
GRADC_ALWAYS_INLINE void backwardPair(const AttentionShape &s, const Layout &l, int64_t pair,
                                      const T *q, const T *k, const T *v, const T *y,
                                      const double *logsumexp, const T *dy, T *dq, T *dk,
                                      T *dv, const BackwardScratch<A> &w) {
  const int64_t b = pair / s.heads, h = pair % s.heads, dim = l.dim;
  const int64_t qOffset = b * l.queryBatch + h * dim, kOffset = b * l.keyBatch + h * dim;
  const T *qh = q + qOffset, *yh = y + qOffset, *dyh = dy + qOffset;
  const T *kh = k + kOffset, *vh = v + kOffset;
  T *dqh = dq + qOffset, *dkh = dk + kOffset, *dvh = dv + kOffset;
  const double *lse = logsumexp + pair * s.queries;
  const A scale = static_cast<A>(s.scale);
  for (int64_t i = 0; i < s.queries; ++i)
    for (int64_t d = 0; d < dim; ++d)
      dqh[i * s.width + d] = T(0);
  for (int64_t j0 = 0; j0 < s.keys; j0 += kKeyBlock) {
    const int64_t count = std::min(kKeyBlock, s.keys - j0);
    transposeBlock(kh, s.width, dim, j0, count, kKeyBlock, w.keysT);
    transposeBlock(vh, s.width, dim, j0, count, kKeyBlock, w.valuesT);
    copyBlock(kh, s.width, dim, j0, count, w.keys);
    for (int64_t e = 0; e < count * dim; ++e) {
      w.dk[e] = 0;
      w.dv[e] = 0;
    }
    // Causal: the queries before j0 see none of these keys.
    for (int64_t i0 = s.causal ? j0 : 0; i0 < s.queries; i0 += kQueryBlock) {
      const int64_t rows = std::min(kQueryBlock, s.queries - i0);
      copyBlock(qh, s.width, dim, i0, rows, w.queries);
      copyBlock(dyh, s.width, dim, i0, rows, w.dys);
      for (int64_t r = 0; r < rows; ++r) {
        const T *yRow = yh + (i0 + r) * s.width;
        const A *dyRow = w.dys + r * dim;
        A dot = 0; // the softmax's Σ_j p_j dp_j, which is Σ_d dy_d y_d
        for (int64_t d = 0; d < dim; ++d)
          dot += dyRow[d] * static_cast<A>(yRow[d]);
        w.rowDot[r] = dot;
      }
      gemmRows(rows, count, dim, w.queries, dim, 1, w.keysT, kKeyBlock, w.probs, kKeyBlock,
               false);
      gemmRows(rows, count, dim, w.dys, dim, 1, w.valuesT, kKeyBlock, w.dscores, kKeyBlock,
               false);
      for (int64_t r = 0; r < rows; ++r) {
        const int64_t seen = visibleKeys(s, i0 + r, j0, count);
        A *probs = w.probs + r * kKeyBlock, *ds = w.dscores + r * kKeyBlock;
        const A rowLse = static_cast<A>(lse[i0 + r]), dot = w.rowDot[r];
        for (int64_t j = 0; j < seen; ++j) {
          probs[j] = expOf(probs[j] * scale - rowLse);
          ds[j] = probs[j] * (ds[j] - dot) * scale;
        }
        for (int64_t j = seen; j < count; ++j) {
          probs[j] = 0;
          ds[j] = 0;
        }
      }
      // dq for these queries and this key block, added to dq.
      gemmRows(rows, dim, count, w.dscores, kKeyBlock, 1, w.keys, dim, w.dqs, dim, false);
      for (int64_t r = 0; r < rows; ++r) {
        T *dqRow = dqh + (i0 + r) * s.width;
        const A *dqs = w.dqs + r * dim;
        for (int64_t d = 0; d < dim; ++d)
          dqRow[d] = static_cast<T>(static_cast<A>(dqRow[d]) + dqs[d]);
      }
      // dv += pᵀ dy, dk += dsᵀ q: row j of dv sums over the block's queries.
      gemmRows(count, dim, rows, w.probs, 1, kKeyBlock, w.dys, dim, w.dv, dim, true);
      gemmRows(count, dim, rows, w.dscores, 1, kKeyBlock, w.queries, dim, w.dk, dim, true);
    }
    for (int64_t j = 0; j < count; ++j)
      for (int64_t d = 0; d < dim; ++d) {
        dkh[(j0 + j) * s.width + d] = static_cast<T>(w.dk[j * dim + d]);
        dvh[(j0 + j) * s.width + d] = static_cast<T>(w.dv[j * dim + d]);
      }
  }
}

/// The elements of scratch one thread uses, for a head width `dim`.
int64_t forwardScratch(int64_t dim) {
  return 2 * dim * kKeyBlock + 2 * kQueryBlock * dim + kQueryBlock * kKeyBlock;
}
int64_t backwardScratch(int64_t dim) {
  return 5 * dim * kKeyBlock + 3 * kQueryBlock * dim + 2 * kQueryBlock * kKeyBlock +
         kQueryBlock;
}

template <typename A> ForwardScratch<A> forwardScratchAt(A *at, double *stats, int64_t dim) {
  ForwardScratch<A> w;
  w.keysT = at;
  w.values = w.keysT + dim * kKeyBlock;
  w.queries = w.values + dim * kKeyBlock;
  w.probs = w.queries + kQueryBlock * dim;
  w.acc = w.probs + kQueryBlock * kKeyBlock;
  w.max = stats;
  w.sum = stats + kQueryBlock;
  return w;
}

template <typename A> BackwardScratch<A> backwardScratchAt(A *at, int64_t dim) {
  BackwardScratch<A> w;
  const int64_t block = dim * kKeyBlock, rows = kQueryBlock * dim;
  w.keysT = at;
  w.valuesT = at + block;
  w.keys = at + 2 * block;
  w.dk = at + 3 * block;
  w.dv = at + 4 * block;
  w.queries = at + 5 * block;
  w.dys = w.queries + rows;
  w.dqs = w.dys + rows;
  w.probs = w.dqs + rows;
  w.dscores = w.probs + kQueryBlock * kKeyBlock;
  w.rowDot = w.dscores + kQueryBlock * kKeyBlock;
  return w;
}

// The accumulation type of T: float sums for float (with every product and
// sum vectorized; in double they would be a quarter of the speed), double
// for double.
template <typename T> using Acc = T;

// Each pair loop is compiled for the instruction sets it may run on (AVX-512,
// AVX2 with FMA, the baseline), and the widest the processor has is chosen
// once: the loops are the same, only the vector width differs.
template <typename T> struct PairArgs {
  const AttentionShape *s;
  const Layout *l;
  const T *q, *k, *v, *y, *dy;
  const double *lse;
  T *out, *dq, *dk, *dv;
  double *lseOut;
};

template <typename T>
GRADC_ALWAYS_INLINE void forwardPairs(const PairArgs<T> &a, int64_t first, int64_t last,
                                      Acc<T> *mine, double *stats) {
  const ForwardScratch<Acc<T>> w = forwardScratchAt(mine, stats, a.l->dim);
  for (int64_t pair = first; pair < last; ++pair)
    forwardPair(*a.s, *a.l, pair, a.q, a.k, a.v, a.out, a.lseOut, w);
}

template <typename T>
GRADC_ALWAYS_INLINE void backwardPairs(const PairArgs<T> &a, int64_t first, int64_t last,
                                       Acc<T> *mine) {
  const BackwardScratch<Acc<T>> w = backwardScratchAt(mine, a.l->dim);
  for (int64_t pair = first; pair < last; ++pair)
    backwardPair(*a.s, *a.l, pair, a.q, a.k, a.v, a.y, a.lse, a.dy, a.dq, a.dk, a.dv, w);
}

#if defined(__x86_64__) && defined(__GNUC__)
#define GRADC_ATTENTION_VARIANTS 1
template <typename T>
__attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma"))) void
forwardPairsAvx512(const PairArgs<T> &a, int64_t first, int64_t last, Acc<T> *mine,
                   double *stats) {
  forwardPairs(a, first, last, mine, stats);
}
template <typename T>
__attribute__((target("avx2,fma"))) void forwardPairsAvx2(const PairArgs<T> &a, int64_t first,
                                                           int64_t last, Acc<T> *mine,
                                                           double *stats) {
  forwardPairs(a, first, last, mine, stats);
}
template <typename T>
__attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma"))) void
backwardPairsAvx512(const PairArgs<T> &a, int64_t first, int64_t last, Acc<T> *mine) {
  backwardPairs(a, first, last, mine);
}
template <typename T>
__attribute__((target("avx2,fma"))) void backwardPairsAvx2(const PairArgs<T> &a, int64_t first,
                                                            int64_t last, Acc<T> *mine) {
  backwardPairs(a, first, last, mine);
}
#endif

template <typename T>
void forwardPairsBaseline(const PairArgs<T> &a, int64_t first, int64_t last, Acc<T> *mine,
                          double *stats) {
  forwardPairs(a, first, last, mine, stats);
}
template <typename T>
void backwardPairsBaseline(const PairArgs<T> &a, int64_t first, int64_t last, Acc<T> *mine) {
  backwardPairs(a, first, last, mine);
}

/// 2: AVX-512, 1: AVX2 with FMA, 0: neither (or not x86).
int vectorLevel() {
#ifdef GRADC_ATTENTION_VARIANTS
  static const int level = [] {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw"))
      return 2;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
      return 1;
    return 0;
  }();
  return level;
#else
  return 0;
#endif
}

template <typename T>
void runForward(const PairArgs<T> &a, int64_t first, int64_t last, Acc<T> *mine,
                double *stats) {
#ifdef GRADC_ATTENTION_VARIANTS
  switch (vectorLevel()) {
  case 2:
    return forwardPairsAvx512(a, first, last, mine, stats);
  case 1:
    return forwardPairsAvx2(a, first, last, mine, stats);
  default:
    break;
  }
#endif
  forwardPairsBaseline(a, first, last, mine, stats);
}

template <typename T>
void runBackward(const PairArgs<T> &a, int64_t first, int64_t last, Acc<T> *mine) {
#ifdef GRADC_ATTENTION_VARIANTS
  switch (vectorLevel()) {
  case 2:
    return backwardPairsAvx512(a, first, last, mine);
  case 1:
    return backwardPairsAvx2(a, first, last, mine);
  default:
    break;
  }
#endif
  backwardPairsBaseline(a, first, last, mine);
}

/// The pairs [first, last) of thread `thread` of `count`: static, in order.
std::pair<int64_t, int64_t> pairsOf(int64_t pairs, int thread, int count) {
  const int64_t base = pairs / count, extra = pairs % count;
  const int64_t first = thread * base + std::min<int64_t>(thread, extra);
  return {first, first + base + (thread < extra ? 1 : 0)};
}

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

int64_t attentionScratchBytes(const AttentionShape &s, bool backward, int64_t elementBytes) {
  const int64_t dim = s.width / s.heads;
  // Blocks in the operands' type; the forward's running maxima and sums in double.
  return (backward ? backwardScratch(dim) : forwardScratch(dim)) * elementBytes +
         (backward ? 0 : 2 * kQueryBlock * int64_t(sizeof(double)));
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
  PairArgs<T> a{&s, &l, q, k, v, nullptr, nullptr, nullptr, y, nullptr, nullptr, nullptr,
                logsumexp};
#pragma omp parallel num_threads(threadCount)
  {
    // Each thread's own scratch, in its own slots.
    Acc<T> *mine = scratch<Acc<T>>(0, perThread);
    double *stats = scratch<double>(1, 2 * kQueryBlock);
    auto [first, last] = pairsOf(l.pairs, omp_get_thread_num(), omp_get_num_threads());
    runForward(a, first, last, mine, stats);
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
  const int64_t perThread = backwardScratch(l.dim);
  PairArgs<T> a{&s, &l, q, k, v, y, dy, logsumexp, nullptr, dq, dk, dv, nullptr};
#pragma omp parallel num_threads(threadCount)
  {
    Acc<T> *mine = scratch<Acc<T>>(0, perThread);
    auto [first, last] = pairsOf(l.pairs, omp_get_thread_num(), omp_get_num_threads());
    runBackward(a, first, last, mine);
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
