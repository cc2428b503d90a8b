// kernels_conv.cpp — 2-D convolution (im2col + GEMM) and its gradients, NCHW.
#include "gradc/runtime/kernels.h"

#include "kernel_checks.h"

#include <algorithm>
#include <vector>

namespace gradc::rt {

using detail::elementCount;
using detail::paddedExtent;
using detail::requireNonNegative;
using detail::requirePositive;

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

// cols [c·kh·kw, oh·ow] from one sample x [c, h, w]; padding reads as zero.
template <typename T>
void im2col(const Conv2DShape &s, const T *x, T *cols) {
  for (int64_t ci = 0; ci < s.c; ++ci)
    for (int64_t ky = 0; ky < s.kh; ++ky)
      for (int64_t kx = 0; kx < s.kw; ++kx) {
        T *row = cols + ((ci * s.kh + ky) * s.kw + kx) * s.oh * s.ow;
        for (int64_t oy = 0; oy < s.oh; ++oy) {
          int64_t iy = oy * s.sh - s.ph + ky;
          T *out = row + oy * s.ow;
          if (iy < 0 || iy >= s.h) {
            std::fill(out, out + s.ow, T(0));
            continue;
          }
          const T *in = x + (ci * s.h + iy) * s.w;
          for (int64_t ox = 0; ox < s.ow; ++ox) {
            int64_t ix = ox * s.sw - s.pw + kx;
            out[ox] = ix >= 0 && ix < s.w ? in[ix] : T(0);
          }
        }
      }
}

// dx [c, h, w] += the columns scattered back to the pixels they were read from.
template <typename T>
void col2imAdd(const Conv2DShape &s, const T *cols, T *dx) {
  for (int64_t ci = 0; ci < s.c; ++ci)
    for (int64_t ky = 0; ky < s.kh; ++ky)
      for (int64_t kx = 0; kx < s.kw; ++kx) {
        const T *row = cols + ((ci * s.kh + ky) * s.kw + kx) * s.oh * s.ow;
        for (int64_t oy = 0; oy < s.oh; ++oy) {
          int64_t iy = oy * s.sh - s.ph + ky;
          if (iy < 0 || iy >= s.h)
            continue;
          const T *in = row + oy * s.ow;
          T *out = dx + (ci * s.h + iy) * s.w;
          for (int64_t ox = 0; ox < s.ow; ++ox) {
            int64_t ix = ox * s.sw - s.pw + kx;
            if (ix >= 0 && ix < s.w)
              out[ix] += in[ox];
          }
        }
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

template <typename T>
void conv2d(const Conv2DShape &s, const T *x, const T *weight, const T *bias, T *y) {
  ConvSizes sizes = validate<T>("conv2d", s);
  std::vector<T> cols(static_cast<size_t>(sizes.patch * sizes.outputPlane));
  for (int64_t i = 0; i < s.n; ++i) {
    im2col(s, x + i * sizes.inputSample, cols.data());
    T *out = y + i * sizes.outputSample;
    // y_i [o, oh·ow] = weight [o, c·kh·kw] · cols [c·kh·kw, oh·ow]
    gemm<T>(false, false, s.o, sizes.outputPlane, sizes.patch, T(1), weight, cols.data(),
            T(0), out);
    if (bias != nullptr)
      for (int64_t oc = 0; oc < s.o; ++oc) {
        T *plane = out + oc * sizes.outputPlane;
        for (int64_t p = 0; p < sizes.outputPlane; ++p)
          plane[p] += bias[oc];
      }
  }
}

template <typename T>
void conv2dBackwardInput(const Conv2DShape &s, const T *dy, const T *weight, T *dx) {
  ConvSizes sizes = validate<T>("conv2dBackwardInput", s);
  std::vector<T> cols(static_cast<size_t>(sizes.patch * sizes.outputPlane));
  std::fill(dx, dx + s.n * sizes.inputSample, T(0));
  for (int64_t i = 0; i < s.n; ++i) {
    // dcols [c·kh·kw, oh·ow] = weightᵀ · dy_i [o, oh·ow]
    gemm<T>(true, false, sizes.patch, sizes.outputPlane, s.o, T(1), weight,
            dy + i * sizes.outputSample, T(0), cols.data());
    col2imAdd(s, cols.data(), dx + i * sizes.inputSample);
  }
}

template <typename T>
void conv2dBackwardFilter(const Conv2DShape &s, const T *x, const T *dy, T *dweight) {
  ConvSizes sizes = validate<T>("conv2dBackwardFilter", s);
  std::vector<T> cols(static_cast<size_t>(sizes.patch * sizes.outputPlane));
  if (s.n == 0)
    std::fill(dweight, dweight + s.o * sizes.patch, T(0));
  for (int64_t i = 0; i < s.n; ++i) {
    im2col(s, x + i * sizes.inputSample, cols.data());
    // dweight [o, c·kh·kw] += dy_i [o, oh·ow] · colsᵀ
    gemm<T>(false, true, s.o, sizes.patch, sizes.outputPlane, T(1),
            dy + i * sizes.outputSample, cols.data(), i == 0 ? T(0) : T(1), dweight);
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
