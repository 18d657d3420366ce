// LinearAG's training data for the example: full-CFG trajectories recorded over every label of
// the data set, from starting noise of their own seed (not the seed of the samples it is used on).
#pragma once

#include <cstdint>
#include <vector>

#include "deepsolve/diffusion/linear_ag.hpp"
#include "setup.hpp"

namespace diffusion_guidance {

/// Records `per_label` full-CFG trajectories of every label with `sampling` (its schedule and
/// sampler) and fits LinearAG on them.
dd::LinearAG fit_linear_ag_on_cfg(const DenoiserSetup& setup, const SamplingSpec& sampling,
                                  const GuidanceSpec& guidance, std::int64_t per_label,
                                  std::uint64_t seed, const dd::LinearAGOptions& options);

}  // namespace diffusion_guidance
