// diffusion_guidance sample: samples of one label with a sampler and a guidance policy; the
// samples as CSV, and JSON with the network evaluations (NFEs), the time and, when the data set is
// analytic, the sliced Wasserstein distance to the true conditional distribution.
#include <ATen/ATen.h>
#include <torch/torch.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>

#include "commands.hpp"
#include "common/cli.hpp"
#include "common/output.hpp"
#include "deepsolve/diffusion/sample_metrics.hpp"
#include "deepsolve/diffusion/sampler.hpp"
#include "setup.hpp"

namespace diffusion_guidance {
namespace {

namespace ex = deepsolve::examples;
using json = nlohmann::json;

const char* const kSampleFooter = R"(
Guidance (docs/diffusion.md): eps~ = eps_u + w (eps_c - eps_u) with w = --scale; a guided
evaluation costs 2 NFEs, a conditional-only one 1. Policies: none (conditional only), cfg (every
step), interval (where --sigma-lo < sigma <= --sigma-hi), schedule (--schedule-*), ag (Adaptive
Guidance: a sample stops being guided once cos(eps_c, eps_u) > --gamma-bar), linear-ag (LinearAG's
predicted unconditional estimates from --linear-ag, then the AG cutoff).

Output: --samples-out FILE.csv (one sample per line, coordinates only); --json: nfe (total),
nfe_per_sample (mean; min and max too), time_s, swd (sliced Wasserstein, 256 directions, to
--reference samples of the true conditional; analytic data sets only) and the policy's record.

Examples:
  diffusion_guidance sample --model m.dsm --label 3 --count 2000 --sampler heun --steps 16 \
      --guidance ag --scale 3 --gamma-bar 0.999 --samples-out ag.csv --json ag.json
  diffusion_guidance sample --exact --data mixture8 --label 0 --guidance cfg --json cfg.json)";

struct SampleOptions {
  DenoiserSpec denoiser;
  SamplingSpec sampling;
  GuidanceSpec guidance;
  std::int64_t label = -1, count = 1000, reference = 10000;
  std::string samples_out, json;
};

}  // namespace

void sample_command(const std::vector<std::string>& args) {
  SampleOptions o;
  CLI::App app{"diffusion_guidance sample: guided samples of one label",
               "diffusion_guidance sample"};
  ex::setup_app(app, 30, kSampleFooter);
  add_denoiser_options(app, o.denoiser);
  app.add_option("--label", o.label, "the class to sample")->required();
  app.add_option("--count", o.count, "samples")->capture_default_str();
  add_sampling_options(app, o.sampling);
  add_guidance_options(app, o.guidance, true);
  app.add_option("--reference", o.reference, "true conditional samples the SWD compares with")
      ->capture_default_str();
  app.add_option("--samples-out", o.samples_out, "write the samples (CSV)");
  app.add_option("--json", o.json, "write the results as JSON");
  const std::string help = ex::parse(app, args);
  if (!help.empty()) {
    std::fputs(help.c_str(), stdout);
    return;
  }
  ex::check_at_least("--count", o.count, 1);
  ex::check_at_least("--reference", o.reference, 2);
  check_sampling(o.sampling);
  ex::check(o.guidance.policy != "linear-ag" || !o.guidance.linear_ag.empty(),
            "--guidance linear-ag needs --linear-ag FILE (written by fit-linear-ag)");
  ex::check(o.guidance.linear_ag.empty() || o.guidance.policy == "linear-ag",
            "--linear-ag goes with --guidance linear-ag");
  const dd::GuidanceOptions guidance = guidance_options(o.guidance, o.guidance.policy);
  ex::OutputFiles outputs;
  outputs.add("--samples-out", o.samples_out).add("--json", o.json);
  outputs.check_distinct();
  outputs.check_writable();
  const DenoiserSetup setup = load_denoiser_setup(o.denoiser);
  check_label(o.label, setup);
  const auto sigmas = sampling_sigmas(o.sampling);

  torch::NoGradGuard no_grad;
  const at::Tensor noise = starting_noise(o.count, setup.dimension, o.sampling.seed);
  dd::GuidedDenoising guided(*setup.denoiser, at::full({o.count}, o.label, at::kLong), guidance);
  const auto start = std::chrono::steady_clock::now();
  const dd::SampleOutput out =
      dd::sample(o.sampling.sampler, guided, noise, sigmas, o.sampling.seed);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const at::Tensor per_sample = out.nfe_per_sample.to(at::kDouble);
  const double mean_nfe = per_sample.mean().item<double>();
  std::printf("diffusion_guidance sample: %s, label %lld, %lld samples, %s %lld steps, %s w=%g\n",
              setup.description.c_str(), static_cast<long long>(o.label),
              static_cast<long long>(o.count), o.sampling.sampler.c_str(),
              static_cast<long long>(o.sampling.steps), o.guidance.policy.c_str(),
              o.guidance.scale);
  std::printf("NFEs %lld (%.2f per sample), %.4f s", static_cast<long long>(out.nfe), mean_nfe,
              seconds);
  double swd = NAN;
  if (setup.truth) {
    const at::Tensor reference =
        true_conditional(*setup.truth, o.label, o.reference, o.sampling.seed + 1000003);
    swd = dd::sliced_wasserstein(out.samples, reference, 256, 7);
    std::printf(", sliced Wasserstein to the true conditional %.5f", swd);
  }
  std::printf("\n");
  if (!o.samples_out.empty()) {
    write_samples_csv(o.samples_out, out.samples);
    std::printf("wrote %s\n", o.samples_out.c_str());
  }
  if (!o.json.empty()) {
    json j;
    j["command"] = ex::command_record(args);
    j["model"] = setup.description;
    j["data"] = setup.data;
    j["label"] = o.label;
    j["count"] = o.count;
    j["sampler"] = o.sampling.sampler;
    j["steps"] = o.sampling.steps;
    j["guidance"] = o.guidance.policy;
    j["scale"] = o.guidance.scale;
    j["gamma_bar"] = o.guidance.gamma_bar;
    j["nfe"] = out.nfe;
    j["nfe_per_sample"] = mean_nfe;
    j["nfe_per_sample_min"] = per_sample.min().item<double>();
    j["nfe_per_sample_max"] = per_sample.max().item<double>();
    j["evaluations"] = guided.evaluations();
    const at::Tensor off = guided.switched_off_at();
    j["switched_off"] = (off >= 0).sum().item<std::int64_t>();
    j["predicted_unconditional"] = guided.predicted_per_sample().sum().item<std::int64_t>();
    j["time_s"] = seconds;
    j["threads"] = at::get_num_threads();
    if (setup.truth) j["swd"] = swd;
    if (!o.samples_out.empty()) j["samples_file"] = o.samples_out;
    ex::write_json(o.json, j);
  }
}

}  // namespace diffusion_guidance
