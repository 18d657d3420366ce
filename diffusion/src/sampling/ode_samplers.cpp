// The deterministic samplers of sampler.hpp: DDIM (eta = 0), Euler, Heun (EDM Alg. 1) and
// DPM-Solver++(2M), each a loop over the steps of a checked schedule in VE form.
#include <ATen/ATen.h>

#include <cmath>

#include "sampler_steps.hpp"

namespace deepsolve::diffusion::sampling_detail {

// Song et al. 2021 eq. 12, eta = 0: x_s = D + (s/t)(x_t - D).
at::Tensor run_ddim(DenoisingFunction& model, at::Tensor x, const std::vector<double>& sigmas,
                    at::Generator& /*generator*/) {
  for (std::size_t i = 0; i + 1 < sigmas.size(); ++i) {
    const at::Tensor d0 = denoise_at(model, x, sigmas[i], i, sigmas);
    x = d0 + (x - d0) * (sigmas[i + 1] / sigmas[i]);
  }
  return x;
}

// EDM Alg. 1 lines 4-5 (no churn, no correction): x_s = x_t + (s - t) (x_t - D) / t.
at::Tensor run_euler(DenoisingFunction& model, at::Tensor x, const std::vector<double>& sigmas,
                     at::Generator& /*generator*/) {
  for (std::size_t i = 0; i + 1 < sigmas.size(); ++i) {
    const at::Tensor d = (x - denoise_at(model, x, sigmas[i], i, sigmas)) / sigmas[i];
    x = x + d * (sigmas[i + 1] - sigmas[i]);
  }
  return x;
}

// EDM Alg. 1 lines 4-8 (no churn): Euler to s, then if s > 0 the trapezoidal rule with the
// derivative at (x_euler, s) -- a 2nd evaluation in the same step.
at::Tensor run_heun(DenoisingFunction& model, at::Tensor x, const std::vector<double>& sigmas,
                    at::Generator& /*generator*/) {
  for (std::size_t i = 0; i + 1 < sigmas.size(); ++i) {
    const double t = sigmas[i], s = sigmas[i + 1];
    const at::Tensor d = (x - denoise_at(model, x, t, i, sigmas)) / t;
    const at::Tensor euler = x + d * (s - t);
    if (s == 0.0) {
      x = euler;
      continue;
    }
    const at::Tensor d_next = (euler - denoise_at(model, euler, s, i, sigmas)) / s;
    x = x + (d + d_next) * (0.5 * (s - t));
  }
  return x;
}

// Lu et al. 2022, DPM-Solver++(2M) (Alg. 2) with lambda = -log sigma, h_i = lambda_{i+1} -
// lambda_i: x_s = (s/t) x_t - expm1(-h_i) D', where D' = D_i on the first step and on the step to
// s = 0 (lower order final), else D' = (1 + 1/(2 r)) D_i - 1/(2 r) D_{i-1} with r = h_{i-1} / h_i.
at::Tensor run_dpmpp_2m(DenoisingFunction& model, at::Tensor x, const std::vector<double>& sigmas,
                        at::Generator& /*generator*/) {
  at::Tensor previous;  // D_{i-1}
  for (std::size_t i = 0; i + 1 < sigmas.size(); ++i) {
    const double t = sigmas[i], s = sigmas[i + 1];
    const at::Tensor d0 = denoise_at(model, x, t, i, sigmas);
    if (s == 0.0) {
      x = d0;  // (s/t) x - expm1(-inf) D = D
    } else {
      const double h = std::log(t) - std::log(s);
      at::Tensor target = d0;
      if (previous.defined()) {
        const double h_last = std::log(sigmas[i - 1]) - std::log(t);
        const double half_over_r = 0.5 * h / h_last;  // 1 / (2 r)
        target = d0 * (1.0 + half_over_r) - previous * half_over_r;
      }
      x = x * (s / t) - target * std::expm1(-h);
    }
    previous = d0;
  }
  return x;
}

}  // namespace deepsolve::diffusion::sampling_detail
