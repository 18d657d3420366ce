// The loops of the samplers of sampler.hpp (one function each, listed in its table) and what they
// share: the checked call of the denoising function and the seeded Gaussian draws. Internal to the
// sampling part.
#pragma once

#include <ATen/Tensor.h>
#include <ATen/core/Generator.h>

#include <cstdint>
#include <vector>

#include "deepsolve/diffusion/denoising_function.hpp"

namespace deepsolve::diffusion::sampling_detail {

/// D(x; sigmas[step]) at EvaluationPoint{sigmas[step] or `sigma`, step, sigmas.size() - 1}; throws
/// std::invalid_argument when the model returns another shape or dtype than x's.
at::Tensor denoise_at(DenoisingFunction& model, const at::Tensor& x, double sigma, std::size_t step,
                      const std::vector<double>& sigmas);
/// Standard normal noise shaped like x (x's dtype and device), drawn on the CPU from `generator`.
at::Tensor normal_like(const at::Tensor& x, at::Generator& generator);

// Deterministic (probability-flow ODE) samplers: ode_samplers.cpp.
at::Tensor run_ddim(DenoisingFunction& model, at::Tensor x, const std::vector<double>& sigmas,
                    at::Generator& generator);
at::Tensor run_euler(DenoisingFunction& model, at::Tensor x, const std::vector<double>& sigmas,
                     at::Generator& generator);
at::Tensor run_heun(DenoisingFunction& model, at::Tensor x, const std::vector<double>& sigmas,
                    at::Generator& generator);
at::Tensor run_dpmpp_2m(DenoisingFunction& model, at::Tensor x, const std::vector<double>& sigmas,
                        at::Generator& generator);
// Ancestral (stochastic) samplers: ancestral_samplers.cpp.
at::Tensor run_ddpm(DenoisingFunction& model, at::Tensor x, const std::vector<double>& sigmas,
                    at::Generator& generator);
at::Tensor run_euler_ancestral(DenoisingFunction& model, at::Tensor x,
                               const std::vector<double>& sigmas, at::Generator& generator);

}  // namespace deepsolve::diffusion::sampling_detail
