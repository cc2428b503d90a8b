// kernel_checks.h — size validation shared by the kernels: every size a kernel is
// given is checked before it touches memory.
#ifndef GRADC_RUNTIME_SRC_KERNEL_CHECKS_H
#define GRADC_RUNTIME_SRC_KERNEL_CHECKS_H

#include "gradc/runtime/checked_math.h"
#include "gradc/runtime/error.h"

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace gradc::rt::detail {

struct NamedSize {
  std::string_view name;
  int64_t value;
};

/// Throws Error("<kernel>: <name> must not be negative, got <value>").
inline void requireNonNegative(std::string_view kernel,
                               std::initializer_list<NamedSize> sizes) {
  for (const NamedSize &size : sizes)
    if (size.value < 0)
      throw Error(std::string(kernel) + ": " + std::string(size.name) +
                  " must not be negative, got " + std::to_string(size.value));
}

/// Throws Error("<kernel>: <name> must be positive, got <value>").
inline void requirePositive(std::string_view kernel,
                            std::initializer_list<NamedSize> sizes) {
  for (const NamedSize &size : sizes)
    if (size.value <= 0)
      throw Error(std::string(kernel) + ": " + std::string(size.name) +
                  " must be positive, got " + std::to_string(size.value));
}

/// The product of non-negative sizes; throws Error when it, or its size in
/// bytes for elements of `elementBytes`, overflows.
inline int64_t elementCount(std::string_view kernel, std::initializer_list<int64_t> sizes,
                            int64_t elementBytes = 8) {
  int64_t count = 1;
  for (int64_t size : sizes) {
    std::optional<int64_t> product = tryMul(count, size);
    if (!product)
      throw Error(std::string(kernel) + ": tensor size overflows 64 bits");
    count = *product;
  }
  if (!tryMul(count, elementBytes))
    throw Error(std::string(kernel) + ": tensor size in bytes overflows 64 bits");
  return count;
}

/// in + 2·pad for a padded input extent; throws Error on overflow.
inline int64_t paddedExtent(std::string_view kernel, int64_t in, int64_t pad) {
  std::optional<int64_t> twice = tryMul(pad, int64_t{2});
  std::optional<int64_t> sum = twice ? tryAdd(in, *twice) : std::nullopt;
  if (!sum)
    throw Error(std::string(kernel) + ": padded input size overflows 64 bits");
  return *sum;
}

} // namespace gradc::rt::detail

#endif // GRADC_RUNTIME_SRC_KERNEL_CHECKS_H
