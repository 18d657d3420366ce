#include "deepsolve/solvers/bcd/tree_blocks.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

namespace deepsolve::bcd {

using SparseMatrix = Eigen::SparseMatrix<double>;

ForestGrower::ForestGrower(const SparseMatrix& A)
    : A_(A), trees_(static_cast<int>(A.rows())), in_block_(static_cast<std::size_t>(A.rows()), 0) {}

const std::vector<int>& ForestGrower::grow(const std::vector<int>& scan_order) {
  // Undo the previous block: only its variables were ever united.
  for (int v : block_) {
    in_block_[static_cast<std::size_t>(v)] = 0;
    trees_.make_singleton(v);
  }
  block_.clear();
  const int n = static_cast<int>(A_.rows());
  for (int v : scan_order) {
    if (v < 0 || v >= n)
      throw std::invalid_argument("ForestGrower: variable " + std::to_string(v) +
                                  " is outside [0, " + std::to_string(n) + ")");
    if (in_block_[static_cast<std::size_t>(v)]) continue;  // listed twice: keep the first
    neighbour_roots_.clear();
    bool closes_cycle = false;
    for (SparseMatrix::InnerIterator it(A_, v); it; ++it) {
      const int u = static_cast<int>(it.row());
      if (u == v || it.value() == 0.0 || !in_block_[static_cast<std::size_t>(u)]) continue;
      const int root = trees_.find(u);
      if (std::find(neighbour_roots_.begin(), neighbour_roots_.end(), root) !=
          neighbour_roots_.end()) {
        closes_cycle = true;  // two neighbours in one tree: v would close a cycle
        break;
      }
      neighbour_roots_.push_back(root);
    }
    if (closes_cycle) continue;
    in_block_[static_cast<std::size_t>(v)] = 1;
    for (int root : neighbour_roots_) trees_.unite(v, root);
  }
  // In index order: the solve and the gradient update then walk memory in order (in |g| order
  // they miss the cache on large graphs, ~10x slower per iteration on a 300 x 300 lattice).
  for (int v = 0; v < n; ++v)
    if (in_block_[static_cast<std::size_t>(v)]) block_.push_back(v);
  return block_;
}

void order_by_decreasing_magnitude(const Eigen::VectorXd& g, std::vector<int>& order,
                                   std::vector<std::uint64_t>& keys,
                                   std::vector<std::uint64_t>& scratch) {
  // Key: the complemented single-precision bits of |g_i| (monotone for non-negative floats) above
  // the index, so an ascending stable sort on the upper 32 bits gives decreasing |g_i| with ties
  // (at single precision) by index. Three LSD radix passes of 11, 11 and 10 bits.
  const auto n = static_cast<std::size_t>(g.size());
  keys.resize(n);
  scratch.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const float magnitude = static_cast<float>(std::abs(g[static_cast<Eigen::Index>(i)]));
    std::uint32_t bits;
    std::memcpy(&bits, &magnitude, sizeof bits);
    keys[i] = (static_cast<std::uint64_t>(~bits) << 32) | static_cast<std::uint64_t>(i);
  }
  constexpr std::array<int, 3> shift{32, 43, 54};
  constexpr std::array<int, 3> width{11, 11, 10};
  std::vector<std::size_t> count;
  for (std::size_t pass = 0; pass < 3; ++pass) {
    const std::size_t buckets = std::size_t{1} << width[pass];
    const std::uint64_t mask = buckets - 1;
    count.assign(buckets + 1, 0);
    for (std::uint64_t key : keys) ++count[((key >> shift[pass]) & mask) + 1];
    for (std::size_t b = 0; b < buckets; ++b) count[b + 1] += count[b];
    for (std::uint64_t key : keys) scratch[count[(key >> shift[pass]) & mask]++] = key;
    keys.swap(scratch);
  }
  order.resize(n);
  for (std::size_t k = 0; k < n; ++k) order[k] = static_cast<int>(keys[k] & 0xffffffffULL);
}

const std::vector<int>& ForestGrower::greedy_tree(const Eigen::VectorXd& g) {
  if (g.size() != A_.rows())
    throw std::invalid_argument("ForestGrower::greedy_tree: g has " + std::to_string(g.size()) +
                                " entries, A has " + std::to_string(A_.rows()) + " rows");
  order_by_decreasing_magnitude(g, scan_, keys_, keys_tmp_);
  return grow(scan_);
}

const std::vector<int>& ForestGrower::random_tree(solvers::SplitMix64& rng) {
  const int n = static_cast<int>(A_.rows());
  scan_.resize(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) scan_[static_cast<std::size_t>(i)] = i;
  for (int i = n - 1; i > 0; --i)  // Fisher-Yates
    std::swap(scan_[static_cast<std::size_t>(i)],
              scan_[static_cast<std::size_t>(rng.below(static_cast<std::uint64_t>(i) + 1))]);
  return grow(scan_);
}

