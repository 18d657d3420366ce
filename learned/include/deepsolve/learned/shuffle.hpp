// Seeded, counter-based shuffling: the order of epoch e is a pure function of (seed, e), so every
// rank computes the same order without talking to the others, and a run resumed at epoch e needs
// no random-generator state beyond the seed and the epoch counter (what checkpoints store).
//
// The generator is SplitMix64 (Steele, Lea, Flood 2014) keyed by seed and counter, driving a
// Fisher-Yates shuffle; the numbers are the same on every platform and compiler (no std::
// distribution, whose output the standard leaves to the implementation).
#pragma once

#include <cstdint>
#include <vector>

namespace deepsolve::learned {

/// A small deterministic generator: SplitMix64 on a 64-bit state.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  /// The stream for (seed, counter): independent-looking streams for consecutive counters.
  SplitMix64(std::uint64_t seed, std::uint64_t counter);
  std::uint64_t next();
  /// Uniform in [0, n) (n >= 1), without modulo bias.
  std::uint64_t below(std::uint64_t n);

 private:
  std::uint64_t state_;
};

/// A permutation of 0 .. n-1 that depends only on (seed, counter), e.g. counter = the epoch.
std::vector<std::int64_t> seeded_permutation(std::int64_t n, std::uint64_t seed,
                                             std::uint64_t counter);

/// The part [begin, end) of `count` items that rank `rank` of `ranks` takes: contiguous, sizes
/// differing by at most one, lower ranks first (ranks with nothing get begin == end).
struct Shard {
  std::int64_t begin = 0;
  std::int64_t end = 0;
  std::int64_t size() const { return end - begin; }
};
Shard shard_of(std::int64_t count, int rank, int ranks);

}  // namespace deepsolve::learned
