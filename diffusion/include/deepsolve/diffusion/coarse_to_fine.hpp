// The stochastic coarse-to-fine gradient ascent of Kadkhodaie & Simoncelli, "Stochastic solutions
// for linear inverse problems using the prior implicit in a denoiser" (NeurIPS 2021, Alg. 1,
// unconditional case), the sampler of Kadkhodaie et al. (ICLR 2024) for BLIND denoisers (sigma is
// not an input; the residual f(y) = y - D(y) = -sigma^2 grad log p_sigma(y) by Miyasawa/Tweedie
// tells the noise level). From y_1 = mean + sigma0 z_0, for t = 1, 2, ...:
//   sigma_t = ||f(y_t)|| / sqrt(N)                     (N: the numbers in one sample)
//   if sigma_t <= sigma_L: stop and return D(y_t) = y_t - f(y_t)
//   h_t     = h0 t / (1 + h0 (t - 1))                   (step size growing from h0 towards 1)
//   gamma_t = sigma_t sqrt((1 - beta h_t)^2 - (1 - h_t)^2)
//   y_{t+1} = y_t - h_t f(y_t) + gamma_t z_t,  z_t ~ N(0, I)
// so the effective noise shrinks by (1 - beta h_t) per step; beta in (0, 1] sets how much noise is
// injected (beta = 1: deterministic). Each sample stops on its own; stopped samples are not
// evaluated again (the batch shrinks). The evaluation that finds sigma_t <= sigma_L also gives the
// result, so a sample costs iterations + 1 NFEs. (The authors' code makes one more update and one
// more evaluation after the threshold is crossed.)
#pragma once

#include <ATen/Tensor.h>

#include <cstdint>
#include <vector>

#include "deepsolve/diffusion/denoiser.hpp"

namespace deepsolve::diffusion {

struct CoarseToFineOptions {
  double h0 = 0.01;                    ///< first step size, in (0, 1]
  double beta = 0.01;                  ///< noise injection, in (0, 1]
  double sigma0 = 1.0;                 ///< y_1 = mean + sigma0 noise, > 0
  double sigma_L = 0.01;               ///< stop when sigma_t <= sigma_L, in (0, sigma0)
  double mean = 0.0;                   ///< finite
  std::int64_t max_iterations = 5000;  ///< updates per sample at most, >= 1
  std::uint64_t seed = 0;              ///< for z_t
};

/// Throws std::invalid_argument naming the option and its value.
void check_coarse_to_fine_options(const CoarseToFineOptions& options);

struct CoarseToFineOutput {
  at::Tensor samples;         ///< D(y) at the stop, [B, ...] in the noise's dtype
  at::Tensor iterations;      ///< [B] int64: updates made (the stop came at t = iterations + 1)
  at::Tensor nfe_per_sample;  ///< [B] int64: iterations + 1
  std::int64_t nfe = 0;       ///< the sum
  at::Tensor converged;       ///< [B] bool: sigma_t <= sigma_L reached (not max_iterations)
  std::vector<std::vector<double>> sigma_trace;  ///< per sample, sigma_t for t = 1 .. stop
};

/// Runs the ascent for a batch: noise [B, ...] standard normal (B >= 1, floating dtype, kept by
/// all the arithmetic), labels [B] int64 or undefined (passed on, restricted to the active
/// samples). The denoiser should be blind: its sigma argument gets the largest current estimate
/// sigma_t of the active samples (sigma0 on the first evaluation), a hint it may ignore.
CoarseToFineOutput coarse_to_fine(const ConditionalDenoiser& denoiser, const at::Tensor& noise,
                                  const CoarseToFineOptions& options = {},
                                  const at::Tensor& labels = {});

}  // namespace deepsolve::diffusion
