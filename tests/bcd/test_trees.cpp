// Tree-structured blocks and message passing (deepsolve::bcd: graph_quadratic, forest_solve,
// tree_blocks, tree_bcd) on small seeded graphs.
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "deepsolve/solvers/bcd/forest_solve.hpp"
#include "deepsolve/solvers/bcd/gradient_heap.hpp"
#include "deepsolve/solvers/bcd/graph_quadratic.hpp"
#include "deepsolve/solvers/bcd/tree_bcd.hpp"
#include "deepsolve/solvers/bcd/tree_blocks.hpp"
#include "deepsolve/solvers/bcd/union_find.hpp"
#include "tree_experiments.hpp"

namespace {

using namespace deepsolve::bcd;
using SparseMatrix = Eigen::SparseMatrix<double>;

// An SPD matrix on a graph with the given edges: A = L + diag(shift), L the weighted Laplacian.
SparseMatrix graph_matrix(int n, const std::vector<std::pair<int, int>>& edges) {
  std::vector<Eigen::Triplet<double>> t;
  for (int i = 0; i < n; ++i) t.emplace_back(i, i, 1.0 + 0.1 * i);
  for (std::size_t e = 0; e < edges.size(); ++e) {
    const auto [i, j] = edges[e];
    const double w = 0.5 + 0.25 * static_cast<double>(e % 5);
    t.emplace_back(i, i, w);
    t.emplace_back(j, j, w);
    t.emplace_back(i, j, -w);
    t.emplace_back(j, i, -w);
  }
  SparseMatrix A(n, n);
  A.setFromTriplets(t.begin(), t.end());
  return A;
}

Eigen::VectorXd dense_block_solution(const SparseMatrix& A, const std::vector<int>& block,
                                     const Eigen::VectorXd& rhs) {
  const Eigen::MatrixXd dense(A);
  const auto m = static_cast<Eigen::Index>(block.size());
  Eigen::MatrixXd Abb(m, m);
  for (Eigen::Index a = 0; a < m; ++a)
    for (Eigen::Index c = 0; c < m; ++c)
      Abb(a, c) = dense(block[static_cast<std::size_t>(a)], block[static_cast<std::size_t>(c)]);
  return Abb.ldlt().solve(rhs);
}

GraphQuadratic small_lattice(int rows, int cols, std::uint64_t seed, int labels = 6) {
  return label_propagation_quadratic(lattice_graph(rows, cols, 1e5, labels, 10.0, seed));
}

TEST(ForestSolve, MatchesDenseSolveOnAForestOfSeveralTreesAndASingleNode) {
  // Nodes 0..9 plus 10..12 outside the block: trees {0-1, 1-2, 1-3, 3-4}, {5-6, 6-7}, {8}, and
  // edges to 10..12 (outside the block) and a cycle 9-10-11-9 that the block cuts.
  const std::vector<std::pair<int, int>> edges = {{0, 1},  {1, 2},   {1, 3},  {3, 4},
                                                  {5, 6},  {6, 7},   {4, 10}, {7, 11},
                                                  {9, 10}, {10, 11}, {11, 9}, {8, 12}};
  const SparseMatrix A = graph_matrix(13, edges);
  ForestBlockSolver solver(A);
  const std::vector<int> block = {7, 2, 0, 8, 5, 1, 4, 3, 6, 9};  // any order
  Eigen::VectorXd rhs(static_cast<Eigen::Index>(block.size()));
  for (Eigen::Index k = 0; k < rhs.size(); ++k) rhs[k] = std::sin(1.0 + 3.0 * k);
  Eigen::VectorXd d;
  solver.solve(block, rhs, d);
  const Eigen::VectorXd expected = dense_block_solution(A, block, rhs);
  EXPECT_LT((d - expected).norm(), 1e-12 * expected.norm());
  // One node: d = rhs / A_ii.
  solver.solve({8}, Eigen::VectorXd::Constant(1, 3.0), d);
  EXPECT_NEAR(d[0], 3.0 / A.coeff(8, 8), 1e-15);
}

TEST(ForestSolve, RefusesABlockWithACycleAndBadBlocks) {
  const SparseMatrix A = graph_matrix(5, {{0, 1}, {1, 2}, {2, 0}, {2, 3}});
  ForestBlockSolver solver(A);
  Eigen::VectorXd d;
  EXPECT_FALSE(solver.is_forest({0, 1, 2}));
  EXPECT_TRUE(solver.is_forest({0, 1, 3}));
  try {
    solver.solve({3, 0, 1, 2}, Eigen::VectorXd::Ones(4), d);
    FAIL() << "a cycle was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("not a forest"), std::string::npos) << e.what();
  }
  EXPECT_THROW(solver.solve({}, Eigen::VectorXd(), d), std::invalid_argument);
  EXPECT_THROW(solver.solve({0, 0}, Eigen::VectorXd::Ones(2), d), std::invalid_argument);
  EXPECT_THROW(solver.solve({0, 7}, Eigen::VectorXd::Ones(2), d), std::invalid_argument);
  EXPECT_THROW(solver.solve({0, 3}, Eigen::VectorXd::Ones(3), d), std::invalid_argument);
  // After the refusals the solver still works (its work arrays were cleared).
  solver.solve({0, 1, 3}, Eigen::VectorXd::Ones(3), d);
  EXPECT_LT((d - dense_block_solution(A, {0, 1, 3}, Eigen::VectorXd::Ones(3))).norm(), 1e-12);
}

TEST(UnionFind, RefusesTheEdgeThatClosesACycle) {
  UnionFind uf(4);
  EXPECT_TRUE(uf.unite(0, 1));
  EXPECT_TRUE(uf.unite(1, 2));
  EXPECT_FALSE(uf.unite(2, 0));
  EXPECT_TRUE(uf.unite(3, 0));
  EXPECT_EQ(uf.find(3), uf.find(2));
}

TEST(TreeBlocks, GreedyTreeIsAForestWithTheLargestGradientAndTreePartitionsCoverOnce) {
  const GraphQuadratic p = small_lattice(9, 7, 3);
  const int n = p.size();
  Eigen::VectorXd g(n);
  for (int i = 0; i < n; ++i) g[i] = std::sin(0.7 * i + 0.3) * (1 + i % 4);
  int largest = 0;
  g.cwiseAbs().maxCoeff(&largest);
  ForestGrower grower(p.A);
  ForestBlockSolver solver(p.A);
  const std::vector<int> block = grower.greedy_tree(g);
  EXPECT_TRUE(solver.is_forest(block));
  EXPECT_NE(std::find(block.begin(), block.end(), largest), block.end());
  EXPECT_GT(block.size(), static_cast<std::size_t>(n / 2));  // maximal: most of a lattice
  EXPECT_LT(block.size(), static_cast<std::size_t>(n));      // but not all (it has cycles)
  // Maximal: adding any variable outside it closes a cycle.
  for (int v = 0; v < n; ++v) {
    if (std::find(block.begin(), block.end(), v) != block.end()) continue;
    std::vector<int> bigger = block;
    bigger.push_back(v);
    EXPECT_FALSE(solver.is_forest(bigger)) << "variable " << v << " could have been added";
  }
  deepsolve::solvers::SplitMix64 rng(5);
  EXPECT_TRUE(solver.is_forest(grower.random_tree(rng)));

  for (const auto& parts : {tree_partition(p), forest_partition(p.A)}) {
    std::vector<int> seen(static_cast<std::size_t>(n), 0);
    for (const auto& part : parts) {
      EXPECT_TRUE(solver.is_forest(part));
      for (int v : part) ++seen[static_cast<std::size_t>(v)];
    }
    for (int v = 0; v < n; ++v) EXPECT_EQ(seen[static_cast<std::size_t>(v)], 1) << v;
  }
  EXPECT_EQ(tree_partition(p).size(), 2u);  // the two combs of a lattice
}

TEST(TreeBlocks, RedBlackClassesAreIndependentSetsAndGeneralTakesTheTop) {
  const GraphQuadratic p = small_lattice(8, 8, 4);
  EXPECT_EQ(red_black_classes(p).size(), 2u);  // the checkerboard
  const GraphQuadratic moons = label_propagation_quadratic(two_moons_graph(150, 5, 12, 0.1, 4));
  for (const GraphQuadratic* q : {&p, &moons}) {
    for (const auto& classes : {red_black_classes(*q), colour_classes(q->A)}) {
      std::vector<int> seen(static_cast<std::size_t>(q->size()), 0);
      for (const auto& c : classes) {
        EXPECT_TRUE(is_independent_set(q->A, c));
        for (int v : c) ++seen[static_cast<std::size_t>(v)];
      }
      for (int count : seen) EXPECT_EQ(count, 1);
    }
  }
  EXPECT_FALSE(is_independent_set(p.A, tree_partition(p)[0]));
  Eigen::VectorXd g = Eigen::VectorXd::Zero(p.size());
  g[5] = -4;
  g[17] = 3;
  g[2] = 2;
  EXPECT_EQ(top_magnitude(g, 2), (std::vector<int>{5, 17}));
}

TEST(GradientHeap, TopIsTheLargestMagnitudeAfterUpdates) {
  Eigen::VectorXd g(6);
  g << 1, -5, 2, 0.5, 3, -1;
  GradientMaxHeap heap(g);
  EXPECT_EQ(heap.top(), 1);
  heap.update(1, 0.1);
  EXPECT_EQ(heap.top(), 4);
  heap.update(3, -9);
  EXPECT_EQ(heap.top(), 3);
}

TEST(TreeBcd, IncrementalGradientAndBlockSolvesAreExactAndGreedyTreeBeatsRedBlack) {
  const GraphQuadratic p = small_lattice(12, 12, 7, 8);
  const Eigen::VectorXd x_star = reference_solution(p);
  EXPECT_LT(relative_residual(p, x_star), 1e-12);
  auto run = [&](TreeBlockRule rule, int iterations) {
    TreeBcdOptions o;
    o.rule = rule;
    o.max_iterations = iterations;
    o.x_star = &x_star;
    o.seed = 11;
    return tree_bcd(p, o);
  };
  const double start_gap = optimality_gap(p, Eigen::VectorXd::Zero(p.size()), x_star);
  const int K = 50;
  const TreeBcdResult greedy = run(TreeBlockRule::greedy_tree, K);
  const TreeBcdResult red_black = run(TreeBlockRule::red_black, K);
  ASSERT_EQ(greedy.trace.points.size(), static_cast<std::size_t>(K + 1));
  EXPECT_DOUBLE_EQ(greedy.trace.points[0].objective, start_gap);
  const double greedy_gap = greedy.trace.points.back().objective;
  const double red_black_gap = red_black.trace.points.back().objective;
  EXPECT_LT(greedy_gap, 0.2 * red_black_gap) << greedy_gap << " vs " << red_black_gap;
  // Every exact block update decreases f (or leaves it at the optimum).
  for (const auto* r : {&greedy, &red_black})
    for (std::size_t k = 1; k < r->trace.points.size(); ++k)
      EXPECT_LE(r->trace.points[k].objective, r->trace.points[k - 1].objective * (1 + 1e-12));

  // Incremental gradient equals a recomputed one: stop a run on a tight residual, which is
  // confirmed on the recomputed residual; and compare f after K steps run through every rule.
  for (TreeBlockRule rule :
       {TreeBlockRule::greedy_tree, TreeBlockRule::random_tree, TreeBlockRule::tree_partitions,
        TreeBlockRule::red_black, TreeBlockRule::general, TreeBlockRule::greedy_coordinate,
        TreeBlockRule::random_coordinate}) {
    const TreeBcdResult r = run(rule, 40);
    EXPECT_LT(r.trace.points.back().objective, start_gap) << to_string(rule);
  }
  TreeBcdOptions o;
  o.rule = TreeBlockRule::greedy_tree;
  o.max_iterations = 2000;
  o.relative_residual_tolerance = 1e-10;
  o.trace_every = 0;
  const TreeBcdResult solved = tree_bcd(p, o);
  EXPECT_TRUE(solved.converged);
  EXPECT_LE(solved.relative_residual, 1e-10);
  EXPECT_LT((solved.x - x_star).norm(), 1e-6 * x_star.norm());
}

TEST(TreeBcd, IncrementalGradientMatchesTheRecomputedOne) {
  // Exact forest-block steps by the greedy and random tree rules and single-coordinate steps,
  // then the kept gradient against A x - b recomputed.
  const GraphQuadratic p = label_propagation_quadratic(two_moons_graph(150, 5, 12, 0.1, 9));
  IncrementalGradient state(p, Eigen::VectorXd::Zero(p.size()));
  ForestGrower grower(p.A);
  ForestBlockSolver solver(p.A);
  GradientMaxHeap heap(state.g());
  deepsolve::solvers::SplitMix64 rng(2);
  Eigen::VectorXd d;
  for (int k = 0; k < 30; ++k) {
    const std::vector<int> block = k % 3 == 2   ? std::vector<int>{heap.top()}
                                   : k % 3 == 1 ? grower.random_tree(rng)
                                                : grower.greedy_tree(state.g());
    Eigen::VectorXd rhs(static_cast<Eigen::Index>(block.size()));
    for (std::size_t q = 0; q < block.size(); ++q)
      rhs[static_cast<Eigen::Index>(q)] = -state.g()[block[q]];
    solver.solve(block, rhs, d);
    state.step(block, d, &heap);
    // The exact block solve zeroes the block's gradient.
    for (int i : block) EXPECT_LT(std::abs(state.g()[i]), 1e-9 * p.b.norm());
    int largest = 0;
    state.g().cwiseAbs().maxCoeff(&largest);
    EXPECT_EQ(std::abs(state.g()[heap.top()]), std::abs(state.g()[largest]));
  }
  const Eigen::VectorXd recomputed = p.A * state.x() - p.b;
  EXPECT_LT((state.g() - recomputed).norm(), 1e-12 * p.b.norm());
  EXPECT_GT(state.g().norm(), 1e-3 * p.b.norm());  // not trivially zero
}

TEST(GraphQuadratic, BuildsLPropagationAndRefusesBadGraphs) {
  // Path 0 - 1 - 2 - 3 with 0 labelled 2 and 3 labelled -1, unit weights except 1-2 (w = 3).
  LabelledGraph graph;
  graph.num_nodes = 4;
  graph.edges = {{0, 1, 1.0}, {1, 2, 3.0}, {2, 3, 1.0}};
  graph.labelled = {true, false, false, true};
  graph.label = {2.0, 0.0, 0.0, -1.0};
  const GraphQuadratic p = label_propagation_quadratic(graph);
  ASSERT_EQ(p.size(), 2);
  EXPECT_EQ(p.node_of, (std::vector<int>{1, 2}));
  EXPECT_DOUBLE_EQ(p.A.coeff(0, 0), 4.0);
  EXPECT_DOUBLE_EQ(p.A.coeff(0, 1), -3.0);
  EXPECT_DOUBLE_EQ(p.b[0], 2.0);
  EXPECT_DOUBLE_EQ(p.b[1], -1.0);

  auto message = [](const LabelledGraph& g) {
    try {
      label_propagation_quadratic(g);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("(accepted)");
  };
  LabelledGraph bad = graph;
  bad.edges[1].weight = std::numeric_limits<double>::quiet_NaN();
  EXPECT_NE(message(bad).find("non-finite weight"), std::string::npos) << message(bad);
  bad = graph;
  bad.edges[1].weight = -1;
  EXPECT_NE(message(bad).find("negative weight"), std::string::npos) << message(bad);
  bad = graph;
  bad.edges[2] = {2, 9, 1.0};
  EXPECT_NE(message(bad).find("outside"), std::string::npos) << message(bad);
  bad = graph;
  bad.label[3] = std::numeric_limits<double>::infinity();
  EXPECT_NE(message(bad).find("label of node 3"), std::string::npos) << message(bad);
  // Nodes 4 and 5 joined to each other only: no label reaches them, A is singular.
  bad = graph;
  bad.num_nodes = 6;
  bad.edges.push_back({4, 5, 1.0});
  bad.labelled = {true, false, false, true, false, false};
  bad.label = {2.0, 0.0, 0.0, -1.0, 0.0, 0.0};
  EXPECT_NE(message(bad).find("singular"), std::string::npos) << message(bad);
  bad.labelled[0] = false;
  bad.labelled[3] = false;
  bad.labelled[4] = false;
  bad.labelled[5] = false;
  EXPECT_NE(message(bad).find("singular"), std::string::npos) << message(bad);

  TreeBcdOptions o;
  o.max_iterations = -1;
  EXPECT_THROW(tree_bcd(p, o), std::invalid_argument);
  o.max_iterations = 1;
  o.x0 = Eigen::VectorXd::Ones(5);
  EXPECT_THROW(tree_bcd(p, o), std::invalid_argument);
  EXPECT_THROW(parse_tree_block_rule("greedy"), std::invalid_argument);
  EXPECT_EQ(parse_tree_block_rule("red-black"), TreeBlockRule::red_black);
}

TEST(GraphQuadratic, GeneratorsAreSeededAndConnected) {
  const LabelledGraph d1 = lattice_graph(6, 5, 1e5, 4, 10, 1);
  const LabelledGraph d2 = lattice_graph(6, 5, 1e5, 4, 10, 1);
  EXPECT_EQ(d1.label, d2.label);
  EXPECT_EQ(d1.edges.size(), static_cast<std::size_t>(5 * 5 + 4 * 6));
  const LabelledGraph e = two_moons_graph(200, 5, 20, 0.1, 3);
  int labelled = 0;
  for (bool l : e.labelled) labelled += l ? 1 : 0;
  EXPECT_EQ(labelled, 20);
  UnionFind uf(e.num_nodes);
  for (const auto& edge : e.edges) uf.unite(edge.i, edge.j);
  for (int v = 0; v < e.num_nodes; ++v) EXPECT_EQ(uf.find(v), uf.find(0));
  EXPECT_NO_THROW(label_propagation_quadratic(e));
}

}  // namespace

namespace {

// `bcd reproduce --quick`'s tree figures (examples/bcd/tree_experiments.cpp): every ordering the
// paper reports for Fig. 6 holds on the seeded quick analogs of D and E, for two seeds.
TEST(TreeExperiments, QuickFigureSixOrderingsHold) {
  for (std::uint64_t seed : {1u, 2u}) {
    const auto experiments = bcd_example::tree_experiments(true, seed);  // 500 iterations
    ASSERT_EQ(experiments.size(), 2u);
    for (const auto& e : experiments) {
      EXPECT_EQ(e.curves.size(), 5u) << e.id;
      for (const auto& curve : e.curves) {
        ASSERT_EQ(curve.points.size(), 501u) << e.id << " " << curve.label;
        EXPECT_LT(curve.points.back().objective, curve.points.front().objective);
      }
      EXPECT_FALSE(e.orderings.empty());
      for (const auto& o : e.orderings)
        EXPECT_TRUE(o.holds) << e.id << ": " << o.claim << ": " << o.detail;
    }
  }
  EXPECT_THROW(bcd_example::tree_experiments(true, 1, 0), std::invalid_argument);
}

}  // namespace
