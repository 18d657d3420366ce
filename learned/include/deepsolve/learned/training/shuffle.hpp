// Seeded, counter-based shuffling: the order of epoch e is a pure function of (seed, e), so every
// rank computes the same order without talking to the others, and a run resumed at epoch e needs
// no random-generator state beyond the seed and the epoch counter (what checkpoints store).
//
// The generator is the project's SplitMix64 (random.hpp) keyed by seed and counter, driving a
// Fisher-Yates shuffle.
#pragma once

#include <cstdint>
#include <vector>

#include "deepsolve/learned/random.hpp"

namespace deepsolve::learned {

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
