// kernels_gemm_test.cpp — gemm, batchedGemm and linear against naive loops.
#include "gradc/runtime/kernels.h"

#include "kernel_test_util.h"
#include "test_util.h"

#include <cstring>
#include <limits>

namespace gradc::rt {
namespace {

using testing::convert;
using testing::expectNear;
using testing::randomValues;

// C = alpha·op(A)·op(B) + beta·C, one element at a time.
std::vector<double> naiveGemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k,
                              double alpha, const std::vector<double> &a,
                              const std::vector<double> &b, double beta,
                              std::vector<double> c) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double sum = 0;
      for (int64_t p = 0; p < k; ++p) {
        double av = transA ? a[p * m + i] : a[i * k + p];
        double bv = transB ? b[j * k + p] : b[p * n + j];
        sum += av * bv;
      }
      c[i * n + j] = alpha * sum + (beta == 0 ? 0 : beta * c[i * n + j]);
    }
  return c;
}

template <typename T> class GemmTest : public ::testing::Test {};
using FloatTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(GemmTest, FloatTypes);

TYPED_TEST(GemmTest, AllTranspositionsMatchNaiveProduct) {
  using T = TypeParam;
  const double tolerance = std::is_same_v<T, float> ? 1e-5 : 1e-12;
  const int64_t m = 5, n = 3, k = 7;
  for (bool transA : {false, true})
    for (bool transB : {false, true}) {
      auto a = randomValues(m * k, 1);
      auto b = randomValues(k * n, 2);
      auto c = randomValues(m * n, 3);
      auto expected = naiveGemm(transA, transB, m, n, k, 0.75, a, b, -0.5, c);
      auto ta = convert<T>(a), tb = convert<T>(b), tc = convert<T>(c);
      gemm<T>(transA, transB, m, n, k, T(0.75), ta.data(), tb.data(), T(-0.5), tc.data());
      expectNear(tc, expected, tolerance,
                 std::string("transA=") + (transA ? "1" : "0") + " transB=" + (transB ? "1" : "0"));
    }
}

TYPED_TEST(GemmTest, ProductsTallerThanOneRowBlockMatchNaiveProduct) {
  using T = TypeParam;
  const double tolerance = std::is_same_v<T, float> ? 1e-5 : 1e-12;
  const int64_t m = 2 * kGemmRowBlock + 37, n = 70, k = 33;
  for (bool transA : {false, true}) {
    auto a = randomValues(m * k, 4), b = randomValues(k * n, 5), c = randomValues(m * n, 6);
    auto expected = naiveGemm(transA, false, m, n, k, 1.5, a, b, 0.25, c);
    auto ta = convert<T>(a), tb = convert<T>(b), tc = convert<T>(c);
    gemm<T>(transA, false, m, n, k, T(1.5), ta.data(), tb.data(), T(0.25), tc.data());
    expectNear(tc, expected, tolerance, transA ? "transA" : "");
  }
}

// A tiled epilogue's product, a tile of rows at a time, is bitwise the whole
// product's rows, for every transposition and thread count.
TYPED_TEST(GemmTest, RowsAreBitwiseTheWholeProductsRows) {
  using T = TypeParam;
  const int saved = threads();
  const int64_t m = 3 * kGemmRowBlock + 45, n = 300, k = 64;
  auto a = randomValues<T>(m * k, 7), b = randomValues<T>(k * n, 8);
  for (int count : {1, 2})
    for (bool transA : {false, true})
      for (bool transB : {false, true})
        for (int64_t tile : {kGemmRowBlock, 2 * kGemmRowBlock}) {
          setThreads(count);
          std::vector<T> whole(m * n), part(tile * n);
          gemm<T>(transA, transB, m, n, k, T(1), a.data(), b.data(), T(0), whole.data());
          for (int64_t row = 0; row < m; row += tile) {
            const int64_t rows = std::min(tile, m - row);
            gemmRows<T>(transA, transB, m, n, k, row, rows, T(1), a.data(), b.data(), T(0),
                        part.data());
            EXPECT_EQ(0, std::memcmp(part.data(), whole.data() + row * n,
                                     static_cast<size_t>(rows * n) * sizeof(T)))
                << "threads " << count << " transA " << transA << " transB " << transB
                << " tile " << tile << " rows from " << row;
          }
        }
  setThreads(saved);
}

TEST(GemmRows, RefusesRowsOutsideTheProductOrOffTheBlocks) {
  std::vector<float> a(300 * 4, 1.0f), b(4 * 2, 1.0f), c(300 * 2);
  EXPECT_RT_ERROR(gemmRows<float>(false, false, 300, 2, 4, 256, 100, 1.0f, a.data(),
                                  b.data(), 0.0f, c.data()),
                  "gemmRows: rows [256, 356) are not within the 300 rows of the product");
  EXPECT_RT_ERROR(gemmRows<float>(false, false, 300, 2, 4, 10, 5, 1.0f, a.data(), b.data(),
                                  0.0f, c.data()),
                  "gemmRows: the first row 10 is not a multiple of 128");
}

