#include "deepsolve/learned/training/shuffle.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>

namespace deepsolve::learned {

std::vector<std::int64_t> seeded_permutation(std::int64_t n, std::uint64_t seed,
                                             std::uint64_t counter) {
  if (n < 0) throw std::invalid_argument("seeded_permutation: negative size " + std::to_string(n));
  std::vector<std::int64_t> p(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) p[static_cast<std::size_t>(i)] = i;
  SplitMix64 rng(seed, counter);
  for (std::int64_t i = n - 1; i > 0; --i) {
    const auto j = static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(i) + 1));
    std::swap(p[static_cast<std::size_t>(i)], p[static_cast<std::size_t>(j)]);
  }
  return p;
}

Shard shard_of(std::int64_t count, int rank, int ranks) {
  if (ranks < 1 || rank < 0 || rank >= ranks || count < 0)
    throw std::invalid_argument("shard_of: bad arguments (count " + std::to_string(count) +
                                ", rank " + std::to_string(rank) + " of " + std::to_string(ranks) +
                                ")");
  const std::int64_t base = count / ranks, extra = count % ranks;
  Shard s;
  s.begin = rank * base + std::min<std::int64_t>(rank, extra);
  s.end = s.begin + base + (rank < extra ? 1 : 0);
  return s;
}

}  // namespace deepsolve::learned
