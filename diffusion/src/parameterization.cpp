#include "deepsolve/diffusion/parameterization.hpp"

#include <ATen/ATen.h>

#include <cmath>
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

PreconditioningAt preconditioning_at(Prediction prediction, double sigma, double sigma_data) {
  if (!(sigma_data > 0.0))
    throw std::invalid_argument("sigma_data must be > 0, got " + std::to_string(sigma_data));
  const double sd2 = sigma_data * sigma_data, s2 = sigma * sigma;
  const double r = 1.0 / std::sqrt(s2 + sd2);
  const double c_noise = 0.25 * std::log(sigma);
  switch (prediction) {
    case Prediction::eps:
      return {1.0, -sigma, 1.0 / std::sqrt(s2 + 1.0), c_noise};
    case Prediction::x0:
      return {0.0, 1.0, r, c_noise};
    case Prediction::v:
      return {sd2 / (s2 + sd2), -sigma * sigma_data * r, r, c_noise};
    case Prediction::edm:
      return {sd2 / (s2 + sd2), sigma * sigma_data * r, r, c_noise};
    case Prediction::residual:
      return {1.0, -1.0, 1.0, 0.0};
  }
  throw std::logic_error("preconditioning_at: unknown Prediction value");
}

Preconditioning preconditioning(Prediction prediction, const at::Tensor& sigma, double sigma_data) {
  const at::Tensor s = sigma.to(at::kDouble).contiguous().cpu();
  const std::int64_t n = s.numel();
  at::Tensor table = at::empty({4, n}, at::kDouble);
  auto t = table.accessor<double, 2>();
  const double* p = s.data_ptr<double>();
  for (std::int64_t i = 0; i < n; ++i) {
    const PreconditioningAt c = preconditioning_at(prediction, p[i], sigma_data);
    t[0][i] = c.c_skip;
    t[1][i] = c.c_out;
    t[2][i] = c.c_in;
    t[3][i] = c.c_noise;
  }
  table = table.to(sigma.options());
  const auto shape = sigma.sizes();
  return {table[0].reshape(shape), table[1].reshape(shape), table[2].reshape(shape),
          table[3].reshape(shape)};
}

}  // namespace deepsolve::diffusion
