// diffusion_guidance compare: every guidance policy on the same starting noise, for every label:
// NFEs per sample, the saving against full CFG, the time, the sliced Wasserstein distance to the
// true conditional distribution (analytic data sets), and the agreement with full CFG (the mean
// distance between a sample and the CFG sample from the same noise, and the SWD between the two
// sets). LinearAG is fitted first on CFG trajectories of other seeds.
#include <ATen/ATen.h>
#include <torch/torch.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>

#include "commands.hpp"
#include "common/cli.hpp"
#include "common/output.hpp"
#include "deepsolve/diffusion/sample_metrics.hpp"
#include "deepsolve/diffusion/sampler.hpp"
#include "recording.hpp"

namespace diffusion_guidance {
namespace {

namespace ex = deepsolve::examples;
using json = nlohmann::json;

const char* const kCompareFooter = R"(
Policies (each on the same noise as full CFG): none, cfg, interval (--sigma-lo, --sigma-hi),
schedule (--schedule-*), ag (--gamma-bar), linear-ag (fitted on --linear-ag-per-label CFG
trajectories per label of other seeds, then the AG cutoff). Columns: NFEs per sample, the saving
against cfg, seconds, swd_truth (sliced Wasserstein to the true conditional, mean over labels;
analytic data sets only), swd_cfg (to the CFG samples) and dist_cfg (mean distance to the CFG
sample from the same noise).

Example:
  diffusion_guidance compare --model m.dsm --count 2000 --sampler euler --steps 32 --scale 3 \
      --gamma-bar 0.999 --json compare.json --csv compare.csv)";

struct Row {
  std::string policy;
  double nfe = 0, seconds = 0, swd_truth = 0, swd_cfg = 0, dist_cfg = 0;
};

}  // namespace

