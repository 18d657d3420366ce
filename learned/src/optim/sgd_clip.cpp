#include "deepsolve/learned/optim/sgd_clip.hpp"

#include <torch/torch.h>

#include <map>

#include "deepsolve/learned/optim/coordinate_clip.hpp"
#include "deepsolve/learned/optim/optimizer_util.hpp"

namespace deepsolve::learned {

SGDClipOptions::SGDClipOptions(double lr) : lr_(lr) {}

void SGDClipOptions::serialize(torch::serialize::OutputArchive& archive) const {
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(lr);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(momentum);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(weight_decay);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(coordinate_clip);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(threshold_scale);
}

void SGDClipOptions::serialize(torch::serialize::InputArchive& archive) {
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, lr);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, momentum);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, weight_decay);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, coordinate_clip);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, threshold_scale);
}

bool operator==(const SGDClipOptions& a, const SGDClipOptions& b) {
  return a.lr() == b.lr() && a.momentum() == b.momentum() && a.weight_decay() == b.weight_decay() &&
         a.coordinate_clip() == b.coordinate_clip() && a.threshold_scale() == b.threshold_scale();
}

void SGDClipParamState::serialize(torch::serialize::OutputArchive& archive) const {
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(momentum_buffer);
}

void SGDClipParamState::serialize(torch::serialize::InputArchive& archive) {
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(at::Tensor, momentum_buffer);
}

void validate(const SGDClipOptions& o) {
  const std::string where = "SGDClip";
  require_nonnegative(where, "lr", o.lr());
  require_momentum(where, "momentum", o.momentum());
  require_nonnegative(where, "weight_decay", o.weight_decay());
  require_unit_interval(where, "coordinate_clip", o.coordinate_clip());
  require_nonnegative(where, "threshold_scale", o.threshold_scale());
}

SGDClip::SGDClip(std::vector<torch::optim::OptimizerParamGroup> groups, SGDClipOptions defaults)
    : PatternOptimizer(std::move(groups), defaults) {}

at::Tensor SGDClip::step(LossClosure closure) {
  torch::NoGradGuard no_grad;
  const at::Tensor loss = evaluate_closure(closure);
  // Pass 1: the (weight-decayed) gradients of every group, for the global threshold.
  std::vector<std::vector<at::Tensor>> directions(param_groups_.size());
  std::vector<at::Tensor> all;
  for (std::size_t gi = 0; gi < param_groups_.size(); ++gi) {
    auto& group = param_groups_[gi];
    const SGDClipOptions& o = options_of(group);
    for (const auto& p : group.params()) {
      at::Tensor d;
      if (p.grad().defined()) {
        d = p.grad().clone();
        if (o.weight_decay() != 0.0) d.add_(p.detach(), o.weight_decay());
        all.push_back(d);
      }
      directions[gi].push_back(d);
    }
  }
  // Pass 2: clip with each group's fraction (thresholds over all parameters), then update.
  std::map<double, double> thresholds;
  for (std::size_t gi = 0; gi < param_groups_.size(); ++gi) {
    auto& group = param_groups_[gi];
    const SGDClipOptions& o = options_of(group);
    validate(o);
    auto found = thresholds.find(o.coordinate_clip());
    if (found == thresholds.end())
      found = thresholds
                  .emplace(o.coordinate_clip(), coordinate_clip_threshold(all, o.coordinate_clip()))
                  .first;
    const double bound = found->second * o.threshold_scale();
    if (gi == 0) last_threshold_ = found->second;
    for (std::size_t i = 0; i < group.params().size(); ++i) {
      at::Tensor d = directions[gi][i];
      if (!d.defined()) continue;
      if (o.coordinate_clip() > 0.0) d.clamp_(-bound, bound);
      auto& p = group.params()[i];
      if (o.momentum() != 0.0) {
        auto& state = param_state<SGDClipParamState>(*this, p);
        if (!state.momentum_buffer().defined()) state.momentum_buffer(torch::zeros_like(p));
        at::Tensor m = state.momentum_buffer();
        m.mul_(o.momentum()).add_(d, 1.0 - o.momentum());
        d = m;
      }
      p.add_(d, -o.lr());
    }
  }
  return loss;
}

}  // namespace deepsolve::learned
