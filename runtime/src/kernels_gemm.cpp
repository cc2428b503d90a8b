// kernels_gemm.cpp — matrix products through Eigen, and the kernels' thread count.
#include "gradc/runtime/kernels.h"

#include "kernel_checks.h"

#include <Eigen/Core>
#include <omp.h>

#include <cstdlib>
#include <dlfcn.h>
#include <algorithm>
#include <limits>
#include <string>

namespace gradc::rt {

using detail::elementCount;
using detail::requireNonNegative;

namespace {

template <typename T>
using RowMatrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <typename T> using ConstMatrixMap = Eigen::Map<const RowMatrix<T>>;
template <typename T> using MatrixMap = Eigen::Map<RowMatrix<T>>;

/// Products smaller than this many multiply-adds run on one thread: below it,
/// starting and joining the parallel region costs more than it saves, and
/// far more when the other core is busy (spinning workers wait for it).
constexpr int64_t kParallelGemmWork = int64_t(1) << 21;

/// Runs the enclosing product on one thread when it is small.
class SmallProductScope {
public:
  explicit SmallProductScope(int64_t work)
      : saved(Eigen::nbThreads()), active(work < kParallelGemmWork && saved > 1 &&
                                          !omp_in_parallel()) {
    if (active)
      Eigen::setNbThreads(1);
  }
  ~SmallProductScope() {
    if (active)
      Eigen::setNbThreads(saved);
  }
  SmallProductScope(const SmallProductScope &) = delete;
  SmallProductScope &operator=(const SmallProductScope &) = delete;

private:
  int saved;
  bool active; ///< inside a parallel region Eigen runs on one thread anyway
};

// OpenBLAS, when the machine has it (libopenblas0 from Debian): its kernels
// are chosen for the CPU at run time, where Eigen's are fixed when the runtime
// is compiled (for any x86-64, without AVX), so OpenBLAS's products run
// several times faster. Loaded with dlopen, so programs need no link flag
// and fall back to Eigen without it. GRADC_BLAS=eigen forces Eigen.
struct OpenBlas {
  using Sgemm = void (*)(int, int, int, int, int, int, float, const float *, int,
                         const float *, int, float, float *, int);
  using Dgemm = void (*)(int, int, int, int, int, int, double, const double *, int,
                         const double *, int, double, double *, int);
  using SetThreads = void (*)(int);
  Sgemm sgemm = nullptr;
  Dgemm dgemm = nullptr;
  SetThreads setThreads = nullptr;
  int threads = -1; ///< what OpenBLAS was told: 1, once loaded

  static OpenBlas &get() {
    static OpenBlas blas = [] {
      OpenBlas loaded;
      const char *choice = std::getenv("GRADC_BLAS");
      if (choice && std::string(choice) == "eigen")
        return loaded;
      void *library = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
      if (!library)
        return loaded;
      loaded.sgemm = reinterpret_cast<Sgemm>(dlsym(library, "cblas_sgemm"));
      loaded.dgemm = reinterpret_cast<Dgemm>(dlsym(library, "cblas_dgemm"));
      loaded.setThreads = reinterpret_cast<SetThreads>(dlsym(library, "openblas_set_num_threads"));
      if (!loaded.sgemm || !loaded.dgemm || !loaded.setThreads) {
        loaded.sgemm = nullptr, loaded.dgemm = nullptr;
        return loaded;
      }
      // Always on the calling thread (see gemmUnchecked), set once: calls
      // may come from several threads at a time (a convolution's samples).
      loaded.setThreads(1);
      loaded.threads = 1;
      return loaded;
    }();
    return blas;
  }

  bool available() const { return sgemm != nullptr; }

  void call(bool transA, bool transB, int m, int n, int k, float alpha, const float *a,
            int lda, const float *b, int ldb, float beta, float *c, int ldc) {
    sgemm(kRowMajor, transA ? kTrans : kNoTrans, transB ? kTrans : kNoTrans, m, n, k, alpha,
          a, lda, b, ldb, beta, c, ldc);
  }
  void call(bool transA, bool transB, int m, int n, int k, double alpha, const double *a,
            int lda, const double *b, int ldb, double beta, double *c, int ldc) {
    dgemm(kRowMajor, transA ? kTrans : kNoTrans, transB ? kTrans : kNoTrans, m, n, k, alpha,
          a, lda, b, ldb, beta, c, ldc);
  }

