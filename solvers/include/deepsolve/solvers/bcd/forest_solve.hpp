// The exact update of a tree-structured block by message passing (Nutini, Laradji & Schmidt, JMLR
// 2022, Sec. 6): when the variables of block b induce a forest in the graph of a sparse SPD A,
// Gaussian elimination from the leaves to the roots followed by back-substitution solves
// A_bb d = r in O(|b|) with no fill (Gaussian belief propagation on a tree computes the same).
#pragma once

#include <vector>

#include <Eigen/Core>
#include <Eigen/SparseCore>

namespace deepsolve::bcd {

/// Solves A_bb d = r for blocks that induce forests in the graph of A (off-diagonal nonzeros of
/// a symmetric A; explicit zeros are no edge). Holds O(n) work arrays so that a solve costs
/// O(nnz of the block's columns) with no allocation; A must outlive the solver and keep its
/// pattern.
class ForestBlockSolver {
 public:
  explicit ForestBlockSolver(const Eigen::SparseMatrix<double>& A);

  /// d[k] for block[k] from rhs[k] (both |block| entries). Throws std::invalid_argument for an
  /// empty block, an index out of range or repeated, a size mismatch, or a block whose induced
  /// graph has a cycle (naming the edge that closes it); std::runtime_error when a pivot is not
  /// positive (A_bb is not positive definite).
  void solve(const std::vector<int>& block, const Eigen::VectorXd& rhs, Eigen::VectorXd& d);

  /// Whether `block` induces a forest (no cycle; repeated or out-of-range indices throw).
  bool is_forest(const std::vector<int>& block);

 private:
  // Breadth-first order of the block's forest with each node's parent and coupling A_{v,parent};
  // returns the local indices (i, j) of an edge that closes a cycle, or (-1, -1).
  std::pair<int, int> order_forest(const std::vector<int>& block);
  void clear_positions(const std::vector<int>& block);

  const Eigen::SparseMatrix<double>& A_;
  std::vector<int> position_;     // position_[i]: local index of unknown i in the block, or -1
  std::vector<int> order_;        // local indices, parents before children
  std::vector<int> parent_;       // local parent, -1 for a root
  std::vector<double> coupling_;  // A_{v, parent(v)}
  std::vector<double> pivot_;     // the diagonal, then the eliminated pivots
  std::vector<double> work_rhs_;
};

}  // namespace deepsolve::bcd
