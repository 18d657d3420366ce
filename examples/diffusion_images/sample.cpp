// diffusion_images sample: K samples of a model written by `train`, as a PNG grid, with the
// cosine of each to its nearest training image (the training images are redrawn from the data
// record in the model's metadata).
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "commands.hpp"
#include "common/cli.hpp"
#include "common/output.hpp"
#include "deepsolve/diffusion/denoiser_file.hpp"
#include "deepsolve/diffusion/generalization.hpp"
#include "models.hpp"
#include "pictures.hpp"

namespace diffusion_images {
namespace sample_cli {

namespace ex = deepsolve::examples;
using json = nlohmann::json;

const char* const kFooter = R"(
A blind (bias-free) model samples by the stochastic coarse-to-fine ascent of Kadkhodaie &
Simoncelli (NeurIPS 2021): from y = 0.5 + noise, steps h_t growing from --h0, injected noise set
by --beta (1: none), until the estimated noise level is below --sigma-L. Any other model samples
by Heun's method on the Karras schedule (--steps levels from 80 down to 0.002, 2 steps - 1 NFEs).
Sample i starts from noise seeded by (--seed, i) alone: two models sampled with the same seed
start from the same noise.

--json: method, nfe, time_s, count, not_converged (ascents stopped by --max-iterations),
nearest_cosine (mean, and per sample with the index of the nearest training image), and the
pixels' mean and standard deviation of the samples and of the training images.

Examples:
  diffusion_images sample --model calpha.model --count 16 --grid samples.png --seed 1)";

struct Options {
  std::string model, grid, json;
  SamplerSpec sampler;
  long long seed = 0;
  long long columns = 8;
  int threads = 0;
};

Options parse_options(const std::vector<std::string>& args, bool& help) {
  Options o;
  CLI::App app{"diffusion_images sample: samples of a trained model", "diffusion_images sample"};
  ex::setup_app(app, 30, kFooter);
  app.add_option("--model", o.model, "a model written by train")->required();
  app.add_option("--count", o.sampler.count, "K: samples")->capture_default_str();
  app.add_option("--grid", o.grid, "write the samples as a PNG grid");
  app.add_option("--columns", o.columns, "images per row of the grid")->capture_default_str();
  app.add_option("--seed", o.seed, "the noise's seed")->capture_default_str();
  app.add_option("--h0", o.sampler.h0, "coarse-to-fine: first step size")->capture_default_str();
  app.add_option("--beta", o.sampler.beta, "coarse-to-fine: noise injection (1: none)")
      ->capture_default_str();
  app.add_option("--sigma-L", o.sampler.sigma_L, "coarse-to-fine: stop below this noise level")
      ->capture_default_str();
  app.add_option("--max-iterations", o.sampler.max_iterations, "coarse-to-fine: most steps")
      ->capture_default_str();
  app.add_option("--steps", o.sampler.steps, "Heun: noise levels")->capture_default_str();
  app.add_option("--threads", o.threads, "intra-op threads (0: LibTorch's default)");
  app.add_option("--json", o.json, "write the run's record as JSON");
  const std::string help_text = ex::parse(app, args);
  help = !help_text.empty();
  if (help) {
    std::fputs(help_text.c_str(), stdout);
    return o;
  }
  check_sampler_spec(o.sampler);
  ex::check_at_least("--columns", o.columns, 1);
  ex::check_non_negative("--seed", o.seed);
  ex::check_non_negative("--threads", o.threads);
  ex::check(!o.grid.empty() || !o.json.empty(), "give --grid or --json (nothing to write)");
  o.sampler.seed = static_cast<std::uint64_t>(o.seed);
  ex::OutputFiles outputs;
  outputs.add("--grid", o.grid).add("--json", o.json);
  outputs.check_distinct();
  outputs.check_writable();
  return o;
}

}  // namespace sample_cli

void sample_command(const std::vector<std::string>& args) {
  using namespace sample_cli;
  bool help = false;
  const Options o = parse_options(args, help);
  if (help) return;
  if (o.threads > 0) at::set_num_threads(o.threads);
  const auto loaded = deepsolve::diffusion::load_denoiser(o.model);
  const DataSpec data = data_from_metadata(loaded.metadata, o.model);
  const auto start = std::chrono::steady_clock::now();
  const Samples s = generate(loaded.denoiser, o.sampler);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const at::Tensor training = load_images(data);
  const auto nearest = deepsolve::diffusion::nearest_cosine(s.images, training);
  const double mean_nearest = nearest.cosine.mean().item<double>();
  std::printf(
      "diffusion_images sample: %lld samples by %s, %lld NFEs in %.2f s; mean cosine to the "
      "nearest of the %lld training images %.4f\n",
      static_cast<long long>(o.sampler.count), s.method.c_str(), static_cast<long long>(s.nfe),
      seconds, static_cast<long long>(data.count), mean_nearest);
  if (s.not_finite > 0)
    std::printf(
        "note: %lld samples are not finite (the ascent diverged; an undertrained blind "
        "model does that: train longer)\n",
        static_cast<long long>(s.not_finite));
  if (s.not_converged > 0)
    std::printf("note: %lld ascents stopped at --max-iterations before sigma-L\n",
                static_cast<long long>(s.not_converged));
  if (!o.grid.empty()) {
    GridStyle style;
    style.columns = o.columns;
    write_grid(o.grid, s.images, style);
    std::printf("wrote %s\n", o.grid.c_str());
  }
  if (!o.json.empty()) {
    json j;
    j["command"] = deepsolve::examples::command_record(args);
    j["model"] = o.model;
    j["method"] = s.method;
    j["count"] = o.sampler.count;
    j["nfe"] = s.nfe;
    j["time_s"] = seconds;
    j["not_converged"] = s.not_converged;
    j["not_finite"] = s.not_finite;
    j["nearest_cosine"] = mean_nearest;
    j["pixel_mean"] = s.images.mean().item<double>();
    j["pixel_std"] = s.images.std().item<double>();
    j["training_pixel_mean"] = training.mean().item<double>();
    j["training_pixel_std"] = training.std().item<double>();
    j["nearest"] = json::array();
    for (std::int64_t i = 0; i < o.sampler.count; ++i)
      j["nearest"].push_back({{"cosine", nearest.cosine[i].item<double>()},
                              {"index", data.first + nearest.index[i].item<std::int64_t>()}});
    if (!o.grid.empty()) j["grid"] = o.grid;
    ex::write_json(o.json, j);
    std::printf("wrote %s\n", o.json.c_str());
  }
}

}  // namespace diffusion_images
