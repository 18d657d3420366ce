// diffusion_images generalization: the test of Kadkhodaie, Guth, Simoncelli & Mallat (ICLR 2024,
// "Generalization in diffusion models arises from geometry-adaptive harmonic representations"):
// for each training-set size N, denoisers A and B trained on the disjoint images
// [0, N) and [N, 2N) of one class sample from the same noise; the cosine of A's and B's samples
// (generalization: both learned the same density) against the cosine of each sample to its
// nearest training image (memorization), as N grows.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "commands.hpp"
#include "common/cli.hpp"
#include "common/output.hpp"
#include "common/plot.hpp"
#include "deepsolve/diffusion/generalization.hpp"
#include "deepsolve/diffusion/image_data.hpp"
#include "deepsolve/learned/atomic_file.hpp"
#include "models.hpp"
#include "pictures.hpp"

namespace diffusion_images {
namespace generalization_cli {

namespace ex = deepsolve::examples;
namespace dd = deepsolve::diffusion;
using json = nlohmann::json;

const char* const kFooter = R"(
For each N of --sizes, two UNets train with the same settings: A on images [0, N), B on
[N, 2N) of --data (disjoint sets), each for --epochs epochs of --samples-per-epoch images (a
small set is tiled; above that many images an epoch is the whole set and the epochs are cut in
proportion, so every N gets about the same number of steps), A with seed --seed and
B with --seed + 1, with a weight average (--ema, decay per step) that replaces the last
weights: it makes the two models' samples agree far more (see docs/diffusion.md). Both then draw --count samples from the same noise (sample i from noise
seeded by (--seed, i)): by Heun's method on the Karras schedule (--steps), deterministic, or
with --bias-free (the paper's blind networks) by the coarse-to-fine ascent with the same
injected noise. Cosines are those of mean-removed images (the correlation over pixels).

The paper's blind bias-free networks train for 1000 epochs; with the few epochs two CPU cores
allow, their denoising at small noise levels stays poor and the ascent collapses or stalls at
--max-iterations (see docs/diffusion.md). The default, the normal UNet with EDM
preconditioning, learns enough in seconds.

Writes into --out, after every N: generalization.csv (n, cosine_ab_mean, cosine_ab_min,
nearest_a_mean, nearest_b_mean, train_seconds, sample_seconds, nfe), generalization.png (the
mean A-B cosine and the mean nearest-training-image cosine against log10 N),
samples_n<N>.png (rows: A's first 8 samples, their nearest training images, B's first 8
samples, theirs) and
generalization.json.

Examples:
  diffusion_images generalization --data c-alpha --sizes 1,10,100,1000 --out gen
  diffusion_images generalization --data discs --sizes 1,4,16,64,256 --epochs 6 --count 8 --out gen)";

struct Options {
  std::string data = "c-alpha", sizes_text = "1,10,100,1000", out;
  long long size = 16, data_seed = 0, seed = 0;
  NetworkSpec network;
  TrainSpec train;
  SamplerSpec sampler;
  int threads = 0;
  std::vector<std::int64_t> sizes;
};

Options parse_options(const std::vector<std::string>& args, bool& help) {
  Options o;
  o.train.epochs = 10;
  o.train.samples_per_epoch = 2000;
  o.train.ema = 0.99;
  o.train.progress = false;
  o.sampler.count = 32;
  CLI::App app{"diffusion_images generalization: memorization to generalization as N grows",
               "diffusion_images generalization"};
  ex::setup_app(app, 30, kFooter);
  app.add_option("--data", o.data, "the image class: " + ex::join(dd::image_data_names()))
      ->capture_default_str();
  app.add_option("--size", o.size, "images are size x size")->capture_default_str();
  app.add_option("--sizes", o.sizes_text, "the training-set sizes N (a,b,...)")
      ->capture_default_str();
  app.add_option("--data-seed", o.data_seed, "the data set's seed")->capture_default_str();
  app.add_option("--epochs", o.train.epochs, "epochs per model")->capture_default_str();
  app.add_option("--samples-per-epoch", o.train.samples_per_epoch, "images per epoch (tiled)")
      ->capture_default_str();
  app.add_option("--batch", o.train.batch, "images per optimizer step")->capture_default_str();
  app.add_option("--lr", o.train.learning_rate, "Adam's learning rate")->capture_default_str();
  app.add_option("--ema", o.train.ema, "average the weights with this decay (0: no average)")
      ->capture_default_str();
  app.add_flag("--bias-free", o.network.bias_free,
               "bias-free blind UNets sampled by the coarse-to-fine ascent");
  app.add_option("--steps", o.sampler.steps, "Heun: noise levels")->capture_default_str();
  app.add_option("--max-iterations", o.sampler.max_iterations, "coarse-to-fine: most steps")
      ->capture_default_str();
  app.add_option("--base", o.network.base, "UNet channels at the top level")->capture_default_str();
  app.add_option("--levels", o.network.levels, "UNet 2x downsamplings")->capture_default_str();
  app.add_option("--count", o.sampler.count, "samples per model")->capture_default_str();
  app.add_option("--seed", o.seed, "weights, training noise and sampling noise")
      ->capture_default_str();
  app.add_option("--h0", o.sampler.h0, "coarse-to-fine: first step size")->capture_default_str();
  app.add_option("--beta", o.sampler.beta, "coarse-to-fine: noise injection (1: none)")
      ->capture_default_str();
  app.add_option("--sigma-L", o.sampler.sigma_L, "coarse-to-fine: stop below this noise level")
      ->capture_default_str();
  app.add_option("--threads", o.threads, "intra-op threads (0: LibTorch's default)");
  app.add_option("--out", o.out, "the folder for the CSV, PNG and JSON files")->required();
  const std::string help_text = ex::parse(app, args);
  help = !help_text.empty();
  if (help) {
    std::fputs(help_text.c_str(), stdout);
    return o;
  }
  ex::check_choice("--data", "image class", o.data, dd::image_data_names());
  ex::check_at_least("--size", o.size, 4);
  for (const std::string& s : ex::split_list(o.sizes_text, true)) {
    long long v = 0;
    std::size_t used = 0;
    try {
      v = std::stoll(s, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    ex::check(used == s.size() && v >= 1,
              "--sizes: '" + s + "' is not a positive integer (in '" + o.sizes_text + "')");
    o.sizes.push_back(v);
  }
  ex::check(!o.sizes.empty(), "--sizes: no size given");
  ex::check_non_negative("--data-seed", o.data_seed);
  ex::check_non_negative("--seed", o.seed);
  ex::check_at_least("--epochs", o.train.epochs, 1);
  ex::check_at_least("--samples-per-epoch", o.train.samples_per_epoch, 1);
  ex::check_at_least("--batch", o.train.batch, 1);
  ex::check_positive_finite("--lr", o.train.learning_rate);
  check_ema(o.train.ema);
  check_sampler_spec(o.sampler);
  ex::check_non_negative("--threads", o.threads);
  ex::check(!o.out.empty(), "--out: the folder name is empty");
  o.sampler.seed = static_cast<std::uint64_t>(o.seed);
  return o;
}

struct Point {
  std::int64_t n = 0;
  double cosine_ab_mean = 0, cosine_ab_min = 0, nearest_a = 0, nearest_b = 0;
  double train_seconds = 0, sample_seconds = 0;
  std::int64_t nfe = 0;
  std::int64_t epochs = 0;  ///< epochs each model trained
};

void write_outputs(const Options& o, const std::vector<Point>& points,
                   const std::vector<std::string>& args, double seconds) {
  const auto in_out = [&](const std::string& name) {
    return (std::filesystem::path(o.out) / name).string();
  };
  ex::Csv csv({"n", "cosine_ab_mean", "cosine_ab_min", "nearest_a_mean", "nearest_b_mean",
               "train_seconds", "sample_seconds", "nfe"});
  json j;
  j["command"] = deepsolve::examples::command_record(args);
  j["data"] = o.data;
  j["size"] = o.size;
  j["epochs"] = o.train.epochs;
  j["samples_per_epoch"] = o.train.samples_per_epoch;
  j["count"] = o.sampler.count;
  j["bias_free"] = o.network.bias_free;
  j["ema"] = o.train.ema;
  j["time_s"] = seconds;
  j["points"] = json::array();
  ex::Series ab{"A vs B, same noise", {}, {}, ex::palette(0)};
  ex::Series near_a{"A: nearest training image", {}, {}, ex::palette(1), true};
  ex::Series near_b{"B: nearest training image", {}, {}, ex::palette(2), true};
  for (const Point& p : points) {
    csv.row({std::to_string(p.n), ex::Csv::number(p.cosine_ab_mean),
             ex::Csv::number(p.cosine_ab_min), ex::Csv::number(p.nearest_a),
             ex::Csv::number(p.nearest_b), ex::Csv::number(p.train_seconds),
             ex::Csv::number(p.sample_seconds), std::to_string(p.nfe)});
    j["points"].push_back({{"n", p.n},
                           {"cosine_ab_mean", p.cosine_ab_mean},
                           {"cosine_ab_min", p.cosine_ab_min},
                           {"nearest_a_mean", p.nearest_a},
                           {"nearest_b_mean", p.nearest_b},
                           {"train_seconds", p.train_seconds},
                           {"sample_seconds", p.sample_seconds},
                           {"nfe", p.nfe},
                           {"epochs", p.epochs}});
    const double x = std::log10(static_cast<double>(p.n));
    ab.x.push_back(x);
    ab.y.push_back(p.cosine_ab_mean);
    near_a.x.push_back(x);
    near_a.y.push_back(p.nearest_a);
    near_b.x.push_back(x);
    near_b.y.push_back(p.nearest_b);
  }
  csv.write(in_out("generalization.csv"));
  ex::LinePlot plot;
  plot.title = "memorization to generalization: " + o.data + " " + std::to_string(o.size) + "x" +
               std::to_string(o.size);
  plot.x_label = "log10 N (training images per model)";
  plot.y_label = "mean cosine";
  plot.series = {ab, near_a, near_b};
  plot.y_max = 1.0;
  ex::write_png(in_out("generalization.png"), ex::render(plot, 640, 420));
  ex::write_json(in_out("generalization.json"), j);
}

}  // namespace generalization_cli

void generalization_command(const std::vector<std::string>& args) {
  using namespace generalization_cli;
  bool help = false;
  const Options o = parse_options(args, help);
  if (help) return;
  if (o.threads > 0) at::set_num_threads(o.threads);
  std::error_code error;
  std::filesystem::create_directories(o.out, error);
  if (error)
    throw std::runtime_error("--out " + o.out + ": cannot create it (" + error.message() + ")");
  deepsolve::learned::check_output_path(
      (std::filesystem::path(o.out) / "generalization.json").string(), "--out");

  const auto start = std::chrono::steady_clock::now();
  std::printf(
      "diffusion_images generalization: %s %lldx%lld, %s UNets, %lld epochs x %lld images per "
      "model, %lld samples each\n",
      o.data.c_str(), o.size, o.size, o.network.bias_free ? "bias-free blind" : "normal",
      static_cast<long long>(o.train.epochs), static_cast<long long>(o.train.samples_per_epoch),
      static_cast<long long>(o.sampler.count));
  std::printf("%8s  %14s  %13s  %15s  %15s  %9s  %9s\n", "N", "cos(A,B) mean", "cos(A,B) min",
              "nearest A mean", "nearest B mean", "train s", "sample s");
  std::fflush(stdout);
  std::vector<Point> points;
  for (const std::int64_t n : o.sizes) {
    Point p;
    p.n = n;
    DataSpec a{o.data, o.size, 0, n, static_cast<std::uint64_t>(o.data_seed)};
    DataSpec b = a;
    b.first = n;
    const at::Tensor images_a = load_images(a), images_b = load_images(b);
    TrainSpec train = o.train;
    train.seed = static_cast<std::uint64_t>(o.seed);
    // An epoch holds the whole set at least: above --samples-per-epoch images, fewer epochs keep
    // the number of steps (about epochs x samples-per-epoch images) the same for every N.
    if (n > o.train.samples_per_epoch)
      train.epochs = std::max<std::int64_t>(
          1, std::llround(double(o.train.epochs) * double(o.train.samples_per_epoch) / double(n)));
    p.epochs = train.epochs;
    const TrainedModel model_a = train_model(images_a, o.network, train);
    train.seed += 1;
    const TrainedModel model_b = train_model(images_b, o.network, train);
    p.train_seconds = model_a.seconds + model_b.seconds;

    const auto sample_start = std::chrono::steady_clock::now();
    const Samples sa = generate(model_a.denoiser, o.sampler);
    const Samples sb = generate(model_b.denoiser, o.sampler);
    p.sample_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - sample_start).count();
    p.nfe = sa.nfe + sb.nfe;
    const at::Tensor ab = dd::sample_cosine(sa.images, sb.images);
    const dd::NearestCosine na = dd::nearest_cosine(sa.images, images_a);
    const dd::NearestCosine nb = dd::nearest_cosine(sb.images, images_b);
    p.cosine_ab_mean = ab.mean().item<double>();
    p.cosine_ab_min = ab.min().item<double>();
    p.nearest_a = na.cosine.mean().item<double>();
    p.nearest_b = nb.cosine.mean().item<double>();
    points.push_back(p);
    std::printf("%8lld  %14.4f  %13.4f  %15.4f  %15.4f  %9.1f  %9.1f\n", static_cast<long long>(n),
                p.cosine_ab_mean, p.cosine_ab_min, p.nearest_a, p.nearest_b, p.train_seconds,
                p.sample_seconds);
    if (sa.not_finite + sb.not_finite > 0)
      std::printf("          note: %lld samples are not finite (diverged ascents)\n",
                  static_cast<long long>(sa.not_finite + sb.not_finite));
    if (sa.not_converged + sb.not_converged > 0)
      std::printf("          note: %lld ascents stopped at the iteration limit\n",
                  static_cast<long long>(sa.not_converged + sb.not_converged));
    std::fflush(stdout);

    // The grid shows the first (at most 8) samples of each row.
    const std::int64_t shown = std::min<std::int64_t>(o.sampler.count, 8);
    GridStyle style;
    style.columns = shown;
    write_grid(
        (std::filesystem::path(o.out) / ("samples_n" + std::to_string(n) + ".png")).string(),
        at::cat(
            {sa.images.slice(0, 0, shown), images_a.index_select(0, na.index.slice(0, 0, shown)),
             sb.images.slice(0, 0, shown), images_b.index_select(0, nb.index.slice(0, 0, shown))},
            0),
        style);
    write_outputs(o, points, args,
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::printf(
      "wrote %s/generalization.csv, generalization.png, generalization.json and "
      "samples_n*.png\n",
      o.out.c_str());
}

}  // namespace diffusion_images
