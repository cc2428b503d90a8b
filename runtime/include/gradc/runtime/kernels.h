// kernels.h — the heavy kernels generated training code calls: GEMM, convolution,
// pooling, normalization, attention, recurrent layers, softmax and losses,
// gathers, dropout.
//
// Conventions shared by every kernel:
//  - tensors are dense, row-major, contiguous; shapes are passed as int64_t
//    arguments (or the small shape structs below) and comments give them in
//    brackets, e.g. x is [n, c, h, w];
//  - T is float or double; the templates are defined and explicitly
//    instantiated for both in the runtime library, so including this header
//    costs generated code nothing but declarations;
//  - outputs are overwritten (never accumulated into) unless a kernel says
//    otherwise, and may not alias inputs unless a kernel says they may;
//  - gradients are the exact gradients of the forward kernel beside them;
//  - sizes are validated (negative sizes, inconsistent shapes, byte counts that
//    overflow) and bad data (a label or id out of range) is reported, always as
//    a gradc::rt::Error. Reductions accumulate in double.
#ifndef GRADC_RUNTIME_KERNELS_H
#define GRADC_RUNTIME_KERNELS_H

#include <cstdint>

namespace gradc::rt {

// ---------------------------------------------------------------------------
// Threads

/// The number of threads kernels may use (Eigen's GEMM threads). Throws Error
/// when threads < 1.
void setThreads(int threads);

/// The number of threads set by setThreads(); before any call, OpenMP's
/// default (the hardware concurrency unless OMP_NUM_THREADS says otherwise).
int threads();

/// The library that computes matrix products: "OpenBLAS" when
/// libopenblas.so.0 can be loaded (and GRADC_BLAS is not "eigen"), else
/// "Eigen".
const char *gemmLibrary();

// ---------------------------------------------------------------------------
// Matrix products (Eigen)

/// C = alpha · op(A) · op(B) + beta · C, where op(X) is X or Xᵀ.
/// C is [m, n]; A is [m, k] ([k, m] when transA); B is [k, n] ([n, k] when
/// transB). When beta == 0, C is not read (NaNs in it do not propagate).
template <typename T>
void gemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, T alpha,
          const T *a, const T *b, T beta, T *c);

/// `batch` independent gemms: matrix i of A starts at a + i·strideA, and so on.
/// A stride of 0 broadcasts that operand to every product (strideC must be
/// positive when batch > 1).
/// Products compute C in blocks of this many rows, each block one call of the
/// underlying library (whose result for an element depends on the call's
/// shape); gemmRows keeps to the same blocks.
inline constexpr int64_t kGemmRowBlock = 128;

/// Rows [row0, row0 + rows) of alpha·op(A)·op(B) + beta·C into c [rows, n],
/// with op(A) [m, k] and op(B) [k, n] as for gemm: a tiled epilogue's
/// product, a block of rows at a time. row0 must be a multiple of
/// kGemmRowBlock; each element then comes out bitwise as gemm computes it.
template <typename T>
void gemmRows(bool transA, bool transB, int64_t m, int64_t n, int64_t k, int64_t row0,
              int64_t rows, T alpha, const T *a, const T *b, T beta, T *c);

template <typename T>
void batchedGemm(int64_t batch, bool transA, bool transB, int64_t m, int64_t n,
                 int64_t k, T alpha, const T *a, int64_t strideA, const T *b,
                 int64_t strideB, T beta, T *c, int64_t strideC);

/// A dense layer in PyTorch's layout: y = x · wᵀ + bias.
/// x is [n, in], w is [out, in], bias is [out] or null, y is [n, out].
template <typename T>
void linear(int64_t n, int64_t in, int64_t out, const T *x, const T *w,
            const T *bias, T *y);

// ---------------------------------------------------------------------------
// Convolution and pooling (NCHW)

