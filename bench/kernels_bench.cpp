// kernels_bench.cpp — microbenchmarks of the kernels gradc's programs spend
// their time in, each against its roofline: the GEMM shapes of bench/run's
// workloads and LeNet's convolutions against this machine's sgemm rate, the
// fused optimizer update and an activation epilogue against its triad
// bandwidth. Both are measured once at start-up (as gradc-bench-peak does).
//
//   gradc-kernel-bench [--benchmark_filter=...]   (GRADC_BENCH_THREADS, default 2)
#include "gradc/runtime/kernels.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <vector>

#include <omp.h>

namespace {

int benchThreads() {
  const char *text = std::getenv("GRADC_BENCH_THREADS");
  return text ? std::max(1, std::atoi(text)) : 2;
}

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Roofline {
  double gflops = 0;     ///< sgemm rate of a 1024³ product
  double gbytesPerS = 0; ///< triad bandwidth
};

const Roofline &roofline() {
  static const Roofline measured = [] {
    Roofline r;
    gradc::rt::setThreads(benchThreads());
    omp_set_num_threads(benchThreads());
    const int64_t n = 1024;
    std::vector<float> a(n * n, 0.5f), b(n * n, 0.25f), c(n * n);
    double fastest = 1e30;
    for (int i = 0; i < 5; ++i) {
      double t = now();
      gradc::rt::gemm<float>(false, false, n, n, n, 1.0f, a.data(), b.data(), 0.0f, c.data());
      fastest = std::min(fastest, now() - t);
    }
    r.gflops = 2.0 * n * n * n / fastest / 1e9;
    const int64_t m = int64_t(1) << 24;
    std::vector<float> x(m, 1.0f), y(m, 2.0f), z(m);
    fastest = 1e30;
    for (int i = 0; i < 5; ++i) {
      double t = now();
#pragma omp parallel for schedule(static)
      for (int64_t j = 0; j < m; ++j)
        z[j] = x[j] + 3.0f * y[j];
      fastest = std::min(fastest, now() - t);
    }
    r.gbytesPerS = 3.0 * m * sizeof(float) / fastest / 1e9;
    return r;
  }();
  return measured;
}

/// GFLOP/s and the fraction of the sgemm rate (`roofline`), as counters.
void flopCounters(benchmark::State &state, double flopsPerIteration) {
  state.counters["GFLOP/s"] = benchmark::Counter(
      flopsPerIteration * static_cast<double>(state.iterations()) / 1e9,
      benchmark::Counter::kIsRate);
  // Seconds the FLOPs take at the sgemm rate, per second: the fraction of
  // the roofline reached.
  state.counters["roofline"] = benchmark::Counter(
      flopsPerIteration * static_cast<double>(state.iterations()) / (roofline().gflops * 1e9),
      benchmark::Counter::kIsRate);
}

/// GB/s and the fraction of the triad bandwidth (`roofline`), as counters.
void bytesCounters(benchmark::State &state, double bytesPerIteration) {
  state.counters["GB/s"] = benchmark::Counter(
      bytesPerIteration * static_cast<double>(state.iterations()) / 1e9,
      benchmark::Counter::kIsRate);
  state.counters["roofline"] = benchmark::Counter(
      bytesPerIteration * static_cast<double>(state.iterations()) /
          (roofline().gbytesPerS * 1e9),
      benchmark::Counter::kIsRate);
}

// C[m, n] = op(A)·op(B) with the transposes the generated code uses:
// forward x·Wᵀ (transB), input gradient dy·W, weight gradient dyᵀ·x (transA).
void BM_Gemm(benchmark::State &state) {
  const bool ta = state.range(0), tb = state.range(1);
  const int64_t m = state.range(2), n = state.range(3), k = state.range(4);
  roofline();
  gradc::rt::setThreads(benchThreads());
  std::vector<float> a(m * k, 0.5f), b(k * n, 0.25f), c(m * n);
  for (auto _ : state) {
    gradc::rt::gemm<float>(ta, tb, m, n, k, 1.0f, a.data(), b.data(), 0.0f, c.data());
    benchmark::DoNotOptimize(c.data());
  }
  flopCounters(state, 2.0 * m * n * k);
}

void gemmShapes(benchmark::internal::Benchmark *b) {
  b->ArgNames({"tA", "tB", "m", "n", "k"});
  // mlp 784-256-128-10, batch 64
  b->Args({0, 1, 64, 256, 784})->Args({0, 0, 64, 256, 128})->Args({1, 0, 256, 784, 64});
  // bigmlp 784-2048-2048-10
  b->Args({0, 1, 64, 2048, 784})->Args({0, 1, 64, 2048, 2048});
  b->Args({0, 0, 64, 2048, 2048})->Args({1, 0, 2048, 2048, 64})->Args({1, 0, 2048, 784, 64});
  // resmlp 512-wide blocks
  b->Args({0, 1, 64, 512, 512})->Args({0, 0, 64, 512, 512})->Args({1, 0, 512, 512, 64});
  b->UseRealTime();
}
BENCHMARK(BM_Gemm)->Apply(gemmShapes);

// LeNet's convolutions at batch 64: forward, input and filter gradients.
void BM_Conv(benchmark::State &state) {
  const int which = state.range(0), pass = state.range(1);
  auto shape = which == 0 ? gradc::rt::makeConv2DShape(64, 1, 28, 28, 6, 5, 5, 1, 1, 2, 2)
                          : gradc::rt::makeConv2DShape(64, 6, 14, 14, 16, 5, 5, 1, 1, 0, 0);
  roofline();
  gradc::rt::setThreads(benchThreads());
  std::vector<float> x(shape.n * shape.c * shape.h * shape.w, 0.5f);
  std::vector<float> w(shape.o * shape.c * shape.kh * shape.kw, 0.25f), bias(shape.o, 0.1f);
  std::vector<float> y(shape.n * shape.o * shape.oh * shape.ow, 0.125f);
  for (auto _ : state) {
    if (pass == 0)
      gradc::rt::conv2d<float>(shape, x.data(), w.data(), bias.data(), y.data());
    else if (pass == 1)
      gradc::rt::conv2dBackwardInput<float>(shape, y.data(), w.data(), x.data());
    else
      gradc::rt::conv2dBackwardFilter<float>(shape, x.data(), y.data(), w.data());
    benchmark::ClobberMemory();
  }
  flopCounters(state, 2.0 * shape.n * shape.o * shape.oh * shape.ow * shape.c * shape.kh *
                          shape.kw);
}
BENCHMARK(BM_Conv)
    ->ArgNames({"layer", "pass"})
    ->ArgsProduct({{0, 1}, {0, 1, 2}})
    ->UseRealTime();

// The Adam update of one parameter as gradc fuses it: one pass reading the
// gradient, the parameter and both moments and writing the parameter and the
// moments (the loop gradc emits, written out).
void BM_FusedAdam(benchmark::State &state) {
  const int64_t n = state.range(0);
  roofline();
  std::vector<float> g(n, 0.01f), p(n, 0.5f), m(n, 0.0f), v(n, 0.0f);
  const float b1 = 0.9f, c1 = 0.1f, b2 = 0.999f, c2 = 0.001f, eps = 1e-8f;
  const float sqrtBc2 = 0.0316f, stepSize = 0.01f;
  for (auto _ : state) {
#pragma omp parallel for schedule(static) if (n >= 65536)
    for (int64_t i = 0; i < n; ++i) {
      const float mul = g[i] * c1;
      m[i] = m[i] * b1 + mul;
      const float square = g[i] * g[i];
      v[i] = v[i] * b2 + square * c2;
      const float denom = std::sqrt(v[i]) / sqrtBc2 + eps;
      p[i] = p[i] - stepSize * (m[i] / denom);
    }
    benchmark::DoNotOptimize(p.data());
  }
  bytesCounters(state, 7.0 * n * sizeof(float));
}
BENCHMARK(BM_FusedAdam)->Arg(256 * 784)->Arg(2048 * 2048)->UseRealTime();

// Bias + ReLU epilogue over a product's output, and the ReLU-backward mask.
void BM_ReluEpilogue(benchmark::State &state) {
  const int64_t n = state.range(0);
  roofline();
  std::vector<float> pre(n, 0.5f), out(n), grad(n, 0.25f);
  for (auto _ : state) {
    for (int64_t i = 0; i < n; ++i)
      out[i] = pre[i] > 0.0f || pre[i] != pre[i] ? pre[i] : 0.0f;
    for (int64_t i = 0; i < n; ++i)
      grad[i] = pre[i] > 0.0f ? grad[i] : 0.0f;
    benchmark::DoNotOptimize(out.data());
    benchmark::DoNotOptimize(grad.data());
  }
  bytesCounters(state, 5.0 * n * sizeof(float));
}
BENCHMARK(BM_ReluEpilogue)->Arg(64 * 256)->Arg(64 * 2048)->UseRealTime();

// Causal multi-head attention at char_gpt's width (12 sequences, 4 heads of
// 32), forward and backward, over T = 64, 256, 1024. Counters: the kernel's
// scratch per thread, which stays flat, and the bytes of the T × T scores per
// head a kernel that stores them would hold, which grow as T².
void BM_Attention(benchmark::State &state) {
  const int64_t steps = state.range(0), pass = state.range(1);
  const int64_t batch = 12, width = 128, heads = 4;
  auto shape = gradc::rt::makeAttentionShape(batch, steps, steps, width, heads, true,
                                             1.0 / std::sqrt(32.0));
  gradc::rt::setThreads(benchThreads());
  const size_t count = size_t(batch * steps * width);
  std::vector<float> q(count, 0.5f), k(count, 0.25f), v(count, 0.125f), y(count),
      dy(count, 0.01f), dq(count), dk(count), dv(count);
  std::vector<double> lse(size_t(batch * heads * steps));
  gradc::rt::attention<float>(shape, q.data(), k.data(), v.data(), y.data(), lse.data());
  for (auto _ : state) {
    if (pass == 0)
      gradc::rt::attention<float>(shape, q.data(), k.data(), v.data(), y.data(), lse.data());
    else
      gradc::rt::attentionBackward<float>(shape, q.data(), k.data(), v.data(), y.data(),
                                          lse.data(), dy.data(), dq.data(), dk.data(),
                                          dv.data());
    benchmark::ClobberMemory();
  }
  const double pairs = double(batch * heads) * double(steps * (steps + 1) / 2);
  flopCounters(state, pairs * (pass == 0 ? 4.0 : 10.0) * double(width / heads));
  state.counters["scratch_bytes"] =
      double(gradc::rt::attentionScratchBytes(shape, pass == 1));
  state.counters["scores_bytes"] = double(batch * heads) * double(steps * steps) * 4.0;
}
BENCHMARK(BM_Attention)
    ->ArgNames({"T", "pass"})
    ->ArgsProduct({{64, 256, 1024}, {0, 1}})
    ->UseRealTime();

} // namespace

BENCHMARK_MAIN();