  static constexpr int kRowMajor = 101, kNoTrans = 111, kTrans = 112;
};

// One block of rows of C = alpha·op(A)·op(B) + beta·C through Eigen (no
// OpenBLAS on the machine, or sizes beyond its int arguments).
template <typename T>
void eigenBlock(bool transA, bool transB, int64_t m, int64_t n, int64_t k, T alpha,
                const T *a, int64_t aStride, const T *b, T beta, T *c) {
  SmallProductScope scope(m * n * k);
  MatrixMap<T> cMatrix(c, m, n);
  Eigen::Map<const RowMatrix<T>, 0, Eigen::OuterStride<>> aMatrix(
      a, transA ? k : m, transA ? m : k, Eigen::OuterStride<>(aStride));
  ConstMatrixMap<T> bMatrix(b, transB ? n : k, transB ? k : n);
  auto accumulate = [&](const auto &opA, const auto &opB) {
    if (beta == T(0)) {
      cMatrix.noalias() = alpha * opA * opB;
      return;
    }
    if (beta != T(1))
      cMatrix *= beta;
    cMatrix.noalias() += alpha * opA * opB;
  };
  if (k == 0) {
    if (beta == T(0))
      cMatrix.setZero();
    else
      cMatrix *= beta;
    return;
  }
  if (!transA && !transB)
    accumulate(aMatrix, bMatrix);
  else if (!transA && transB)
    accumulate(aMatrix, bMatrix.transpose());
  else if (transA && !transB)
    accumulate(aMatrix.transpose(), bMatrix);
  else
    accumulate(aMatrix.transpose(), bMatrix.transpose());
}

/// Adds `bias` to each of `rows` rows of the `width` columns of c starting at
/// column `column`, rows `n` elements apart.
template <typename T>
void addBias(int64_t rows, int64_t width, int64_t n, int64_t column, const T *bias, T *c) {
  for (int64_t r = 0; r < rows; ++r) {
    T *__restrict row = c + r * n + column;
    const T *__restrict b = bias + column;
    for (int64_t j = 0; j < width; ++j)
      row[j] += b[j];
  }
}

// C = alpha·op(A)·op(B) + beta·C (+ bias, a row added to every row of C,
// when given) on validated sizes; A's rows lie `aStride` elements apart (A
// is [m, k], or [k, m] when transposed, inside a wider row-major matrix).
//
// A library's result for an element depends on the shape of the call that
// computes it, so this fixes the calls: C is cut into blocks of
// kGemmRowBlock rows, rows [r, r + kGemmRowBlock) for r a multiple of
// kGemmRowBlock, whatever the caller asked for as long as it starts at such
// a row. gemmRows relies on it: a tiled epilogue's product comes out bitwise
// as the whole product would. A block large enough is split further over the
// kernels' threads, by columns of C (or rows, when the block is taller than
// wide), and every piece of every block runs in one parallel region.
template <typename T>
void gemmUnchecked(bool transA, bool transB, int64_t m, int64_t n, int64_t k, T alpha,
                   const T *a, int64_t aStride, const T *b, T beta, T *c,
                   const T *bias = nullptr) {
  if (m == 0 || n == 0)
    return;
  OpenBlas &blas = OpenBlas::get();
  constexpr int64_t kIntMax = std::numeric_limits<int>::max();
  if (!(blas.available() && k > 0 && m <= kIntMax && n <= kIntMax && k <= kIntMax &&
        aStride <= kIntMax)) {
    for (int64_t row = 0; row < m; row += kGemmRowBlock) {
      const int64_t rows = std::min(kGemmRowBlock, m - row);
      eigenBlock(transA, transB, rows, n, k, alpha, transA ? a + row : a + row * aStride,
                 aStride, b, beta, c + row * n);
      if (bias)
        addBias<T>(rows, n, n, 0, bias, c + row * n);
    }
    return;
  }
  // OpenBLAS runs on the calling threads only: its own thread pool would
  // spin (sched_yield) between calls, taking the cores the rest of the step
  // runs on. The split of a block follows the thread count, and OpenBLAS's
  // value for an element depends on the shape of the call computing it, so a
  // different --threads can change the last bits of a product (the same
  // thread count always gives the same bits). Inside a parallel region (a
  // convolution's blocks) the product stays on its thread.
  const bool nested = omp_in_parallel();
  const int threads = nested ? 1 : Eigen::nbThreads();
  const int64_t blocks = (m + kGemmRowBlock - 1) / kGemmRowBlock;
  auto partsOf = [&](int64_t rows) {
    return rows * n * k < kParallelGemmWork ? 1 : threads;
  };
  // Blocks before the last are full: only the last one's split can differ.
  const int fullParts = partsOf(std::min(kGemmRowBlock, m));
  const int lastParts = partsOf(m - (blocks - 1) * kGemmRowBlock);
  const int64_t pieces = (blocks - 1) * fullParts + lastParts;
  const int lda = static_cast<int>(aStride);
  const int ldb = transB ? static_cast<int>(k) : static_cast<int>(n);
  const int ldc = static_cast<int>(n);
  auto piece = [&](int64_t index) {
    const int64_t block = std::min(blocks - 1, index / fullParts);
    const int64_t part = index - block * fullParts;
    const int parts = block == blocks - 1 ? lastParts : fullParts;
    const int64_t row = block * kGemmRowBlock;
    const int64_t rows = std::min(kGemmRowBlock, m - row);
    const T *aBlock = transA ? a + row : a + row * aStride;
    T *cBlock = c + row * n;
    const bool byRows = rows > n;
    const int64_t extent = byRows ? rows : n;
    const int64_t align = byRows ? 8 : 16;
    int64_t chunk = (extent + parts - 1) / parts;
    chunk = (chunk + align - 1) / align * align;
    const int64_t begin = std::min<int64_t>(extent, part * chunk);
    const int64_t end = std::min<int64_t>(extent, begin + chunk);
    if (begin >= end)
      return;
    const int size = static_cast<int>(end - begin);
    if (byRows) {
      blas.call(transA, transB, size, static_cast<int>(n), static_cast<int>(k), alpha,
                transA ? aBlock + begin : aBlock + begin * aStride, lda, b, ldb, beta,
                cBlock + begin * n, ldc);
      if (bias)
        addBias<T>(size, n, n, 0, bias, cBlock + begin * n);
    } else {
      blas.call(transA, transB, static_cast<int>(rows), size, static_cast<int>(k), alpha,
                aBlock, lda, transB ? b + begin * k : b + begin, ldb, beta, cBlock + begin,
                ldc);
      if (bias)
        addBias<T>(rows, size, n, begin, bias, cBlock);
    }
  };
  if (threads > 1 && pieces > 1 && m * n * k >= kParallelGemmWork) {
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t index = 0; index < pieces; ++index)
      piece(index);
  } else {
    for (int64_t index = 0; index < pieces; ++index)
      piece(index);
  }
}

template <typename T>
void gemmUnchecked(bool transA, bool transB, int64_t m, int64_t n, int64_t k, T alpha,
                   const T *a, const T *b, T beta, T *c) {
  gemmUnchecked(transA, transB, m, n, k, alpha, a, transA ? m : k, b, beta, c);
}

} // namespace

