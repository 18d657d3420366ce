// Adaptive batch sizes from per-sample gradients (AdAdaGrad: Lau, Liu & Kolar 2024, "AdAdaGrad:
// Adaptive Batch Size Schemes for Adaptive Gradient Methods", arXiv 2402.11215; the tests go back
// to Byrd et al. 2012 (norm test) and Bollapragada et al. 2018 (inner-product and orthogonality)).
//
// With per-sample gradients g_i (i = 1..b, one row each), their mean gbar and unbiased variances
// (divided by b - 1):
//   norm test           sum_j Var_i(g_ij) / b                      <= eta^2   ||gbar||^2
//   inner-product test  Var_i(<g_i, gbar>) / b                     <= theta^2 ||gbar||^4
//   orthogonality test  sum_j Var_i(g_i - <g_i,gbar>/||gbar||^2 gbar)_j / b <= nu^2 ||gbar||^2
//   augmented test      inner-product and orthogonality together.
// A failed test asks for b' = ceil(variance / (tolerance^2 ||gbar||^k)) (the larger of the two
// for the augmented test); the batch only grows and is capped at max_batch.
//
// LibTorch has no public vmap: per_sample_gradients() computes the rows with one backward pass
// per sample.
#pragma once

#include <ATen/Tensor.h>
#include <torch/arg.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace torch::serialize {
class InputArchive;
class OutputArchive;
}  // namespace torch::serialize

namespace deepsolve::learned {

/// The per-sample gradients of `losses` (a 1-D tensor of b per-sample losses of one graph) with
/// respect to `params`, flattened and concatenated: a (b, d) float64 tensor, d = total number of
/// parameter entries. A parameter a loss does not reach contributes zeros. The graph is kept
/// (retain_graph) until the last sample.
at::Tensor per_sample_gradients(const at::Tensor& losses, const std::vector<at::Tensor>& params);

/// The same by a loop over samples: loss_of(i) builds the loss of sample i (i = 0..count-1).
at::Tensor per_sample_gradients(std::int64_t count,
                                const std::function<at::Tensor(std::int64_t)>& loss_of,
                                const std::vector<at::Tensor>& params);

enum class BatchTest { none, norm, inner_product, orthogonality, augmented };

/// "none", "norm", "inner-product", "orthogonality", "augmented".
std::string to_string(BatchTest test);
/// Inverse of to_string; throws std::invalid_argument listing the valid names.
BatchTest batch_test_from_string(const std::string& name);

struct BatchTestResult {
  std::int64_t batch = 0;       ///< b, the rows given
  double grad_norm_sq = 0.0;    ///< ||gbar||^2
  double variance = 0.0;        ///< the test's variance (the inner-product one for augmented)
  double variance2 = 0.0;       ///< augmented only: the orthogonality variance
  double required_batch = 0.0;  ///< variance / (tol^2 ||gbar||^k), before rounding up
  bool passed = true;           ///< b >= required_batch
};

/// The tests on a (b, d) tensor of per-sample gradients. b < 2 throws (no variance).
BatchTestResult norm_test(const at::Tensor& per_sample, double eta);
BatchTestResult inner_product_test(const at::Tensor& per_sample, double theta);
BatchTestResult orthogonality_test(const at::Tensor& per_sample, double nu);
BatchTestResult augmented_test(const at::Tensor& per_sample, double theta, double nu);

struct AdaptiveBatchOptions {
  TORCH_ARG(BatchTest, test) = BatchTest::norm;
  TORCH_ARG(double, eta) = 0.1;    ///< norm test
  TORCH_ARG(double, theta) = 0.1;  ///< inner-product test
  TORCH_ARG(double, nu) = 0.1;     ///< orthogonality test
  /// The batch the training starts with.
  TORCH_ARG(std::int64_t, initial_batch) = 32;
  TORCH_ARG(std::int64_t, max_batch) = 50000;
  /// Test every this many steps (due() says when).
  TORCH_ARG(std::int64_t, test_interval) = 1;
};

/// Throws std::invalid_argument naming the first bad option.
void validate(const AdaptiveBatchOptions& options);

/// The batch-size schedule: feed it per-sample gradients when due(); read batch_size() for the
/// next batch. Counts steps itself (count_step()), and saves/loads its state.
class AdaptiveBatchSize {
 public:
  explicit AdaptiveBatchSize(AdaptiveBatchOptions options = {});

  /// The recommended size of the next batch.
  std::int64_t batch_size() const { return batch_; }
  /// Whether the next step should run the test (every test_interval steps; never for `none`).
  bool due() const;
  /// Runs the test on (b, d) per-sample gradients and grows the batch if it fails: next =
  /// min(max_batch, max(current, ceil(required))). Returns the new batch size.
  std::int64_t update(const at::Tensor& per_sample);
  /// Advances the step counter that due() looks at (the optimizers call it in step()).
  void count_step() { ++steps_; }
  std::int64_t steps() const { return steps_; }
  const BatchTestResult& last_result() const { return last_; }
  const AdaptiveBatchOptions& options() const { return options_; }
  /// Changes the options; the current batch size stays.
  void set_options(const AdaptiveBatchOptions& options);

  void save(torch::serialize::OutputArchive& archive) const;
  void load(torch::serialize::InputArchive& archive);

 private:
  AdaptiveBatchOptions options_;
  std::int64_t batch_ = 0;
  std::int64_t steps_ = 0;
  BatchTestResult last_;
};

}  // namespace deepsolve::learned
