// Shared plumbing of deepsolve's optimizers (optim/*.hpp): the key of a parameter in
// torch::optim::Optimizer::state_ (its type changed in LibTorch 2.2, pytorch/pytorch PR #108480),
// the parts of LibTorch's optimizer pattern that do not depend on the update rule (written once
// here instead of in every optimizer), argument checks that name the offending parameter and
// value, and flattening of gradients.
#pragma once

#include <torch/optim/optimizer.h>
#include <torch/optim/serialize.h>
#include <torch/version.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "deepsolve/learned/settings.hpp"  // format_number

#if TORCH_VERSION_MAJOR < 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR < 2)
#include <c10/util/string_utils.h>
#endif

namespace deepsolve::learned {

/// The key under which an optimizer keeps the state of parameter `p`: the decimal text of its
/// TensorImpl address up to LibTorch 2.1, the address itself from 2.2 on.
#if TORCH_VERSION_MAJOR < 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR < 2)
inline std::string optimizer_state_key(const at::Tensor& p) {
  return c10::guts::to_string(p.unsafeGetTensorImpl());
}
#else
inline void* optimizer_state_key(const at::Tensor& p) {
  return p.unsafeGetTensorImpl();
}
#endif

/// The state of `p` in `optimizer`, cast to the optimizer's ParamState type; nullptr if none yet.
template <class ParamState>
ParamState* find_param_state(torch::optim::Optimizer& optimizer, const at::Tensor& p) {
  auto& state = optimizer.state();
  auto it = state.find(optimizer_state_key(p));
  return it == state.end() ? nullptr : static_cast<ParamState*>(it->second.get());
}

/// The state of `p`, created (default-constructed) when it does not exist yet.
template <class ParamState>
ParamState& param_state(torch::optim::Optimizer& optimizer, const at::Tensor& p) {
  auto& state = optimizer.state();
  auto key = optimizer_state_key(p);
  auto it = state.find(key);
  if (it == state.end()) it = state.emplace(key, std::make_unique<ParamState>()).first;
  return static_cast<ParamState&>(*it->second);
}

/// Declares, inside an options struct of LibTorch's pattern (FooOptions with TORCH_ARG fields,
/// one of them `lr`), what every such struct has besides its fields: archive serialisation,
/// get_lr/set_lr for learning-rate schedules, and operator== (defined with the serialisation).
#define DEEPSOLVE_OPTIMIZER_OPTIONS_METHODS(Options)                       \
 public:                                                                   \
  void serialize(torch::serialize::InputArchive& archive) override;        \
  void serialize(torch::serialize::OutputArchive& archive) const override; \
  double get_lr() const override {                                         \
    return lr();                                                           \
  }                                                                        \
  void set_lr(const double lr) override {                                  \
    this->lr(lr);                                                          \
  }                                                                        \
  friend bool operator==(const Options& a, const Options& b)

/// Declares the archive serialisation of a ParamState struct of LibTorch's pattern.
#define DEEPSOLVE_OPTIMIZER_STATE_METHODS()                         \
 public:                                                            \
  void serialize(torch::serialize::InputArchive& archive) override; \
  void serialize(torch::serialize::OutputArchive& archive) const override

/// The rule-independent part of an optimizer of LibTorch's pattern: every group's options are
/// checked with `validate(const Options&)` on construction, and save/load write and read the
/// per-parameter states and the groups as LibTorch's own optimizers do
/// (_TORCH_OPTIM_SERIALIZE_WITH_TEMPLATE_ARG), so the archives are unchanged.
template <class Options, class ParamState>
class PatternOptimizer : public torch::optim::Optimizer {
 public:
  void save(torch::serialize::OutputArchive& archive) const override {
    torch::optim::serialize<ParamState, Options>(archive, *this);
  }
  void load(torch::serialize::InputArchive& archive) override {
    torch::optim::serialize<ParamState, Options>(archive, *this);
  }

 protected:
  PatternOptimizer(std::vector<torch::optim::OptimizerParamGroup> groups, const Options& defaults)
      : Optimizer(std::move(groups), std::make_unique<Options>(defaults)) {
    validate(defaults);
    for (const auto& g : param_groups_) validate(options_of(g));
  }

  static const Options& options_of(const torch::optim::OptimizerParamGroup& group) {
    return static_cast<const Options&>(group.options());
  }

  /// Every parameter's gradient + weight_decay x, group by group (undefined where a parameter has
  /// no gradient), each group's options checked first: the first pass of a step that needs all
  /// gradients before it updates anything (a global norm or clipping threshold).
  std::vector<std::vector<at::Tensor>> decayed_gradients() const {
    std::vector<std::vector<at::Tensor>> grads(param_groups_.size());
    for (std::size_t gi = 0; gi < param_groups_.size(); ++gi) {
      const Options& o = options_of(param_groups_[gi]);
      validate(o);
      for (const auto& p : param_groups_[gi].params()) {
        at::Tensor g = p.grad();
        if (g.defined() && o.weight_decay() != 0.0) g = g + o.weight_decay() * p.detach();
        grads[gi].push_back(g);
      }
    }
    return grads;
  }
};

/// Calls an optimizer's closure with gradients enabled (steps run under a NoGradGuard) and
/// returns its loss; an undefined tensor when there is no closure.
at::Tensor evaluate_closure(const torch::optim::Optimizer::LossClosure& closure);

/// Throws std::invalid_argument "<where>: <name> must be <rule>, got <value>" unless `ok`.
void require_argument(bool ok, const std::string& where, const std::string& name,
                      const std::string& rule, double value);
/// `value` >= 0 and finite.
void require_nonnegative(const std::string& where, const std::string& name, double value);
/// `value` > 0 and finite.
void require_positive(const std::string& where, const std::string& name, double value);
/// 0 <= value <= 1.
void require_unit_interval(const std::string& where, const std::string& name, double value);
/// 0 <= value < 1.
void require_momentum(const std::string& where, const std::string& name, double value);

/// Every defined gradient of the parameters in `optimizer`'s groups, in group order.
std::vector<at::Tensor> defined_gradients(const torch::optim::Optimizer& optimizer);

}  // namespace deepsolve::learned
