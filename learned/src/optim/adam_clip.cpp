#include "deepsolve/learned/optim/adam_clip.hpp"

#include <torch/torch.h>

#include <cmath>
#include <map>

#include "deepsolve/learned/optim/coordinate_clip.hpp"
#include "deepsolve/learned/optim/optimizer_util.hpp"

namespace deepsolve::learned {

AdamClipOptions::AdamClipOptions(double lr) : lr_(lr) {}

void AdamClipOptions::serialize(torch::serialize::OutputArchive& archive) const {
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(lr);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(betas);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(eps);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(weight_decay);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(coordinate_clip);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(threshold_scale);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(clip_update);
}

void AdamClipOptions::serialize(torch::serialize::InputArchive& archive) {
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, lr);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(betas_t, betas);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, eps);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, weight_decay);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, coordinate_clip);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, threshold_scale);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(bool, clip_update);
}

bool operator==(const AdamClipOptions& a, const AdamClipOptions& b) {
  return a.lr() == b.lr() && a.betas() == b.betas() && a.eps() == b.eps() &&
         a.weight_decay() == b.weight_decay() && a.coordinate_clip() == b.coordinate_clip() &&
         a.threshold_scale() == b.threshold_scale() && a.clip_update() == b.clip_update();
}

void AdamClipParamState::serialize(torch::serialize::OutputArchive& archive) const {
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(step);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(exp_avg);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(exp_avg_sq);
}

void AdamClipParamState::serialize(torch::serialize::InputArchive& archive) {
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(int64_t, step);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(at::Tensor, exp_avg);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(at::Tensor, exp_avg_sq);
}

void validate(const AdamClipOptions& o) {
  const std::string where = "AdamClip";
  require_nonnegative(where, "lr", o.lr());
  require_momentum(where, "beta1", std::get<0>(o.betas()));
  require_momentum(where, "beta2", std::get<1>(o.betas()));
  require_nonnegative(where, "eps", o.eps());
  require_nonnegative(where, "weight_decay", o.weight_decay());
  require_unit_interval(where, "coordinate_clip", o.coordinate_clip());
  require_nonnegative(where, "threshold_scale", o.threshold_scale());
}

AdamClip::AdamClip(std::vector<torch::optim::OptimizerParamGroup> groups, AdamClipOptions defaults)
    : PatternOptimizer(std::move(groups), defaults) {}

namespace {

// Thresholds over the whole pool, one per distinct fraction.
class Thresholds {
 public:
  explicit Thresholds(const std::vector<at::Tensor>& pool) : pool_(pool) {}
  double operator()(double fraction) {
    auto it = cache_.find(fraction);
    if (it == cache_.end())
      it = cache_.emplace(fraction, coordinate_clip_threshold(pool_, fraction)).first;
    return it->second;
  }

 private:
  const std::vector<at::Tensor>& pool_;
  std::map<double, double> cache_;
};

}  // namespace

at::Tensor AdamClip::step(LossClosure closure) {
  torch::NoGradGuard no_grad;
  const at::Tensor loss = evaluate_closure(closure);
  const std::size_t ng = param_groups_.size();
  // Pass 1: the weight-decayed gradients, for the global threshold of the first moment.
  const std::vector<std::vector<at::Tensor>> grads = decayed_gradients();
  std::vector<at::Tensor> pool;
  for (const auto& group : grads)
    for (const at::Tensor& g : group)
      if (g.defined()) pool.push_back(g);
  // Pass 2: moments and the bias-corrected step u of every parameter.
  Thresholds grad_threshold(pool);
  std::vector<std::vector<at::Tensor>> updates(ng);
  std::vector<at::Tensor> update_pool;
  bool any_clip_update = false;
  for (std::size_t gi = 0; gi < ng; ++gi) {
    const auto& o = options_of(param_groups_[gi]);
    any_clip_update = any_clip_update || o.clip_update();
    const double bound = grad_threshold(o.coordinate_clip()) * o.threshold_scale();
    const double beta1 = std::get<0>(o.betas()), beta2 = std::get<1>(o.betas());
    for (std::size_t i = 0; i < grads[gi].size(); ++i) {
      const at::Tensor& g = grads[gi][i];
      if (!g.defined()) {
        updates[gi].emplace_back();
        continue;
      }
      const auto& p = param_groups_[gi].params()[i];
      auto& state = param_state<AdamClipParamState>(*this, p);
      if (!state.exp_avg().defined()) {
        state.exp_avg(torch::zeros_like(p, at::MemoryFormat::Preserve));
        state.exp_avg_sq(torch::zeros_like(p, at::MemoryFormat::Preserve));
      }
      state.step(state.step() + 1);
      const at::Tensor clipped = o.coordinate_clip() > 0.0 ? g.clamp(-bound, bound) : g;
      state.exp_avg().mul_(beta1).add_(clipped, 1.0 - beta1);
      state.exp_avg_sq().mul_(beta2).addcmul_(g, g, 1.0 - beta2);
      const double t = static_cast<double>(state.step());
      const double bc1 = 1.0 - std::pow(beta1, t), bc2 = 1.0 - std::pow(beta2, t);
      at::Tensor u = (state.exp_avg() / bc1) / ((state.exp_avg_sq() / bc2).sqrt_().add_(o.eps()));
      updates[gi].push_back(u);
      update_pool.push_back(u);
    }
  }
  // Pass 3: optionally clip the steps (threshold over all steps), then apply them.
  Thresholds update_threshold(update_pool);
  for (std::size_t gi = 0; gi < ng; ++gi) {
    const auto& o = options_of(param_groups_[gi]);
    const double bound = any_clip_update && o.clip_update() && o.coordinate_clip() > 0.0
                             ? update_threshold(o.coordinate_clip()) * o.threshold_scale()
                             : -1.0;
    for (std::size_t i = 0; i < updates[gi].size(); ++i) {
      at::Tensor& u = updates[gi][i];
      if (!u.defined()) continue;
      if (bound >= 0.0) u.clamp_(-bound, bound);
      param_groups_[gi].params()[i].add_(u, -o.lr());
    }
  }
  return loss;
}

}  // namespace deepsolve::learned