std::vector<std::vector<int>> forest_partition(const SparseMatrix& A) {
  const int n = static_cast<int>(A.rows());
  std::vector<int> order(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) order[static_cast<std::size_t>(i)] = i;
  const Eigen::VectorXd diagonal = A.diagonal();
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return diagonal[a] > diagonal[b]; });
  // The forests are disjoint, so one union-find serves all of them.
  UnionFind trees(n);
  std::vector<int> forest_of(static_cast<std::size_t>(n), -1);
  std::vector<std::vector<int>> forests;
  std::vector<int> roots;
  for (int v : order) {
    int chosen = -1;
    for (int f = 0; f < static_cast<int>(forests.size()) && chosen < 0; ++f) {
      roots.clear();
      bool closes_cycle = false;
      for (SparseMatrix::InnerIterator it(A, v); it; ++it) {
        const int u = static_cast<int>(it.row());
        if (u == v || it.value() == 0.0 || forest_of[static_cast<std::size_t>(u)] != f) continue;
        const int root = trees.find(u);
        if (std::find(roots.begin(), roots.end(), root) != roots.end()) {
          closes_cycle = true;
          break;
        }
        roots.push_back(root);
      }
      if (!closes_cycle) chosen = f;
    }
    if (chosen < 0) {
      chosen = static_cast<int>(forests.size());
      forests.emplace_back();
    }
    forest_of[static_cast<std::size_t>(v)] = chosen;
    forests[static_cast<std::size_t>(chosen)].push_back(v);
    for (SparseMatrix::InnerIterator it(A, v); it; ++it) {
      const int u = static_cast<int>(it.row());
      if (u != v && it.value() != 0.0 && forest_of[static_cast<std::size_t>(u)] == chosen)
        trees.unite(v, u);
    }
  }
  for (auto& forest : forests) std::sort(forest.begin(), forest.end());
  return forests;
}

std::vector<std::vector<int>> tree_partition(const GraphQuadratic& problem) {
  const int rows = problem.lattice_rows;
  const int cols = problem.lattice_cols;
  if (rows < 2 || cols < 1) return forest_partition(problem.A);
  // The paper's two combs (tree_algorithms.py, get_tp_indices), column-major node numbering.
  std::vector<std::vector<int>> combs(2);
  for (int k = 0; k < problem.size(); ++k) {
    const int v = problem.node_of[static_cast<std::size_t>(k)];
    const int r = v % rows;
    const int c = v / rows;
    const bool first = r == 0 || (c % 2 == 0 && r != rows - 1);
    combs[first ? 0 : 1].push_back(k);
  }
  std::vector<std::vector<int>> blocks;
  for (auto& comb : combs)
    if (!comb.empty()) blocks.push_back(std::move(comb));
  return blocks;
}

std::vector<std::vector<int>> colour_classes(const SparseMatrix& A) {
  const int n = static_cast<int>(A.rows());
  std::vector<int> colour(static_cast<std::size_t>(n), -1);
  std::vector<std::vector<int>> classes;
  std::vector<char> taken;
  for (int v = 0; v < n; ++v) {
    taken.assign(classes.size() + 1, 0);
    for (SparseMatrix::InnerIterator it(A, v); it; ++it) {
      const int u = static_cast<int>(it.row());
      if (u == v || it.value() == 0.0) continue;
      const int c = colour[static_cast<std::size_t>(u)];
      if (c >= 0) taken[static_cast<std::size_t>(c)] = 1;
    }
    int c = 0;
    while (taken[static_cast<std::size_t>(c)]) ++c;
    if (c == static_cast<int>(classes.size())) classes.emplace_back();
    colour[static_cast<std::size_t>(v)] = c;
    classes[static_cast<std::size_t>(c)].push_back(v);
  }
  return classes;
}

std::vector<std::vector<int>> red_black_classes(const GraphQuadratic& problem) {
  const int rows = problem.lattice_rows;
  if (rows < 1 || problem.lattice_cols < 1) return colour_classes(problem.A);
  std::vector<std::vector<int>> colours(2);
  for (int k = 0; k < problem.size(); ++k) {
    const int v = problem.node_of[static_cast<std::size_t>(k)];
    colours[static_cast<std::size_t>((v % rows + v / rows) % 2)].push_back(k);
  }
  std::vector<std::vector<int>> blocks;
  for (auto& colour : colours)
    if (!colour.empty()) blocks.push_back(std::move(colour));
  return blocks;
}

std::vector<int> top_magnitude(const Eigen::VectorXd& g, int count) {
  const int n = static_cast<int>(g.size());
  if (count < 1 || count > n)
    throw std::invalid_argument("top_magnitude: count must be in [1, " + std::to_string(n) +
                                "], got " + std::to_string(count));
  std::vector<int> index(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) index[static_cast<std::size_t>(i)] = i;
  auto larger = [&](int a, int b) {
    const double ga = std::abs(g[a]);
    const double gb = std::abs(g[b]);
    return ga > gb || (ga == gb && a < b);
  };
  std::nth_element(index.begin(), index.begin() + (count - 1), index.end(), larger);
  index.resize(static_cast<std::size_t>(count));
  std::sort(index.begin(), index.end());
  return index;
}

bool is_independent_set(const SparseMatrix& A, const std::vector<int>& block) {
  std::vector<char> in(static_cast<std::size_t>(A.rows()), 0);
  for (int v : block) in[static_cast<std::size_t>(v)] = 1;
  for (int v : block)
    for (SparseMatrix::InnerIterator it(A, v); it; ++it) {
      const int u = static_cast<int>(it.row());
      if (u != v && it.value() != 0.0 && in[static_cast<std::size_t>(u)]) return false;
    }
  return true;
}

}  // namespace deepsolve::bcd
