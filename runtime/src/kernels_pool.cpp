// kernels_pool.cpp — max and average 2-D pooling and their gradients, NCHW.
#include "gradc/runtime/kernels.h"

#include "kernel_checks.h"

#include <algorithm>
#include <cmath>

namespace gradc::rt {

using detail::elementCount;
using detail::paddedExtent;
using detail::requireNonNegative;
using detail::requirePositive;

namespace {

int64_t outputExtent(int64_t in, int64_t kernel, int64_t stride, int64_t pad) {
  return (in + 2 * pad - kernel) / stride + 1;
}

// Returns the number of planes (n·c); throws Error on an inconsistent shape.
template <typename T> int64_t validate(const char *kernel, const Pool2DShape &s) {
  requireNonNegative(kernel, {{"n", s.n}, {"c", s.c}, {"ph", s.ph}, {"pw", s.pw}});
  requirePositive(kernel,
                  {{"h", s.h}, {"w", s.w}, {"kh", s.kh}, {"kw", s.kw}, {"sh", s.sh}, {"sw", s.sw}});
  if (s.ph > s.kh / 2 || s.pw > s.kw / 2)
    throw Error(std::string(kernel) + ": padding " + std::to_string(s.ph) + "x" +
                std::to_string(s.pw) + " is more than half the " + std::to_string(s.kh) +
                "x" + std::to_string(s.kw) + " window");
  if (paddedExtent(kernel, s.h, s.ph) < s.kh || paddedExtent(kernel, s.w, s.pw) < s.kw)
    throw Error(std::string(kernel) + ": the " + std::to_string(s.kh) + "x" +
                std::to_string(s.kw) + " window does not fit the " + std::to_string(s.h) +
                "x" + std::to_string(s.w) + " input");
  int64_t oh = outputExtent(s.h, s.kh, s.sh, s.ph);
  int64_t ow = outputExtent(s.w, s.kw, s.sw, s.pw);
  if (s.oh != oh || s.ow != ow)
    throw Error(std::string(kernel) + ": output size " + std::to_string(s.oh) + "x" +
                std::to_string(s.ow) + " does not match the " + std::to_string(oh) + "x" +
                std::to_string(ow) + " the input, window, stride and padding give");
  int64_t planes = elementCount(kernel, {s.n, s.c}, sizeof(T));
  elementCount(kernel, {planes, s.h, s.w}, sizeof(T));
  elementCount(kernel, {planes, s.oh, s.ow}, sizeof(T));
  return planes;
}

// The row-major index within its plane of the first maximal element of the
// window at (oy, ox); padding is never chosen (ph < kh guarantees a real one).
template <typename T>
int64_t windowArgmax(const Pool2DShape &s, const T *plane, int64_t oy, int64_t ox) {
  int64_t best = -1;
  T bestValue = T(0);
  int64_t y0 = oy * s.sh - s.ph, x0 = ox * s.sw - s.pw;
  for (int64_t iy = std::max<int64_t>(y0, 0); iy < std::min(y0 + s.kh, s.h); ++iy)
    for (int64_t ix = std::max<int64_t>(x0, 0); ix < std::min(x0 + s.kw, s.w); ++ix) {
      T value = plane[iy * s.w + ix];
      if (best < 0 || value > bestValue || (std::isnan(value) && !std::isnan(bestValue))) {
        best = iy * s.w + ix;
        bestValue = value;
      }
    }
  return best;
}

template <typename T>
double windowSum(const Pool2DShape &s, const T *plane, int64_t oy, int64_t ox) {
  double sum = 0;
  int64_t y0 = oy * s.sh - s.ph, x0 = ox * s.sw - s.pw;
  for (int64_t iy = std::max<int64_t>(y0, 0); iy < std::min(y0 + s.kh, s.h); ++iy)
    for (int64_t ix = std::max<int64_t>(x0, 0); ix < std::min(x0 + s.kw, s.w); ++ix)
      sum += plane[iy * s.w + ix];
  return sum;
}

} // namespace

Pool2DShape makePool2DShape(int64_t n, int64_t c, int64_t h, int64_t w, int64_t kh,
                            int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw) {
  Pool2DShape shape{n, c, h, w, kh, kw, sh, sw, ph, pw, 0, 0};
  requirePositive("pool2d", {{"sh", sh}, {"sw", sw}});
  requireNonNegative("pool2d", {{"ph", ph}, {"pw", pw}});
  paddedExtent("pool2d", h, ph);
  paddedExtent("pool2d", w, pw);
  shape.oh = outputExtent(h, kh, sh, ph);
  shape.ow = outputExtent(w, kw, sw, pw);
  validate<float>("pool2d", shape);
  return shape;
}

template <typename T> void maxPool2d(const Pool2DShape &s, const T *x, T *y) {
  int64_t planes = validate<T>("maxPool2d", s);
  for (int64_t p = 0; p < planes; ++p) {
    const T *plane = x + p * s.h * s.w;
    T *out = y + p * s.oh * s.ow;
    for (int64_t oy = 0; oy < s.oh; ++oy)
      for (int64_t ox = 0; ox < s.ow; ++ox)
        out[oy * s.ow + ox] = plane[windowArgmax(s, plane, oy, ox)];
  }
}

template <typename T>
void maxPool2dBackward(const Pool2DShape &s, const T *x, const T *dy, T *dx) {
  int64_t planes = validate<T>("maxPool2dBackward", s);
  std::fill(dx, dx + planes * s.h * s.w, T(0));
  for (int64_t p = 0; p < planes; ++p) {
    const T *plane = x + p * s.h * s.w;
    const T *grad = dy + p * s.oh * s.ow;
    T *out = dx + p * s.h * s.w;
    for (int64_t oy = 0; oy < s.oh; ++oy)
      for (int64_t ox = 0; ox < s.ow; ++ox)
        out[windowArgmax(s, plane, oy, ox)] += grad[oy * s.ow + ox];
  }
}

template <typename T> void avgPool2d(const Pool2DShape &s, const T *x, T *y) {
  int64_t planes = validate<T>("avgPool2d", s);
  const double window = static_cast<double>(s.kh * s.kw);
  for (int64_t p = 0; p < planes; ++p) {
    const T *plane = x + p * s.h * s.w;
    T *out = y + p * s.oh * s.ow;
    for (int64_t oy = 0; oy < s.oh; ++oy)
      for (int64_t ox = 0; ox < s.ow; ++ox)
        out[oy * s.ow + ox] = static_cast<T>(windowSum(s, plane, oy, ox) / window);
  }
}

template <typename T> void avgPool2dBackward(const Pool2DShape &s, const T *dy, T *dx) {
  int64_t planes = validate<T>("avgPool2dBackward", s);
  std::fill(dx, dx + planes * s.h * s.w, T(0));
  const T window = static_cast<T>(s.kh * s.kw);
  for (int64_t p = 0; p < planes; ++p) {
    const T *grad = dy + p * s.oh * s.ow;
    T *out = dx + p * s.h * s.w;
    for (int64_t oy = 0; oy < s.oh; ++oy)
      for (int64_t ox = 0; ox < s.ow; ++ox) {
        T share = grad[oy * s.ow + ox] / window;
        int64_t y0 = oy * s.sh - s.ph, x0 = ox * s.sw - s.pw;
        for (int64_t iy = std::max<int64_t>(y0, 0); iy < std::min(y0 + s.kh, s.h); ++iy)
          for (int64_t ix = std::max<int64_t>(x0, 0); ix < std::min(x0 + s.kw, s.w); ++ix)
            out[iy * s.w + ix] += share;
      }
  }
}

#define GRADC_RT_INSTANTIATE(T)                                                      \
  template void maxPool2d<T>(const Pool2DShape &, const T *, T *);                   \
  template void maxPool2dBackward<T>(const Pool2DShape &, const T *, const T *, T *); \
  template void avgPool2d<T>(const Pool2DShape &, const T *, T *);                   \
  template void avgPool2dBackward<T>(const Pool2DShape &, const T *, T *);
GRADC_RT_INSTANTIATE(float)
GRADC_RT_INSTANTIATE(double)
#undef GRADC_RT_INSTANTIATE

} // namespace gradc::rt