/// A 2-D convolution: x [n, c, h, w], weight [o, c, kh, kw], y [n, o, oh, ow],
/// stride (sh, sw), zero padding (ph, pw) on both sides, and
/// oh = (h + 2·ph − kh) / sh + 1, ow = (w + 2·pw − kw) / sw + 1 (floor).
struct Conv2DShape {
  int64_t n, c, h, w;
  int64_t o, kh, kw;
  int64_t sh, sw;
  int64_t ph, pw;
  int64_t oh, ow;
};

/// Fills oh and ow from the other fields; throws Error when the kernel does
/// not fit the padded input or a size is not positive.
Conv2DShape makeConv2DShape(int64_t n, int64_t c, int64_t h, int64_t w, int64_t o,
                            int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                            int64_t ph, int64_t pw);

/// y = cross-correlation of zero-padded x with weight, plus bias [o] (nullable),
/// as torch.nn.functional.conv2d. im2col per sample, then one GEMM.
template <typename T>
void conv2d(const Conv2DShape &shape, const T *x, const T *weight, const T *bias,
            T *y);

/// dx [n, c, h, w] from dy [n, o, oh, ow].
template <typename T>
void conv2dBackwardInput(const Conv2DShape &shape, const T *dy, const T *weight,
                         T *dx);

/// dweight [o, c, kh, kw], summed over the batch.
template <typename T>
void conv2dBackwardFilter(const Conv2DShape &shape, const T *x, const T *dy,
                          T *dweight);

/// dbias [o]: dy summed over the batch and both spatial axes.
template <typename T>
void conv2dBackwardBias(const Conv2DShape &shape, const T *dy, T *dbias);

/// Pooling over x [n, c, h, w] into y [n, c, oh, ow], window (kh, kw), stride
/// (sh, sw), padding (ph, pw) at most half the window; oh and ow as for Conv2DShape.
struct Pool2DShape {
  int64_t n, c, h, w;
  int64_t kh, kw;
  int64_t sh, sw;
  int64_t ph, pw;
  int64_t oh, ow;
};

/// Fills oh and ow; throws Error on a non-positive size, padding above half the
/// window, or a window that does not fit the padded input.
Pool2DShape makePool2DShape(int64_t n, int64_t c, int64_t h, int64_t w, int64_t kh,
                            int64_t kw, int64_t sh, int64_t sw, int64_t ph,
                            int64_t pw);

/// Maximum over each window; padding never wins (it is −∞).
template <typename T>
void maxPool2d(const Pool2DShape &shape, const T *x, T *y);

/// dx from dy: each window's gradient goes to the first maximal element of the
/// window in row-major order; overlapping windows add up.
template <typename T>
void maxPool2dBackward(const Pool2DShape &shape, const T *x, const T *dy, T *dx);

/// Mean over each window, always divided by kh·kw (padding counts as zeros:
/// PyTorch's count_include_pad=True).
template <typename T>
void avgPool2d(const Pool2DShape &shape, const T *x, T *y);

template <typename T>
void avgPool2dBackward(const Pool2DShape &shape, const T *dy, T *dx);

// ---------------------------------------------------------------------------
// Normalization

/// Batch normalization in training mode. x and y are [n, c, spatial]
/// (spatial = h·w for images, 1 for [n, c] input); gamma, beta, mean, var and
/// the running statistics are [c]. Normalizes with the batch mean and the
/// biased batch variance (written to mean and var for the backward pass), and
/// writes newRunning = (1 − momentum)·running + momentum·batch, using the
/// unbiased variance (· count / (count − 1), count = n·spatial) for
/// newRunningVar. newRunningMean / newRunningVar may alias runningMean /
/// runningVar. Throws Error when count < 2, as PyTorch does.
template <typename T>
void batchNormTrain(int64_t n, int64_t c, int64_t spatial, const T *x, const T *gamma,
                    const T *beta, const T *runningMean, const T *runningVar, T eps,
                    T momentum, T *y, T *mean, T *var, T *newRunningMean,
                    T *newRunningVar);

