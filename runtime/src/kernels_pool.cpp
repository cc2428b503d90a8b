// kernels_pool.cpp — max and average 2-D pooling and their gradients, NCHW.
#include "gradc/runtime/kernels.h"

#include "kernel_checks.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>

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

// Whether `value` replaces `best` as a window's maximum: a larger value, or
// the first NaN (NaN propagates, as in PyTorch); ties keep the first.
template <typename T> inline bool beats(T value, T best) {
  // Bitwise operators, no branches: a window's comparisons are unpredictable.
  return (value > best) | (std::isnan(value) & !std::isnan(best));
}

// The row-major index within its plane of the first maximal element of the
// window at (oy, ox); padding is never chosen (ph < kh guarantees a real one).
template <typename T>
int64_t windowArgmax(const Pool2DShape &s, const T *plane, int64_t oy, int64_t ox) {
  int64_t y0 = oy * s.sh - s.ph, x0 = ox * s.sw - s.pw;
  int64_t yBegin = std::max<int64_t>(y0, 0), xBegin = std::max<int64_t>(x0, 0);
  int64_t best = yBegin * s.w + xBegin;
  T bestValue = plane[best];
  for (int64_t iy = yBegin; iy < std::min(y0 + s.kh, s.h); ++iy)
    for (int64_t ix = xBegin; ix < std::min(x0 + s.kw, s.w); ++ix)
      if (beats(plane[iy * s.w + ix], bestValue)) {
        best = iy * s.w + ix;
        bestValue = plane[best];
      }
  return best;
}

// The common 2×2 window with stride 2 and no padding.
bool isHalving(const Pool2DShape &s) {
  return s.kh == 2 && s.kw == 2 && s.sh == 2 && s.sw == 2 && s.ph == 0 && s.pw == 0;
}

// One output row of the 2×2 halving pool: rows r0 and r1 = r0 + w of the
// input. Written without branches (the comparisons are unpredictable), so
// the loop vectorizes: the maximum, or NaN when the window holds one.
template <typename T> void halvingRow(const T *r0, const T *r1, int64_t ow, T *out) {
  for (int64_t ox = 0; ox < ow; ++ox) {
    const T a = r0[2 * ox], b = r0[2 * ox + 1], c = r1[2 * ox], d = r1[2 * ox + 1];
    T m = b > a ? b : a;
    m = c > m ? c : m;
    m = d > m ? d : m;
    const bool nan = (a != a) | (b != b) | (c != c) | (d != d);
    out[ox] = nan ? a + b + c + d : m;
  }
}

// `value` when `keep` is 1, else +0, exactly (an infinite or NaN value
// times 0 would not be 0), and without a branch.
template <typename T> inline T keepIf(unsigned keep, T value) {
  using Bits = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
  Bits bits;
  std::memcpy(&bits, &value, sizeof(T));
  bits &= Bits(0) - Bits(keep);
  std::memcpy(&value, &bits, sizeof(T));
  return value;
}

// The gradient of one output row of the halving pool: each window's dy goes
// to its first maximal element (the first NaN, when it holds one), the other
// three get zero. Windows do not overlap, so dx is written, not added to.
// Integer masks rather than branches: on ReLU outputs (ties at zero) the
// choice is unpredictable.
template <typename T>
void halvingRowBackward(const T *r0, const T *r1, const T *dy, int64_t ow, T *d0, T *d1) {
  for (int64_t ox = 0; ox < ow; ++ox) {
    const T a = r0[2 * ox], b = r0[2 * ox + 1], c = r1[2 * ox], d = r1[2 * ox + 1];
    T m = b > a ? b : a;
    m = c > m ? c : m;
    m = d > m ? d : m;
    // With a NaN in the window the first NaN wins, else the first maximum.
    const unsigned na = a != a, nb = b != b, nc = c != c, nd = d != d;
    const unsigned nan = na | nb | nc | nd;
    const unsigned qa = (nan & na) | (~nan & 1u & unsigned(a == m));
    const unsigned qb = (nan & nb) | (~nan & 1u & unsigned(b == m));
    const unsigned qc = (nan & nc) | (~nan & 1u & unsigned(c == m));
    const unsigned ea = qa, eb = qb & ~qa & 1u, ec = qc & ~(qa | qb) & 1u;
    const unsigned ed = ~(qa | qb | qc) & 1u;
    const T g = dy[ox];
    d0[2 * ox] = keepIf(ea, g);
    d0[2 * ox + 1] = keepIf(eb, g);
    d1[2 * ox] = keepIf(ec, g);
    d1[2 * ox + 1] = keepIf(ed, g);
  }
}

// Below this many input elements pooling runs on the calling thread.
constexpr int64_t kParallelPoolElements = int64_t(1) << 16;

int poolThreads(const Pool2DShape &s, int64_t planes) {
  return planes * s.h * s.w < kParallelPoolElements || omp_in_parallel() ? 1 : threads();
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
  const bool halving = isHalving(s);
#pragma omp parallel for schedule(static) num_threads(poolThreads(s, planes))
  for (int64_t p = 0; p < planes; ++p) {
    const T *plane = x + p * s.h * s.w;
    T *out = y + p * s.oh * s.ow;
    for (int64_t oy = 0; oy < s.oh; ++oy) {
      if (halving) {
        halvingRow(plane + 2 * oy * s.w, plane + (2 * oy + 1) * s.w, s.ow, out + oy * s.ow);
        continue;
      }
      for (int64_t ox = 0; ox < s.ow; ++ox)
        out[oy * s.ow + ox] = plane[windowArgmax(s, plane, oy, ox)];
    }
  }
}

template <typename T>
void maxPool2dBackward(const Pool2DShape &s, const T *x, const T *dy, T *dx) {
  int64_t planes = validate<T>("maxPool2dBackward", s);
  const bool halving = isHalving(s);
#pragma omp parallel for schedule(static) num_threads(poolThreads(s, planes))
  for (int64_t p = 0; p < planes; ++p) {
    const T *plane = x + p * s.h * s.w;
    const T *grad = dy + p * s.oh * s.ow;
    T *out = dx + p * s.h * s.w;
    if (!halving) {
      std::fill(out, out + s.h * s.w, T(0));
      for (int64_t oy = 0; oy < s.oh; ++oy)
        for (int64_t ox = 0; ox < s.ow; ++ox)
          out[windowArgmax(s, plane, oy, ox)] += grad[oy * s.ow + ox];
      continue;
    }
    for (int64_t oy = 0; oy < s.oh; ++oy) {
      T *d0 = out + 2 * oy * s.w, *d1 = d0 + s.w;
      halvingRowBackward(plane + 2 * oy * s.w, plane + (2 * oy + 1) * s.w,
                         grad + oy * s.ow, s.ow, d0, d1);
      // An odd width leaves a last column no window reads.
      if (s.w > 2 * s.ow)
        d0[s.w - 1] = d1[s.w - 1] = T(0);
    }
    // An odd height leaves a last row no window reads.
    if (s.h > 2 * s.oh)
      std::fill(out + (s.h - 1) * s.w, out + s.h * s.w, T(0));
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
