// Block coordinate descent with exact block updates on the graph quadratic
// f(x) = (1/2) x^T A x - b^T x (graph_quadratic.hpp), the tree-structured experiments of Nutini,
// Laradji & Schmidt (JMLR 2022, Sec. 6, Fig. 6): each iteration chooses a block by one of the
// rules below and sets x_b to the minimiser over the block, x_b += d with A_bb d = -g_b, by
// message passing when the block is a forest (forest_solve.hpp). The gradient g = A x - b is
// kept current incrementally: after a block update only the block's neighbours change.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "deepsolve/solvers/bcd/gradient_heap.hpp"
#include "deepsolve/solvers/bcd/graph_quadratic.hpp"
#include "deepsolve/solvers/bcd/trace.hpp"

namespace deepsolve::bcd {

/// x with g = A x - b kept current: a block step x_b += d changes g only on the rows of A's
/// columns b (the block and its neighbours), O(nnz of those columns) instead of O(nnz(A)).
class IncrementalGradient {
 public:
  IncrementalGradient(const GraphQuadratic& problem, Eigen::VectorXd x);
  /// x_b += d (d[k] for block[k]); with a heap, the changed |g_i| are updated in it too.
  void step(const std::vector<int>& block, const Eigen::VectorXd& d,
            GradientMaxHeap* heap = nullptr);
  /// g = A x - b from scratch (drops the rounding the updates accumulated).
  void recompute();
  const Eigen::VectorXd& x() const { return x_; }
  const Eigen::VectorXd& g() const { return g_; }
  Eigen::VectorXd& mutable_x() { return x_; }

 private:
  const GraphQuadratic& problem_;
  Eigen::VectorXd x_;
  Eigen::VectorXd g_;
};

enum class TreeBlockRule {
  greedy_tree,        // Greedy Tree: forest grown by decreasing |g_i| (variable blocks)
  random_tree,        // Random Tree: forest grown in a random order
  tree_partitions,    // Tree Partitions: fixed forests, the one with the largest sum |g_i|
  red_black,          // Red-Black: fixed colour classes, the one with the largest sum |g_i|
  general,            // General: top ceil(n^(1/3)) |g_i|, dense solve
  greedy_coordinate,  // one coordinate, largest |g_i| (max-heap), exact step
  random_coordinate,  // one uniformly random coordinate, exact step
};

/// The paper's curve names: "Greedy Tree", "Tree Partitions", ...
std::string to_string(TreeBlockRule rule);
/// Parses "greedy-tree", "random-tree", "tree-partitions", "red-black", "general",
/// "greedy-coordinate", "random-coordinate"; throws std::invalid_argument naming the value.
TreeBlockRule parse_tree_block_rule(const std::string& name);

struct TreeBcdOptions {
  TreeBlockRule rule = TreeBlockRule::greedy_tree;
  int max_iterations = 500;
  /// Stop once ||b - A x|| / ||b|| <= this (checked on a recomputed residual); 0: never.
  double relative_residual_tolerance = 0;
  /// Stop after this much wall time in the iterations (checked after each one); 0: no limit.
  double max_seconds = 0;
  std::uint64_t seed = 0;  // random rules
  /// With x_star, the trace records f(x) - f(x*) = (1/2)(x - x*)^T A (x - x*) (accurate where f
  /// itself has lost those digits); without it, f(x). Evaluating costs O(nnz(A)), outside the
  /// timed work.
  const Eigen::VectorXd* x_star = nullptr;
  int trace_every = 1;  // a trace point every this many iterations (and the last); 0: none
  /// Starting point (empty: zero).
  Eigen::VectorXd x0;
};

struct TreeBcdResult {
  Eigen::VectorXd x;
  Trace trace;  // label: to_string(rule)
  int iterations = 0;
  double relative_residual = 0;  // ||b - A x|| / ||b||, recomputed at the end
  double seconds = 0;            // the iterations' wall time (trace evaluation excluded)
  double mean_block_size = 0;
  bool converged = false;    // relative_residual <= relative_residual_tolerance (when set)
  bool out_of_time = false;  // stopped by max_seconds
};

/// Runs the loop. Throws std::invalid_argument for max_iterations < 0, a negative or non-finite
/// tolerance, trace_every < 0, an x0 or x_star of the wrong size or non-finite.
TreeBcdResult tree_bcd(const GraphQuadratic& problem, const TreeBcdOptions& options);

}  // namespace deepsolve::bcd
