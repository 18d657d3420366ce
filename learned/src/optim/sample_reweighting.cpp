#include "deepsolve/learned/optim/sample_reweighting.hpp"

#include <torch/torch.h>

#include <cmath>
#include <stdexcept>

#include "deepsolve/learned/optim/optimizer_util.hpp"

namespace deepsolve::learned {

std::string to_string(ReweightStrategy s) {
  switch (s) {
    case ReweightStrategy::uniform:
      return "uniform";
    case ReweightStrategy::lin_upper:
      return "lin-upper";
    case ReweightStrategy::quadratic:
      return "quadratic";
    case ReweightStrategy::extremes:
      return "extremes";
    case ReweightStrategy::upper:
      return "upper";
  }
  return "?";
}

ReweightStrategy reweight_strategy_from_string(const std::string& name) {
  for (auto s : {ReweightStrategy::uniform, ReweightStrategy::lin_upper,
                 ReweightStrategy::quadratic, ReweightStrategy::extremes, ReweightStrategy::upper})
    if (to_string(s) == name) return s;
  if (name == "linupper") return ReweightStrategy::lin_upper;
  if (name == "mid") return ReweightStrategy::quadratic;
  throw std::invalid_argument("unknown reweighting strategy '" + name +
                              "' (valid: uniform, lin-upper, quadratic, extremes, upper)");
}

void validate(const SampleReweightingOptions& o) {
  require_positive("SampleReweighting", "temperature", o.temperature());
  require_positive("SampleReweighting", "delta", o.delta());
  require_argument(o.burn_in_steps() >= 0, "SampleReweighting", "burn_in_steps", ">= 0",
                   static_cast<double>(o.burn_in_steps()));
}

namespace {
void check_losses(const at::Tensor& losses, const char* where) {
  if (!losses.defined() || losses.dim() != 1 || losses.size(0) == 0)
    throw std::invalid_argument(
        std::string(where) + ": losses must be a non-empty 1-D tensor of per-sample losses, got " +
        (losses.defined() ? std::to_string(losses.dim()) + "-D with " +
                                std::to_string(losses.numel()) + " elements"
                          : std::string("undefined")));
}
}  // namespace

at::Tensor sample_weights(const at::Tensor& losses, ReweightStrategy strategy, double temperature,
                          double delta) {
  check_losses(losses, "sample_weights");
  require_positive("sample_weights", "temperature", temperature);
  require_positive("sample_weights", "delta", delta);
  torch::NoGradGuard no_grad;
  const at::Tensor l = losses.detach().to(torch::kFloat64);
  const std::int64_t b = l.size(0);
  if (strategy == ReweightStrategy::uniform)
    return torch::full({b}, 1.0 / static_cast<double>(b), losses.options().requires_grad(false));
  const double lo = l.min().item<double>(), hi = l.max().item<double>();
  at::Tensor h = hi > lo ? (2.0 * delta * l - delta * (hi + lo)) / (hi - lo) : torch::zeros_like(l);
  at::Tensor f;
  switch (strategy) {
    case ReweightStrategy::lin_upper:
      f = torch::clamp_max(h + delta, delta);
      break;
    case ReweightStrategy::quadratic:
      f = 1.0 - h.square() / (delta * delta);
      break;
    case ReweightStrategy::extremes:
      f = h.abs();
      break;
    case ReweightStrategy::upper:
      f = 0.5 * h + 0.5 * delta;
      break;
    case ReweightStrategy::uniform:
      break;
  }
  return torch::softmax(f / temperature, 0).to(losses.scalar_type());
}

at::Tensor reweighted_loss(const at::Tensor& losses, const SampleReweightingOptions& o,
                           std::int64_t step) {
  validate(o);
  check_losses(losses, "reweighted_loss");
  const auto strategy = step < o.burn_in_steps() ? ReweightStrategy::uniform : o.strategy();
  if (strategy == ReweightStrategy::uniform) return losses.mean();
  return (sample_weights(losses, strategy, o.temperature(), o.delta()) * losses).sum();
}

SampleReweighting::SampleReweighting(SampleReweightingOptions options) : options_(options) {
  validate(options_);
}

at::Tensor SampleReweighting::operator()(const at::Tensor& losses) {
  at::Tensor out = reweighted_loss(losses, options_, step_);
  ++step_;
  return out;
}

}  // namespace deepsolve::learned
