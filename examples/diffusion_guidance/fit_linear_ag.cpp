// diffusion_guidance fit-linear-ag: records full-CFG trajectories of every label and fits
// LinearAG's per-evaluation coefficients (deepsolve/diffusion/linear_ag.hpp) to a file for
// `sample --guidance linear-ag`. The fit is tied to the sampler and schedule it was recorded with.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "commands.hpp"
#include "common/cli.hpp"
#include "recording.hpp"

namespace diffusion_guidance {

namespace ex = deepsolve::examples;

void fit_linear_ag_command(const std::vector<std::string>& args) {
  DenoiserSpec denoiser;
  SamplingSpec sampling;
  GuidanceSpec guidance;
  std::string out;
  std::int64_t per_label = 256, history = 1, max_consecutive = 1;
  double first_fraction = 0.5, max_residual = 0.2;
  CLI::App app{"diffusion_guidance fit-linear-ag: LinearAG's coefficients from CFG trajectories",
               "diffusion_guidance fit-linear-ag"};
  ex::setup_app(app, 30,
                "\nThe sampler, schedule and --scale must be those `sample --guidance linear-ag` "
                "will use\n(the file records the noise levels and is refused for others).\n\n"
                "Example:\n  diffusion_guidance fit-linear-ag --model m.dsm --sampler euler "
                "--steps 32 --scale 3 --out lag.bin");
  add_denoiser_options(app, denoiser);
  add_sampling_options(app, sampling);
  add_guidance_options(app, guidance, false);
  app.add_option("--out", out, "the LinearAG file to write")->required();
  app.add_option("--per-label", per_label, "recorded trajectories per label")
      ->capture_default_str();
  app.add_option("--history", history, "past evaluations in the combination")
      ->capture_default_str();
  app.add_option("--first-fraction", first_fraction, "predict only in this first part")
      ->capture_default_str();
  app.add_option("--max-residual", max_residual, "predict only where the fit is this good")
      ->capture_default_str();
  app.add_option("--max-consecutive", max_consecutive, "predicted evaluations in a row")
      ->capture_default_str();
  const std::string help = ex::parse(app, args);
  if (!help.empty()) {
    std::fputs(help.c_str(), stdout);
    return;
  }
  ex::check_at_least("--per-label", per_label, 1);
  check_sampling(sampling);
  guidance_options(guidance, "cfg");  // validates --scale and friends
  ex::OutputFiles outputs;
  outputs.add("--out", out);
  outputs.check_writable();
  const DenoiserSetup setup = load_denoiser_setup(denoiser);
  dd::LinearAGOptions options;
  options.history(history)
      .first_fraction(first_fraction)
      .max_residual(max_residual)
      .max_consecutive(max_consecutive);
  const dd::LinearAG model =
      fit_linear_ag_on_cfg(setup, sampling, guidance, per_label, sampling.seed + 104729, options);
  model.save(out);
  std::printf(
      "diffusion_guidance fit-linear-ag: %s, %lld trajectories per label, %lld of %lld "
      "evaluations predicted\n%s",
      setup.description.c_str(), static_cast<long long>(per_label),
      static_cast<long long>(model.predicted_count()), static_cast<long long>(model.evaluations()),
      model.describe().c_str());
  std::printf("wrote %s\n", out.c_str());
}

}  // namespace diffusion_guidance
