// Samplers: walk a batch from pure noise at sigmas[0] down a noise schedule (noise_schedule.hpp),
// calling a DenoisingFunction (denoising_function.hpp) once or twice per step, which counts the
// network evaluations (NFEs) per sample. Variance-exploding form (x = x0 + sigma n) throughout,
// with D = D(x; sigma) the denoised estimate and d = (x - D) / sigma the probability-flow ODE's
// derivative dx/dsigma (EDM eq. 3 with sigma(t) = t):
//
//   ddpm             ancestral sampling, Ho et al. 2020 eq. 6-7: x_s drawn from the Gaussian
//                    posterior q(x_s | x_t, x0 = D), which in VE form is
//                    N(D + (s^2/t^2)(x_t - D), s^2 (t^2 - s^2) / t^2), noise-free at s = 0.
//   ddim             Song et al. 2021 eq. 12 with eta = 0: x_s = D + (s/t)(x_t - D) (in VE form
//                    this is also the Euler step; Karras et al. 2022, Table 1).
//   euler            EDM Alg. 1 without its 2nd-order correction: x_s = x_t + (s - t) d.
//   heun             EDM Alg. 1: an Euler step, then the trapezoidal correction with d at
//                    (x_s, s); the step to s = 0 stays Euler, so n steps ending at 0 cost 2n-1
//                    NFEs.
//   dpmpp-2m         DPM-Solver++(2M), Lu et al. 2022, Alg. 2 (data prediction, lambda = -log
//                    sigma): x_s = (s/t) x_t + (1 - s/t) D', D' = (1 + 1/(2r)) D_i - 1/(2r)
//                    D_{i-1}, r = h_{i-1}/h_i; the first step and the step to s = 0 are 1st order.
//   euler-ancestral  eta = 1 (k-diffusion): split s^2 = sigma_down^2 + sigma_up^2 with sigma_up =
//                    s sqrt(t^2 - s^2) / t, Euler step to sigma_down, add sigma_up z. (With exact
//                    arithmetic it is the ddpm step; the two differ in their default schedule.)
// Stochastic samplers draw z from one at::Generator seeded with `seed`, in step order, only for
// steps that end above 0, so a run is reproducible. Every sampler is one row of the table behind
// sampler_types(); nothing else switches on a sampler's name.
#pragma once

#include <ATen/Tensor.h>
#include <ATen/core/Generator.h>

#include <cstdint>
#include <string>
#include <vector>

#include "deepsolve/diffusion/denoising_function.hpp"
#include "deepsolve/diffusion/noise_schedule.hpp"

namespace deepsolve::diffusion {

struct SampleOutput {
  at::Tensor samples;          ///< [B, ...], x's dtype
  std::int64_t nfe = 0;        ///< network evaluations, all samples
  at::Tensor nfe_per_sample;   ///< [B] int64
  std::vector<double> sigmas;  ///< the schedule walked
};

/// A sampler's loop: x starts at sigmas[0] * noise and model.begin() has been called; returns
/// the samples. The schedule is checked (check_sigmas) before.
using SamplerFunction = at::Tensor (*)(DenoisingFunction& model, at::Tensor x,
                                       const std::vector<double>& sigmas, at::Generator& generator);

/// One row of the sampler table.
struct SamplerType {
  const char* name;
  const char* description;       ///< one line, with the paper
  const char* default_schedule;  ///< a noise_schedules() name
  bool stochastic;               ///< uses the seed
  SamplerFunction run;
};

/// Every sampler: ddpm, ddim, euler, heun, dpmpp-2m, euler-ancestral.
const std::vector<SamplerType>& sampler_types();
std::vector<std::string> sampler_names();
/// Throws std::invalid_argument "unknown sampler 'x' (known: ddpm, ddim, ...)".
const SamplerType& find_sampler(const std::string& name);

/// The sampler's default schedule (its row's default_schedule) with `options`.
std::vector<double> default_sigmas(const std::string& sampler,
                                   const NoiseScheduleOptions& options = {});

/// Runs `sampler` on a batch: x = sigmas[0] * noise (noise: standard normal [B, ...], B >= 1, a
/// floating dtype that all the arithmetic keeps), model.begin(B), then the sampler's steps
/// (EvaluationPoint{sigma, step, steps = sigmas.size() - 1}). `seed` drives the stochastic
/// samplers. Throws std::invalid_argument for an unknown sampler, a bad schedule (check_sigmas),
/// an undefined, integer or 0-dim noise tensor, or a model that returns another shape.
SampleOutput sample(const std::string& sampler, DenoisingFunction& model, const at::Tensor& noise,
                    const std::vector<double>& sigmas, std::uint64_t seed = 0);

}  // namespace deepsolve::diffusion
