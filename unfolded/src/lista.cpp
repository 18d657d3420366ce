#include "deepsolve/unfolded/lista.hpp"

#include <torch/torch.h>

#include "deepsolve/learned/io/model_registry.hpp"
#include "deepsolve/unfolded/lipschitz.hpp"
#include "network_model_options.hpp"
#include "network_support.hpp"

namespace deepsolve::unfolded {

namespace {

constexpr const char* kListaName = "lista";

}  // namespace

Lista::Lista(UnfoldedOptions options) : options_(options) {
  options_.validate();
  const std::int64_t T = options_.layers, m = options_.measurements, n = options_.signal_size;
  detail::check_parameter_count(
      kListaName, double(T) * (double(n) * double(m) + 1.0) + double(T - 1) * double(n) * double(n),
      options_);
  W_ = register_parameter("W", torch::zeros({T, n, m}));
  S_ = register_parameter("S", torch::zeros({T - 1, n, n}));
  theta_ = register_parameter("theta", torch::zeros({T}));
  A_ = register_buffer("A", torch::zeros({m, n}));
}

void Lista::initialise(const torch::Tensor& A) {
  const torch::Tensor a =
      detail::initial_matrix(kListaName, A, options_.measurements, options_.signal_size);
  const double L = lipschitz_constant(a);
  torch::NoGradGuard no_grad;
  const torch::Tensor W = a.t() / L;
  const torch::Tensor S = torch::eye(options_.signal_size, a.options()) - a.t().matmul(a) / L;
  W_.copy_(W.unsqueeze(0).expand_as(W_));
  S_.copy_(S.unsqueeze(0).expand_as(S_));
  theta_.fill_(options_.lambda / L);
  A_.copy_(a);
}

std::vector<torch::Tensor> Lista::forward_layers(const torch::Tensor& y, const torch::Tensor& A,
                                                 std::int64_t up_to) {
  const std::int64_t k = detail::layers_to_run(kListaName, up_to, options_.layers);
  const torch::Tensor b = detail::checked_measurements(kListaName, y, options_.measurements, W_);
  detail::check_ignored_matrix(kListaName, A, options_.measurements, options_.signal_size);
  std::vector<torch::Tensor> out;
  out.reserve(static_cast<std::size_t>(k));
  torch::Tensor x;  // x_0 = 0
  for (std::int64_t t = 0; t < k; ++t) {
    // Rows are samples: (W_t y)^T = y^T W_t^T; BLAS reads the transposes in place. x_0 = 0, so
    // the first layer has no S.
    const torch::Tensor input = torch::matmul(b, W_[t].t());
    const torch::Tensor v = x.defined() ? torch::addmm(input, x, S_[t - 1].t()) : input;
    x = shrink(Penalty::l1, v, theta_[t]);
    out.push_back(x);
  }
  return out;
}

std::string Lista::describe() const {
  return "LISTA (untied weights), " + options_.describe();
}

std::shared_ptr<torch::nn::Module> Lista::clone(const c10::optional<torch::Device>& device) const {
  return detail::copy_state_into(std::make_shared<Lista>(options_), *this, device);
}

learned::ModelType lista_model_type() {
  learned::ModelType t;
  t.name = kListaName;
  t.family = kUnfoldedFamily;
  t.description =
      "LISTA: learned ISTA with untied per-layer weights W_t, S_t and thresholds, tied to one A "
      "(Gregor & LeCun 2010)";
  // lambda: the initial lambda of the reference code (Chen et al. 2018's and Liu et al. 2019's
  // config.py, 0.4), so theta starts at 0.4 / L.
  t.options = detail::unfolded_model_options(detail::kReferenceLambda);
  t.build = [](const learned::ModelOptions& o) -> std::shared_ptr<torch::nn::Module> {
    return std::make_shared<Lista>(detail::unfolded_options_from(o));
  };
  t.is_instance = [](const torch::nn::Module& m) {
    return dynamic_cast<const Lista*>(&m) != nullptr;
  };
  t.options_of = [](const torch::nn::Module& m) {
    learned::ModelOptions o;
    detail::write_unfolded_options(dynamic_cast<const Lista&>(m).options(), o);
    return o;
  };
  t.describe = [](const torch::nn::Module& m) { return dynamic_cast<const Lista&>(m).describe(); };
  // Per layer: W_t y, the sum, |v| and the shrunk x (n).
  t.training_floats = [](const learned::ModelOptions& o, const std::vector<std::int64_t>&) {
    return detail::unfolded_training_floats(o, 4.0, 0.0);
  };
  return t;
}

}  // namespace deepsolve::unfolded