void compare_command(const std::vector<std::string>& args) {
  DenoiserSpec denoiser;
  SamplingSpec sampling;
  GuidanceSpec guidance;
  std::int64_t count = 1000, reference = 10000, label = -1, lag_per_label = 128;
  std::string policies = "none,cfg,interval,schedule,ag,linear-ag", json_path, csv_path;
  CLI::App app{"diffusion_guidance compare: guidance policies side by side",
               "diffusion_guidance compare"};
  ex::setup_app(app, 30, kCompareFooter);
  add_denoiser_options(app, denoiser);
  app.add_option("--label", label, "one label (default: every label)");
  app.add_option("--count", count, "samples per label")->capture_default_str();
  add_sampling_options(app, sampling);
  add_guidance_options(app, guidance, false);
  app.add_option("--policies", policies, "comma-separated")->capture_default_str();
  app.add_option("--linear-ag-per-label", lag_per_label,
                 "LinearAG's recorded trajectories per label")
      ->capture_default_str();
  double lag_first_fraction = 0.5, lag_max_residual = 0.2;
  std::int64_t lag_max_consecutive = 1, lag_history = 1;
  app.add_option("--linear-ag-first-fraction", lag_first_fraction,
                 "LinearAG predicts only in this first part of the evaluations")
      ->capture_default_str();
  app.add_option("--linear-ag-max-residual", lag_max_residual,
                 "LinearAG predicts only where its fit's relative residual is at most this")
      ->capture_default_str();
  app.add_option("--linear-ag-max-consecutive", lag_max_consecutive,
                 "LinearAG: predicted evaluations in a row")
      ->capture_default_str();
  app.add_option("--linear-ag-history", lag_history, "LinearAG: past evaluations combined")
      ->capture_default_str();
  app.add_option("--reference", reference, "true conditional samples per label")
      ->capture_default_str();
  app.add_option("--json", json_path, "write the table as JSON");
  app.add_option("--csv", csv_path, "write the table as CSV");
  const std::string help = ex::parse(app, args);
  if (!help.empty()) {
    std::fputs(help.c_str(), stdout);
    return;
  }
  ex::check_at_least("--count", count, 1);
  ex::check_at_least("--reference", reference, 2);
  ex::check_at_least("--linear-ag-per-label", lag_per_label, 1);
  check_sampling(sampling);
  const auto names = ex::split_list(policies, true);
  ex::check(!names.empty(), "--policies is empty");
  for (const auto& name : names) {
    std::vector<std::string> known;
    for (const auto& p : dd::guidance_policies()) known.push_back(p.name);
    ex::check_choice("--policies", "policy", name, known);
    if (name != "linear-ag") guidance_options(guidance, name);
  }
  ex::OutputFiles outputs;
  outputs.add("--json", json_path).add("--csv", csv_path);
  outputs.check_distinct();
  outputs.check_writable();
  const DenoiserSetup setup = load_denoiser_setup(denoiser);
  if (label >= 0) check_label(label, setup);
  const auto sigmas = sampling_sigmas(sampling);
  std::vector<std::int64_t> labels;
  for (std::int64_t k = 0; k < setup.classes; ++k)
    if (label < 0 || k == label) labels.push_back(k);

  torch::NoGradGuard no_grad;
  std::shared_ptr<const dd::LinearAG> lag;
  for (const auto& name : names)
    if (name == "linear-ag" && !lag)
      lag = std::make_shared<const dd::LinearAG>(
          fit_linear_ag_on_cfg(setup, sampling, guidance, lag_per_label, sampling.seed + 104729,
                               dd::LinearAGOptions()
                                   .history(lag_history)
                                   .first_fraction(lag_first_fraction)
                                   .max_residual(lag_max_residual)
                                   .max_consecutive(lag_max_consecutive)));

  // Full CFG first: the others are compared with its samples.
  std::vector<at::Tensor> cfg_samples(labels.size()), references(labels.size());
  const auto run = [&](const std::string& policy, std::size_t li, double& seconds) {
    dd::GuidanceOptions go = guidance_options(guidance, policy == "linear-ag" ? "cfg" : policy);
    if (policy == "linear-ag") {
      go.policy("linear-ag").linear_ag(lag);
      dd::validate(go);
    }
    const std::uint64_t seed = sampling.seed + 31 * static_cast<std::uint64_t>(labels[li]);
    dd::GuidedDenoising guided(*setup.denoiser, at::full({count}, labels[li], at::kLong), go);
    const auto start = std::chrono::steady_clock::now();
    auto out = dd::sample(sampling.sampler, guided, starting_noise(count, setup.dimension, seed),
                          sigmas, seed);
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return out;
  };
  double cfg_seconds = 0;
  for (std::size_t li = 0; li < labels.size(); ++li) {
    cfg_samples[li] = run("cfg", li, cfg_seconds).samples;
    if (setup.truth)
      references[li] =
          true_conditional(*setup.truth, labels[li], reference,
                           sampling.seed + 1000003 + static_cast<std::uint64_t>(labels[li]));
  }

  std::printf(
      "diffusion_guidance compare: %s, %zu label(s) x %lld samples, %s %lld steps, w=%g, "
      "gamma_bar %g\n",
      setup.description.c_str(), labels.size(), static_cast<long long>(count),
      sampling.sampler.c_str(), static_cast<long long>(sampling.steps), guidance.scale,
      guidance.gamma_bar);
  std::printf("%-10s %9s %8s %9s %10s %9s %9s\n", "policy", "nfe/smp", "saving", "seconds",
              "swd_truth", "swd_cfg", "dist_cfg");
  std::vector<Row> rows;
  double cfg_nfe = NAN;
  for (const auto& name : names) {
    Row row;
    row.policy = name;
    for (std::size_t li = 0; li < labels.size(); ++li) {
      const auto out = run(name, li, row.seconds);
      const double n = static_cast<double>(labels.size());
      row.nfe += out.nfe_per_sample.to(at::kDouble).mean().item<double>() / n;
      if (setup.truth)
        row.swd_truth += dd::sliced_wasserstein(out.samples, references[li], 256, 7) / n;
      row.swd_cfg += dd::sliced_wasserstein(out.samples, cfg_samples[li], 256, 7) / n;
      row.dist_cfg += (out.samples - cfg_samples[li]).norm(2, {1}).mean().item<double>() / n;
    }
    if (name == "cfg") cfg_nfe = row.nfe;
    rows.push_back(row);
  }
  for (const auto& r : rows) {
    const double saving = std::isfinite(cfg_nfe) ? 1.0 - r.nfe / cfg_nfe : NAN;
    std::printf("%-10s %9.2f %7.1f%% %9.4f %10.5f %9.5f %9.5f\n", r.policy.c_str(), r.nfe,
                100 * saving, r.seconds, setup.truth ? r.swd_truth : NAN, r.swd_cfg, r.dist_cfg);
  }
  if (lag)
    std::printf(
        "linear-ag: %lld of %lld evaluations predicted (fitted on %lld CFG trajectories per "
        "label)\n",
        static_cast<long long>(lag->predicted_count()), static_cast<long long>(lag->evaluations()),
        static_cast<long long>(lag_per_label));

  if (!csv_path.empty()) {
    ex::Csv csv(
        {"policy", "nfe_per_sample", "saving", "time_s", "swd_truth", "swd_cfg", "dist_cfg"});
    for (const auto& r : rows)
      csv.row({r.policy, ex::Csv::number(r.nfe), ex::Csv::number(1.0 - r.nfe / cfg_nfe),
               ex::Csv::number(r.seconds), ex::Csv::number(setup.truth ? r.swd_truth : NAN),
               ex::Csv::number(r.swd_cfg), ex::Csv::number(r.dist_cfg)});
    csv.write(csv_path);
    std::printf("wrote %s\n", csv_path.c_str());
  }
  if (!json_path.empty()) {
    json j;
    j["command"] = ex::command_record(args);
    j["model"] = setup.description;
    j["data"] = setup.data;
    j["labels"] = labels;
    j["count"] = count;
    j["sampler"] = sampling.sampler;
    j["steps"] = sampling.steps;
    j["scale"] = guidance.scale;
    j["gamma_bar"] = guidance.gamma_bar;
    j["threads"] = at::get_num_threads();
    j["policies"] = json::array();
    for (const auto& r : rows) {
      json p;
      p["policy"] = r.policy;
      p["nfe_per_sample"] = r.nfe;
      p["saving"] = 1.0 - r.nfe / cfg_nfe;
      p["time_s"] = r.seconds;
      if (setup.truth) p["swd_truth"] = r.swd_truth;
      p["swd_cfg"] = r.swd_cfg;
      p["dist_cfg"] = r.dist_cfg;
      j["policies"].push_back(p);
    }
    if (lag) j["linear_ag_predicted"] = lag->predicted_count();
    ex::write_json(json_path, j);
    std::printf("wrote %s\n", json_path.c_str());
  }
}

}  // namespace diffusion_guidance
