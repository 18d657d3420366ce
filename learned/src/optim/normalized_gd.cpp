#include "deepsolve/learned/optim/normalized_gd.hpp"

#include <torch/torch.h>

#include <cmath>
#include <stdexcept>

#include "deepsolve/learned/optim/optimizer_util.hpp"

namespace deepsolve::learned {

NormalizedGDOptions::NormalizedGDOptions(double lr) : lr_(lr) {}

void NormalizedGDOptions::serialize(torch::serialize::OutputArchive& archive) const {
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(lr);
}

void NormalizedGDOptions::serialize(torch::serialize::InputArchive& archive) {
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, lr);
}

bool operator==(const NormalizedGDOptions& a, const NormalizedGDOptions& b) {
  return a.lr() == b.lr();
}

void NormalizedGDParamState::serialize(torch::serialize::OutputArchive& archive) const {
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(step);
}

void NormalizedGDParamState::serialize(torch::serialize::InputArchive& archive) {
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(int64_t, step);
}

void validate(const NormalizedGDOptions& o) {
  require_nonnegative("NormalizedGD", "lr", o.lr());
}

NormalizedGD::NormalizedGD(std::vector<torch::optim::OptimizerParamGroup> groups,
                           NormalizedGDOptions defaults)
    : PatternOptimizer(std::move(groups), defaults) {}

at::Tensor NormalizedGD::step(LossClosure closure) {
  if (!closure)
    throw std::invalid_argument(
        "NormalizedGD::step needs a closure that computes the loss f(x), calls backward and "
        "returns f(x): the step is lr / f(x) times the gradient");
  const at::Tensor loss = evaluate_closure(closure);
  if (!loss.defined() || loss.numel() != 1)
    throw std::invalid_argument("NormalizedGD::step: the closure must return the scalar loss");
  const double f = loss.item<double>();
  if (!(f > 0.0) || !std::isfinite(f))
    throw std::invalid_argument(
        "NormalizedGD::step: the loss must be positive and finite to "
        "divide the step by it, got " +
        format_number(f));
  torch::NoGradGuard no_grad;
  for (auto& group : param_groups_) {
    const double lr = group.options().get_lr();
    require_nonnegative("NormalizedGD", "lr", lr);
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      auto& state = param_state<NormalizedGDParamState>(*this, p);
      state.step(state.step() + 1);
      p.add_(p.grad(), -lr / f);
    }
  }
  return loss;
}

namespace {
at::Tensor margins(const at::Tensor& a, const at::Tensor& y, const at::Tensor& x) {
  if (a.dim() != 2 || y.dim() != 1 || x.dim() != 1 || a.size(0) != y.size(0) ||
      a.size(1) != x.size(0))
    throw std::invalid_argument(
        "logistic regression: features must be (n, d), labels (n,) and x (d,); got features " +
        std::to_string(a.dim()) + "-D " +
        (a.dim() == 2 ? std::to_string(a.size(0)) + "x" + std::to_string(a.size(1))
                      : std::string()) +
        ", labels of " + std::to_string(y.numel()) + ", x of " + std::to_string(x.numel()));
  if (!y.abs().eq(1).all().item<bool>())
    throw std::invalid_argument("logistic regression: labels must be -1 or +1");
  return y.to(x.scalar_type()) * a.to(x.scalar_type()).matmul(x);
}
}  // namespace

at::Tensor logistic_regression_loss(const at::Tensor& features, const at::Tensor& labels,
                                    const at::Tensor& x) {
  return torch::softplus(-margins(features, labels, x)).mean();
}

bool all_margins_positive(const at::Tensor& features, const at::Tensor& labels,
                          const at::Tensor& x) {
  torch::NoGradGuard no_grad;
  return margins(features, labels, x).gt(0).all().item<bool>();
}

}  // namespace deepsolve::learned
