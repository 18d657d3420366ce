#include "deepsolve/unfolded/alista.hpp"

#include <torch/torch.h>

#include "deepsolve/learned/io/model_registry.hpp"
#include "deepsolve/unfolded/lipschitz.hpp"
#include "network_model_options.hpp"
#include "network_support.hpp"

namespace deepsolve::unfolded {

namespace {

constexpr const char* kAlistaName = "alista";

}  // namespace

Alista::Alista(UnfoldedOptions options, SupportSelection selection)
    : options_(options), selection_(selection) {
  options_.validate();
  selection_.validate();
  const std::int64_t T = options_.layers, m = options_.measurements, n = options_.signal_size;
  gamma_ = register_parameter("gamma", torch::zeros({T}));
  theta_ = register_parameter("theta", torch::zeros({T}));
  A_ = register_buffer("A", torch::zeros({m, n}));
  W_ = register_buffer("W", torch::zeros({m, n}));
}

void Alista::initialise(const torch::Tensor& A) {
  const torch::Tensor a =
      detail::initial_matrix(kAlistaName, A, options_.measurements, options_.signal_size);
  const double L = lipschitz_constant(a);
  const torch::Tensor W = analytic_weight(a);
  torch::NoGradGuard no_grad;
  W_.copy_(W);
  A_.copy_(a);
  gamma_.fill_(1.0);
  theta_.fill_(options_.lambda / L);
}

std::vector<torch::Tensor> Alista::forward_layers(const torch::Tensor& y, const torch::Tensor& A,
                                                  std::int64_t up_to) {
  const std::int64_t k = detail::layers_to_run(kAlistaName, up_to, options_.layers);
  const torch::Tensor b =
      detail::checked_measurements(kAlistaName, y, options_.measurements, gamma_);
  detail::check_ignored_matrix(kAlistaName, A, options_.measurements, options_.signal_size);
  std::vector<torch::Tensor> out;
  out.reserve(static_cast<std::size_t>(k));
  torch::Tensor x;  // x_0 = 0
  for (std::int64_t t = 0; t < k; ++t) {
    // Rows are samples: x - gamma_t (W^T (A x - y))^T = x + (gamma_t (y - A x))^T W, gamma_t
    // scaling the residual (size m) and the sum done in the matrix product.
    const torch::Tensor residual = x.defined() ? torch::addmm(b, x, A_.t(), 1.0, -1.0) : b;
    const torch::Tensor scaled = residual * gamma_[t];
    const torch::Tensor v = x.defined() ? torch::addmm(x, scaled, W_) : torch::matmul(scaled, W_);
    x = shrink_with_support_selection(v, theta_[t], selection_.count(t + 1, options_.signal_size));
    out.push_back(x);
  }
  return out;
}

std::string Alista::describe() const {
  return "ALISTA, " + options_.describe() + ", " + selection_.describe();
}

std::shared_ptr<torch::nn::Module> Alista::clone(const c10::optional<torch::Device>& device) const {
  return detail::copy_state_into(std::make_shared<Alista>(options_, selection_), *this, device);
}

learned::ModelType alista_model_type() {
  learned::ModelType t;
  t.name = kAlistaName;
  t.family = kUnfoldedFamily;
  t.description =
      "ALISTA: LISTA-CPSS with an analytic weight matrix computed from A, learning only a step "
      "size and a threshold per layer (Liu, Chen, Wang & Yin 2019)";
  // lambda: the initial lambda of the reference code (Chen et al. 2018's and Liu et al. 2019's
  // config.py, 0.4), so theta starts at 0.4 / L.
  t.options = detail::unfolded_model_options(detail::kReferenceLambda);
  for (auto& option : detail::support_selection_model_options()) t.options.push_back(option);
  t.build = [](const learned::ModelOptions& o) -> std::shared_ptr<torch::nn::Module> {
    return std::make_shared<Alista>(detail::unfolded_options_from(o),
                                    detail::support_selection_from(o));
  };
  t.is_instance = [](const torch::nn::Module& m) {
    return dynamic_cast<const Alista*>(&m) != nullptr;
  };
  t.options_of = [](const torch::nn::Module& m) {
    const auto& net = dynamic_cast<const Alista&>(m);
    learned::ModelOptions o;
    detail::write_unfolded_options(net.options(), o);
    detail::write_support_selection(net.selection(), o);
    return o;
  };
  t.describe = [](const torch::nn::Module& m) { return dynamic_cast<const Alista&>(m).describe(); };
  // Per layer: A x and the residual (m), the update, v, |v|, the shrunk and selected x (n).
  t.training_floats = [](const learned::ModelOptions& o, const std::vector<std::int64_t>&) {
    return detail::unfolded_training_floats(o, 5.0, 2.0);
  };
  return t;
}

}  // namespace deepsolve::unfolded
