#include "deepsolve/unfolded/lista_cpss.hpp"

#include <torch/torch.h>

#include "deepsolve/learned/io/model_registry.hpp"
#include "deepsolve/unfolded/lipschitz.hpp"
#include "network_model_options.hpp"
#include "network_support.hpp"

namespace deepsolve::unfolded {

namespace {

constexpr const char* kListaCpssName = "lista-cpss";

}  // namespace

ListaCpss::ListaCpss(UnfoldedOptions options, SupportSelection selection)
    : options_(options), selection_(selection) {
  options_.validate();
  selection_.validate();
  const std::int64_t T = options_.layers, m = options_.measurements, n = options_.signal_size;
  detail::check_parameter_count(kListaCpssName, double(T) * (double(m) * double(n) + 1.0),
                                options_);
  W_ = register_parameter("W", torch::zeros({T, m, n}));
  theta_ = register_parameter("theta", torch::zeros({T}));
  A_ = register_buffer("A", torch::zeros({m, n}));
}

void ListaCpss::initialise(const torch::Tensor& A) {
  const torch::Tensor a =
      detail::initial_matrix(kListaCpssName, A, options_.measurements, options_.signal_size);
  const double L = lipschitz_constant(a);
  torch::NoGradGuard no_grad;
  W_.copy_((a / L).unsqueeze(0).expand_as(W_));
  theta_.fill_(options_.lambda / L);
  A_.copy_(a);
}

std::vector<torch::Tensor> ListaCpss::forward_layers(const torch::Tensor& y, const torch::Tensor& A,
                                                     std::int64_t up_to) {
  const std::int64_t k = detail::layers_to_run(kListaCpssName, up_to, options_.layers);
  const torch::Tensor b =
      detail::checked_measurements(kListaCpssName, y, options_.measurements, W_);
  detail::check_ignored_matrix(kListaCpssName, A, options_.measurements, options_.signal_size);
  std::vector<torch::Tensor> out;
  out.reserve(static_cast<std::size_t>(k));
  torch::Tensor x;  // x_0 = 0
  for (std::int64_t t = 0; t < k; ++t) {
    // Rows are samples: x + (W_t^T r)^T = x + r^T W_t.
    const torch::Tensor residual = x.defined() ? torch::addmm(b, x, A_.t(), 1.0, -1.0) : b;
    const torch::Tensor v =
        x.defined() ? torch::addmm(x, residual, W_[t]) : torch::matmul(residual, W_[t]);
    x = shrink_with_support_selection(v, theta_[t], selection_.count(t + 1, options_.signal_size));
    out.push_back(x);
  }
  return out;
}

std::string ListaCpss::describe() const {
  return "LISTA-CPSS, " + options_.describe() + ", " + selection_.describe();
}

std::shared_ptr<torch::nn::Module> ListaCpss::clone(
    const c10::optional<torch::Device>& device) const {
  return detail::copy_state_into(std::make_shared<ListaCpss>(options_, selection_), *this, device);
}

learned::ModelType lista_cpss_model_type() {
  learned::ModelType t;
  t.name = kListaCpssName;
  t.family = kUnfoldedFamily;
  t.description =
      "LISTA-CPSS: learned ISTA with coupled per-layer weights W_t and support selection, tied "
      "to one A (Chen, Liu, Wang & Yin 2018)";
  // lambda: the initial lambda of the reference code (Chen et al. 2018's and Liu et al. 2019's
  // config.py, 0.4), so theta starts at 0.4 / L.
  t.options = detail::unfolded_model_options(detail::kReferenceLambda);
  for (auto& option : detail::support_selection_model_options()) t.options.push_back(option);
  t.build = [](const learned::ModelOptions& o) -> std::shared_ptr<torch::nn::Module> {
    return std::make_shared<ListaCpss>(detail::unfolded_options_from(o),
                                       detail::support_selection_from(o));
  };
  t.is_instance = [](const torch::nn::Module& m) {
    return dynamic_cast<const ListaCpss*>(&m) != nullptr;
  };
  t.options_of = [](const torch::nn::Module& m) {
    const auto& net = dynamic_cast<const ListaCpss&>(m);
    learned::ModelOptions o;
    detail::write_unfolded_options(net.options(), o);
    detail::write_support_selection(net.selection(), o);
    return o;
  };
  t.describe = [](const torch::nn::Module& m) {
    return dynamic_cast<const ListaCpss&>(m).describe();
  };
  // Per layer: A x and the residual (m), the update, v, |v|, the shrunk and selected x (n).
  t.training_floats = [](const learned::ModelOptions& o, const std::vector<std::int64_t>&) {
    return detail::unfolded_training_floats(o, 5.0, 2.0);
  };
  return t;
}

}  // namespace deepsolve::unfolded
