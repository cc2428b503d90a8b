// dropout_mask.h — the counter-based dropout mask shared by generated code and the compiler.
#ifndef GRADC_RUNTIME_DROPOUT_MASK_H
#define GRADC_RUNTIME_DROPOUT_MASK_H

#include <cstdint>

namespace gradc::rt {

/// splitmix64's output function (Vigna's reference constants).
inline uint64_t splitmix64Mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/// The uniform number in [0, 1) that decides element `index` of dropout
/// `stream` under random `key`: a pure function, so the forward and backward
/// passes (and the compiler's reference interpreter) derive the same mask
/// without storing it. Exact: the top 24 bits of one splitmix64 output.
inline float dropoutUniform(uint64_t key, uint64_t stream, uint64_t index) {
  constexpr uint64_t golden = 0x9E3779B97F4A7C15ull;
  uint64_t streamSeed = splitmix64Mix(key ^ splitmix64Mix(stream * golden + golden));
  uint64_t z = splitmix64Mix(streamSeed + (index + 1) * golden);
  return static_cast<float>(z >> 40) * 0x1p-24f;
}

/// The inverted-dropout multiplier of one element: 0 when dropped, 1 / (1 - p)
/// when kept (every element is dropped when p == 1).
inline double dropoutScale(uint64_t key, uint64_t stream, uint64_t index, double p) {
  if (p >= 1.0)
    return 0.0;
  return dropoutUniform(key, stream, index) >= p ? 1.0 / (1.0 - p) : 0.0;
}

} // namespace gradc::rt

#endif // GRADC_RUNTIME_DROPOUT_MASK_H
