// Coordinate-wise AdaGrad (Duchi, Hazan & Singer 2011) with AdAdaGrad's adaptive batch sizes
// (Lau, Liu & Kolar 2024, arXiv 2402.11215, "AdAdaGrad"):
//   g = mean gradient (+ weight_decay x);  s <- s + g*g  (per coordinate, s_0 =
//   initial_accumulator_value);  x <- x - lr g / (sqrt(s) + eps).
// Unlike torch::optim::Adagrad it owns a batch-size schedule (adaptive_batch.hpp) that is saved
// with its state. The paper's coordinate-wise variant of the norm test is not implemented; the
// norm, inner-product, orthogonality and augmented tests are.
#pragma once

#include <utility>
#include <vector>

#include "deepsolve/learned/optim/adaptive_batch_optimizer.hpp"

namespace deepsolve::learned {

struct AdaGradOptions : public torch::optim::OptimizerCloneableOptions<AdaGradOptions> {
  AdaGradOptions(double lr = 1e-2);  // NOLINT(google-explicit-constructor)
  TORCH_ARG(double, lr) = 1e-2;
  TORCH_ARG(double, initial_accumulator_value) = 0.0;
  TORCH_ARG(double, eps) = 1e-10;
  TORCH_ARG(double, weight_decay) = 0.0;

  DEEPSOLVE_OPTIMIZER_OPTIONS_METHODS(AdaGradOptions);
};

struct AdaGradParamState : public torch::optim::OptimizerCloneableParamState<AdaGradParamState> {
  TORCH_ARG(int64_t, step) = 0;
  TORCH_ARG(at::Tensor, sum);

  DEEPSOLVE_OPTIMIZER_STATE_METHODS();
};

class AdaGrad : public AdaptiveBatchOptimizer<AdaGradOptions, AdaGradParamState> {
 public:
  explicit AdaGrad(std::vector<torch::optim::OptimizerParamGroup> groups,
                   AdaGradOptions defaults = {}, AdaptiveBatchOptions batch = {});
  explicit AdaGrad(std::vector<at::Tensor> params, AdaGradOptions defaults = {},
                   AdaptiveBatchOptions batch = {})
      : AdaGrad({torch::optim::OptimizerParamGroup(std::move(params))}, defaults, batch) {}

  at::Tensor step(LossClosure closure = nullptr) override;
};

void validate(const AdaGradOptions& options);

}  // namespace deepsolve::learned
