// kernels_conv.cpp — 2-D convolution (blocked im2col + GEMM) and its gradients, NCHW.
#include "gradc/runtime/kernels.h"

#include "kernel_checks.h"
#include "scratch.h"

#include <omp.h>

#include <algorithm>
#include <memory>

namespace gradc::rt {

using detail::elementCount;
using detail::paddedExtent;
using detail::requireNonNegative;
using detail::requirePositive;
using detail::scratch;

namespace {

// Sizes every conv2d kernel needs, validated once.
struct ConvSizes {
  int64_t inputPlane;  // h·w
  int64_t outputPlane; // oh·ow
  int64_t patch;       // c·kh·kw: one column of the im2col matrix
  int64_t inputSample; // c·h·w
  int64_t outputSample; // o·oh·ow
};

int64_t outputExtent(int64_t in, int64_t kernel, int64_t stride, int64_t pad) {
  return (in + 2 * pad - kernel) / stride + 1;
}

void checkWindow(const char *kernel, const char *axis, int64_t in, int64_t size,
                 int64_t pad) {
  if (paddedExtent(kernel, in, pad) < size)
    throw Error(std::string(kernel) + ": the " + axis + " window of " +
                std::to_string(size) + " does not fit the input of " + std::to_string(in) +
                " padded by " + std::to_string(pad) + " on each side");
}

template <typename T> ConvSizes validate(const char *kernel, const Conv2DShape &s) {
  requireNonNegative(kernel, {{"n", s.n}, {"ph", s.ph}, {"pw", s.pw}});
  requirePositive(kernel, {{"c", s.c},
                           {"h", s.h},
                           {"w", s.w},
                           {"o", s.o},
                           {"kh", s.kh},
                           {"kw", s.kw},
                           {"sh", s.sh},
                           {"sw", s.sw}});
  checkWindow(kernel, "vertical", s.h, s.kh, s.ph);
  checkWindow(kernel, "horizontal", s.w, s.kw, s.pw);
  int64_t oh = outputExtent(s.h, s.kh, s.sh, s.ph);
  int64_t ow = outputExtent(s.w, s.kw, s.sw, s.pw);
  if (s.oh != oh || s.ow != ow)
    throw Error(std::string(kernel) + ": output size " + std::to_string(s.oh) + "x" +
                std::to_string(s.ow) + " does not match the " + std::to_string(oh) + "x" +
                std::to_string(ow) + " the input, kernel, stride and padding give");
  ConvSizes sizes;
  sizes.inputPlane = elementCount(kernel, {s.h, s.w}, sizeof(T));
  sizes.outputPlane = elementCount(kernel, {s.oh, s.ow}, sizeof(T));
  sizes.patch = elementCount(kernel, {s.c, s.kh, s.kw}, sizeof(T));
  sizes.inputSample = elementCount(kernel, {s.c, s.h, s.w}, sizeof(T));
  sizes.outputSample = elementCount(kernel, {s.o, s.oh, s.ow}, sizeof(T));
  elementCount(kernel, {sizes.patch, sizes.outputPlane}, sizeof(T));
  elementCount(kernel, {s.n, sizes.inputSample}, sizeof(T));
  elementCount(kernel, {s.n, sizes.outputSample}, sizeof(T));
  elementCount(kernel, {s.o, sizes.patch}, sizeof(T));
  return sizes;
}

// The output columns [lo, hi) of one kernel offset whose input column
// ox·stride − pad + k lies inside [0, in); the rest read padding.
struct ValidRange {
  int64_t lo, hi;
};
ValidRange validOutputs(int64_t out, int64_t in, int64_t stride, int64_t pad, int64_t k) {
  // ox·stride + (k − pad) >= 0  and  ox·stride + (k − pad) < in
  int64_t shift = k - pad;
  int64_t lo = shift >= 0 ? 0 : (-shift + stride - 1) / stride;
  int64_t hi = in - shift <= 0 ? 0 : (in - shift + stride - 1) / stride;
  lo = std::min(lo, out);
  hi = std::clamp(hi, lo, out);
  return {lo, hi};
}

// cols [c·kh·kw, ld] from one sample x [c, h, w], written at columns
// [0, oh·ow) of each row (the caller offsets cols to the sample's columns of a
// block); padding reads as zero.
template <typename T>
void im2col(const Conv2DShape &s, const T *x, T *cols, int64_t ld) {
  for (int64_t ci = 0; ci < s.c; ++ci)
    for (int64_t ky = 0; ky < s.kh; ++ky)
      for (int64_t kx = 0; kx < s.kw; ++kx) {
        T *row = cols + ((ci * s.kh + ky) * s.kw + kx) * ld;
        const ValidRange valid = validOutputs(s.ow, s.w, s.sw, s.pw, kx);
        for (int64_t oy = 0; oy < s.oh; ++oy) {
          int64_t iy = oy * s.sh - s.ph + ky;
          T *out = row + oy * s.ow;
          if (iy < 0 || iy >= s.h || valid.lo == valid.hi) {
            std::fill(out, out + s.ow, T(0));
            continue;
          }
          // Input column of output column ox: ox·sw + kx − pw.
          const T *in = x + (ci * s.h + iy) * s.w;
          std::fill(out, out + valid.lo, T(0));
          if (s.sw == 1)
            std::copy(in + (valid.lo + kx - s.pw), in + (valid.hi + kx - s.pw), out + valid.lo);
          else
            for (int64_t ox = valid.lo; ox < valid.hi; ++ox)
              out[ox] = in[ox * s.sw + kx - s.pw];
          std::fill(out + valid.hi, out + s.ow, T(0));
        }
      }
}

// dx [c, h, w] += the columns [0, oh·ow) of each row of cols [c·kh·kw, ld]
// scattered back to the pixels they were read from.
template <typename T>
void col2imAdd(const Conv2DShape &s, const T *cols, int64_t ld, T *dx) {
  for (int64_t ci = 0; ci < s.c; ++ci)
    for (int64_t ky = 0; ky < s.kh; ++ky)
      for (int64_t kx = 0; kx < s.kw; ++kx) {
        const T *row = cols + ((ci * s.kh + ky) * s.kw + kx) * ld;
        const ValidRange valid = validOutputs(s.ow, s.w, s.sw, s.pw, kx);
        if (valid.lo == valid.hi)
          continue;
        for (int64_t oy = 0; oy < s.oh; ++oy) {
          int64_t iy = oy * s.sh - s.ph + ky;
          if (iy < 0 || iy >= s.h)
            continue;
          const T *in = row + oy * s.ow;
          T *out = dx + (ci * s.h + iy) * s.w;
          if (s.sw == 1) {
            T *shifted = out + (valid.lo + kx - s.pw);
            for (int64_t ox = valid.lo; ox < valid.hi; ++ox)
              shifted[ox - valid.lo] += in[ox];
          } else {
            for (int64_t ox = valid.lo; ox < valid.hi; ++ox)
              out[ox * s.sw + kx - s.pw] += in[ox];
          }
        }
      }
}

// The batch is processed in blocks of samples: one im2col matrix
// [c·kh·kw, block·oh·ow] and one GEMM per block, so each product is wide
// enough to run near the GEMM's peak (one sample of a small convolution is
// a few hundred columns), while a block's columns stay in the L2 cache.
// Blocks run in parallel on the kernels' threads. The block size depends only
// on the shapes, never on the thread count, so results do not either.
constexpr int64_t kBlockBytes = int64_t(256) << 10;
// Below this many multiply-adds a convolution runs on the calling thread.
constexpr int64_t kParallelConvWork = int64_t(1) << 20;

struct Blocks {
  int64_t samples; ///< per block (the last may hold fewer)
  int64_t count;
  int threads;
};

template <typename T> Blocks blocksFor(const Conv2DShape &s, const ConvSizes &z) {
  Blocks b;
  int64_t perSample = std::max<int64_t>(1, z.patch * z.outputPlane * int64_t(sizeof(T)));
  b.samples = std::clamp<int64_t>(kBlockBytes / perSample, 1, std::max<int64_t>(s.n, 1));
  b.count = (s.n + b.samples - 1) / b.samples;
  // Work in multiply-adds, saturating (sizes were checked to fit in bytes).
  double work = double(s.n) * double(z.outputSample) * double(z.patch);
  b.threads = work < double(kParallelConvWork) || omp_in_parallel()
                  ? 1
                  : static_cast<int>(std::min<int64_t>(threads(), b.count));
  return b;
}

// dyBlock [o, samples·oh·ow] ← dy [first … first+samples) [o, oh·ow].
template <typename T>
void gatherOutputs(const Conv2DShape &s, const ConvSizes &z, const T *dy, int64_t samples,
                   T *dyBlock) {
  const int64_t ld = samples * z.outputPlane;
  for (int64_t j = 0; j < samples; ++j)
    for (int64_t oc = 0; oc < s.o; ++oc) {
      const T *from = dy + j * z.outputSample + oc * z.outputPlane;
      std::copy(from, from + z.outputPlane, dyBlock + oc * ld + j * z.outputPlane);
    }
}

} // namespace

Conv2DShape makeConv2DShape(int64_t n, int64_t c, int64_t h, int64_t w, int64_t o,
                            int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph,
                            int64_t pw) {
  Conv2DShape shape{n, c, h, w, o, kh, kw, sh, sw, ph, pw, 0, 0};
  requirePositive("conv2d", {{"h", h}, {"w", w}, {"sh", sh}, {"sw", sw}});
  requireNonNegative("conv2d", {{"ph", ph}, {"pw", pw}});
  paddedExtent("conv2d", h, ph);
  paddedExtent("conv2d", w, pw);
  shape.oh = outputExtent(h, kh, sh, ph);
  shape.ow = outputExtent(w, kw, sw, pw);
  validate<float>("conv2d", shape);
  return shape;
}

namespace {

// Runs body(first, samples, ld, cols, block, other) for every block of
// samples, blocks in parallel: `first` and `samples` the block's samples, `ld`
// their columns (samples·oh·ow), `cols` [c·kh·kw, ld] and `other` [o, ld] the
// calling thread's scratch. The scratch is allocated before the parallel
// region, so nothing in it throws.
template <typename T, typename Body>
void forEachBlock(const char *kernel, const Conv2DShape &s, const ConvSizes &z,
                  const Blocks &b, const Body &body) {
  const int64_t columns = b.samples * z.outputPlane;
  T *colsAll = scratch<T>(0, elementCount(kernel, {b.threads, z.patch, columns}, sizeof(T)));
  T *otherAll = scratch<T>(1, elementCount(kernel, {b.threads, s.o, columns}, sizeof(T)));
#pragma omp parallel num_threads(b.threads)
  {
    T *cols = colsAll + omp_get_thread_num() * z.patch * columns;
    T *other = otherAll + omp_get_thread_num() * s.o * columns;
#pragma omp for schedule(dynamic, 1)
    for (int64_t block = 0; block < b.count; ++block) {
      const int64_t first = block * b.samples;
      const int64_t samples = std::min(b.samples, s.n - first);
      body(first, samples, samples * z.outputPlane, cols, block, other);
    }
  }
}

} // namespace

template <typename T>
void conv2d(const Conv2DShape &s, const T *x, const T *weight, const T *bias, T *y) {
  const ConvSizes z = validate<T>("conv2d", s);
  forEachBlock<T>("conv2d", s, z, blocksFor<T>(s, z),
                  [&](int64_t first, int64_t samples, int64_t ld, T *cols, int64_t, T *out) {
                    for (int64_t j = 0; j < samples; ++j)
                      im2col(s, x + (first + j) * z.inputSample, cols + j * z.outputPlane, ld);
                    // out [o, ld] = weight [o, c·kh·kw] · cols [c·kh·kw, ld]
                    gemm<T>(false, false, s.o, ld, z.patch, T(1), weight, cols, T(0), out);
                    for (int64_t j = 0; j < samples; ++j)
                      for (int64_t oc = 0; oc < s.o; ++oc) {
                        const T *from = out + oc * ld + j * z.outputPlane;
                        T *plane = y + (first + j) * z.outputSample + oc * z.outputPlane;
                        const T add = bias != nullptr ? bias[oc] : T(0);
                        for (int64_t p = 0; p < z.outputPlane; ++p)
                          plane[p] = from[p] + add;
                      }
                  });
}

template <typename T>
void conv2dBackwardInput(const Conv2DShape &s, const T *dy, const T *weight, T *dx) {
  const ConvSizes z = validate<T>("conv2dBackwardInput", s);
  forEachBlock<T>(
      "conv2dBackwardInput", s, z, blocksFor<T>(s, z),
      [&](int64_t first, int64_t samples, int64_t ld, T *cols, int64_t, T *dyBlock) {
        gatherOutputs(s, z, dy + first * z.outputSample, samples, dyBlock);
        // dcols [c·kh·kw, ld] = weightᵀ · dy [o, ld]
        gemm<T>(true, false, z.patch, ld, s.o, T(1), weight, dyBlock, T(0), cols);
        for (int64_t j = 0; j < samples; ++j) {
          T *sample = dx + (first + j) * z.inputSample;
          std::fill(sample, sample + z.inputSample, T(0));
          col2imAdd(s, cols + j * z.outputPlane, ld, sample);
        }
      });
}

template <typename T>
void conv2dBackwardFilter(const Conv2DShape &s, const T *x, const T *dy, T *dweight) {
  const ConvSizes z = validate<T>("conv2dBackwardFilter", s);
  const Blocks b = blocksFor<T>(s, z);
  const int64_t filter = s.o * z.patch;
  // One partial sum per block, added in block order: the same result on any
  // number of threads.
  T *partial =
      scratch<T>(2, elementCount("conv2dBackwardFilter", {b.count, filter}, sizeof(T)));
  forEachBlock<T>(
      "conv2dBackwardFilter", s, z, b,
      [&](int64_t first, int64_t samples, int64_t ld, T *cols, int64_t block, T *dyBlock) {
        for (int64_t j = 0; j < samples; ++j)
          im2col(s, x + (first + j) * z.inputSample, cols + j * z.outputPlane, ld);
        gatherOutputs(s, z, dy + first * z.outputSample, samples, dyBlock);
        // partial [o, c·kh·kw] = dy [o, ld] · colsᵀ
        gemm<T>(false, true, s.o, z.patch, ld, T(1), dyBlock, cols, T(0),
                partial + block * filter);
      });
  std::fill(dweight, dweight + filter, T(0));
  for (int64_t block = 0; block < b.count; ++block) {
    const T *from = partial + block * filter;
    for (int64_t i = 0; i < filter; ++i)
      dweight[i] += from[i];
  }
}

template <typename T>
void conv2dBackwardBias(const Conv2DShape &s, const T *dy, T *dbias) {
  ConvSizes sizes = validate<T>("conv2dBackwardBias", s);
  for (int64_t oc = 0; oc < s.o; ++oc) {
    double sum = 0;
    for (int64_t i = 0; i < s.n; ++i) {
      const T *plane = dy + i * sizes.outputSample + oc * sizes.outputPlane;
      for (int64_t p = 0; p < sizes.outputPlane; ++p)
        sum += plane[p];
    }
    dbias[oc] = static_cast<T>(sum);
  }
}

#define GRADC_RT_INSTANTIATE(T)                                                      \
  template void conv2d<T>(const Conv2DShape &, const T *, const T *, const T *, T *); \
  template void conv2dBackwardInput<T>(const Conv2DShape &, const T *, const T *,    \
                                       T *);                                         \
  template void conv2dBackwardFilter<T>(const Conv2DShape &, const T *, const T *,   \
                                        T *);                                        \
  template void conv2dBackwardBias<T>(const Conv2DShape &, const T *, T *);
GRADC_RT_INSTANTIATE(float)
GRADC_RT_INSTANTIATE(double)
#undef GRADC_RT_INSTANTIATE

} // namespace gradc::rt
