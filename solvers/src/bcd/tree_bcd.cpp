#include "deepsolve/solvers/bcd/tree_bcd.hpp"

#include <chrono>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "deepsolve/solvers/bcd/forest_solve.hpp"
#include "deepsolve/solvers/bcd/gradient_heap.hpp"
#include "deepsolve/solvers/bcd/tree_blocks.hpp"

namespace deepsolve::bcd {

std::string to_string(TreeBlockRule rule) {
  switch (rule) {
    case TreeBlockRule::greedy_tree:
      return "Greedy Tree";
    case TreeBlockRule::random_tree:
      return "Random Tree";
    case TreeBlockRule::tree_partitions:
      return "Tree Partitions";
    case TreeBlockRule::red_black:
      return "Red-Black";
    case TreeBlockRule::general:
      return "General";
    case TreeBlockRule::greedy_coordinate:
      return "Greedy coordinate (heap)";
    case TreeBlockRule::random_coordinate:
      return "Random coordinate";
  }
  return "unknown";
}

TreeBlockRule parse_tree_block_rule(const std::string& name) {
  if (name == "greedy-tree") return TreeBlockRule::greedy_tree;
  if (name == "random-tree") return TreeBlockRule::random_tree;
  if (name == "tree-partitions") return TreeBlockRule::tree_partitions;
  if (name == "red-black") return TreeBlockRule::red_black;
  if (name == "general") return TreeBlockRule::general;
  if (name == "greedy-coordinate") return TreeBlockRule::greedy_coordinate;
  if (name == "random-coordinate") return TreeBlockRule::random_coordinate;
  throw std::invalid_argument("unknown tree block rule '" + name +
                              "' (greedy-tree, random-tree, tree-partitions, red-black, general, "
                              "greedy-coordinate, random-coordinate)");
}

IncrementalGradient::IncrementalGradient(const GraphQuadratic& problem, Eigen::VectorXd x)
    : problem_(problem), x_(std::move(x)) {
  if (x_.size() != problem.size())
    throw std::invalid_argument("IncrementalGradient: x has " + std::to_string(x_.size()) +
                                " entries for a problem of size " + std::to_string(problem.size()));
  recompute();
}

void IncrementalGradient::recompute() {
  g_ = problem_.A * x_ - problem_.b;
}

void IncrementalGradient::step(const std::vector<int>& block, const Eigen::VectorXd& d,
                               GradientMaxHeap* heap) {
  if (d.size() != static_cast<Eigen::Index>(block.size()))
    throw std::invalid_argument("IncrementalGradient: a step of " + std::to_string(d.size()) +
                                " entries for a block of " + std::to_string(block.size()));
  const auto& A = problem_.A;
  for (Eigen::Index k = 0; k < d.size(); ++k) {
    const int j = block[static_cast<std::size_t>(k)];
    const double step = d[k];
    if (step == 0.0) continue;
    x_[j] += step;
    for (Eigen::SparseMatrix<double>::InnerIterator e(A, j); e; ++e) {
      g_[e.row()] += e.value() * step;
      if (heap) heap->update(static_cast<int>(e.row()), g_[e.row()]);
    }
  }
}

namespace tree_bcd_detail {

using SparseMatrix = Eigen::SparseMatrix<double>;
using Clock = std::chrono::steady_clock;

// The fixed block with the largest sum |g_i| (the paper's GS score for fixed blocks).
std::size_t largest_gradient_block(const std::vector<std::vector<int>>& blocks,
                                   const Eigen::VectorXd& g) {
  std::size_t best = 0;
  double best_score = -1;
  for (std::size_t k = 0; k < blocks.size(); ++k) {
    double score = 0;
    for (int i : blocks[k]) score += std::abs(g[i]);
    if (score > best_score) {
      best_score = score;
      best = k;
    }
  }
  return best;
}

// d solving A_bb d = rhs densely (the "General" rule: |b| ~ n^(1/3), so O(n) as well).
void dense_block_solve(const SparseMatrix& A, const std::vector<int>& block,
                       std::vector<int>& position, const Eigen::VectorXd& rhs, Eigen::VectorXd& d) {
  const auto m = static_cast<Eigen::Index>(block.size());
  for (Eigen::Index k = 0; k < m; ++k)
    position[static_cast<std::size_t>(block[static_cast<std::size_t>(k)])] = static_cast<int>(k);
  Eigen::MatrixXd dense = Eigen::MatrixXd::Zero(m, m);
  for (Eigen::Index k = 0; k < m; ++k)
    for (SparseMatrix::InnerIterator it(A, block[static_cast<std::size_t>(k)]); it; ++it) {
      const int local = position[static_cast<std::size_t>(it.row())];
      if (local >= 0) dense(local, k) = it.value();
    }
  for (int i : block) position[static_cast<std::size_t>(i)] = -1;
  Eigen::LDLT<Eigen::MatrixXd> ldlt(dense);
  if (ldlt.info() != Eigen::Success || !ldlt.isPositive())
    throw std::runtime_error("tree_bcd: the dense block is not positive definite");
  d = ldlt.solve(rhs);
}

}  // namespace tree_bcd_detail

TreeBcdResult tree_bcd(const GraphQuadratic& problem, const TreeBcdOptions& options) {
  using namespace tree_bcd_detail;
  const SparseMatrix& A = problem.A;
  const int n = problem.size();
  if (n < 1 || A.rows() != n || A.cols() != n)
    throw std::invalid_argument("tree_bcd: A is " + std::to_string(A.rows()) + " x " +
                                std::to_string(A.cols()) + " for b of size " + std::to_string(n));
  if (options.max_iterations < 0)
    throw std::invalid_argument("tree_bcd: max_iterations must be >= 0, got " +
                                std::to_string(options.max_iterations));
  if (!(options.relative_residual_tolerance >= 0) ||
      !std::isfinite(options.relative_residual_tolerance))
    throw std::invalid_argument("tree_bcd: relative_residual_tolerance must be finite and >= 0");
  if (!(options.max_seconds >= 0) || !std::isfinite(options.max_seconds))
    throw std::invalid_argument("tree_bcd: max_seconds must be finite and >= 0");
  if (options.trace_every < 0)
    throw std::invalid_argument("tree_bcd: trace_every must be >= 0, got " +
                                std::to_string(options.trace_every));
  if (options.x0.size() != 0 && (options.x0.size() != n || !options.x0.allFinite()))
    throw std::invalid_argument("tree_bcd: x0 has " + std::to_string(options.x0.size()) +
                                " entries (expected " + std::to_string(n) + ", all finite)");
  if (options.x_star && (options.x_star->size() != n || !options.x_star->allFinite()))
    throw std::invalid_argument("tree_bcd: x_star has " + std::to_string(options.x_star->size()) +
                                " entries (expected " + std::to_string(n) + ", all finite)");

  TreeBcdResult result;
  result.trace.label = to_string(options.rule);
  double elapsed = 0;
  auto start = Clock::now();
  auto pause = [&] { elapsed += std::chrono::duration<double>(Clock::now() - start).count(); };
  auto resume = [&] { start = Clock::now(); };
  auto record = [&](int iteration, const Eigen::VectorXd& x) {
    pause();
    const double value =
        options.x_star ? optimality_gap(problem, x, *options.x_star) : objective(problem, x);
    result.trace.points.push_back({iteration, elapsed, value});
    resume();
  };

  IncrementalGradient state(
      problem, options.x0.size() ? options.x0 : Eigen::VectorXd(Eigen::VectorXd::Zero(n)));
  const Eigen::VectorXd& x = state.x();
  const Eigen::VectorXd& g = state.g();
  const double bnorm = problem.b.norm();
  const double target = options.relative_residual_tolerance * (bnorm > 0 ? bnorm : 1.0);
  const TreeBlockRule rule = options.rule;

  ForestBlockSolver forest_solver(A);
  ForestGrower grower(A);
  solvers::SplitMix64 rng(options.seed, 0x7EE);
  std::vector<std::vector<int>> fixed_blocks;
  if (rule == TreeBlockRule::tree_partitions) fixed_blocks = tree_partition(problem);
  if (rule == TreeBlockRule::red_black) fixed_blocks = red_black_classes(problem);
  GradientMaxHeap heap;
  if (rule == TreeBlockRule::greedy_coordinate) heap.rebuild(g);
  const int general_size = std::min(
      n, std::max(1, static_cast<int>(std::ceil(std::cbrt(static_cast<double>(n)) - 1e-9))));
  const Eigen::VectorXd diagonal = A.diagonal();
  std::vector<int> position(static_cast<std::size_t>(n), -1);
  std::vector<int> single(1);
  Eigen::VectorXd rhs, d;
  double block_sizes = 0;
  long long work_since_check = 0;

  if (options.trace_every > 0) record(0, x);
  int it = 0;
  bool converged = target > 0 && g.norm() <= target;
  while (!converged && it < options.max_iterations) {
    const std::vector<int>* block = nullptr;
    std::vector<int> general_block;
    switch (rule) {
      case TreeBlockRule::greedy_tree:
        block = &grower.greedy_tree(g);
        break;
      case TreeBlockRule::random_tree:
        block = &grower.random_tree(rng);
        break;
      case TreeBlockRule::tree_partitions:
      case TreeBlockRule::red_black:
        block = &fixed_blocks[largest_gradient_block(fixed_blocks, g)];
        break;
      case TreeBlockRule::general:
        general_block = top_magnitude(g, general_size);
        block = &general_block;
        break;
      case TreeBlockRule::greedy_coordinate:
        single[0] = heap.top();
        block = &single;
        break;
      case TreeBlockRule::random_coordinate:
        single[0] = static_cast<int>(rng.below(static_cast<std::uint64_t>(n)));
        block = &single;
        break;
    }
    const auto m = static_cast<Eigen::Index>(block->size());
    rhs.resize(m);
    for (Eigen::Index k = 0; k < m; ++k) rhs[k] = -g[(*block)[static_cast<std::size_t>(k)]];
    if (rule == TreeBlockRule::red_black || m == 1) {
      // A is diagonal on a colour class (and on one coordinate).
      d.resize(m);
      for (Eigen::Index k = 0; k < m; ++k)
        d[k] = rhs[k] / diagonal[(*block)[static_cast<std::size_t>(k)]];
    } else if (rule == TreeBlockRule::general) {
      dense_block_solve(A, *block, position, rhs, d);
    } else {
      forest_solver.solve(*block, rhs, d);
    }
    state.step(*block, d, rule == TreeBlockRule::greedy_coordinate ? &heap : nullptr);
    ++it;
    block_sizes += static_cast<double>(m);
    work_since_check += m;
    if (target > 0 && work_since_check >= std::max(1, n / 8)) {
      work_since_check = 0;
      if (g.norm() <= target) {
        // Confirm on the true residual; continue from it when the kept one had drifted.
        state.recompute();
        if (rule == TreeBlockRule::greedy_coordinate) heap.rebuild(g);
        converged = g.norm() <= target;
      }
    }
    if (options.max_seconds > 0 && !converged &&
        elapsed + std::chrono::duration<double>(Clock::now() - start).count() > options.max_seconds)
      result.out_of_time = true;
    if (options.trace_every > 0 && (it % options.trace_every == 0 || converged ||
                                    it == options.max_iterations || result.out_of_time))
      record(it, x);
    if (result.out_of_time) break;
  }
  pause();
  result.seconds = elapsed;
  result.iterations = it;
  result.mean_block_size = it > 0 ? block_sizes / it : 0.0;
  result.relative_residual = relative_residual(problem, x);
  result.converged = target > 0 && result.relative_residual <= options.relative_residual_tolerance;
  result.x = std::move(state.mutable_x());
  return result;
}

}  // namespace deepsolve::bcd
