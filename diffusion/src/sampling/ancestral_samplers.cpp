// The stochastic samplers of sampler.hpp: DDPM's ancestral step (the Gaussian posterior
// q(x_s | x_t, x0 = D), Ho et al. 2020 eq. 6-7, in VE form) and Euler ancestral with eta = 1.
#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>

#include "sampler_steps.hpp"

namespace deepsolve::diffusion::sampling_detail {

// VE form of the DDPM posterior: with x_s ~ N(x0, s^2) and x_t | x_s ~ N(x_s, t^2 - s^2),
// x_s | x_t, x0 ~ N(x0 + (s^2/t^2)(x_t - x0), s^2 (t^2 - s^2) / t^2). x0 is replaced by D.
at::Tensor run_ddpm(DenoisingFunction& model, at::Tensor x, const std::vector<double>& sigmas,
                    at::Generator& generator) {
  for (std::size_t i = 0; i + 1 < sigmas.size(); ++i) {
    const double t = sigmas[i], s = sigmas[i + 1];
    const at::Tensor d0 = denoise_at(model, x, t, i, sigmas);
    const double ratio2 = (s * s) / (t * t);
    x = d0 + (x - d0) * ratio2;
    if (s > 0.0) x = x + normal_like(x, generator) * std::sqrt(ratio2 * (t * t - s * s));
  }
  return x;
}

// k-diffusion's sample_euler_ancestral with eta = 1: sigma_up = min(s, s sqrt(t^2 - s^2) / t),
// sigma_down = sqrt(s^2 - sigma_up^2); an Euler step from t to sigma_down, then + sigma_up z.
at::Tensor run_euler_ancestral(DenoisingFunction& model, at::Tensor x,
                               const std::vector<double>& sigmas, at::Generator& generator) {
  for (std::size_t i = 0; i + 1 < sigmas.size(); ++i) {
    const double t = sigmas[i], s = sigmas[i + 1];
    const at::Tensor d = (x - denoise_at(model, x, t, i, sigmas)) / t;
    const double up = std::min(s, s * std::sqrt(t * t - s * s) / t);
    const double down = std::sqrt(s * s - up * up);
    x = x + d * (down - t);
    if (s > 0.0) x = x + normal_like(x, generator) * up;
  }
  return x;
}

}  // namespace deepsolve::diffusion::sampling_detail
