// byte_order.h — explicit little- and big-endian loads, stores and conversions.
#ifndef GRADC_RUNTIME_SRC_BYTE_ORDER_H
#define GRADC_RUNTIME_SRC_BYTE_ORDER_H

#include <cstddef>
#include <cstdint>
#include <utility>

namespace gradc::rt::detail {

inline constexpr bool kHostIsLittleEndian =
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;

/// The unsigned integer stored in `size` bytes at `bytes`, little-endian.
inline uint64_t loadLittleEndian(const unsigned char *bytes, size_t size) {
  uint64_t value = 0;
  for (size_t i = size; i > 0; --i)
    value = (value << 8) | bytes[i - 1];
  return value;
}

/// The unsigned integer stored in `size` bytes at `bytes`, big-endian.
inline uint64_t loadBigEndian(const unsigned char *bytes, size_t size) {
  uint64_t value = 0;
  for (size_t i = 0; i < size; ++i)
    value = (value << 8) | bytes[i];
  return value;
}

/// Appends the low `size` bytes of `value` to `out`, little-endian.
template <typename ByteString>
void appendLittleEndian(ByteString &out, uint64_t value, size_t size) {
  for (size_t i = 0; i < size; ++i)
    out.push_back(static_cast<typename ByteString::value_type>((value >> (8 * i)) & 0xFF));
}

/// Reverses the bytes of each of `count` elements of `elementSize` bytes.
inline void swapElementBytes(std::byte *data, uint64_t count, size_t elementSize) {
  if (elementSize <= 1)
    return;
  for (uint64_t i = 0; i < count; ++i) {
    std::byte *element = data + i * elementSize;
    for (size_t lo = 0, hi = elementSize - 1; lo < hi; ++lo, --hi)
      std::swap(element[lo], element[hi]);
  }
}

/// Converts elements stored with the given byte order to the host's, in place.
inline void toHostOrder(std::byte *data, uint64_t count, size_t elementSize,
                        bool storedLittleEndian) {
  if (storedLittleEndian != kHostIsLittleEndian)
    swapElementBytes(data, count, elementSize);
}

} // namespace gradc::rt::detail

#endif // GRADC_RUNTIME_SRC_BYTE_ORDER_H