void setThreads(int count) {
  if (count < 1)
    throw Error("setThreads: the thread count must be at least 1, got " +
                std::to_string(count));
  Eigen::setNbThreads(count);
}

int threads() { return Eigen::nbThreads(); }

const char *gemmLibrary() { return OpenBlas::get().available() ? "OpenBLAS" : "Eigen"; }

template <typename T>
void gemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, T alpha,
          const T *a, const T *b, T beta, T *c) {
  requireNonNegative("gemm", {{"m", m}, {"n", n}, {"k", k}});
  elementCount("gemm", {m, n}, sizeof(T));
  elementCount("gemm", {m, k}, sizeof(T));
  elementCount("gemm", {k, n}, sizeof(T));
  gemmUnchecked(transA, transB, m, n, k, alpha, a, b, beta, c);
}

template <typename T>
void gemmRows(bool transA, bool transB, int64_t m, int64_t n, int64_t k, int64_t row0,
              int64_t rows, T alpha, const T *a, const T *b, T beta, T *c) {
  requireNonNegative("gemmRows",
                     {{"m", m}, {"n", n}, {"k", k}, {"row0", row0}, {"rows", rows}});
  elementCount("gemmRows", {m, n}, sizeof(T));
  elementCount("gemmRows", {m, k}, sizeof(T));
  elementCount("gemmRows", {k, n}, sizeof(T));
  if (row0 > m || rows > m - row0)
    throw Error("gemmRows: rows [" + std::to_string(row0) + ", " +
                std::to_string(row0 + rows) + ") are not within the " + std::to_string(m) +
                " rows of the product");
  if (row0 % kGemmRowBlock != 0)
    throw Error("gemmRows: the first row " + std::to_string(row0) + " is not a multiple of " +
                std::to_string(kGemmRowBlock));
  // Rows row0… of op(A): rows of A, or columns of A when it is transposed.
  const T *block = transA ? a + row0 : a + row0 * k;
  gemmUnchecked(transA, transB, rows, n, k, alpha, block, transA ? m : k, b, beta, c);
}

