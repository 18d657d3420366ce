// The sampler table and sample(): the checks, the starting point sigmas[0] * noise and the seeded
// generator every sampler of sampler.hpp shares.
#include "deepsolve/diffusion/sampler.hpp"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <sstream>
#include <stdexcept>

#include "sampler_steps.hpp"

namespace deepsolve::diffusion {
namespace sampling_detail {

std::string sizes_text(const at::Tensor& x) {
  std::ostringstream os;
  os << x.sizes();
  return os.str();
}

at::Tensor denoise_at(DenoisingFunction& model, const at::Tensor& x, double sigma, std::size_t step,
                      const std::vector<double>& sigmas) {
  const EvaluationPoint at{sigma, static_cast<std::int64_t>(step),
                           static_cast<std::int64_t>(sigmas.size()) - 1};
  at::Tensor d = model.denoise(x, at);
  if (!d.defined() || d.sizes() != x.sizes() || d.scalar_type() != x.scalar_type())
    throw std::invalid_argument(
        "sampler: the denoising function returned " +
        (d.defined() ? sizes_text(d) + " " + std::string(c10::toString(d.scalar_type()))
                     : std::string("an undefined tensor")) +
        " for x of " + sizes_text(x) + " " + c10::toString(x.scalar_type()) + " at step " +
        std::to_string(step));
  return d;
}

at::Tensor normal_like(const at::Tensor& x, at::Generator& generator) {
  at::Tensor z = at::randn(x.sizes(), generator, x.options().device(at::kCPU));
  return x.device().is_cpu() ? z : z.to(x.device());
}

}  // namespace sampling_detail

// The table of samplers: a new sampler is one more row (and its loop in sampler_steps.hpp).
const std::vector<SamplerType>& sampler_types() {
  namespace s = sampling_detail;
  static const std::vector<SamplerType> table = {
      {"ddpm",
       "ancestral sampling from the Gaussian posterior q(x_s | x_t, x0 = D) (Ho et al. 2020)",
       "ddpm", true, &s::run_ddpm},
      {"ddim", "DDIM with eta = 0, x_s = D + (s/t)(x_t - D) (Song et al. 2021, eq. 12)", "ddpm",
       false, &s::run_ddim},
      {"euler",
       "Euler steps of the probability-flow ODE (Karras et al. 2022, Alg. 1 without the "
       "correction)",
       "karras", false, &s::run_euler},
      {"heun", "Heun's 2nd-order method, Euler on the last step (Karras et al. 2022, Alg. 1)",
       "karras", false, &s::run_heun},
      {"dpmpp-2m", "DPM-Solver++(2M), multistep 2nd order in data prediction (Lu et al. 2022)",
       "karras", false, &s::run_dpmpp_2m},
      {"euler-ancestral", "Euler to sigma_down, then noise sigma_up (eta = 1, k-diffusion)",
       "karras", true, &s::run_euler_ancestral},
  };
  return table;
}

std::vector<std::string> sampler_names() {
  std::vector<std::string> names;
  for (const auto& s : sampler_types()) names.emplace_back(s.name);
  return names;
}

const SamplerType& find_sampler(const std::string& name) {
  for (const auto& s : sampler_types())
    if (name == s.name) return s;
  std::string known;
  for (const auto& s : sampler_types()) known += (known.empty() ? "" : ", ") + std::string(s.name);
  throw std::invalid_argument("unknown sampler '" + name + "' (known: " + known + ")");
}

std::vector<double> default_sigmas(const std::string& sampler,
                                   const NoiseScheduleOptions& options) {
  return make_sigmas(find_sampler(sampler).default_schedule, options);
}

SampleOutput sample(const std::string& sampler, DenoisingFunction& model, const at::Tensor& noise,
                    const std::vector<double>& sigmas, std::uint64_t seed) {
  const SamplerType& type = find_sampler(sampler);
  check_sigmas(sigmas);
  if (!noise.defined()) throw std::invalid_argument("sample: the noise tensor is undefined");
  if (!at::isFloatingType(noise.scalar_type()))
    throw std::invalid_argument("sample: noise must have a floating dtype, got " +
                                std::string(c10::toString(noise.scalar_type())));
  if (noise.dim() < 1 || noise.size(0) < 1)
    throw std::invalid_argument("sample: noise must be [B, ...] with B >= 1, got " +
                                sampling_detail::sizes_text(noise));
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  model.begin(noise.size(0));
  SampleOutput out;
  out.samples = type.run(model, noise * sigmas.front(), sigmas, generator);
  out.nfe_per_sample = model.nfe_per_sample().clone();
  out.nfe = out.nfe_per_sample.sum().item<std::int64_t>();
  out.sigmas = sigmas;
  return out;
}

}  // namespace deepsolve::diffusion
