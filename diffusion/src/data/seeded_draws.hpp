// Seeded draws for the data part (private header): every random number of a data set is taken
// from a SplitMix64 stream (learned/random.hpp, the project's one generator) keyed by (seed, the
// data set's name, the sample's index), never from a generator shared between samples. A sample
// therefore depends on (seed, index) alone: the first n samples are the same whatever n is, and
// images(first, count) are rows first.. of a longer batch.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>

#include "deepsolve/learned/random.hpp"

namespace deepsolve::diffusion::data_detail {

/// FNV-1a of a name: a stable 64-bit key per data set, so that two sets never share draws.
inline std::uint64_t name_key(const std::string& name) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : name) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

/// The key of one data set's draws under `seed`.
inline std::uint64_t set_key(std::uint64_t seed, const std::string& name) {
  return learned::splitmix64(learned::splitmix64(seed) ^ name_key(name));
}

/// The stream of one sample: uniforms, standard normals and integers in [0, n).
class SampleStream {
 public:
  SampleStream(std::uint64_t key, std::int64_t index)
      : rng_(key, static_cast<std::uint64_t>(index)) {}
  double uniform() { return rng_.uniform(); }
  double uniform(double lo, double hi) { return lo + (hi - lo) * rng_.uniform(); }
  /// Box-Muller on two uniforms (the cosine branch only: one normal per two uniforms).
  double normal() {
    const double u1 = 1.0 - rng_.uniform();  // (0, 1]: the log is finite
    const double u2 = rng_.uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  }
  std::int64_t below(std::int64_t n) {
    return static_cast<std::int64_t>(rng_.below(static_cast<std::uint64_t>(n)));
  }

 private:
  learned::SplitMix64 rng_;
};

}  // namespace deepsolve::diffusion::data_detail
