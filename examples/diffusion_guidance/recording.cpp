#include "recording.hpp"

#include <ATen/ATen.h>
#include <torch/torch.h>

#include "deepsolve/diffusion/sampler.hpp"

namespace diffusion_guidance {

dd::LinearAG fit_linear_ag_on_cfg(const DenoiserSetup& setup, const SamplingSpec& sampling,
                                  const GuidanceSpec& guidance, std::int64_t per_label,
                                  std::uint64_t seed, const dd::LinearAGOptions& options) {
  torch::NoGradGuard no_grad;
  const auto sigmas = sampling_sigmas(sampling);
  std::vector<dd::GuidanceTrajectory> recorded;
  for (std::int64_t label = 0; label < setup.classes; ++label) {
    dd::GuidanceOptions cfg = guidance_options(guidance, "cfg");
    cfg.record(true);
    dd::GuidedDenoising guided(*setup.denoiser, at::full({per_label}, label, at::kLong), cfg);
    const std::uint64_t label_seed = seed + 7919 * static_cast<std::uint64_t>(label + 1);
    dd::sample(sampling.sampler, guided, starting_noise(per_label, setup.dimension, label_seed),
               sigmas, label_seed);
    recorded.push_back(guided.trajectory());
  }
  return dd::LinearAG::fit(recorded, options);
}

}  // namespace diffusion_guidance
