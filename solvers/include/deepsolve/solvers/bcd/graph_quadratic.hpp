// The quadratic of label propagation on a sparse weighted graph (Nutini, Laradji & Schmidt, JMLR
// 2022, Sec. 6 and datasets D and E of their Sec. 9; Zhu, Ghahramani & Lafferty, ICML 2003):
// with labelled nodes l fixed to y_l, the energy (1/2) sum_{edges ij} w_ij (x_i - x_j)^2 over the
// unlabelled nodes u is, up to a constant,
//
//   f(x) = (1/2) x^T A x - b^T x,   A = L_uu (the graph Laplacian's unlabelled block),
//                                   b = W_ul y_l,
//
// so A_ii is node i's weighted degree (labelled neighbours included), A_ij = -w_ij between
// unlabelled neighbours, and A is sparse with the graph's pattern. A is positive definite exactly
// when every connected component of unlabelled nodes touches a labelled node.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Core>
#include <Eigen/SparseCore>

namespace deepsolve::bcd {

struct WeightedEdge {
  int i = 0;
  int j = 0;
  double weight = 0;
};

/// An undirected graph with labels on some nodes (labelled[i] true: value label[i]).
struct LabelledGraph {
  int num_nodes = 0;
  std::vector<WeightedEdge> edges;  // each undirected edge once; weights > 0 are couplings
  std::vector<bool> labelled;       // num_nodes entries
  std::vector<double> label;        // num_nodes entries (read where labelled)
  // A lattice of rows x cols nodes numbered column-major (node = c * rows + r, as the paper's
  // dataset D) when both are positive; 0 for a general graph.
  int lattice_rows = 0;
  int lattice_cols = 0;
};

/// f(x) = (1/2) x^T A x - b^T x on the unlabelled nodes, with the graph structure the tree
/// block rules need.
struct GraphQuadratic {
  Eigen::SparseMatrix<double> A;  // symmetric positive definite, n x n (column-major, sorted)
  Eigen::VectorXd b;
  std::vector<int> node_of;  // node_of[k]: the graph node of unknown k (increasing)
  int lattice_rows = 0;      // copied from the graph (0: not a lattice)
  int lattice_cols = 0;
  int size() const { return static_cast<int>(b.size()); }
};

/// Builds A = L_uu, b = W_ul y_l. Throws std::invalid_argument naming the problem for: a node
/// index out of range, a self-loop, a non-finite or negative weight, a non-finite label, label
/// vectors of the wrong size, no unlabelled node, or a connected component of unlabelled nodes
/// with no labelled neighbour (A would be singular: its value is not determined). Repeated
/// edges add up; zero-weight edges are no coupling.
GraphQuadratic label_propagation_quadratic(const LabelledGraph& graph);

/// Dataset D of the paper: a rows x cols 4-neighbour lattice with every weight `weight` and
/// `num_labels` distinct random nodes labelled with N(0, label_std^2) values (seeded).
/// Paper: 50 x 50, weight 1e5, 100 labels of standard deviation 10.
LabelledGraph lattice_graph(int rows, int cols, double weight, int num_labels, double label_std,
                            std::uint64_t seed);

/// Dataset E of the paper: `num_nodes` points on two interleaved half circles (scikit-learn's
/// make_moons with Gaussian noise `noise`), each joined to its k nearest neighbours (symmetrised,
/// unit weights), `num_labels` random nodes labelled +1 / -1 by their moon (seeded). A component
/// of the k-NN graph is joined to the rest by its shortest edge to another component, so that
/// the graph is connected and every unlabelled node is determined.
/// Paper: 2000 nodes, k = 5, 100 labels.
LabelledGraph two_moons_graph(int num_nodes, int k, int num_labels, double noise,
                              std::uint64_t seed);

/// f(x) = (1/2) x^T A x - b^T x.
double objective(const GraphQuadratic& problem, const Eigen::VectorXd& x);

/// f(x) - f(x*) = (1/2) (x - x*)^T A (x - x*), accurate far below the rounding of f itself
/// (f is ~1e9 on dataset D while the curves go down to ~1e-5).
double optimality_gap(const GraphQuadratic& problem, const Eigen::VectorXd& x,
                      const Eigen::VectorXd& x_star);

/// ||b - A x|| / ||b|| (||b - A x|| when b = 0).
double relative_residual(const GraphQuadratic& problem, const Eigen::VectorXd& x);

/// x* = A^{-1} b by a sparse LDL^T (Eigen's SimplicialLDLT, AMD ordering) and two steps of
/// iterative refinement: the reference solution behind f*. Throws std::runtime_error when the
/// factorisation fails (A not positive definite).
Eigen::VectorXd reference_solution(const GraphQuadratic& problem);

}  // namespace deepsolve::bcd
