#include "problems.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "deepsolve/learned/training/shuffle.hpp"
#include "options.hpp"

namespace imbalanced {

namespace {

// Independent streams of one seed: the class means, the training set, the test set.
enum Stream : std::uint64_t { means_stream = 1, train_stream = 2, test_stream = 3 };

std::uint64_t stream_seed(std::uint64_t seed, std::uint64_t problem, Stream stream) {
  return deepsolve::learned::SplitMix64(seed, 16 * problem + stream).next();
}

// `count` unit vectors in `dim` dimensions (normalised Gaussians).
at::Tensor unit_vectors(std::int64_t count, std::int64_t dim, std::uint64_t seed) {
  at::Generator gen = at::detail::createCPUGenerator(seed);
  at::Tensor u = torch::randn({count, dim}, gen, torch::kFloat64);
  return u / u.norm(2, {1}, /*keepdim=*/true).clamp_min(1e-12);
}

// counts[k] samples of class k around means[k] with unit covariance, in a seeded random order.
Dataset draw(const std::vector<std::int64_t>& counts, const at::Tensor& means, std::uint64_t seed) {
  const std::int64_t n = std::accumulate(counts.begin(), counts.end(), std::int64_t{0});
  std::vector<std::int64_t> labels;
  labels.reserve(static_cast<std::size_t>(n));
  for (std::size_t k = 0; k < counts.size(); ++k)
    labels.insert(labels.end(), static_cast<std::size_t>(counts[k]), static_cast<std::int64_t>(k));
  const std::vector<std::int64_t> order = deepsolve::learned::seeded_permutation(n, seed, 0);
  std::vector<std::int64_t> shuffled(labels.size());
  for (std::size_t i = 0; i < order.size(); ++i)
    shuffled[i] = labels[static_cast<std::size_t>(order[i])];

  at::Generator gen = at::detail::createCPUGenerator(seed);
  const at::Tensor y = torch::tensor(shuffled, torch::kLong);
  const at::Tensor noise = torch::randn({n, means.size(1)}, gen, torch::kFloat64);
  return {(means.index_select(0, y) + noise).to(torch::kFloat32), y};
}

Problem make_problem(const std::string& name, std::uint64_t id, const ProblemSpec& spec,
                     const std::vector<double>& priors, const at::Tensor& means) {
  Problem p;
  p.name = name;
  p.classes = static_cast<int>(priors.size());
  p.priors = priors;
  p.train_counts = class_counts(spec.train, priors, "--train " + std::to_string(spec.train));
  p.test_counts = class_counts(spec.test, priors, "--test " + std::to_string(spec.test));
  p.train = draw(p.train_counts, means, stream_seed(spec.seed, id, train_stream));
  p.test = draw(p.test_counts, means, stream_seed(spec.seed, id, test_stream));
  return p;
}

}  // namespace

std::vector<std::int64_t> class_counts(std::int64_t n, const std::vector<double>& priors,
                                       const std::string& what) {
  const double total = std::accumulate(priors.begin(), priors.end(), 0.0);
  std::vector<std::int64_t> counts(priors.size());
  std::vector<std::pair<double, std::size_t>> remainders;
  std::int64_t given = 0;
  for (std::size_t k = 0; k < priors.size(); ++k) {
    const double exact = static_cast<double>(n) * priors[k] / total;
    counts[k] = static_cast<std::int64_t>(std::floor(exact));
    given += counts[k];
    remainders.emplace_back(exact - std::floor(exact), k);
  }
  // The samples left go to the largest remainders (ties: the lower class).
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t i = 0; given < n; ++i, ++given) ++counts[remainders[i].second];
  for (std::size_t k = 0; k < counts.size(); ++k)
    if (counts[k] == 0)
      throw std::invalid_argument(
          what + " is too small for the class priors: class " + std::to_string(k) + " (prior " +
          deepsolve::examples::format_number(priors[k] / total) + ") would get no sample");
  return counts;
}

Problem make_binary_problem(const ProblemSpec& spec, double positive_rate) {
  const at::Tensor u = unit_vectors(1, spec.dim, stream_seed(spec.seed, 0, means_stream));
  const at::Tensor means = torch::cat({torch::zeros_like(u), spec.separation * u});
  return make_problem("binary", 0, spec, {1.0 - positive_rate, positive_rate}, means);
}

Problem make_multiclass_problem(const ProblemSpec& spec, int classes, double imbalance) {
  std::vector<double> priors(static_cast<std::size_t>(classes));
  for (int k = 0; k < classes; ++k)
    priors[static_cast<std::size_t>(k)] =
        std::pow(imbalance, static_cast<double>(k) / static_cast<double>(classes - 1));
  const double total = std::accumulate(priors.begin(), priors.end(), 0.0);
  for (double& p : priors) p /= total;
  const at::Tensor means =
      spec.separation * unit_vectors(classes, spec.dim, stream_seed(spec.seed, 1, means_stream));
  return make_problem("multiclass", 1, spec, priors, means);
}

}  // namespace imbalanced
