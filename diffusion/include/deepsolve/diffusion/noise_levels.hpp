// The distribution of noise levels sigma that denoising score matching trains on, one table of
// named distributions (noise_levels.cpp):
//   "log-normal"  ln sigma ~ N(mean, std^2): EDM's training distribution (Karras et al. 2022,
//                 Table 1: mean -1.2, std 1.2);
//   "log-uniform" ln sigma uniform in [ln sigma_min, ln sigma_max] (Song & Ermon's geometric
//                 noise levels, continuous);
//   "ddpm"        one of DDPM's 1000 discrete training levels, uniformly (Ho et al. 2020: linear
//                 beta from 1e-4 to 0.02; sigma_t = sqrt((1 - alpha_bar_t) / alpha_bar_t));
//   "quadratic"   sigma = sigma_max U^2 with U uniform in [0, 1], skewed toward small sigma, as
//                 Kadkhodaie et al. (ICLR 2024) train their blind denoisers (sigma_max 1 for
//                 images in [0, 1]); clamped below at sigma_min.
#pragma once

#include <ATen/Tensor.h>
#include <ATen/core/Generator.h>
#include <torch/arg.h>

#include <cstdint>
#include <string>
#include <vector>

namespace deepsolve::diffusion {

struct NoiseLevelOptions {
  TORCH_ARG(std::string, distribution) = "log-normal";
  TORCH_ARG(double, mean) = -1.2;  ///< log-normal: mean of ln sigma
  TORCH_ARG(double, std) = 1.2;    ///< log-normal: standard deviation of ln sigma
  TORCH_ARG(double, sigma_min) = 0.002;
  TORCH_ARG(double, sigma_max) = 80.0;
};

/// Names of the distributions, in the table's order.
std::vector<std::string> noise_level_distributions();

/// Throws std::invalid_argument naming the option: an unknown distribution (listing the known),
/// std <= 0, sigma_min <= 0, sigma_max <= sigma_min, non-finite values.
void check_noise_levels(const NoiseLevelOptions& options);

/// n noise levels ([n], float32, > 0) drawn with `generator`.
at::Tensor draw_noise_levels(const NoiseLevelOptions& options, std::int64_t n,
                             at::Generator generator);

}  // namespace deepsolve::diffusion
