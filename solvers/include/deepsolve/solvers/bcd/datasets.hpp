// Seeded analogs of the datasets of Nutini, Laradji & Schmidt (JMLR 2022, Section 9; the notes'
// B6), built with the project's SplitMix64 (not NumPy's stream, so the numbers differ from the
// paper's while the construction is the same):
//   A: m x n, entries (N(0,1) + 1) * s_j with column scales s_j = 10 N(0,1), each kept with
//      probability 10 log(m) / m; w* with 10% N(0,1) entries; b = A w* + N(0,1). (1000 x 10000.)
//   B: the same A; labels sign(A w*), each flipped with probability 0.1.
//   C: m x p features built as A, W* of p x K N(0,1) entries, labels argmax(X W* + N(0,1)).
#pragma once

#include <cstdint>
#include <vector>

#include "deepsolve/solvers/bcd/linear_model.hpp"

namespace deepsolve::bcd {

struct LinearDataset {
  SparseMatrix a;
  Eigen::VectorXd b;       // targets (A) or labels in {-1, +1} (B)
  Eigen::VectorXd w_true;  // the planted w*
};

struct SoftmaxDataset {
  SparseMatrix x;
  std::vector<int> labels;
  int classes = 0;
};

/// The matrix of dataset A (also the features of B and C). Throws for sizes < 1.
SparseMatrix paper_design_matrix(Index rows, Index columns, std::uint64_t seed);
LinearDataset dataset_a(Index rows, Index columns, std::uint64_t seed);
LinearDataset dataset_b(Index rows, Index columns, std::uint64_t seed);
SoftmaxDataset dataset_c(Index rows, Index features, int classes, std::uint64_t seed);

}  // namespace deepsolve::bcd
