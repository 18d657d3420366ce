// Seeded random numbers that are the same on every platform and every rank count: SplitMix64
// (Steele, Lea & Flood 2014) as a stream, and as a counter-based hash so that the value at a
// global cell index does not depend on which rank generates it.
#pragma once

#include <cmath>
#include <cstdint>

namespace deepsolve::solvers {

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

class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    return splitmix64(state_ - 0x9e3779b97f4a7c15ULL);
  }
  double uniform() { return to_unit_double(next()); }

 private:
  std::uint64_t state_;
};

}  // namespace deepsolve::solvers
