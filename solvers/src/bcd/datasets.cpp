// Seeded analogs of the paper's datasets A, B and C (datasets.hpp).
#include "deepsolve/solvers/bcd/datasets.hpp"

#include <cmath>
#include <stdexcept>

#include "deepsolve/solvers/random.hpp"

namespace deepsolve::bcd {

namespace datasets_detail {

// Streams of one dataset: distinct counters for the matrix columns, w*, noise and labels.
constexpr std::uint64_t kMatrixStream = 0, kWeightStream = 1ULL << 40, kNoiseStream = 2ULL << 40,
                        kFlipStream = 3ULL << 40;

double normal(solvers::SplitMix64& rng) {
  const double u1 = 1.0 - rng.uniform(), u2 = rng.uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

void check_size(Index rows, Index columns) {
  if (rows < 1 || columns < 1)
    throw std::invalid_argument("dataset size must be at least 1 x 1, got " + std::to_string(rows) +
                                " x " + std::to_string(columns));
}

Eigen::VectorXd planted_weights(Index n, std::uint64_t seed) {
  solvers::SplitMix64 rng(seed, kWeightStream);
  Eigen::VectorXd w(n);
  for (Index j = 0; j < n; ++j) {
    const double value = normal(rng);
    w[j] = rng.uniform() < 0.1 ? value : 0.0;
  }
  return w;
}

}  // namespace datasets_detail

SparseMatrix paper_design_matrix(Index rows, Index columns, std::uint64_t seed) {
  using namespace datasets_detail;
  check_size(rows, columns);
  const double keep = std::min(1.0, 10.0 * std::log(double(rows)) / double(rows));
  SparseMatrix a(rows, columns);
  a.reserve(static_cast<std::int64_t>(keep * double(rows) * double(columns) * 1.1) + columns);
  for (Index j = 0; j < columns; ++j) {
    solvers::SplitMix64 rng(seed, kMatrixStream + static_cast<std::uint64_t>(j));
    const double scale = 10.0 * normal(rng);
    a.startVec(j);
    for (Index r = 0; r < rows; ++r)
      if (rng.uniform() < keep) a.insertBack(r, j) = (normal(rng) + 1.0) * scale;
  }
  a.finalize();
  return a;
}

LinearDataset dataset_a(Index rows, Index columns, std::uint64_t seed) {
  using namespace datasets_detail;
  LinearDataset d;
  d.a = paper_design_matrix(rows, columns, seed);
  d.w_true = planted_weights(columns, seed);
  d.b = d.a * d.w_true;
  solvers::SplitMix64 rng(seed, kNoiseStream);
  for (Index r = 0; r < rows; ++r) d.b[r] += normal(rng);
  return d;
}

LinearDataset dataset_b(Index rows, Index columns, std::uint64_t seed) {
  using namespace datasets_detail;
  LinearDataset d;
  d.a = paper_design_matrix(rows, columns, seed);
  d.w_true = planted_weights(columns, seed);
  const Eigen::VectorXd z = d.a * d.w_true;
  d.b.resize(rows);
  solvers::SplitMix64 rng(seed, kFlipStream);
  for (Index r = 0; r < rows; ++r) {
    const double label = z[r] >= 0 ? 1.0 : -1.0;
    d.b[r] = rng.uniform() < 0.1 ? -label : label;
  }
  return d;
}

SoftmaxDataset dataset_c(Index rows, Index features, int classes, std::uint64_t seed) {
  using namespace datasets_detail;
  if (classes < 2)
    throw std::invalid_argument("dataset C needs at least 2 classes, got " +
                                std::to_string(classes));
  SoftmaxDataset d;
  d.classes = classes;
  d.x = paper_design_matrix(rows, features, seed);
  solvers::SplitMix64 weights(seed, kWeightStream), noise(seed, kNoiseStream);
  Eigen::MatrixXd w(features, classes);
  for (Index f = 0; f < features; ++f)
    for (int k = 0; k < classes; ++k) w(f, k) = normal(weights);
  Eigen::MatrixXd scores = d.x * w;
  d.labels.resize(static_cast<std::size_t>(rows));
  for (Index r = 0; r < rows; ++r) {
    int best = 0;
    double best_score = -std::numeric_limits<double>::infinity();
    for (int k = 0; k < classes; ++k) {
      const double s = scores(r, k) + normal(noise);
      if (s > best_score) best_score = s, best = k;
    }
    d.labels[static_cast<std::size_t>(r)] = best;
  }
  return d;
}

}  // namespace deepsolve::bcd
