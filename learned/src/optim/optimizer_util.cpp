#include "deepsolve/learned/optim/optimizer_util.hpp"

#include <ATen/core/grad_mode.h>

#include <cmath>
#include <stdexcept>

namespace deepsolve::learned {

void require_argument(bool ok, const std::string& where, const std::string& name,
                      const std::string& rule, double value) {
  if (!ok)
    throw std::invalid_argument(where + ": " + name + " must be " + rule + ", got " +
                                format_number(value));
}

void require_nonnegative(const std::string& where, const std::string& name, double value) {
  require_argument(value >= 0.0 && std::isfinite(value), where, name, ">= 0 and finite", value);
}

void require_positive(const std::string& where, const std::string& name, double value) {
  require_argument(value > 0.0 && std::isfinite(value), where, name, "> 0 and finite", value);
}

void require_unit_interval(const std::string& where, const std::string& name, double value) {
  require_argument(value >= 0.0 && value <= 1.0, where, name, "in [0, 1]", value);
}

void require_momentum(const std::string& where, const std::string& name, double value) {
  require_argument(value >= 0.0 && value < 1.0, where, name, "in [0, 1)", value);
}

at::Tensor evaluate_closure(const torch::optim::Optimizer::LossClosure& closure) {
  if (!closure) return {};
  at::AutoGradMode enable_grad(true);
  return closure();
}

std::vector<at::Tensor> defined_gradients(const torch::optim::Optimizer& optimizer) {
  std::vector<at::Tensor> grads;
  for (const auto& group : optimizer.param_groups())
    for (const auto& p : group.params())
      if (p.grad().defined()) grads.push_back(p.grad());
  return grads;
}

}  // namespace deepsolve::learned
