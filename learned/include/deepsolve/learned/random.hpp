// The project's one seeded generator: SplitMix64 (Steele, Lea & Flood 2014), as a stream and as
// a counter-based hash. Its numbers are the same on every platform, compiler and rank count (no
// std:: distribution, whose output the standard leaves to the implementation): a value keyed by
// a global cell index or by (seed, epoch) does not depend on which rank computes it.
#pragma once

#include <cmath>
#include <cstdint>

namespace deepsolve::learned {

/// The SplitMix64 finaliser of z + golden ratio: a 64-bit hash with full avalanche.
constexpr std::uint64_t splitmix64(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// Uniform double in [0, 1) from the top 53 bits.
inline double to_unit_double(std::uint64_t bits) {
  return double(bits >> 11) * 0x1.0p-53;
}

/// Standard normal for (seed, counter) by Box-Muller on two hashed uniforms.
inline double hashed_normal(std::uint64_t seed, std::uint64_t counter) {
  const std::uint64_t key = splitmix64(seed ^ splitmix64(counter));
  const double u1 = 1.0 - to_unit_double(splitmix64(key));  // (0, 1]: log is finite
  const double u2 = to_unit_double(splitmix64(key + 1));
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

/// SplitMix64 as a stream on a 64-bit state.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  /// The stream for (seed, counter): independent-looking streams for consecutive counters.
  SplitMix64(std::uint64_t seed, std::uint64_t counter)
      : state_(splitmix64(seed) ^
               splitmix64(counter * 0xd1b54a32d192ed03ULL + 1 - 0x9e3779b97f4a7c15ULL)) {}
  std::uint64_t next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    return splitmix64(state_ - 0x9e3779b97f4a7c15ULL);
  }
  /// Uniform in [0, 1).
  double uniform() { return to_unit_double(next()); }
  /// Uniform in [0, n) (n >= 1), without modulo bias.
  std::uint64_t below(std::uint64_t n) {
    if (n <= 1) return 0;
    // Rejection sampling: accept x < limit, the largest multiple of n that fits in 2^64.
    const std::uint64_t limit = (~std::uint64_t{0}) - (~std::uint64_t{0}) % n;
    for (;;) {
      const std::uint64_t x = next();
      if (x < limit) return x % n;
    }
  }

 private:
  std::uint64_t state_;
};

}  // namespace deepsolve::learned