template <typename T>
void batchedGemm(int64_t batch, bool transA, bool transB, int64_t m, int64_t n,
                 int64_t k, T alpha, const T *a, int64_t strideA, const T *b,
                 int64_t strideB, T beta, T *c, int64_t strideC) {
  requireNonNegative("batchedGemm", {{"batch", batch},
                                     {"m", m},
                                     {"n", n},
                                     {"k", k},
                                     {"strideA", strideA},
                                     {"strideB", strideB},
                                     {"strideC", strideC}});
  int64_t cSize = elementCount("batchedGemm", {m, n}, sizeof(T));
  elementCount("batchedGemm", {m, k}, sizeof(T));
  elementCount("batchedGemm", {k, n}, sizeof(T));
  if (batch > 1 && strideC < cSize)
    throw Error("batchedGemm: strideC " + std::to_string(strideC) +
                " is smaller than one [" + std::to_string(m) + ", " + std::to_string(n) +
                "] result, so results would overlap");
  if (batch > 0) {
    elementCount("batchedGemm", {batch, strideA}, sizeof(T));
    elementCount("batchedGemm", {batch, strideB}, sizeof(T));
    elementCount("batchedGemm", {batch, strideC}, sizeof(T));
  }
  for (int64_t i = 0; i < batch; ++i)
    gemmUnchecked(transA, transB, m, n, k, alpha, a + i * strideA, b + i * strideB, beta,
                  c + i * strideC);
}

template <typename T>
void linear(int64_t n, int64_t in, int64_t out, const T *x, const T *w, const T *bias,
            T *y) {
  requireNonNegative("linear", {{"n", n}, {"in", in}, {"out", out}});
  elementCount("linear", {n, in}, sizeof(T));
  elementCount("linear", {out, in}, sizeof(T));
  elementCount("linear", {n, out}, sizeof(T));
  // The bias is added to each piece of the product right after it, on the
  // thread that computed it.
  gemmUnchecked(false, true, n, out, in, T(1), x, in, w, T(0), y, bias);
}

#define GRADC_RT_INSTANTIATE(T)                                                      \
  template void gemm<T>(bool, bool, int64_t, int64_t, int64_t, T, const T *,         \
                        const T *, T, T *);                                          \
  template void gemmRows<T>(bool, bool, int64_t, int64_t, int64_t, int64_t, int64_t, T, \
                            const T *, const T *, T, T *);                           \
  template void batchedGemm<T>(int64_t, bool, bool, int64_t, int64_t, int64_t, T,    \
                               const T *, int64_t, const T *, int64_t, T, T *,       \
                               int64_t);                                             \
  template void linear<T>(int64_t, int64_t, int64_t, const T *, const T *, const T *, \
                          T *);
GRADC_RT_INSTANTIATE(float)
GRADC_RT_INSTANTIATE(double)
#undef GRADC_RT_INSTANTIATE

} // namespace gradc::rt
