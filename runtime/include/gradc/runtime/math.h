// math.h — elementary functions of float that loops vectorize: exp, erf,
// tanh and the logistic sigmoid as polynomials and selections, with no call and no branch, so that a fused
// loop over them (GELU's erf in generated code, attention's exponentials)
// runs in vector registers instead of calling libm element by element.
// The double overloads are the C library's.
#ifndef GRADC_RUNTIME_MATH_H
#define GRADC_RUNTIME_MATH_H

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace gradc::rt::math {

/// exp(x) within 1 ulp for every x whose exp is a normal float, 0 below
/// (x < −87.34, where it would be subnormal), +inf beyond 88.72 and NaN for
/// NaN: x = n ln 2 + r with |r| <= ln 2 / 2 (ln 2 in two parts, so r is
/// exact), exp(r) as Cephes' expf polynomial, 2^n made in the exponent bits
/// as 2^⌊n/2⌋ · 2^(n − ⌊n/2⌋), so that neither factor overflows.
inline float exp(float x) {
  // NaN is computed as 0 (a NaN has no integer n) and returned at the end.
  const float safe = x == x ? x : 0.0f;
  const float clamped = std::min(std::max(safe, -88.0f), 89.0f);
  // n = round(x / ln 2), by the float rounding of a sum with 1.5 · 2^23.
  const float n = (clamped * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  float r = clamped - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float e = p * r * r + r + 1.0f;
  const int32_t k = static_cast<int32_t>(n);
  const int32_t half = k >> 1;
  const int32_t bits1 = (half + 127) << 23, bits2 = (k - half + 127) << 23;
  float scale1, scale2;
  std::memcpy(&scale1, &bits1, sizeof scale1);
  std::memcpy(&scale2, &bits2, sizeof scale2);
  const float value = e * scale1 * scale2;
  return x < -87.33654f ? 0.0f : x == x ? value : x;
}
inline double exp(double x) { return std::exp(x); }

/// erf(x) within 1.4 ulp (measured against double erf on a grid of 4 · 10^5
/// points of [0, 4.5]; 0.3 ulp on average), odd, ±1 beyond |x| = 4 and NaN
/// for NaN. Below |x| = 1 it is x + x · t(x²), t a degree-6 least-squares
/// polynomial of erf(x)/x − 1 in x² (relative error 1.4e-9); from 1 to 4 it
/// is 1 − exp(−x²) · R(1/x), R a degree-9 least-squares polynomial of
/// erfc(x) · exp(x²) in 1/x (absolute error 1.1e-9). Both are computed and
/// one is selected, which a vectorized loop does lane by lane.
inline float erf(float x) {
  const float a = std::fabs(x);
  const float s = a * a;
  float t = 7.882500358391553e-05f;
  t = t * s + -0.0008018859080038965f;
  t = t * s + 0.005189312621951103f;
  t = t * s + -0.02685432881116867f;
  t = t * s + 0.11283597350120544f;
  t = t * s + -0.3761262595653534f;
  t = t * s + 0.12837916612625122f;
  const float small = a + a * t;
  const float u = 1.0f / std::max(a, 1.0f);
  float r = 0.026025723665952682f;
  r = r * u + -0.15350189805030823f;
  r = r * u + 0.37459802627563477f;
  r = r * u + -0.4490048289299011f;
  r = r * u + 0.1622374802827835f;
  r = r * u + 0.27308711409568787f;
  r = r * u + -0.39137062430381775f;
  r = r * u + 0.02404867112636566f;
  r = r * u + 0.561318039894104f;
  r = r * u + 0.00014589364582207054f;
  const float large = 1.0f - math::exp(-s) * r;
  // A NaN compares false everywhere and takes `large`, which is NaN.
  // (`|`, not `||`: no branch, so that the loop stays one a vectorizer takes.)
  const bool inLarge = (a < 4.0f) | (a != a);
  const float value = a < 1.0f ? small : inLarge ? large : 1.0f;
  return std::copysign(value, x);
}
inline double erf(double x) { return std::erf(x); }

/// tanh(x) within 2 ulp (measured against double tanh on a grid of 4 · 10^5
/// points of [0, 10]), odd, ±1 beyond |x| = 9.02 and NaN for NaN: below
/// |x| = 0.625 Cephes' tanhf polynomial x + x³ · P(x²), above it
/// 1 − 2 / (exp(2|x|) + 1), which has no cancellation there. Both are
/// computed and one is selected.
inline float tanh(float x) {
  const float a = std::fabs(x);
  const float z = x * x;
  const float small =
      ((((-5.70498872745e-3f * z + 2.06390887954e-2f) * z - 5.37397155531e-2f) * z +
        1.33314422036e-1f) * z - 3.33332819422e-1f) * z * a + a;
  // exp(2a) overflows to +inf past a = 44.4, where 2 / inf is 0: exactly 1.
  const float large = 1.0f - 2.0f / (exp(2.0f * std::min(a, 44.0f)) + 1.0f);
  const float value = a < 0.625f ? small : large;
  return x == x ? std::copysign(value, x) : x;
}
inline double tanh(double x) { return std::tanh(x); }

/// The logistic function 1 / (1 + exp(−x)), with math::exp (0 below
/// x = −87.3, where exp(−x) overflows; 1 above 16.6, where exp(−x) is below
/// half an ulp of 1).
inline float sigmoid(float x) { return 1.0f / (1.0f + exp(-x)); }
inline double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

} // namespace gradc::rt::math

#endif // GRADC_RUNTIME_MATH_H
