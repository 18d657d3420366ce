// What the sampling commands of diffusion_guidance share: the denoiser (a model file, or the exact
// posterior mean of an analytic data set with --exact), the sampler and its noise schedule, the
// guidance options, the seeded starting noise, and samples of the true conditional distribution.
#pragma once

#include <ATen/Tensor.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "deepsolve/diffusion/denoiser_file.hpp"
#include "deepsolve/diffusion/gaussian_mixture.hpp"
#include "deepsolve/diffusion/guidance.hpp"

namespace CLI {
class App;
}

namespace diffusion_guidance {

namespace dd = deepsolve::diffusion;

/// The metadata keys of a model file that name its training data.
constexpr const char* kDataKey = "data";

struct DenoiserSpec {
  std::string model;   ///< --model FILE
  bool exact = false;  ///< --exact: the analytic posterior mean of --data
  std::string data;    ///< --data NAME (with --exact)
};
void add_denoiser_options(CLI::App& app, DenoiserSpec& spec);

struct DenoiserSetup {
  std::optional<dd::LoadedDenoiser> loaded;
  std::unique_ptr<dd::GaussianMixtureDenoiser> exact;
  const dd::ConditionalDenoiser* denoiser = nullptr;
  std::string data;                          ///< the data set's name
  std::optional<dd::GaussianMixture> truth;  ///< when the data set is analytic
  std::int64_t classes = 0;
  std::int64_t dimension = 0;
  std::string description;  ///< for the summary line
};
/// Loads the model (or builds the exact denoiser); throws with the option and the problem.
DenoiserSetup load_denoiser_setup(const DenoiserSpec& spec);

struct SamplingSpec {
  std::string sampler = "euler";
  std::int64_t steps = 32;
  double sigma_min = 0.002, sigma_max = 80.0, rho = 7.0;
  std::uint64_t seed = 0;
};
void add_sampling_options(CLI::App& app, SamplingSpec& spec);
/// Checks the sampler name and the schedule options (naming the option).
void check_sampling(const SamplingSpec& spec);
/// The sampler's default schedule with these options.
std::vector<double> sampling_sigmas(const SamplingSpec& spec);

struct GuidanceSpec {
  std::string policy = "cfg";
  double scale = 3.0;
  double gamma_bar = 0.99;
  bool ag_unarmed = false;
  double sigma_lo = 0.0;
  double sigma_hi = 1e30;
  double rescale = 0.0;
  std::string schedule_shape = "step";
  std::optional<double> schedule_start;  ///< default: --scale
  double schedule_end = 1.0, schedule_cut = 0.5;
  std::string linear_ag;  ///< --linear-ag FILE
};
/// `with_policy`: also --guidance and --linear-ag (sample); compare runs every policy.
void add_guidance_options(CLI::App& app, GuidanceSpec& spec, bool with_policy);
/// The library's options (validated: errors name the library's option; the messages say which
/// flag by its name, e.g. "gamma_bar must be in (0, 1]").
dd::GuidanceOptions guidance_options(const GuidanceSpec& spec, const std::string& policy);

/// Standard normal starting noise [count, dimension] (float32), a function of `seed` only.
at::Tensor starting_noise(std::int64_t count, std::int64_t dimension, std::uint64_t seed);
/// `count` samples of the truth's component `label` (float32).
at::Tensor true_conditional(const dd::GaussianMixture& truth, std::int64_t label,
                            std::int64_t count, std::uint64_t seed);
/// Checks --label against the data set's classes.
void check_label(std::int64_t label, const DenoiserSetup& setup);

/// Writes samples as CSV: one sample per line, coordinates only (%.9g), atomically.
void write_samples_csv(const std::string& path, const at::Tensor& samples);

}  // namespace diffusion_guidance
