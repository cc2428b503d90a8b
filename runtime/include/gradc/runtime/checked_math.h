// checked_math.h — integer arithmetic on sizes that reports overflow instead of wrapping.
#ifndef GRADC_RUNTIME_CHECKED_MATH_H
#define GRADC_RUNTIME_CHECKED_MATH_H

#include "gradc/runtime/error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace gradc::rt {

/// a * b, or nullopt when the product does not fit in T.
template <typename T> std::optional<T> tryMul(T a, T b) {
  static_assert(std::is_integral_v<T>, "tryMul works on integers");
  T result;
  if (__builtin_mul_overflow(a, b, &result))
    return std::nullopt;
  return result;
}

/// a + b, or nullopt when the sum does not fit in T.
template <typename T> std::optional<T> tryAdd(T a, T b) {
  static_assert(std::is_integral_v<T>, "tryAdd works on integers");
  T result;
  if (__builtin_add_overflow(a, b, &result))
    return std::nullopt;
  return result;
}

namespace detail {
/// Throws Error("integer overflow: <a> <op> <b>"). Out of line, so that these
/// headers also compile in translation units built without exceptions.
[[noreturn]] void throwIntegerOverflow(const std::string &a, char op,
                                       const std::string &b);
} // namespace detail

/// a * b; throws Error when the product does not fit in T.
template <typename T> T checkedMul(T a, T b) {
  if (std::optional<T> result = tryMul(a, b))
    return *result;
  detail::throwIntegerOverflow(std::to_string(a), '*', std::to_string(b));
}

/// a + b; throws Error when the sum does not fit in T.
template <typename T> T checkedAdd(T a, T b) {
  if (std::optional<T> result = tryAdd(a, b))
    return *result;
  detail::throwIntegerOverflow(std::to_string(a), '+', std::to_string(b));
}

/// The number of elements of a tensor of this shape (1 for rank 0), or nullopt
/// when a dimension is negative or the product overflows uint64_t.
std::optional<uint64_t> tryElementCount(const std::vector<int64_t> &shape);

} // namespace gradc::rt

#endif // GRADC_RUNTIME_CHECKED_MATH_H