/// Batch normalization in evaluation mode, with the running statistics.
template <typename T>
void batchNormEval(int64_t n, int64_t c, int64_t spatial, const T *x, const T *gamma,
                   const T *beta, const T *runningMean, const T *runningVar, T eps,
                   T *y);

/// The training-mode gradient (the batch statistics depend on x), given the
/// mean and biased var batchNormTrain wrote. dgamma and dbeta may be null
/// (frozen layer).
template <typename T>
void batchNormBackward(int64_t n, int64_t c, int64_t spatial, const T *x, const T *dy,
                       const T *gamma, const T *mean, const T *var, T eps, T *dx,
                       T *dgamma, T *dbeta);

/// Layer normalization over the last dimension: x and y are [rows, d], gamma
/// and beta [d]; biased variance, as torch.nn.LayerNorm. Rows run on the
/// kernels' threads (from 2^15 values); each row is computed alone.
template <typename T>
void layerNorm(int64_t rows, int64_t d, const T *x, const T *gamma, const T *beta,
               T eps, T *y);

/// dx [rows, d]; dgamma and dbeta [d], summed over rows (each may be null)
/// in double, by chunks of 64 rows and then the chunks in order, so that the
/// sums do not depend on the thread count.
template <typename T>
void layerNormBackward(int64_t rows, int64_t d, const T *x, const T *dy,
                       const T *gamma, T eps, T *dx, T *dgamma, T *dbeta);

// ---------------------------------------------------------------------------
// Attention

/// The sizes of a multi-head attention: q is [batch, queries, width], k and v
/// [batch, keys, width], each row `heads` heads of width / heads consecutive
/// columns; y is [batch, queries, width] and logsumexp [batch, heads, queries]
/// (double for either T).
/// With `causal`, query i sees keys j <= i (queries == keys).
struct AttentionShape {
  int64_t batch, queries, keys, width, heads;
  bool causal;
  double scale;
};

/// Validates the sizes (positive, heads dividing width, causal needing
/// queries == keys, byte counts that fit) and returns them; throws Error.
AttentionShape makeAttentionShape(int64_t batch, int64_t queries, int64_t keys,
                                  int64_t width, int64_t heads, bool causal,
                                  double scale);

/// y = softmax(scale · q kᵀ) v per batch row and head, and the logsumexp of
/// each query's scaled scores. Keys are taken a block at a time with a
/// running maximum and sum (flash attention's online softmax): the kernel
/// never holds more than a block of a head's scores, and its scratch memory
/// (attentionScratchBytes) does not grow with the sequence. Products and
/// sums are in T (float programs: vectorized float, with exp as Cephes'
/// expf computes it), the running maxima, sums and logsumexp in double. The
/// loops are compiled for AVX-512, AVX2 with FMA and the baseline, and run
/// in the widest the processor has. Heads run in parallel; the result does
/// not depend on the number of threads.
template <typename T>
void attention(const AttentionShape &shape, const T *q, const T *k, const T *v, T *y,
               double *logsumexp);

/// dq, dk, dv of attention from its operands, its y and logsumexp, and dy:
/// the probabilities are recomputed a block at a time from logsumexp.
template <typename T>
void attentionBackward(const AttentionShape &shape, const T *q, const T *k, const T *v,
                       const T *y, const double *logsumexp, const T *dy, T *dq, T *dk,
                       T *dv);

/// The scratch bytes attention (backward: attentionBackward) uses per
/// thread for operands of `elementBytes` (4: float, 8: double): a function of
/// the head width only.
int64_t attentionScratchBytes(const AttentionShape &shape, bool backward,
                              int64_t elementBytes = 4);

// ---------------------------------------------------------------------------
// Recurrent layers

/// The sizes of one recurrent layer over a batch of sequences: x is
/// [batch, steps, in], y [batch, steps, hidden].
struct RecurrentShape {
  int64_t batch, steps, in, hidden;
};

/// Validates the sizes (positive; byte counts of every operand and of the
/// kernels' scratch that fit) and returns them; throws Error.
RecurrentShape makeRecurrentShape(int64_t batch, int64_t steps, int64_t in, int64_t hidden);

