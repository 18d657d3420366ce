#include "deepsolve/solvers/bcd/graph_quadratic.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

#include <Eigen/SparseCholesky>

#include "deepsolve/solvers/bcd/union_find.hpp"
#include "deepsolve/solvers/random.hpp"

namespace deepsolve::bcd {

namespace graph_quadratic_detail {

std::string edge_name(std::size_t e, const WeightedEdge& edge) {
  return "edge " + std::to_string(e) + " (" + std::to_string(edge.i) + ", " +
         std::to_string(edge.j) + ")";
}

// `count` distinct nodes of [0, n) drawn uniformly (partial Fisher-Yates on the seeded stream).
std::vector<int> distinct_random_nodes(int n, int count, solvers::SplitMix64& rng) {
  std::vector<int> nodes(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) nodes[static_cast<std::size_t>(i)] = i;
  for (int k = 0; k < count; ++k) {
    const auto pick = static_cast<std::size_t>(k) +
                      static_cast<std::size_t>(rng.below(static_cast<std::uint64_t>(n - k)));
    std::swap(nodes[static_cast<std::size_t>(k)], nodes[pick]);
  }
  nodes.resize(static_cast<std::size_t>(count));
  return nodes;
}

// Standard normal by Box-Muller on the stream (no std:: distribution: same numbers everywhere).
double normal(solvers::SplitMix64& rng) {
  const double u1 = 1.0 - rng.uniform();
  const double u2 = rng.uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

}  // namespace graph_quadratic_detail

GraphQuadratic label_propagation_quadratic(const LabelledGraph& graph) {
  using graph_quadratic_detail::edge_name;
  const int num_nodes = graph.num_nodes;
  if (num_nodes <= 0)
    throw std::invalid_argument("label propagation: the graph has no nodes (num_nodes = " +
                                std::to_string(num_nodes) + ")");
  if (graph.labelled.size() != static_cast<std::size_t>(num_nodes) ||
      graph.label.size() != static_cast<std::size_t>(num_nodes))
    throw std::invalid_argument("label propagation: labelled/label have " +
                                std::to_string(graph.labelled.size()) + "/" +
                                std::to_string(graph.label.size()) + " entries, expected " +
                                std::to_string(num_nodes) + " (one per node)");
  GraphQuadratic problem;
  std::vector<int> unknown_of(static_cast<std::size_t>(num_nodes), -1);
  for (int v = 0; v < num_nodes; ++v) {
    if (graph.labelled[static_cast<std::size_t>(v)]) {
      if (!std::isfinite(graph.label[static_cast<std::size_t>(v)]))
        throw std::invalid_argument("label propagation: the label of node " + std::to_string(v) +
                                    " is not finite");
      continue;
    }
    unknown_of[static_cast<std::size_t>(v)] = static_cast<int>(problem.node_of.size());
    problem.node_of.push_back(v);
  }
  const int n = static_cast<int>(problem.node_of.size());
  if (n == 0)
    throw std::invalid_argument("label propagation: every node is labelled, nothing to solve");

  std::vector<Eigen::Triplet<double>> entries;
  entries.reserve(graph.edges.size() * 4);
  problem.b = Eigen::VectorXd::Zero(n);
  UnionFind components(n);
  std::vector<bool> anchored(static_cast<std::size_t>(n), false);  // touches a labelled node
  for (std::size_t e = 0; e < graph.edges.size(); ++e) {
    const WeightedEdge& edge = graph.edges[e];
    if (edge.i < 0 || edge.i >= num_nodes || edge.j < 0 || edge.j >= num_nodes)
      throw std::invalid_argument("label propagation: " + edge_name(e, edge) +
                                  " names a node outside [0, " + std::to_string(num_nodes) + ")");
    if (edge.i == edge.j)
      throw std::invalid_argument("label propagation: " + edge_name(e, edge) + " is a self-loop");
    if (!std::isfinite(edge.weight))
      throw std::invalid_argument("label propagation: " + edge_name(e, edge) +
                                  " has a non-finite weight");
    if (edge.weight < 0)
      throw std::invalid_argument("label propagation: " + edge_name(e, edge) +
                                  " has a negative weight " + std::to_string(edge.weight) +
                                  " (the quadratic would not be convex)");
    if (edge.weight == 0) continue;
    const int ui = unknown_of[static_cast<std::size_t>(edge.i)];
    const int uj = unknown_of[static_cast<std::size_t>(edge.j)];
    const double w = edge.weight;
    if (ui >= 0 && uj >= 0) {
      entries.emplace_back(ui, ui, w);
      entries.emplace_back(uj, uj, w);
      entries.emplace_back(ui, uj, -w);
      entries.emplace_back(uj, ui, -w);
      components.unite(ui, uj);
    } else if (ui >= 0) {
      entries.emplace_back(ui, ui, w);
      problem.b[ui] += w * graph.label[static_cast<std::size_t>(edge.j)];
      anchored[static_cast<std::size_t>(ui)] = true;
    } else if (uj >= 0) {
      entries.emplace_back(uj, uj, w);
      problem.b[uj] += w * graph.label[static_cast<std::size_t>(edge.i)];
      anchored[static_cast<std::size_t>(uj)] = true;
    }
  }
  // A component of unknowns without a labelled neighbour has the constant vector in A's kernel.
  std::vector<bool> root_anchored(static_cast<std::size_t>(n), false);
  for (int k = 0; k < n; ++k)
    if (anchored[static_cast<std::size_t>(k)])
      root_anchored[static_cast<std::size_t>(components.find(k))] = true;
  for (int k = 0; k < n; ++k) {
    if (!root_anchored[static_cast<std::size_t>(components.find(k))]) {
      int size = 0;
      for (int m = 0; m < n; ++m) size += components.find(m) == components.find(k) ? 1 : 0;
      throw std::invalid_argument(
          "label propagation: node " +
          std::to_string(problem.node_of[static_cast<std::size_t>(k)]) +
          " lies in a connected component of " + std::to_string(size) +
          " unlabelled node(s) with no labelled neighbour: A is singular (the values there are "
          "not determined); label a node of it or connect it");
    }
  }
  problem.A.resize(n, n);
  problem.A.setFromTriplets(entries.begin(), entries.end());
  problem.A.makeCompressed();
  problem.lattice_rows = graph.lattice_rows;
  problem.lattice_cols = graph.lattice_cols;
  return problem;
}

LabelledGraph lattice_graph(int rows, int cols, double weight, int num_labels, double label_std,
                            std::uint64_t seed) {
  if (rows < 1 || cols < 1)
    throw std::invalid_argument("lattice_graph: rows and cols must be >= 1, got " +
                                std::to_string(rows) + " x " + std::to_string(cols));
  if (!(weight > 0) || !std::isfinite(weight))
    throw std::invalid_argument("lattice_graph: weight must be finite and > 0, got " +
                                std::to_string(weight));
  const long long nodes = static_cast<long long>(rows) * cols;
  if (nodes > std::numeric_limits<int>::max() / 2)
    throw std::invalid_argument("lattice_graph: " + std::to_string(nodes) + " nodes is too many");
  if (num_labels < 1 || num_labels >= nodes)
    throw std::invalid_argument("lattice_graph: num_labels must be in [1, " +
                                std::to_string(nodes - 1) + "], got " + std::to_string(num_labels));
  LabelledGraph graph;
  graph.num_nodes = static_cast<int>(nodes);
  graph.lattice_rows = rows;
  graph.lattice_cols = cols;
  graph.edges.reserve(static_cast<std::size_t>(2 * nodes));
  for (int c = 0; c < cols; ++c)
    for (int r = 0; r < rows; ++r) {
      const int v = c * rows + r;  // column-major, as the paper's ising_Wy
      if (r + 1 < rows) graph.edges.push_back({v, v + 1, weight});
      if (c + 1 < cols) graph.edges.push_back({v, v + rows, weight});
    }
  solvers::SplitMix64 rng(seed, 0xD);
  graph.labelled.assign(static_cast<std::size_t>(nodes), false);
  graph.label.assign(static_cast<std::size_t>(nodes), 0.0);
  for (int v : graph_quadratic_detail::distinct_random_nodes(graph.num_nodes, num_labels, rng)) {
    graph.labelled[static_cast<std::size_t>(v)] = true;
    graph.label[static_cast<std::size_t>(v)] = label_std * graph_quadratic_detail::normal(rng);
  }
  return graph;
}

LabelledGraph two_moons_graph(int num_nodes, int k, int num_labels, double noise,
                              std::uint64_t seed) {
  if (num_nodes < 4)
    throw std::invalid_argument("two_moons_graph: num_nodes must be >= 4, got " +
                                std::to_string(num_nodes));
  if (k < 1 || k >= num_nodes)
    throw std::invalid_argument("two_moons_graph: k must be in [1, " +
                                std::to_string(num_nodes - 1) + "], got " + std::to_string(k));
  if (num_labels < 1 || num_labels >= num_nodes)
    throw std::invalid_argument("two_moons_graph: num_labels must be in [1, " +
                                std::to_string(num_nodes - 1) + "], got " +
                                std::to_string(num_labels));
  if (!(noise >= 0) || !std::isfinite(noise))
    throw std::invalid_argument("two_moons_graph: noise must be finite and >= 0, got " +
                                std::to_string(noise));
  const auto n = static_cast<std::size_t>(num_nodes);
  solvers::SplitMix64 rng(seed, 0xE);
  // make_moons: the outer half circle, then the inner one shifted by (1, -0.5).
  const int outer = num_nodes / 2;
  const int inner = num_nodes - outer;
  std::vector<double> px(n), py(n);
  std::vector<int> moon(n);
  for (int i = 0; i < num_nodes; ++i) {
    const bool is_outer = i < outer;
    const int m = is_outer ? i : i - outer;
    const int count = is_outer ? outer : inner;
    const double t = count > 1 ? M_PI * m / (count - 1) : 0.0;
    const auto s = static_cast<std::size_t>(i);
    px[s] = is_outer ? std::cos(t) : 1.0 - std::cos(t);
    py[s] = is_outer ? std::sin(t) : 0.5 - std::sin(t);
    px[s] += noise * graph_quadratic_detail::normal(rng);
    py[s] += noise * graph_quadratic_detail::normal(rng);
    moon[s] = is_outer ? 0 : 1;
  }
  auto dist2 = [&](std::size_t a, std::size_t b) {
    const double dx = px[a] - px[b];
    const double dy = py[a] - py[b];
    return dx * dx + dy * dy;
  };
  // k nearest neighbours by brute force (n^2 distances: 4e6 for the paper's 2000 nodes).
  std::vector<std::pair<int, int>> pairs;
  pairs.reserve(n * static_cast<std::size_t>(k));
  std::vector<std::pair<double, int>> row(n - 1);
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t m = 0;
    for (std::size_t j = 0; j < n; ++j)
      if (j != i) row[m++] = {dist2(i, j), static_cast<int>(j)};
    std::partial_sort(row.begin(), row.begin() + k, row.end());
    for (int q = 0; q < k; ++q) {
      const int j = row[static_cast<std::size_t>(q)].second;
      pairs.emplace_back(std::min(static_cast<int>(i), j), std::max(static_cast<int>(i), j));
    }
  }
  std::sort(pairs.begin(), pairs.end());
  pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
  // Join the components: each time the smallest one gets its shortest edge to another.
  for (;;) {
    UnionFind uf(num_nodes);
    for (const auto& [a, b] : pairs) uf.unite(a, b);
    std::vector<int> size(n, 0);
    for (int v = 0; v < num_nodes; ++v) ++size[static_cast<std::size_t>(uf.find(v))];
    int smallest = -1;
    for (int v = 0; v < num_nodes; ++v)
      if (uf.find(v) == v && size[static_cast<std::size_t>(v)] < num_nodes &&
          (smallest < 0 ||
           size[static_cast<std::size_t>(v)] < size[static_cast<std::size_t>(smallest)]))
        smallest = v;
    if (smallest < 0) break;
    double best = std::numeric_limits<double>::infinity();
    std::pair<int, int> edge{-1, -1};
    for (int a = 0; a < num_nodes; ++a) {
      if (uf.find(a) != smallest) continue;
      for (int b = 0; b < num_nodes; ++b) {
        if (uf.find(b) == smallest) continue;
        const double d = dist2(static_cast<std::size_t>(a), static_cast<std::size_t>(b));
        if (d < best) {
          best = d;
          edge = {std::min(a, b), std::max(a, b)};
        }
      }
    }
    pairs.push_back(edge);
  }
  LabelledGraph graph;
  graph.num_nodes = num_nodes;
  graph.edges.reserve(pairs.size());
  for (const auto& [a, b] : pairs) graph.edges.push_back({a, b, 1.0});
  graph.labelled.assign(n, false);
  graph.label.assign(n, 0.0);
  for (int v : graph_quadratic_detail::distinct_random_nodes(num_nodes, num_labels, rng)) {
    graph.labelled[static_cast<std::size_t>(v)] = true;
    graph.label[static_cast<std::size_t>(v)] = moon[static_cast<std::size_t>(v)] == 0 ? 1.0 : -1.0;
  }
  return graph;
}

double objective(const GraphQuadratic& problem, const Eigen::VectorXd& x) {
  return 0.5 * x.dot(problem.A * x) - problem.b.dot(x);
}

double optimality_gap(const GraphQuadratic& problem, const Eigen::VectorXd& x,
                      const Eigen::VectorXd& x_star) {
  const Eigen::VectorXd e = x - x_star;
  return 0.5 * e.dot(problem.A * e);
}

double relative_residual(const GraphQuadratic& problem, const Eigen::VectorXd& x) {
  const double r = (problem.b - problem.A * x).norm();
  const double bn = problem.b.norm();
  return bn > 0 ? r / bn : r;
}

Eigen::VectorXd reference_solution(const GraphQuadratic& problem) {
  Eigen::SimplicialLDLT<Eigen::SparseMatrix<double>> ldlt(problem.A);
  if (ldlt.info() != Eigen::Success)
    throw std::runtime_error(
        "reference_solution: the sparse LDL^T of A failed (A is not "
        "positive definite)");
  Eigen::VectorXd x = ldlt.solve(problem.b);
  for (int step = 0; step < 2; ++step) {
    const Eigen::VectorXd r = problem.b - problem.A * x;
    x += ldlt.solve(r);
  }
  if (!x.allFinite())
    throw std::runtime_error("reference_solution: the solve produced non-finite values");
  return x;
}

}  // namespace deepsolve::bcd
