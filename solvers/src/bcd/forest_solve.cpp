#include "deepsolve/solvers/bcd/forest_solve.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace deepsolve::bcd {

ForestBlockSolver::ForestBlockSolver(const Eigen::SparseMatrix<double>& A)
    : A_(A), position_(static_cast<std::size_t>(A.rows()), -1) {
  if (A.rows() != A.cols())
    throw std::invalid_argument("ForestBlockSolver: A is " + std::to_string(A.rows()) + " x " +
                                std::to_string(A.cols()) + ", not square");
}

void ForestBlockSolver::clear_positions(const std::vector<int>& block) {
  for (int i : block)
    if (i >= 0 && i < static_cast<int>(position_.size()))
      position_[static_cast<std::size_t>(i)] = -1;
}

std::pair<int, int> ForestBlockSolver::order_forest(const std::vector<int>& block) {
  const int n = static_cast<int>(position_.size());
  const int m = static_cast<int>(block.size());
  if (m == 0) throw std::invalid_argument("ForestBlockSolver: the block is empty");
  for (int k = 0; k < m; ++k) {
    const int i = block[static_cast<std::size_t>(k)];
    if (i < 0 || i >= n || position_[static_cast<std::size_t>(i)] >= 0) {
      for (int q = 0; q < k; ++q)
        position_[static_cast<std::size_t>(block[static_cast<std::size_t>(q)])] = -1;
      throw std::invalid_argument(
          "ForestBlockSolver: block entry " + std::to_string(k) + " = " + std::to_string(i) +
          (i < 0 || i >= n ? " is outside [0, " + std::to_string(n) + ")" : " is repeated"));
    }
    position_[static_cast<std::size_t>(i)] = k;
  }
  const auto ms = static_cast<std::size_t>(m);
  order_.clear();
  order_.reserve(ms);
  parent_.assign(ms, -2);  // -2: not reached yet
  coupling_.assign(ms, 0.0);
  pivot_.assign(ms, 0.0);
  for (int root = 0; root < m; ++root) {
    if (parent_[static_cast<std::size_t>(root)] != -2) continue;
    parent_[static_cast<std::size_t>(root)] = -1;
    std::size_t head = order_.size();
    order_.push_back(root);
    while (head < order_.size()) {
      const int v = order_[head++];
      const int column = block[static_cast<std::size_t>(v)];
      for (Eigen::SparseMatrix<double>::InnerIterator it(A_, column); it; ++it) {
        const int i = static_cast<int>(it.row());
        if (i == column) {
          pivot_[static_cast<std::size_t>(v)] += it.value();
          continue;
        }
        const int u = position_[static_cast<std::size_t>(i)];
        if (u < 0 || it.value() == 0.0 || u == parent_[static_cast<std::size_t>(v)]) continue;
        // A neighbour reached before that is not v's parent: a second path, so a cycle.
        if (parent_[static_cast<std::size_t>(u)] != -2) return {v, u};
        parent_[static_cast<std::size_t>(u)] = v;
        coupling_[static_cast<std::size_t>(u)] = it.value();
        order_.push_back(u);
      }
    }
  }
  return {-1, -1};
}

bool ForestBlockSolver::is_forest(const std::vector<int>& block) {
  const auto cycle = order_forest(block);
  clear_positions(block);
  return cycle.first < 0;
}

void ForestBlockSolver::solve(const std::vector<int>& block, const Eigen::VectorXd& rhs,
                              Eigen::VectorXd& d) {
  if (rhs.size() != static_cast<Eigen::Index>(block.size()))
    throw std::invalid_argument("ForestBlockSolver: the right-hand side has " +
                                std::to_string(rhs.size()) + " entries for a block of " +
                                std::to_string(block.size()));
  const auto cycle = order_forest(block);
  clear_positions(block);
  if (cycle.first >= 0)
    throw std::invalid_argument(
        "ForestBlockSolver: the block is not a forest: the edge between unknowns " +
        std::to_string(block[static_cast<std::size_t>(cycle.first)]) + " and " +
        std::to_string(block[static_cast<std::size_t>(cycle.second)]) +
        " closes a cycle (message passing solves only tree-structured blocks)");
  const std::size_t m = block.size();
  work_rhs_.assign(rhs.data(), rhs.data() + m);
  // Leaves to roots: eliminate v into its parent (children come after parents in order_).
  for (std::size_t k = m; k-- > 0;) {
    const auto v = static_cast<std::size_t>(order_[k]);
    const double pivot = pivot_[v];
    if (!(pivot > 0.0) || !std::isfinite(pivot))
      throw std::runtime_error("ForestBlockSolver: pivot " + std::to_string(pivot) +
                               " at unknown " + std::to_string(block[v]) +
                               ": A_bb is not positive definite");
    const int p = parent_[v];
    if (p < 0) continue;
    const double l = coupling_[v] / pivot;
    pivot_[static_cast<std::size_t>(p)] -= l * coupling_[v];
    work_rhs_[static_cast<std::size_t>(p)] -= l * work_rhs_[v];
  }
  // Roots to leaves: back-substitution, each node after its parent.
  d.resize(static_cast<Eigen::Index>(m));
  for (std::size_t k = 0; k < m; ++k) {
    const auto v = static_cast<std::size_t>(order_[k]);
    const int p = parent_[v];
    double value = work_rhs_[v];
    if (p >= 0) value -= coupling_[v] * d[p];
    d[static_cast<Eigen::Index>(v)] = value / pivot_[v];
  }
}

}  // namespace deepsolve::bcd