/// One layer of torch.nn.LSTM(batch_first=True) from a zero initial state:
/// wIh [4·hidden, in], wHh [4·hidden, hidden], bIh and bHh [4·hidden], the
/// gates in PyTorch's order (input, forget, cell, output). The input
/// product x·wIhᵀ + bIh is one GEMM over every step; each step then adds
/// one GEMM h·wHhᵀ over the whole batch and bHh, and applies the gates in
/// one pass (sigmoid and tanh as math.h computes them). y is
/// [batch, steps, hidden]; gates [steps, batch, 4·hidden] (the activated
/// gates) and cells [steps, batch, hidden] (the cell states) are kept for
/// lstmBackward.
template <typename T>
void lstm(const RecurrentShape &shape, const T *x, const T *wIh, const T *wHh,
          const T *bIh, const T *bHh, T *y, T *gates, T *cells);

/// Backpropagation through time of lstm: dx, dwIh, dwHh, dbIh and dbHh
/// (dbIh = dbHh) from the forward's operands and results and dy. The steps
/// run backwards with one GEMM per step for the hidden state's gradient;
/// the weight gradients are one GEMM each over all steps, the bias
/// gradients sums in double. dx may be null (an input without gradient).
template <typename T>
void lstmBackward(const RecurrentShape &shape, const T *x, const T *wIh, const T *wHh,
                  const T *y, const T *gates, const T *cells, const T *dy, T *dx,
                  T *dwIh, T *dwHh, T *dbIh, T *dbHh);

/// One layer of torch.nn.GRU(batch_first=True) from a zero initial state:
/// wIh [3·hidden, in], wHh [3·hidden, hidden], bIh and bHh [3·hidden] in
/// PyTorch's order (reset, update, new):
///   r = σ(x·Wirᵀ + bir + h·Whrᵀ + bhr), z = σ(x·Wizᵀ + biz + h·Whzᵀ + bhz),
///   n = tanh(x·Winᵀ + bin + r ⊙ (h·Whnᵀ + bhn)), h' = (1 − z) ⊙ n + z ⊙ h.
/// One GEMM for the inputs of every step, one per step over the batch.
/// gates [steps, batch, 4·hidden] keeps r, z, n and h·Whnᵀ + bhn of each
/// step for gruBackward.
template <typename T>
void gru(const RecurrentShape &shape, const T *x, const T *wIh, const T *wHh, const T *bIh,
         const T *bHh, T *y, T *gates);

/// Backpropagation through time of gru, as lstmBackward (dbIh and dbHh
/// differ in the new gate's part). dx may be null.
template <typename T>
void gruBackward(const RecurrentShape &shape, const T *x, const T *wIh, const T *wHh,
                 const T *y, const T *gates, const T *dy, T *dx, T *dwIh, T *dwHh, T *dbIh,
                 T *dbHh);

// ---------------------------------------------------------------------------
// Softmax, losses, metrics

/// Softmax over the middle axis of x [outer, axis, inner], max-subtracted.
template <typename T>
void softmax(int64_t outer, int64_t axis, int64_t inner, const T *x, T *y);

/// log(softmax(x)) over the middle axis, computed as x − max − log Σ exp(x − max).
template <typename T>
void logSoftmax(int64_t outer, int64_t axis, int64_t inner, const T *x, T *y);

/// dx = y ⊙ (dy − Σ_axis dy ⊙ y), from softmax's output y.
template <typename T>
void softmaxBackward(int64_t outer, int64_t axis, int64_t inner, const T *y,
                     const T *dy, T *dx);

/// dx = dy − exp(y) · Σ_axis dy, from logSoftmax's output y.
template <typename T>
void logSoftmaxBackward(int64_t outer, int64_t axis, int64_t inner, const T *y,
                        const T *dy, T *dx);

/// No label is ignored: the ignoreIndex of the kernels below when the loss
/// has none (no i32 label equals it).
inline constexpr int64_t kNoIgnoreIndex = INT64_MIN;

