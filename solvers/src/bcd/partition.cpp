// Fixed-block partitions and the cached block curvature (partition.hpp).
#include "deepsolve/solvers/bcd/partition.hpp"

#include <Eigen/Eigenvalues>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace deepsolve::bcd {

void symmetric_pseudo_inverse(const Eigen::MatrixXd& h, Eigen::MatrixXd& inverse, double& largest) {
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(h);
  const Eigen::VectorXd& values = eig.eigenvalues();
  largest = values.size() ? std::max(values.maxCoeff(), 0.0) : 0.0;
  // Eigenvalues below 1e-12 of the largest are treated as zero (a rank-deficient block: more
  // coordinates than samples, or repeated columns).
  const double cutoff = 1e-12 * largest;
  Eigen::VectorXd inv = Eigen::VectorXd::Zero(values.size());
  for (Index i = 0; i < values.size(); ++i)
    if (values[i] > cutoff) inv[i] = 1.0 / values[i];
  inverse = eig.eigenvectors() * inv.asDiagonal() * eig.eigenvectors().transpose();
}

BlockCurvature block_curvature(const Problem& problem, const Block& b) {
  BlockCurvature c;
  c.bound = problem.hessian_bound_block(b);
  symmetric_pseudo_inverse(c.bound, c.bound_pseudo_inverse, c.lipschitz);
  return c;
}

Partition::Partition(std::vector<Block> blocks, Index n, std::string name)
    : name_(std::move(name)), blocks_(std::move(blocks)) {
  if (blocks_.empty()) throw std::invalid_argument("partition: no blocks");
  std::vector<char> seen(static_cast<std::size_t>(n), 0);
  Index covered = 0;
  for (std::size_t k = 0; k < blocks_.size(); ++k) {
    if (blocks_[k].empty())
      throw std::invalid_argument("partition: block " + std::to_string(k) + " is empty");
    for (Index i : blocks_[k]) {
      if (i < 0 || i >= n)
        throw std::invalid_argument("partition: block " + std::to_string(k) + " has index " +
                                    std::to_string(i) + " outside [0, " + std::to_string(n) + ")");
      if (seen[static_cast<std::size_t>(i)])
        throw std::invalid_argument("partition: index " + std::to_string(i) + " is in two blocks");
      seen[static_cast<std::size_t>(i)] = 1;
      ++covered;
    }
  }
  if (covered != n)
    throw std::invalid_argument("partition: the blocks cover " + std::to_string(covered) + " of " +
                                std::to_string(n) + " coordinates");
  curvature_.resize(blocks_.size());
}

const BlockCurvature& Partition::curvature(const Problem& problem, Index k) const {
  auto& slot = curvature_[static_cast<std::size_t>(k)];
  if (!slot) slot = block_curvature(problem, block(k));
  return *slot;
}

namespace partition_detail {

std::vector<Index> sorted_by_lipschitz(const Eigen::VectorXd& lipschitz) {
  std::vector<Index> order(static_cast<std::size_t>(lipschitz.size()));
  std::iota(order.begin(), order.end(), Index{0});
  // Decreasing L_i, ties by index: the same partition on every platform.
  std::stable_sort(order.begin(), order.end(),
                   [&](Index a, Index b) { return lipschitz[a] > lipschitz[b]; });
  return order;
}

std::vector<Block> chunks(const std::vector<Index>& order, Index tau) {
  std::vector<Block> blocks;
  for (std::size_t start = 0; start < order.size(); start += static_cast<std::size_t>(tau))
    blocks.emplace_back(order.begin() + static_cast<std::ptrdiff_t>(start),
                        order.begin() + static_cast<std::ptrdiff_t>(start + tau));
  return blocks;
}

std::vector<Block> order_blocks(const Eigen::VectorXd& lipschitz, Index tau) {
  std::vector<Index> order(static_cast<std::size_t>(lipschitz.size()));
  std::iota(order.begin(), order.end(), Index{0});
  return chunks(order, tau);
}

std::vector<Block> sort_blocks(const Eigen::VectorXd& lipschitz, Index tau) {
  return chunks(sorted_by_lipschitz(lipschitz), tau);
}

std::vector<Block> avg_blocks(const Eigen::VectorXd& lipschitz, Index tau) {
  // Largest, smallest, second largest, second smallest, ... dealt round-robin to the n/tau
  // blocks: each block gets L_i from both ends of the sorted list.
  const std::vector<Index> sorted = sorted_by_lipschitz(lipschitz);
  const std::size_t n = sorted.size(), count = n / static_cast<std::size_t>(tau);
  std::vector<Block> blocks(count);
  std::size_t low = 0, high = n;
  for (std::size_t k = 0; k < n; ++k) {
    const Index i = (k % 2 == 0) ? sorted[low++] : sorted[--high];
    blocks[k % count].push_back(i);
  }
  return blocks;
}

}  // namespace partition_detail

const std::vector<PartitionRule>& partition_rules() {
  static const std::vector<PartitionRule> rules = {
      {"order", "contiguous blocks 0..tau-1, tau..2tau-1, ...", partition_detail::order_blocks},
      {"sort", "blocks of the coordinates sorted by L_i (similar L_i together)",
       partition_detail::sort_blocks},
      {"avg", "the sorted L_i dealt from both ends (each block mixes large and small L_i)",
       partition_detail::avg_blocks},
  };
  return rules;
}

Partition make_partition(const std::string& name, const Eigen::VectorXd& lipschitz, Index tau) {
  const Index n = lipschitz.size();
  if (tau < 1)
    throw std::invalid_argument("the block size must be at least 1, got " + std::to_string(tau));
  if (tau > n)
    throw std::invalid_argument("the block size " + std::to_string(tau) +
                                " is larger than the number of coordinates " + std::to_string(n));
  if (n % tau != 0)
    throw std::invalid_argument("fixed blocks need the block size to divide n: " +
                                std::to_string(n) + " is not a multiple of " + std::to_string(tau));
  if (!lipschitz.allFinite())
    throw std::invalid_argument("partition: a Lipschitz constant is not finite");
  std::string valid;
  for (const PartitionRule& rule : partition_rules()) {
    if (rule.name == name) return Partition(rule.blocks(lipschitz, tau), n, name);
    valid += (valid.empty() ? "" : ", ") + rule.name;
  }
  throw std::invalid_argument("unknown partition '" + name + "' (valid: " + valid + ")");
}

}  // namespace deepsolve::bcd
