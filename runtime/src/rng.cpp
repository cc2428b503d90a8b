// rng.cpp — splitmix64 and the distributions built on it.
#include "gradc/runtime/rng.h"

#include "gradc/runtime/dropout_mask.h"
#include "gradc/runtime/error.h"

#include <cmath>
#include <numeric>
#include <utility>

namespace gradc::rt {

namespace {
constexpr uint64_t kGoldenGamma = 0x9E3779B97F4A7C15;
constexpr double kTwoPi = 6.283185307179586476925286766559;
} // namespace

uint64_t Rng::outputAt(uint64_t seed, uint64_t index) {
  return splitmix64Mix(seed + (index + 1) * kGoldenGamma);
}

uint64_t Rng::below(uint64_t bound) {
  if (bound == 0)
    throw Error("Rng::below needs a positive bound");
  // Outputs below `threshold` would make the low residues more likely:
  // 2^64 mod bound of them are rejected.
  uint64_t threshold = (0 - bound) % bound;
  for (;;) {
    uint64_t value = nextU64();
    if (value >= threshold)
      return value % bound;
  }
}

float Rng::uniform() {
  return static_cast<float>(nextU64() >> 40) * 0x1.0p-24f;
}

float Rng::normal(float mean, float stddev) {
  // 1 - u lies in (0, 1], so the logarithm is finite.
  double u1 = 1.0 - static_cast<double>(nextU64() >> 11) * 0x1.0p-53;
  double u2 = static_cast<double>(nextU64() >> 11) * 0x1.0p-53;
  double standard = std::sqrt(-2.0 * std::log(u1)) * std::cos(kTwoPi * u2);
  return static_cast<float>(mean + stddev * standard);
}

void Rng::shuffle(std::vector<int64_t> &indices) {
  for (size_t i = indices.size(); i > 1; --i)
    std::swap(indices[i - 1], indices[below(i)]);
}

std::vector<int64_t> Rng::permutation(int64_t count) {
  if (count < 0)
    throw Error("Rng::permutation needs a non-negative count, got " +
                std::to_string(count));
  std::vector<int64_t> indices(static_cast<size_t>(count));
  std::iota(indices.begin(), indices.end(), int64_t{0});
  shuffle(indices);
  return indices;
}

} // namespace gradc::rt