/// The mean over n samples of −log softmax(logits)[label]: logits [n, c],
/// labels [n], loss a scalar. A sample whose label is ignoreIndex counts
/// neither in the sum nor in the mean's divisor, as PyTorch's
/// `ignore_index` (every sample ignored: NaN). Throws Error naming the sample
/// when another label is outside [0, c). Rows run on the kernels' threads
/// from 2^15 logits; the sum is taken by chunks of 64 rows, then the chunks
/// in order, so that it does not depend on the thread count.
template <typename T>
void softmaxCrossEntropy(int64_t n, int64_t c, const T *logits, const int32_t *labels,
                         T *loss, int64_t ignoreIndex = kNoIgnoreIndex);

/// dlogits = (softmax(logits) − onehot(labels)) · dloss / m, m the samples
/// not ignored; an ignored sample's row is zero.
template <typename T>
void softmaxCrossEntropyBackward(int64_t n, int64_t c, const T *logits,
                                 const int32_t *labels, T dloss, T *dlogits,
                                 int64_t ignoreIndex = kNoIgnoreIndex);

/// Both of the above from one read of each row: the loss, and dlogits for
/// the incoming gradient dloss; bitwise what the two kernels compute.
template <typename T>
void softmaxCrossEntropyWithGrad(int64_t n, int64_t c, const T *logits,
                                 const int32_t *labels, T dloss, T *loss, T *dlogits,
                                 int64_t ignoreIndex = kNoIgnoreIndex);

/// The index of the maximum along the middle axis of x [outer, axis, inner]
/// (the first on ties; NaN counts as largest); out is [outer, inner].
template <typename T>
void argmax(int64_t outer, int64_t axis, int64_t inner, const T *x, int32_t *out);

/// Overwrites out [classes, classes] with the counts of (label, prediction)
/// pairs: out[label · classes + pred]. Pairs with either outside [0, classes)
/// are not counted.
void confusionMatrix(int64_t n, int64_t classes, const int32_t *pred,
                     const int32_t *labels, int32_t *out);

// ---------------------------------------------------------------------------
// Sums

/// y [kept] = (Σ over o and i of x [outer, kept, inner]) / divisor: a sum or
/// mean over the leading and trailing axes of x, accumulated in double. Each
/// output adds its terms in one fixed order, whatever the thread count: eight
/// running sums over i (element i goes to sum i mod 8, o outermost), added
/// pairwise at the end; with inner == 1, one running sum over o.
template <typename T>
void reduceSum(int64_t outer, int64_t kept, int64_t inner, const T *x, double divisor, T *y);

// ---------------------------------------------------------------------------
// Embedding rows

/// out[i] = table[ids[i]]: table is [v, d], ids [count], out [count, d].
/// Throws Error naming the position when an id is outside [0, v).
template <typename T>
void gatherRows(int64_t v, int64_t d, const T *table, const int32_t *ids, int64_t count,
                T *out);

/// out [v, d] = 0, then out[ids[i]] += updates[i] for each i (updates is
/// [count, d]): the gradient of gatherRows. Throws Error on an id out of range.
template <typename T>
void scatterAddRows(int64_t v, int64_t d, const int32_t *ids, int64_t count,
                    const T *updates, T *out);

// ---------------------------------------------------------------------------
// Dropout

/// y[i] = x[i] · dropoutScale(key, stream, i, p) (dropout_mask.h): inverted
/// dropout with element index i. Its gradient is the same call on dy. y may
/// alias x.
template <typename T>
void dropout(int64_t count, const T *x, uint64_t key, uint64_t stream, double p, T *y);

// ---------------------------------------------------------------------------
// The instantiations the library provides.

