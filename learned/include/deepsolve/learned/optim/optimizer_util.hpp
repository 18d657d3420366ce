// Shared plumbing of deepsolve's optimizers (optim/*.hpp): the key of a parameter in
// torch::optim::Optimizer::state_ (its type changed in LibTorch 2.2, pytorch/pytorch PR #108480),
// argument checks that name the offending parameter and value, and flattening of gradients.
#pragma once

#include <torch/optim/optimizer.h>
#include <torch/version.h>

#include <string>
#include <vector>

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

/// Shortest text that reads back as the same double ("0.1", "1e-08").
std::string format_number(double value);

/// Every defined gradient of the parameters in `optimizer`'s groups, in group order.
std::vector<at::Tensor> defined_gradients(const torch::optim::Optimizer& optimizer);

}  // namespace deepsolve::learned
