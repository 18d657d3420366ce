#include "deepsolve/learned/shuffle.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>

namespace deepsolve::learned {

namespace {
std::uint64_t mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
}  // namespace

SplitMix64::SplitMix64(std::uint64_t seed, std::uint64_t counter)
    : state_(mix(seed + 0x9e3779b97f4a7c15ULL) ^ mix(counter * 0xd1b54a32d192ed03ULL + 1)) {}

std::uint64_t SplitMix64::next() {
  state_ += 0x9e3779b97f4a7c15ULL;
  return mix(state_);
}

std::uint64_t SplitMix64::below(std::uint64_t n) {
  if (n <= 1) return 0;
  // Rejection sampling: accept x < limit, the largest multiple of n that fits in 2^64.
  const std::uint64_t limit = (~std::uint64_t{0}) - (~std::uint64_t{0}) % n;
  for (;;) {
    const std::uint64_t x = next();
    if (x < limit) return x % n;
  }
}

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
