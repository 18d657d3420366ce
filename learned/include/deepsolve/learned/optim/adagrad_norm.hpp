// AdaGrad-Norm (Ward, Wu & Bottou 2019, "AdaGrad stepsizes", arXiv 1806.01811) with AdAdaGrad's
// adaptive batch sizes (Lau, Liu & Kolar 2024, arXiv 2402.11215, Algorithm "AdAdaGrad-Norm"):
//   g = mean gradient of the batch (+ weight_decay x);  b_k^2 = b_{k-1}^2 + ||g||^2  (ONE scalar
//   over all parameters, b_0^2 = initial_accumulator_value);  x <- x - lr g / (b_k + eps).
// The batch-size schedule (adaptive_batch.hpp) rides along: adapt_batch() with per-sample
// gradients, recommended_batch_size() for the data loader; both are saved with the state.
#pragma once

#include <torch/optim/optimizer.h>
#include <torch/optim/serialize.h>

#include <utility>
#include <vector>

#include "deepsolve/learned/optim/adaptive_batch.hpp"

namespace deepsolve::learned {

struct AdaGradNormOptions : public torch::optim::OptimizerCloneableOptions<AdaGradNormOptions> {
  AdaGradNormOptions(double lr = 1.0);  // NOLINT(google-explicit-constructor)
  TORCH_ARG(double, lr) = 1.0;
  /// b_0^2 (taken from the optimizer's defaults).
  TORCH_ARG(double, initial_accumulator_value) = 1e-2;
  TORCH_ARG(double, eps) = 1e-10;
  TORCH_ARG(double, weight_decay) = 0.0;

 public:
  void serialize(torch::serialize::InputArchive& archive) override;
  void serialize(torch::serialize::OutputArchive& archive) const override;
  double get_lr() const override { return lr(); }
  void set_lr(const double lr) override { this->lr(lr); }
  friend bool operator==(const AdaGradNormOptions& a, const AdaGradNormOptions& b);
};

struct AdaGradNormParamState
    : public torch::optim::OptimizerCloneableParamState<AdaGradNormParamState> {
  TORCH_ARG(int64_t, step) = 0;

 public:
  void serialize(torch::serialize::InputArchive& archive) override;
  void serialize(torch::serialize::OutputArchive& archive) const override;
};

class AdaGradNorm : public torch::optim::Optimizer {
 public:
  explicit AdaGradNorm(std::vector<torch::optim::OptimizerParamGroup> groups,
                       AdaGradNormOptions defaults = {}, AdaptiveBatchOptions batch = {});
  explicit AdaGradNorm(std::vector<at::Tensor> params, AdaGradNormOptions defaults = {},
                       AdaptiveBatchOptions batch = {})
      : AdaGradNorm({torch::optim::OptimizerParamGroup(std::move(params))}, defaults, batch) {}

  at::Tensor step(LossClosure closure = nullptr) override;
  void save(torch::serialize::OutputArchive& archive) const override;
  void load(torch::serialize::InputArchive& archive) override;

  /// b_k^2.
  double accumulator() const { return accumulator_; }
  AdaptiveBatchSize& adaptive_batch() { return batch_; }
  const AdaptiveBatchSize& adaptive_batch() const { return batch_; }
  /// Runs the configured test on (b, d) per-sample gradients; returns the next batch size.
  std::int64_t adapt_batch(const at::Tensor& per_sample) { return batch_.update(per_sample); }
  std::int64_t recommended_batch_size() const { return batch_.batch_size(); }

 private:
  double accumulator_;
  AdaptiveBatchSize batch_;
  template <typename Self, typename Archive>
  static void serialize(Self& self, Archive& archive) {
    _TORCH_OPTIM_SERIALIZE_WITH_TEMPLATE_ARG(AdaGradNorm);
  }
};

void validate(const AdaGradNormOptions& options);

}  // namespace deepsolve::learned