TEST(Gemm, ZeroBetaIgnoresWhatCHeld) {
  std::vector<double> a = {1, 2, 3, 4}, b = {5, 6, 7, 8};
  std::vector<double> c(4, std::numeric_limits<double>::quiet_NaN());
  gemm<double>(false, false, 2, 2, 2, 1.0, a.data(), b.data(), 0.0, c.data());
  EXPECT_EQ(c, (std::vector<double>{19, 22, 43, 50}));
}

TEST(Gemm, EmptyInnerDimensionScalesC) {
  std::vector<double> c = {1, 2, 3, 4, 5, 6};
  gemm<double>(false, false, 2, 3, 0, 1.0, nullptr, nullptr, 2.0, c.data());
  EXPECT_EQ(c, (std::vector<double>{2, 4, 6, 8, 10, 12}));
  gemm<double>(false, false, 2, 3, 0, 1.0, nullptr, nullptr, 0.0, c.data());
  EXPECT_EQ(c, std::vector<double>(6, 0.0));
}

TEST(Gemm, NegativeSizeIsAnError) {
  EXPECT_RT_ERROR(gemm<float>(false, false, 2, -1, 2, 1.0f, nullptr, nullptr, 0.0f, nullptr),
                  "gemm: n must not be negative, got -1");
}

TEST(Gemm, OverflowingSizeIsAnError) {
  int64_t huge = int64_t{1} << 40;
  EXPECT_RT_ERROR(gemm<float>(false, false, huge, huge, 1, 1.0f, nullptr, nullptr, 0.0f,
                              nullptr),
                  "overflows 64 bits");
}

TYPED_TEST(GemmTest, BatchedGemmBroadcastsStrideZero) {
  using T = TypeParam;
  const double tolerance = std::is_same_v<T, float> ? 1e-5 : 1e-12;
  const int64_t batch = 3, m = 2, n = 5, k = 3;
  auto a = randomValues(batch * m * k, 4);
  auto b = randomValues(k * n, 5); // one B [k, n], shared by every product
  auto c = randomValues(batch * m * n, 6);
  std::vector<double> bt(n * k); // B as [n, k], for transB
  for (int64_t p = 0; p < k; ++p)
    for (int64_t j = 0; j < n; ++j)
      bt[j * k + p] = b[p * n + j];
  std::vector<double> expected;
  for (int64_t i = 0; i < batch; ++i) {
    std::vector<double> ai(a.begin() + i * m * k, a.begin() + (i + 1) * m * k);
    std::vector<double> ci(c.begin() + i * m * n, c.begin() + (i + 1) * m * n);
    auto product = naiveGemm(false, true, m, n, k, 2.0, ai, bt, 1.0, ci);
    expected.insert(expected.end(), product.begin(), product.end());
  }
  auto ta = convert<T>(a), tb = convert<T>(bt), tc = convert<T>(c);
  batchedGemm<T>(batch, false, true, m, n, k, T(2), ta.data(), m * k, tb.data(), 0, T(1),
                 tc.data(), m * n);
  expectNear(tc, expected, tolerance);
}

TEST(BatchedGemm, OverlappingResultsAreAnError) {
  std::vector<float> a(4), b(4), c(8);
  EXPECT_RT_ERROR(batchedGemm<float>(2, false, false, 2, 2, 2, 1.0f, a.data(), 0, b.data(), 0,
                                     0.0f, c.data(), 3),
                  "results would overlap");
}

TYPED_TEST(GemmTest, LinearIsXTimesWeightTransposedPlusBias) {
  using T = TypeParam;
  const double tolerance = std::is_same_v<T, float> ? 1e-5 : 1e-12;
  const int64_t n = 3, in = 5, out = 4;
  auto x = randomValues(n * in, 7), w = randomValues(out * in, 8), bias = randomValues(out, 9);
  std::vector<double> expected(n * out), expectedNoBias(n * out);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t o = 0; o < out; ++o) {
      double sum = 0;
      for (int64_t j = 0; j < in; ++j)
        sum += x[i * in + j] * w[o * in + j];
      expectedNoBias[i * out + o] = sum;
      expected[i * out + o] = sum + bias[o];
    }
  auto tx = convert<T>(x), tw = convert<T>(w), tb = convert<T>(bias);
  std::vector<T> y(n * out);
  linear<T>(n, in, out, tx.data(), tw.data(), tb.data(), y.data());
  expectNear(y, expected, tolerance, "with bias");
  linear<T>(n, in, out, tx.data(), tw.data(), nullptr, y.data());
  expectNear(y, expectedNoBias, tolerance, "without bias");
}

TEST(Threads, SetThreadsIsReadBack) {
  int before = threads();
  EXPECT_GE(before, 1);
  setThreads(1);
  EXPECT_EQ(threads(), 1);
  setThreads(before);
  EXPECT_EQ(threads(), before);
  EXPECT_RT_ERROR(setThreads(0), "at least 1");
}

} // namespace
} // namespace gradc::rt
