// checked_math.cpp — overflow errors and checked element counts.
#include "gradc/runtime/checked_math.h"

#include "gradc/runtime/error.h"

namespace gradc::rt {

void detail::throwIntegerOverflow(const std::string &a, char op,
                                  const std::string &b) {
  throw Error("integer overflow: " + a + " " + op + " " + b);
}

std::optional<uint64_t> tryElementCount(const std::vector<int64_t> &shape) {
  uint64_t count = 1;
  for (int64_t dim : shape) {
    if (dim < 0)
      return std::nullopt;
    std::optional<uint64_t> product = tryMul(count, static_cast<uint64_t>(dim));
    if (!product)
      return std::nullopt;
    count = *product;
  }
  return count;
}

} // namespace gradc::rt
