// Fixed-block partitions of the coordinates (Nutini, Laradji & Schmidt, JMLR 2022, Section 3.1):
// "order" (contiguous blocks), "sort" (blocks of the coordinates sorted by their Lipschitz
// constants L_i, so that each block holds similar L_i) and "avg" (the sorted list dealt out from
// both ends, so that every block mixes large and small L_i). Each block's curvature (H_b, L_b and
// the pseudo-inverse of H_b) is computed once, when first asked for, and cached: the GS-q rule and
// the matrix update of fixed blocks reuse it.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "deepsolve/solvers/bcd/problem.hpp"

namespace deepsolve::bcd {

/// H_b of the Hessian bound, its largest eigenvalue L_b and its pseudo-inverse.
struct BlockCurvature {
  Eigen::MatrixXd bound;
  Eigen::MatrixXd bound_pseudo_inverse;
  double lipschitz = 0;
};
BlockCurvature block_curvature(const Problem& problem, const Block& b);
/// The pseudo-inverse of a symmetric positive semi-definite matrix and its largest eigenvalue.
void symmetric_pseudo_inverse(const Eigen::MatrixXd& h, Eigen::MatrixXd& inverse, double& largest);

class Partition {
 public:
  /// Checks that `blocks` are non-empty, disjoint and cover [0, n).
  Partition(std::vector<Block> blocks, Index n, std::string name = "custom");
  const std::string& name() const { return name_; }
  Index count() const { return static_cast<Index>(blocks_.size()); }
  const Block& block(Index k) const { return blocks_[static_cast<std::size_t>(k)]; }
  const BlockCurvature& curvature(const Problem& problem, Index k) const;

 private:
  std::string name_;
  std::vector<Block> blocks_;
  mutable std::vector<std::optional<BlockCurvature>> curvature_;
};

struct PartitionRule {
  std::string name;
  std::string description;
  std::function<std::vector<Block>(const Eigen::VectorXd& lipschitz, Index tau)> blocks;
};
/// The registry of partitions, by name.
const std::vector<PartitionRule>& partition_rules();
/// Blocks of size tau by the named rule. Throws std::invalid_argument for an unknown name,
/// tau < 1, tau > n or tau not dividing n (fixed blocks all have tau coordinates), or L_i that
/// are not finite.
Partition make_partition(const std::string& name, const Eigen::VectorXd& lipschitz, Index tau);

}  // namespace deepsolve::bcd
