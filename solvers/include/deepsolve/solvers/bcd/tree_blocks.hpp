// The tree-structured and graph-colouring blocks of Nutini, Laradji & Schmidt (JMLR 2022, Sec. 6
// and Fig. 6) on the graph of a sparse symmetric A (off-diagonal nonzeros are edges):
//  - Greedy Tree: scan the variables by decreasing |g_i| and add each one unless it would join
//    two variables already in one tree of the block (union-find): a maximal forest built
//    greedily, re-chosen every iteration (variable blocks);
//  - Random Tree: the same scan in a random order;
//  - Tree Partitions: fixed forests covering every variable once (on a lattice the paper's two
//    combs: alternating columns plus a boundary row; on a general graph each variable goes to
//    the first forest that stays acyclic);
//  - Red-Black: a greedy graph colouring; each colour class has no internal edge, so A is
//    diagonal on it;
//  - General: the top ceil(n^(1/3)) variables by |g|, solved densely (O(n) as well).
#pragma once

#include <cstdint>
#include <vector>

#include <Eigen/Core>
#include <Eigen/SparseCore>

#include "deepsolve/solvers/bcd/graph_quadratic.hpp"
#include "deepsolve/solvers/bcd/union_find.hpp"
#include "deepsolve/solvers/random.hpp"

namespace deepsolve::bcd {

/// Grows forests by the union-find test; O(n) work arrays, reused across calls.
class ForestGrower {
 public:
  explicit ForestGrower(const Eigen::SparseMatrix<double>& A);

  /// The variables of `scan_order` that are kept (returned in increasing index order): each is
  /// added unless two of its neighbours already in the block lie in the same tree. The block
  /// induces a forest. O(n) per call plus the scan.
  const std::vector<int>& grow(const std::vector<int>& scan_order);

  /// Greedy Tree: scan by decreasing |g_i| (ties by index). The largest |g_i| is always kept.
  const std::vector<int>& greedy_tree(const Eigen::VectorXd& g);

  /// Random Tree: scan in a uniformly random order.
  const std::vector<int>& random_tree(solvers::SplitMix64& rng);

 private:
  const Eigen::SparseMatrix<double>& A_;
  UnionFind trees_;
  std::vector<char> in_block_;
  std::vector<int> block_;
  std::vector<int> scan_;
  std::vector<int> neighbour_roots_;
  std::vector<std::uint64_t> keys_;
  std::vector<std::uint64_t> keys_tmp_;
};

/// The variables in decreasing |g_i| order (ties by increasing index), by an O(n) radix sort.
void order_by_decreasing_magnitude(const Eigen::VectorXd& g, std::vector<int>& order,
                                   std::vector<std::uint64_t>& keys,
                                   std::vector<std::uint64_t>& scratch);

/// Fixed forests covering every variable exactly once. On a lattice problem (lattice_rows/cols
/// set) the paper's two combs: forest 1 = row 0 plus the even columns without their last row,
/// forest 2 = the last row plus the odd columns without row 0 (restricted to the unlabelled
/// nodes, which keeps them forests). Otherwise the greedy first-fit of `forest_partition`.
std::vector<std::vector<int>> tree_partition(const GraphQuadratic& problem);

/// Each variable, in decreasing A_ii order (ties by index; the paper's "Lipschitz" order), goes
/// to the first forest it keeps acyclic, a new one when none does.
std::vector<std::vector<int>> forest_partition(const Eigen::SparseMatrix<double>& A);

/// Greedy colouring in index order (each variable takes the smallest colour its earlier
/// neighbours do not have). With labelled nodes removed from a lattice it can need three colours.
std::vector<std::vector<int>> colour_classes(const Eigen::SparseMatrix<double>& A);

/// The Red-Black blocks: on a lattice problem the checkerboard (parity of row + column, as the
/// paper's get_rb_indices), otherwise `colour_classes`.
std::vector<std::vector<int>> red_black_classes(const GraphQuadratic& problem);

/// The `count` variables with the largest |g_i| (ties by index), sorted by index.
std::vector<int> top_magnitude(const Eigen::VectorXd& g, int count);

/// Whether no two variables of `block` are neighbours in the graph of A.
bool is_independent_set(const Eigen::SparseMatrix<double>& A, const std::vector<int>& block);

}  // namespace deepsolve::bcd
