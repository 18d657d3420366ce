#include "deepsolve/unfolded/unfolded_steps.hpp"

#include <torch/torch.h>

#include <cmath>

#include "deepsolve/learned/io/model_registry.hpp"
#include "deepsolve/unfolded/lipschitz.hpp"
#include "network_model_options.hpp"
#include "network_support.hpp"

namespace deepsolve::unfolded {

namespace {

const char* unfolded_steps_type_name(Penalty penalty) {
  return penalty == Penalty::l1 ? "unfolded-ista" : "unfolded-iht";
}

// The hard threshold of v at theta, whose value is shrink(l0, v, theta) exactly, with a surrogate
// gradient in theta: the indicator |v| > theta is differentiated as the sigmoid
// s = sigmoid((|v| - theta) / w) of width w = theta / 10, through the added term
// v (s - detach(s)), which is exactly zero in value (the straight-through idea of Bengio, Léonard
// & Courville 2013). The exact derivative in theta is zero almost everywhere, so learned l0
// thresholds would never move.
torch::Tensor hard_threshold_learning_theta(const torch::Tensor& v, const torch::Tensor& theta) {
  const torch::Tensor kept = shrink(Penalty::l0, v, theta);
  // (Bounded below so that a zero threshold, e.g. before initialise, gives no NaN.)
  const torch::Tensor width = torch::clamp_min(theta.detach() / 10.0, 1e-30);
  const torch::Tensor s = torch::sigmoid((v.detach().abs() - theta) / width);
  return kept + v.detach() * (s - s.detach());
}

}  // namespace

UnfoldedSteps::UnfoldedSteps(Penalty penalty, UnfoldedOptions options, bool learn_thresholds)
    : penalty_(penalty), options_(options), learn_thresholds_(learn_thresholds) {
  options_.validate();
  const std::int64_t T = options_.layers;
  step_parameters_ = register_parameter("step_parameters", torch::zeros({T}));
  step_scale_ = register_buffer("step_scale", torch::zeros({}));
  if (learn_thresholds_) {
    threshold_parameters_ = register_parameter("threshold_parameters", torch::zeros({T}));
    threshold_scale_ = register_buffer("threshold_scale", torch::zeros({}));
  }
}

void UnfoldedSteps::initialise(const torch::Tensor& A) {
  const torch::Tensor a = detail::initial_matrix(unfolded_steps_type_name(penalty_), A,
                                                 options_.measurements, options_.signal_size);
  const double step = 1.0 / lipschitz_constant(a);
  const double ln2 = std::log(2.0);  // softplus(0): the parameters start at 0
  torch::NoGradGuard no_grad;
  step_parameters_.zero_();
  step_scale_.fill_(step / ln2);
  if (learn_thresholds_) {
    threshold_parameters_.zero_();
    threshold_scale_.fill_(prox_threshold(penalty_, options_.lambda, step) / ln2);
  }
}

torch::Tensor UnfoldedSteps::step_sizes() const {
  return torch::softplus(step_parameters_) * step_scale_;
}

torch::Tensor UnfoldedSteps::thresholds() const {
  if (learn_thresholds_) return torch::softplus(threshold_parameters_) * threshold_scale_;
  return detail::tied_threshold(penalty_, options_.lambda, step_sizes());
}

std::vector<torch::Tensor> UnfoldedSteps::forward_layers(const torch::Tensor& y,
                                                         const torch::Tensor& A,
                                                         std::int64_t up_to) {
  const std::string type = unfolded_steps_type_name(penalty_);
  const std::int64_t k = detail::layers_to_run(type, up_to, options_.layers);
  const torch::Tensor b =
      detail::checked_measurements(type, y, options_.measurements, step_parameters_);
  const torch::Tensor matrix = detail::checked_matrix_input(
      type, A, options_.measurements, options_.signal_size, b.size(0), step_parameters_);
  const bool shared = matrix.dim() == 2;
  const torch::Tensor steps = step_sizes();
  const torch::Tensor theta = thresholds();
  std::vector<torch::Tensor> out;
  out.reserve(static_cast<std::size_t>(k));
  torch::Tensor x;  // x_0 = 0
  for (std::int64_t t = 0; t < k; ++t) {
    // v = x + alpha_t A^T (y - A x), as few passes over [B, n] as possible: alpha_t scales the
    // residual (size m) and, for a shared A, the product is added in the matrix product itself.
    torch::Tensor residual = b;
    if (x.defined())
      residual = shared ? torch::addmm(b, x, matrix.t(), 1.0, -1.0) : b - apply_matrix(matrix, x);
    const torch::Tensor scaled = residual * steps[t];
    torch::Tensor v;
    if (!x.defined())
      v = apply_adjoint(matrix, scaled);
    else if (shared)
      v = torch::addmm(x, scaled, matrix);
    else
      v = x + apply_adjoint(matrix, scaled);
    x = penalty_ == Penalty::l0 && learn_thresholds_ ? hard_threshold_learning_theta(v, theta[t])
                                                     : shrink(penalty_, v, theta[t]);
    out.push_back(x);
  }
  return out;
}

std::string UnfoldedSteps::describe() const {
  return std::string(penalty_ == Penalty::l1 ? "unfolded ISTA" : "unfolded IHT") +
         " with learned step sizes, " + options_.describe() +
         (learn_thresholds_ ? ", learned thresholds" : "");
}

std::shared_ptr<torch::nn::Module> UnfoldedSteps::clone(
    const c10::optional<torch::Device>& device) const {
  return detail::copy_state_into(
      std::make_shared<UnfoldedSteps>(penalty_, options_, learn_thresholds_), *this, device);
}

learned::ModelType unfolded_steps_model_type(Penalty penalty) {
  learned::ModelType t;
  t.name = unfolded_steps_type_name(penalty);
  t.family = kUnfoldedFamily;
  t.description =
      penalty == Penalty::l1
          ? "deep-unfolded ISTA for the Lasso: T proximal-gradient layers on an input A with "
            "learned step sizes (Nagahisa, Hayakawa & Iiguni 2025)"
          : "deep-unfolded IHT for the l0-penalised problem: T hard-thresholding gradient layers "
            "on an input A with learned step sizes (Nagahisa, Hayakawa & Iiguni 2025)";
  t.options = detail::unfolded_model_options(UnfoldedOptions().lambda);
  t.options.push_back({"learn-thresholds", learned::ModelOption::Kind::flag, "0",
                       "learn the thresholds separately from the step sizes instead of tying "
                       "them to lambda"});
  t.needs = {"matrix"};
  t.build = [penalty](const learned::ModelOptions& o) -> std::shared_ptr<torch::nn::Module> {
    return std::make_shared<UnfoldedSteps>(penalty, detail::unfolded_options_from(o),
                                           learned::flag_option(o, "learn-thresholds"));
  };
  t.is_instance = [penalty](const torch::nn::Module& m) {
    const auto* net = dynamic_cast<const UnfoldedSteps*>(&m);
    return net != nullptr && net->penalty() == penalty;
  };
  t.options_of = [](const torch::nn::Module& m) {
    const auto& net = dynamic_cast<const UnfoldedSteps&>(m);
    learned::ModelOptions o;
    detail::write_unfolded_options(net.options(), o);
    o["learn-thresholds"] = net.learns_thresholds() ? "1" : "0";
    return o;
  };
  t.describe = [](const torch::nn::Module& m) {
    return dynamic_cast<const UnfoldedSteps&>(m).describe();
  };
  // Per layer: A x and the residual (m), A^T r, v, |v| and the shrunk x (n).
  t.training_floats = [](const learned::ModelOptions& o, const std::vector<std::int64_t>&) {
    return detail::unfolded_training_floats(o, 4.0, 2.0);
  };
  return t;
}

}  // namespace deepsolve::unfolded
