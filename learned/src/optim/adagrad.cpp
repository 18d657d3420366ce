#include "deepsolve/learned/optim/adagrad.hpp"

#include <torch/torch.h>

#include "deepsolve/learned/optim/optimizer_util.hpp"

namespace deepsolve::learned {

AdaGradOptions::AdaGradOptions(double lr) : lr_(lr) {}

void AdaGradOptions::serialize(torch::serialize::OutputArchive& archive) const {
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(lr);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(initial_accumulator_value);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(eps);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(weight_decay);
}

void AdaGradOptions::serialize(torch::serialize::InputArchive& archive) {
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, lr);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, initial_accumulator_value);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, eps);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, weight_decay);
}

bool operator==(const AdaGradOptions& a, const AdaGradOptions& b) {
  return a.lr() == b.lr() && a.initial_accumulator_value() == b.initial_accumulator_value() &&
         a.eps() == b.eps() && a.weight_decay() == b.weight_decay();
}

void AdaGradParamState::serialize(torch::serialize::OutputArchive& archive) const {
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(step);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(sum);
}

void AdaGradParamState::serialize(torch::serialize::InputArchive& archive) {
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(int64_t, step);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(at::Tensor, sum);
}

void validate(const AdaGradOptions& o) {
  const std::string where = "AdaGrad";
  require_nonnegative(where, "lr", o.lr());
  require_nonnegative(where, "initial_accumulator_value", o.initial_accumulator_value());
  require_nonnegative(where, "eps", o.eps());
  require_nonnegative(where, "weight_decay", o.weight_decay());
}

AdaGrad::AdaGrad(std::vector<torch::optim::OptimizerParamGroup> groups, AdaGradOptions defaults,
                 AdaptiveBatchOptions batch)
    : AdaptiveBatchOptimizer(std::move(groups), defaults, batch) {}

at::Tensor AdaGrad::step(LossClosure closure) {
  torch::NoGradGuard no_grad;
  const at::Tensor loss = evaluate_closure(closure);
  for (auto& group : param_groups_) {
    const AdaGradOptions& o = options_of(group);
    validate(o);
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      at::Tensor g = p.grad();
      if (o.weight_decay() != 0.0) g = g + o.weight_decay() * p.detach();
      auto& state = param_state<AdaGradParamState>(*this, p);
      if (!state.sum().defined())
        state.sum(torch::full_like(p, o.initial_accumulator_value(), at::MemoryFormat::Preserve));
      state.step(state.step() + 1);
      state.sum().addcmul_(g, g, 1.0);
      p.addcdiv_(g, state.sum().sqrt().add_(o.eps()), -o.lr());
    }
  }
  batch_.count_step();
  return loss;
}

}  // namespace deepsolve::learned
