// rng.h — the runtime's seeded, counter-based random number generator.
#ifndef GRADC_RUNTIME_RNG_H
#define GRADC_RUNTIME_RNG_H

#include <cstdint>
#include <vector>

namespace gradc::rt {

/// A deterministic random number generator built on splitmix64 (Steele, Lea
/// and Flood, "Fast Splittable Pseudorandom Number Generators", OOPSLA 2014;
/// the constants are those of Vigna's reference splitmix64.c).
///
/// Output i of the stream for a seed is a pure function of (seed, i):
///
///   z  = seed + (i + 1) * 0x9E3779B97F4A7C15      (mod 2^64)
///   z  = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
///   z  = (z ^ (z >> 27)) * 0x94D049BB133111EB
///   out = z ^ (z >> 31)
///
/// so the generator's whole state is (seed, counter), a stream can be resumed
/// from a checkpoint or split between workers by position, and the integer
/// stream is identical on every platform. Derived values:
///  - uniform(): the top 24 bits of one output, times 2^-24 — exact, in [0, 1);
///  - below(n): rejection sampling, so every value in [0, n) is equally likely;
///  - normal(): Box–Muller on two outputs (53-bit uniforms), computed in double.
///    It depends on the C library's log, sqrt and cos, which are accurate to
///    about an ulp, so normals may differ in the last bit between platforms.
class Rng {
public:
  explicit Rng(uint64_t seed, uint64_t counter = 0)
      : seed_(seed), counter_(counter) {}

  /// Output `index` of the stream for `seed`, without a generator.
  static uint64_t outputAt(uint64_t seed, uint64_t index);

  uint64_t seed() const { return seed_; }
  /// How many 64-bit outputs have been consumed.
  uint64_t counter() const { return counter_; }

  /// The next 64-bit output.
  uint64_t nextU64() { return outputAt(seed_, counter_++); }

  /// Uniform in [0, bound); bound must be positive.
  uint64_t below(uint64_t bound);

  /// Uniform in [0, 1).
  float uniform();

  /// Normally distributed with this mean and standard deviation; consumes two
  /// outputs.
  float normal(float mean = 0.0f, float stddev = 1.0f);

  /// Fisher–Yates (Durstenfeld's in-place variant): every permutation is
  /// equally likely; consumes size - 1 draws of below().
  void shuffle(std::vector<int64_t> &indices);

  /// 0, 1, ..., count - 1 in shuffled order.
  std::vector<int64_t> permutation(int64_t count);

private:
  uint64_t seed_;
  uint64_t counter_;
};

} // namespace gradc::rt

#endif // GRADC_RUNTIME_RNG_H
