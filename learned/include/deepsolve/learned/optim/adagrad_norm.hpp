// AdaGrad-Norm (Ward, Wu & Bottou 2019, "AdaGrad stepsizes", arXiv 1806.01811) with AdAdaGrad's
// adaptive batch sizes (Lau, Liu & Kolar 2024, arXiv 2402.11215, Algorithm "AdAdaGrad-Norm"):
//   g = mean gradient of the batch (+ weight_decay x);  b_k^2 = b_{k-1}^2 + ||g||^2  (ONE scalar
//   over all parameters, b_0^2 = initial_accumulator_value);  x <- x - lr g / (b_k + eps).
// The batch-size schedule (adaptive_batch.hpp) rides along: adapt_batch() with per-sample
// gradients, recommended_batch_size() for the data loader; both are saved with the state.
#pragma once

#include <utility>
#include <vector>

#include "deepsolve/learned/optim/adaptive_batch_optimizer.hpp"

namespace deepsolve::learned {

struct AdaGradNormOptions : public torch::optim::OptimizerCloneableOptions<AdaGradNormOptions> {
  AdaGradNormOptions(double lr = 1.0);  // NOLINT(google-explicit-constructor)
  TORCH_ARG(double, lr) = 1.0;
  /// b_0^2 (taken from the optimizer's defaults).
  TORCH_ARG(double, initial_accumulator_value) = 1e-2;
  TORCH_ARG(double, eps) = 1e-10;
  TORCH_ARG(double, weight_decay) = 0.0;

  DEEPSOLVE_OPTIMIZER_OPTIONS_METHODS(AdaGradNormOptions);
};

struct AdaGradNormParamState
    : public torch::optim::OptimizerCloneableParamState<AdaGradNormParamState> {
  TORCH_ARG(int64_t, step) = 0;

  DEEPSOLVE_OPTIMIZER_STATE_METHODS();
};

class AdaGradNorm : public AdaptiveBatchOptimizer<AdaGradNormOptions, AdaGradNormParamState> {
 public:
  explicit AdaGradNorm(std::vector<torch::optim::OptimizerParamGroup> groups,
                       AdaGradNormOptions defaults = {}, AdaptiveBatchOptions batch = {});
  explicit AdaGradNorm(std::vector<at::Tensor> params, AdaGradNormOptions defaults = {},
                       AdaptiveBatchOptions batch = {})
      : AdaGradNorm({torch::optim::OptimizerParamGroup(std::move(params))}, defaults, batch) {}

  at::Tensor step(LossClosure closure = nullptr) override;
  /// Also saves b_k^2.
  void save(torch::serialize::OutputArchive& archive) const override;
  void load(torch::serialize::InputArchive& archive) override;

  /// b_k^2.
  double accumulator() const { return accumulator_; }

 private:
  double accumulator_;
};

void validate(const AdaGradNormOptions& options);

}  // namespace deepsolve::learned