#define GRADC_RT_DECLARE_KERNELS(T)                                                  \
  extern template void gemm<T>(bool, bool, int64_t, int64_t, int64_t, T, const T *,  \
                               const T *, T, T *);                                   \
  extern template void batchedGemm<T>(int64_t, bool, bool, int64_t, int64_t, int64_t, \
                                      T, const T *, int64_t, const T *, int64_t, T,  \
                                      T *, int64_t);                                 \
  extern template void linear<T>(int64_t, int64_t, int64_t, const T *, const T *,    \
                                 const T *, T *);                                    \
  extern template void conv2d<T>(const Conv2DShape &, const T *, const T *,          \
                                 const T *, T *);                                    \
  extern template void conv2dBackwardInput<T>(const Conv2DShape &, const T *,        \
                                              const T *, T *);                       \
  extern template void conv2dBackwardFilter<T>(const Conv2DShape &, const T *,       \
                                               const T *, T *);                      \
  extern template void conv2dBackwardBias<T>(const Conv2DShape &, const T *, T *);   \
  extern template void maxPool2d<T>(const Pool2DShape &, const T *, T *);            \
  extern template void maxPool2dBackward<T>(const Pool2DShape &, const T *,          \
                                            const T *, T *);                         \
  extern template void avgPool2d<T>(const Pool2DShape &, const T *, T *);            \
  extern template void avgPool2dBackward<T>(const Pool2DShape &, const T *, T *);    \
  extern template void batchNormTrain<T>(int64_t, int64_t, int64_t, const T *,       \
                                         const T *, const T *, const T *, const T *, \
                                         T, T, T *, T *, T *, T *, T *);             \
  extern template void batchNormEval<T>(int64_t, int64_t, int64_t, const T *,        \
                                        const T *, const T *, const T *, const T *,  \
                                        T, T *);                                     \
  extern template void batchNormBackward<T>(int64_t, int64_t, int64_t, const T *,    \
                                            const T *, const T *, const T *,         \
                                            const T *, T, T *, T *, T *);            \
  extern template void layerNorm<T>(int64_t, int64_t, const T *, const T *,          \
                                    const T *, T, T *);                              \
  extern template void layerNormBackward<T>(int64_t, int64_t, const T *, const T *,  \
                                            const T *, T, T *, T *, T *);            \
  extern template void softmax<T>(int64_t, int64_t, int64_t, const T *, T *);        \
  extern template void logSoftmax<T>(int64_t, int64_t, int64_t, const T *, T *);     \
  extern template void softmaxBackward<T>(int64_t, int64_t, int64_t, const T *,      \
                                          const T *, T *);                           \
  extern template void logSoftmaxBackward<T>(int64_t, int64_t, int64_t, const T *,   \
                                             const T *, T *);                        \
  extern template void softmaxCrossEntropy<T>(int64_t, int64_t, const T *,           \
                                              const int32_t *, T *, int64_t);        \
  extern template void softmaxCrossEntropyBackward<T>(                               \
      int64_t, int64_t, const T *, const int32_t *, T, T *, int64_t);                \
  extern template void softmaxCrossEntropyWithGrad<T>(                               \
      int64_t, int64_t, const T *, const int32_t *, T, T *, T *, int64_t);           \
  extern template void argmax<T>(int64_t, int64_t, int64_t, const T *, int32_t *);   \
  extern template void gatherRows<T>(int64_t, int64_t, const T *, const int32_t *,   \
                                     int64_t, T *);                                  \
  extern template void scatterAddRows<T>(int64_t, int64_t, const int32_t *, int64_t, \
                                         const T *, T *);                            \
  extern template void dropout<T>(int64_t, const T *, uint64_t, uint64_t, double, T *); \
  extern template void gemmRows<T>(bool, bool, int64_t, int64_t, int64_t, int64_t,   \
                                   int64_t, T, const T *, const T *, T, T *);        \
  extern template void reduceSum<T>(int64_t, int64_t, int64_t, const T *, double, T *);

GRADC_RT_DECLARE_KERNELS(float)
GRADC_RT_DECLARE_KERNELS(double)
#undef GRADC_RT_DECLARE_KERNELS

} // namespace gradc::rt

#endif // GRADC_RUNTIME_KERNELS_H
