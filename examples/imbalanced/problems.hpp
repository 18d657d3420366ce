// The seeded synthetic problems: Gaussian blobs with skewed class priors.
#pragma once

#include <ATen/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

namespace imbalanced {

struct Dataset {
  at::Tensor x;  ///< [N, dim] float32
  at::Tensor y;  ///< [N] int64 class indices (binary: 0 negative, 1 positive)
};

struct Problem {
  std::string name;  ///< "binary" or "multiclass"
  int classes = 2;
  std::vector<double> priors;              ///< the class priors the counts follow
  std::vector<std::int64_t> train_counts;  ///< samples per class
  std::vector<std::int64_t> test_counts;
  Dataset train;
  Dataset test;

  /// Binary problems train a single logit per sample; multi-class ones one per class.
  bool binary() const { return name == "binary"; }
  /// The model's outputs per sample.
  int outputs() const { return binary() ? 1 : classes; }
};

struct ProblemSpec {
  std::uint64_t seed = 1;
  int dim = 8;
  std::int64_t train = 4000;
  std::int64_t test = 4000;
  double separation = 3.0;
};

/// Negatives N(0, I), positives N(s u, I), u a random unit vector; round(rate N) positives.
Problem make_binary_problem(const ProblemSpec& spec, double positive_rate);

/// Class k ~ N(s u_k, I), u_k random unit vectors, priors proportional to
/// imbalance^(k / (classes - 1)).
Problem make_multiclass_problem(const ProblemSpec& spec, int classes, double imbalance);

/// Samples per class for a total of n and the priors (largest remainders). Throws
/// std::invalid_argument, naming `what`, when a class would get no sample.
std::vector<std::int64_t> class_counts(std::int64_t n, const std::vector<double>& priors,
                                       const std::string& what);

}  // namespace imbalanced
