// Coordinate-wise AdaGrad (Duchi, Hazan & Singer 2011) with AdAdaGrad's adaptive batch sizes
// (Lau, Liu & Kolar 2024, arXiv 2402.11215, "AdAdaGrad"):
//   g = mean gradient (+ weight_decay x);  s <- s + g*g  (per coordinate, s_0 =
//   initial_accumulator_value);  x <- x - lr g / (sqrt(s) + eps).
// Unlike torch::optim::Adagrad it owns a batch-size schedule (adaptive_batch.hpp) that is saved
// with its state. The paper's coordinate-wise variant of the norm test is not implemented; the
// norm, inner-product, orthogonality and augmented tests are.
#pragma once

#include <torch/optim/optimizer.h>
#include <torch/optim/serialize.h>

#include <utility>
#include <vector>

#include "deepsolve/learned/optim/adaptive_batch.hpp"

namespace deepsolve::learned {

struct AdaGradOptions : public torch::optim::OptimizerCloneableOptions<AdaGradOptions> {
  AdaGradOptions(double lr = 1e-2);  // NOLINT(google-explicit-constructor)
  TORCH_ARG(double, lr) = 1e-2;
  TORCH_ARG(double, initial_accumulator_value) = 0.0;
  TORCH_ARG(double, eps) = 1e-10;
  TORCH_ARG(double, weight_decay) = 0.0;

 public:
  void serialize(torch::serialize::InputArchive& archive) override;
  void serialize(torch::serialize::OutputArchive& archive) const override;
  double get_lr() const override { return lr(); }
  void set_lr(const double lr) override { this->lr(lr); }
  friend bool operator==(const AdaGradOptions& a, const AdaGradOptions& b);
};

struct AdaGradParamState : public torch::optim::OptimizerCloneableParamState<AdaGradParamState> {
  TORCH_ARG(int64_t, step) = 0;
  TORCH_ARG(at::Tensor, sum);

 public:
  void serialize(torch::serialize::InputArchive& archive) override;
  void serialize(torch::serialize::OutputArchive& archive) const override;
};

class AdaGrad : public torch::optim::Optimizer {
 public:
  explicit AdaGrad(std::vector<torch::optim::OptimizerParamGroup> groups,
                   AdaGradOptions defaults = {}, AdaptiveBatchOptions batch = {});
  explicit AdaGrad(std::vector<at::Tensor> params, AdaGradOptions defaults = {},
                   AdaptiveBatchOptions batch = {})
      : AdaGrad({torch::optim::OptimizerParamGroup(std::move(params))}, defaults, batch) {}

  at::Tensor step(LossClosure closure = nullptr) override;
  void save(torch::serialize::OutputArchive& archive) const override;
  void load(torch::serialize::InputArchive& archive) override;

  AdaptiveBatchSize& adaptive_batch() { return batch_; }
  const AdaptiveBatchSize& adaptive_batch() const { return batch_; }
  std::int64_t adapt_batch(const at::Tensor& per_sample) { return batch_.update(per_sample); }
  std::int64_t recommended_batch_size() const { return batch_.batch_size(); }

 private:
  AdaptiveBatchSize batch_;
  template <typename Self, typename Archive>
  static void serialize(Self& self, Archive& archive) {
    _TORCH_OPTIM_SERIALIZE_WITH_TEMPLATE_ARG(AdaGrad);
  }
};

void validate(const AdaGradOptions& options);

}  // namespace deepsolve::learned
