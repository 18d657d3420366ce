#include "setup.hpp"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdio>

#include "common/cli.hpp"
#include "deepsolve/diffusion/linear_ag.hpp"
#include "deepsolve/diffusion/point_data.hpp"
#include "deepsolve/diffusion/sampler.hpp"
#include "deepsolve/learned/atomic_file.hpp"

namespace diffusion_guidance {

namespace ex = deepsolve::examples;

void add_denoiser_options(CLI::App& app, DenoiserSpec& spec) {
  app.add_option("--model", spec.model, "the denoiser (a file written by `train`)");
  app.add_flag("--exact", spec.exact,
               "instead of a model, the exact posterior mean of --data (an analytic data set)");
  app.add_option("--data", spec.data, "with --exact: the data set (e.g. mixture8)");
}

DenoiserSetup load_denoiser_setup(const DenoiserSpec& spec) {
  DenoiserSetup s;
  if (spec.exact) {
    ex::check(spec.model.empty(), "--exact replaces --model; give one or the other");
    ex::check(!spec.data.empty(), "--exact needs --data (an analytic data set, e.g. mixture8)");
    const auto& set = dd::point_data_set(spec.data);
    s.truth = set.analytic();
    ex::check(s.truth.has_value(), "--data " + spec.data +
                                       " is not analytic (no exact denoiser); analytic sets: "
                                       "mixture8, gaussian, 8gaussians");
    s.exact = std::make_unique<dd::GaussianMixtureDenoiser>(*s.truth);
    s.denoiser = s.exact.get();
    s.data = spec.data;
    s.classes = s.truth->components();
    s.dimension = s.truth->dimension();
    s.description = "the exact posterior mean of " + spec.data;
    return s;
  }
  ex::check(!spec.model.empty(), "give --model FILE (or --exact --data NAME)");
  ex::check(spec.data.empty(), "--data goes with --exact; a model file names its own data");
  s.loaded = dd::load_denoiser(spec.model);
  auto& network = s.loaded->denoiser.network();
  network.eval();
  s.denoiser = &s.loaded->denoiser;
  s.classes = network.num_classes();
  ex::check(s.classes > 0,
            "--model " + spec.model + ": an unconditional model; guidance needs a conditional one");
  ex::check(network.sample_shape().size() == 1,
            "--model " + spec.model + ": a model of samples of shape " +
                dd::shape_text(network.sample_shape()) + "; diffusion_guidance samples points");
  s.dimension = network.sample_shape()[0];
  const auto data = s.loaded->metadata.find(kDataKey);
  if (data != s.loaded->metadata.end()) {
    s.data = data->second;
    s.truth = dd::point_data_set(s.data).analytic();
  }
  s.description = spec.model + " (" +
                  std::string(dd::prediction_name(s.loaded->denoiser.prediction())) +
                  " prediction, " + (s.data.empty() ? "unknown data" : s.data) + ")";
  return s;
}

void add_sampling_options(CLI::App& app, SamplingSpec& spec) {
  app.add_option("--sampler", spec.sampler, "ddpm, ddim, euler, heun, dpmpp-2m, euler-ancestral")
      ->capture_default_str();
  app.add_option("--steps", spec.steps, "sampler steps")->capture_default_str();
  app.add_option("--sigma-min", spec.sigma_min, "smallest noise level > 0 (Karras schedule)")
      ->capture_default_str();
  app.add_option("--sigma-max", spec.sigma_max, "largest noise level (Karras schedule)")
      ->capture_default_str();
  app.add_option("--rho", spec.rho, "Karras schedule's rho")->capture_default_str();
  app.add_option("--seed", spec.seed, "seeds the starting noise and stochastic samplers")
      ->capture_default_str();
}

void check_sampling(const SamplingSpec& spec) {
  ex::check_choice("--sampler", "sampler", spec.sampler, dd::sampler_names());
  ex::check_at_least("--steps", spec.steps, 1);
  ex::check_positive_finite("--sigma-min", spec.sigma_min);
  ex::check_positive_finite("--sigma-max", spec.sigma_max);
  ex::check(spec.sigma_max > spec.sigma_min, "--sigma-max must be above --sigma-min, got " +
                                                 ex::format_number(spec.sigma_max) + " and " +
                                                 ex::format_number(spec.sigma_min));
  ex::check_positive_finite("--rho", spec.rho);
}

std::vector<double> sampling_sigmas(const SamplingSpec& spec) {
  dd::NoiseScheduleOptions o;
  o.steps = spec.steps;
  o.sigma_min = spec.sigma_min;
  o.sigma_max = spec.sigma_max;
  o.rho = spec.rho;
  return dd::default_sigmas(spec.sampler, o);
}

void add_guidance_options(CLI::App& app, GuidanceSpec& spec, bool with_policy) {
  if (with_policy) {
    app.add_option("--guidance", spec.policy, dd::guidance_policy_names())->capture_default_str();
    app.add_option("--linear-ag", spec.linear_ag, "linear-ag: the model `fit-linear-ag` wrote");
  }
  app.add_option("--scale", spec.scale, "guidance scale w >= 0 (1: the conditional model)")
      ->capture_default_str();
  app.add_option("--gamma-bar", spec.gamma_bar,
                 "ag, linear-ag: stop guiding a sample once cos(eps_c, eps_u) > this, in (0, 1]")
      ->capture_default_str();
  app.add_flag("--ag-unarmed", spec.ag_unarmed,
               "ag, linear-ag: the paper's cutoff as written (any gamma > gamma-bar, even before "
               "gamma was ever below it)");
  app.add_option("--sigma-lo", spec.sigma_lo, "interval, ag: guide only where sigma > this")
      ->capture_default_str();
  app.add_option("--sigma-hi", spec.sigma_hi, "interval, ag: ... and sigma <= this");
  app.add_option("--rescale", spec.rescale, "guidance rescale phi in [0, 1]")
      ->capture_default_str();
  app.add_option("--schedule-shape", spec.schedule_shape, "schedule: linear, cosine or step")
      ->capture_default_str();
  app.add_option("--schedule-start", spec.schedule_start,
                 "schedule: the first step's weight (default: --scale)");
  app.add_option("--schedule-end", spec.schedule_end, "schedule: the last step's weight")
      ->capture_default_str();
  app.add_option("--schedule-cut", spec.schedule_cut, "schedule step: where the weight switches")
      ->capture_default_str();
}

dd::GuidanceOptions guidance_options(const GuidanceSpec& spec, const std::string& policy) {
  dd::GuidanceOptions o;
  o.policy(policy).scale(spec.scale).gamma_bar(spec.gamma_bar).rescale(spec.rescale);
  o.ag_arming(!spec.ag_unarmed);
  o.sigma_lo(spec.sigma_lo).sigma_hi(spec.sigma_hi >= 1e30 ? INFINITY : spec.sigma_hi);
  dd::WeightSchedule schedule;
  schedule.shape(dd::parse_weight_shape(spec.schedule_shape))
      .start(spec.schedule_start.value_or(spec.scale))
      .end(spec.schedule_end)
      .cut(spec.schedule_cut);
  o.schedule(schedule);
  if (policy == "linear-ag" && !spec.linear_ag.empty())
    o.linear_ag(std::make_shared<const dd::LinearAG>(dd::LinearAG::load(spec.linear_ag)));
  dd::validate(o);
  return o;
}

at::Tensor starting_noise(std::int64_t count, std::int64_t dimension, std::uint64_t seed) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  return at::randn({count, dimension}, generator, at::kFloat);
}

at::Tensor true_conditional(const dd::GaussianMixture& truth, std::int64_t label,
                            std::int64_t count, std::uint64_t seed) {
  return truth.sample(count, seed, at::full({count}, label, at::kLong), at::kFloat).x;
}

void check_label(std::int64_t label, const DenoiserSetup& setup) {
  ex::check(label >= 0 && label < setup.classes, "--label must be in [0, " +
                                                     std::to_string(setup.classes) + "), got " +
                                                     std::to_string(label));
}

void write_samples_csv(const std::string& path, const at::Tensor& samples) {
  const at::Tensor s = samples.to(at::kDouble).contiguous();
  const auto* p = s.data_ptr<double>();
  std::string text;
  char cell[40];
  for (std::int64_t i = 0; i < s.size(0); ++i) {
    for (std::int64_t j = 0; j < s.size(1); ++j) {
      std::snprintf(cell, sizeof cell, j ? ",%.9g" : "%.9g", p[i * s.size(1) + j]);
      text += cell;
    }
    text += '\n';
  }
  deepsolve::learned::write_file_atomically(path, text);
}

}  // namespace diffusion_guidance
