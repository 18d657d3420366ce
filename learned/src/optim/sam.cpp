#include "deepsolve/learned/optim/sam.hpp"

#include <torch/torch.h>

#include <cmath>
#include <stdexcept>

#include "deepsolve/learned/optim/optimizer_util.hpp"

namespace deepsolve::learned {

SAMOptions::SAMOptions(double rho) : rho_(rho) {}

void SAMOptions::serialize(torch::serialize::OutputArchive& archive) const {
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(rho);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(adaptive);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(eps);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(lr);
}

void SAMOptions::serialize(torch::serialize::InputArchive& archive) {
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, rho);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(bool, adaptive);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, eps);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, lr);
}

bool operator==(const SAMOptions& a, const SAMOptions& b) {
  return a.rho() == b.rho() && a.adaptive() == b.adaptive() && a.eps() == b.eps() &&
         a.lr() == b.lr();
}

void SAMParamState::serialize(torch::serialize::OutputArchive& archive) const {
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(perturbation);
}

void SAMParamState::serialize(torch::serialize::InputArchive& archive) {
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(at::Tensor, perturbation);
}

void validate(const SAMOptions& o) {
  require_nonnegative("SAM", "rho", o.rho());
  require_nonnegative("SAM", "eps", o.eps());
}

namespace {

std::vector<torch::optim::OptimizerParamGroup> groups_of(const torch::optim::Optimizer* base,
                                                         const SAMOptions& options) {
  if (base == nullptr) throw std::invalid_argument("SAM: the base optimizer is null");
  std::vector<torch::optim::OptimizerParamGroup> groups;
  for (const auto& g : base->param_groups()) {
    auto o = std::make_unique<SAMOptions>(options);
    o->lr(g.options().get_lr());
    groups.emplace_back(g.params(), std::move(o));
  }
  return groups;
}

}  // namespace

SAM::SAM(std::unique_ptr<torch::optim::Optimizer> base, SAMOptions options)
    : PatternOptimizer(groups_of(base.get(), options), options), base_(std::move(base)) {}

void SAM::first_step() {
  torch::NoGradGuard no_grad;
  // One norm over every parameter: ||g|| (SAM) or || |w| g || (ASAM).
  double norm_sq = 0.0;
  for (const auto& group : param_groups_) {
    const SAMOptions& o = options_of(group);
    validate(o);
    for (const auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      at::Tensor scaled = o.adaptive() ? p.detach().abs() * p.grad() : p.grad();
      norm_sq += scaled.to(torch::kFloat64).square().sum().item<double>();
    }
  }
  const double norm = std::sqrt(norm_sq);
  for (auto& group : param_groups_) {
    const SAMOptions& o = options_of(group);
    const double scale = o.rho() / (norm + o.eps());
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      at::Tensor e = o.adaptive() ? p.detach().square() * p.grad() * scale : p.grad() * scale;
      p.add_(e);
      param_state<SAMParamState>(*this, p).perturbation(e);
    }
  }
}

void SAM::second_step() {
  {
    torch::NoGradGuard no_grad;
    for (auto& group : param_groups_)
      for (auto& p : group.params()) {
        auto* state = find_param_state<SAMParamState>(*this, p);
        if (state != nullptr && state->perturbation().defined()) p.sub_(state->perturbation());
      }
    state_.clear();
    auto& base_groups = base_->param_groups();
    for (std::size_t i = 0; i < param_groups_.size() && i < base_groups.size(); ++i)
      base_groups[i].options().set_lr(param_groups_[i].options().get_lr());
  }
  base_->step();
}

at::Tensor SAM::step(LossClosure closure) {
  if (!closure)
    throw std::invalid_argument(
        "SAM::step needs a closure (zero the gradients, compute the loss, backward, return it): "
        "SAM evaluates the gradient twice per step");
  const at::Tensor loss = evaluate_closure(closure);
  first_step();
  evaluate_closure(closure);
  second_step();
  return loss;
}

void SAM::save(torch::serialize::OutputArchive& archive) const {
  PatternOptimizer::save(archive);
  torch::serialize::OutputArchive base(archive.compilation_unit());
  base_->save(base);
  archive.write("base_optimizer", base);
}

void SAM::load(torch::serialize::InputArchive& archive) {
  PatternOptimizer::load(archive);
  torch::serialize::InputArchive base;
  archive.read("base_optimizer", base);
  base_->load(base);
}

}  // namespace deepsolve::learned
