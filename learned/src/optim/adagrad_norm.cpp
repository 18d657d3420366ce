#include "deepsolve/learned/optim/adagrad_norm.hpp"

#include <torch/torch.h>

#include <cmath>

#include "deepsolve/learned/optim/optimizer_util.hpp"

namespace deepsolve::learned {

AdaGradNormOptions::AdaGradNormOptions(double lr) : lr_(lr) {}

void AdaGradNormOptions::serialize(torch::serialize::OutputArchive& archive) const {
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(lr);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(initial_accumulator_value);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(eps);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(weight_decay);
}

void AdaGradNormOptions::serialize(torch::serialize::InputArchive& archive) {
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, lr);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, initial_accumulator_value);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, eps);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, weight_decay);
}

bool operator==(const AdaGradNormOptions& a, const AdaGradNormOptions& b) {
  return a.lr() == b.lr() && a.initial_accumulator_value() == b.initial_accumulator_value() &&
         a.eps() == b.eps() && a.weight_decay() == b.weight_decay();
}

void AdaGradNormParamState::serialize(torch::serialize::OutputArchive& archive) const {
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(step);
}

void AdaGradNormParamState::serialize(torch::serialize::InputArchive& archive) {
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(int64_t, step);
}

void validate(const AdaGradNormOptions& o) {
  const std::string where = "AdaGradNorm";
  require_nonnegative(where, "lr", o.lr());
  require_nonnegative(where, "initial_accumulator_value", o.initial_accumulator_value());
  require_nonnegative(where, "eps", o.eps());
  require_nonnegative(where, "weight_decay", o.weight_decay());
}

AdaGradNorm::AdaGradNorm(std::vector<torch::optim::OptimizerParamGroup> groups,
                         AdaGradNormOptions defaults, AdaptiveBatchOptions batch)
    : AdaptiveBatchOptimizer(std::move(groups), defaults, batch),
      accumulator_(defaults.initial_accumulator_value()) {}

at::Tensor AdaGradNorm::step(LossClosure closure) {
  torch::NoGradGuard no_grad;
  const at::Tensor loss = evaluate_closure(closure);
  // ||g||^2 over every parameter of every group, in float64.
  const std::vector<std::vector<at::Tensor>> grads = decayed_gradients();
  double norm_sq = 0.0;
  for (const auto& group : grads)
    for (const at::Tensor& g : group)
      if (g.defined()) norm_sq += g.to(torch::kFloat64).square().sum().item<double>();
  accumulator_ += norm_sq;
  const double b = std::sqrt(accumulator_);
  for (std::size_t gi = 0; gi < param_groups_.size(); ++gi) {
    const auto& o = options_of(param_groups_[gi]);
    for (std::size_t i = 0; i < grads[gi].size(); ++i) {
      if (!grads[gi][i].defined()) continue;
      auto& p = param_groups_[gi].params()[i];
      auto& state = param_state<AdaGradNormParamState>(*this, p);
      state.step(state.step() + 1);
      p.add_(grads[gi][i], -o.lr() / (b + o.eps()));
    }
  }
  batch_.count_step();
  return loss;
}

void AdaGradNorm::save(torch::serialize::OutputArchive& archive) const {
  PatternOptimizer::save(archive);
  archive.write("deepsolve/accumulator", torch::tensor(accumulator_, torch::kFloat64));
  save_batch(archive);
}

void AdaGradNorm::load(torch::serialize::InputArchive& archive) {
  PatternOptimizer::load(archive);
  at::Tensor acc;
  archive.read("deepsolve/accumulator", acc);
  accumulator_ = acc.item<double>();
  load_batch(archive);
}

}  // namespace deepsolve::learned
