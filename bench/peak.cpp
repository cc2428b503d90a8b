// peak.cpp — this machine's roofline: the best single-precision GEMM rate
// (a large square product through gradc's runtime, and through OpenBLAS when
// libopenblas is installed) and the memory bandwidth of a STREAM-style triad.
//
//   gradc-bench-peak [--threads N] [--size N]   prints one JSON object
#include "gradc/runtime/kernels.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <string>
#include <vector>

#include <omp.h>

namespace {

double seconds() {
  using clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(clock::now().time_since_epoch()).count();
}

/// The best of `repeats` timings of f().
template <typename F> double best(int repeats, F f) {
  double fastest = 1e30;
  for (int r = 0; r < repeats; ++r) {
    double start = seconds();
    f();
    fastest = std::min(fastest, seconds() - start);
  }
  return fastest;
}

using CblasSgemm = void (*)(int, int, int, int, int, int, float, const float *, int,
                            const float *, int, float, float *, int);
using OpenblasSetThreads = void (*)(int);

} // namespace

int main(int argc, char **argv) {
  int threads = 2;
  int64_t n = 2048;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--threads"))
      threads = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--size"))
      n = std::atoll(argv[i + 1]);
  }
  if (threads < 1 || n < 64) {
    std::fprintf(stderr, "error: expected --threads >= 1 and --size >= 64\n");
    return 2;
  }
  gradc::rt::setThreads(threads);
  omp_set_num_threads(threads);

  std::vector<float> a(n * n), b(n * n), c(n * n);
  for (int64_t i = 0; i < n * n; ++i) {
    a[i] = static_cast<float>((i % 7) - 3) * 0.1f;
    b[i] = static_cast<float>((i % 5) - 2) * 0.1f;
  }
  double flops = 2.0 * n * n * n;
  double eigen = best(5, [&] {
    gradc::rt::gemm<float>(false, false, n, n, n, 1.0f, a.data(), b.data(), 0.0f, c.data());
  });
  double eigenRate = flops / eigen / 1e9;

  double openblasRate = 0;
  if (void *lib = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL)) {
    auto sgemm = reinterpret_cast<CblasSgemm>(dlsym(lib, "cblas_sgemm"));
    auto setThreads = reinterpret_cast<OpenblasSetThreads>(dlsym(lib, "openblas_set_num_threads"));
    if (sgemm) {
      if (setThreads)
        setThreads(threads);
      // CblasRowMajor = 101, CblasNoTrans = 111
      double t = best(5, [&] {
        sgemm(101, 111, 111, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n);
      });
      openblasRate = flops / t / 1e9;
    }
  }

  // Triad a = b + s·c over arrays far larger than the caches; bytes counted
  // as STREAM does (two reads and one write per element).
  const int64_t m = int64_t(1) << 24;
  std::vector<float> x(m, 1.0f), y(m, 2.0f), z(m, 0.0f);
  const float s = 3.0f;
  double triad = best(10, [&] {
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < m; ++i)
      z[i] = x[i] + s * y[i];
  });
  double bandwidth = 3.0 * m * sizeof(float) / triad / 1e9;

  std::printf("{\"threads\": %d, \"sgemm_size\": %lld, \"sgemm_gflops_runtime\": %.3f, "
              "\"sgemm_gflops_openblas\": %.3f, \"sgemm_gflops\": %.3f, "
              "\"triad_gbytes_per_s\": %.3f, \"checksum\": %.6g}\n",
              threads, static_cast<long long>(n), eigenRate, openblasRate,
              std::max(eigenRate, openblasRate), bandwidth,
              static_cast<double>(c[n * n / 2] + z[m / 2]));
  return 0;
}
