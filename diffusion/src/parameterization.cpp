#include "deepsolve/diffusion/parameterization.hpp"

#include <ATen/ATen.h>

#include <stdexcept>

namespace deepsolve::diffusion {
namespace {

struct Named {
  Prediction prediction;
  const char* name;
};
constexpr Named kPredictions[] = {{Prediction::eps, "eps"},
                                  {Prediction::x0, "x0"},
                                  {Prediction::v, "v"},
                                  {Prediction::edm, "edm"},
                                  {Prediction::residual, "residual"}};

}  // namespace

const char* prediction_name(Prediction prediction) {
  for (const auto& p : kPredictions)
    if (p.prediction == prediction) return p.name;
  throw std::logic_error("prediction_name: unknown Prediction value");
}

std::vector<std::string> prediction_names() {
  std::vector<std::string> names;
  for (const auto& p : kPredictions) names.emplace_back(p.name);
  return names;
}

Prediction parse_prediction(const std::string& name) {
  for (const auto& p : kPredictions)
    if (name == p.name) return p.prediction;
  std::string known;
  for (const auto& p : kPredictions) known += (known.empty() ? "" : ", ") + std::string(p.name);
  throw std::invalid_argument("unknown prediction '" + name + "' (known: " + known + ")");
}

Preconditioning preconditioning(Prediction prediction, const at::Tensor& sigma, double sigma_data) {
  if (!(sigma_data > 0.0))
    throw std::invalid_argument("sigma_data must be > 0, got " + std::to_string(sigma_data));
  const double sd2 = sigma_data * sigma_data;
  const at::Tensor s2 = sigma * sigma;
  Preconditioning c;
  switch (prediction) {
    case Prediction::eps:
      c.c_skip = at::ones_like(sigma);
      c.c_out = -sigma;
      c.c_in = at::rsqrt(s2 + 1.0);
      break;
    case Prediction::x0:
      c.c_skip = at::zeros_like(sigma);
      c.c_out = at::ones_like(sigma);
      c.c_in = at::rsqrt(s2 + sd2);
      break;
    case Prediction::v:
      c.c_skip = sd2 / (s2 + sd2);
      c.c_out = -sigma * sigma_data * at::rsqrt(s2 + sd2);
      c.c_in = at::rsqrt(s2 + sd2);
      break;
    case Prediction::edm:
      c.c_skip = sd2 / (s2 + sd2);
      c.c_out = sigma * sigma_data * at::rsqrt(s2 + sd2);
      c.c_in = at::rsqrt(s2 + sd2);
      break;
    case Prediction::residual:
      c.c_skip = at::ones_like(sigma);
      c.c_out = -at::ones_like(sigma);
      c.c_in = at::ones_like(sigma);
      c.c_noise = at::zeros_like(sigma);
      return c;
  }
  c.c_noise = at::log(sigma) * 0.25;
  return c;
}

}  // namespace deepsolve::diffusion
