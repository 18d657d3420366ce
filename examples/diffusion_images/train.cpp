// diffusion_images train: a UNet denoiser (normal, or bias-free and blind with --bias-free)
// trained by denoising score matching on images F .. F+N-1 of a synthetic class, saved with
// save_denoiser (the data it saw in its metadata, for `jacobian`).
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <ATen/Parallel.h>

#include <cstdio>
#include <string>
#include <vector>

#include "commands.hpp"
#include "common/cli.hpp"
#include "common/output.hpp"
#include "deepsolve/diffusion/denoiser_file.hpp"
#include "deepsolve/diffusion/image_data.hpp"
#include "models.hpp"

namespace diffusion_images {
namespace train_cli {

namespace ex = deepsolve::examples;
using json = nlohmann::json;

const char* const kFooter = R"(
The network: the "unet-denoiser" of the model registry for size x size grey images (--base
channels at the top level, --levels downsamplings, 2 blocks per level). Normal: EDM
preconditioning (sigma_data 0.5), noise levels ln sigma ~ N(-1.2, 1.2^2). --bias-free: no
additive constant anywhere, blind (sigma is not an input), the residual y - D(y) predicted,
sigma = U^2 with U uniform in [0, 1] (Kadkhodaie et al., ICLR 2024). Adam, one noise level and
noise per image and step, seeded by --seed (exact on a rerun). --ema D keeps an exponential
moving average of the weights (decay D per step) and saves it instead of the last weights.

--samples-per-epoch P tiles a small set: every image appears ceil(P / N) times per epoch, with
fresh noise each time (as the paper trains N = 1 .. 10^5 images for the same number of steps).

Examples:
  diffusion_images train --data c-alpha --count 1000 --epochs 20 --bias-free --out calpha.model
  diffusion_images train --data shapes --size 16 --count 512 --epochs 10 --out shapes.model)";

struct Options {
  DataSpec data;
  NetworkSpec network;
  TrainSpec train;
  long long data_seed = 0, seed = 0;
  int threads = 0;
  std::string out, json;
};

Options parse_options(const std::vector<std::string>& args, bool& help) {
  Options o;
  CLI::App app{"diffusion_images train: a UNet denoiser on synthetic images",
               "diffusion_images train"};
  ex::setup_app(app, 30, kFooter);
  app.add_option("--data", o.data.data,
                 "the image class: " + ex::join(deepsolve::diffusion::image_data_names()))
      ->required();
  app.add_option("--size", o.data.size, "images are size x size")->capture_default_str();
  app.add_option("--count", o.data.count, "N: train on N images")->capture_default_str();
  app.add_option("--first", o.data.first, "F: the first image's index")->capture_default_str();
  app.add_option("--data-seed", o.data_seed, "the data set's seed")->capture_default_str();
  app.add_option("--epochs", o.train.epochs, "epochs")->capture_default_str();
  app.add_option("--batch", o.train.batch, "images per optimizer step")->capture_default_str();
  app.add_option("--lr", o.train.learning_rate, "Adam's learning rate")->capture_default_str();
  app.add_option("--ema", o.train.ema, "average the weights with this decay (0: no average)")
      ->capture_default_str();
  app.add_option("--samples-per-epoch", o.train.samples_per_epoch,
                 "tile the set to about this many images per epoch (0: once)")
      ->capture_default_str();
  app.add_option("--seed", o.seed, "initial weights and training noise")->capture_default_str();
  app.add_flag("--bias-free", o.network.bias_free, "the bias-free, blind UNet");
  app.add_option("--base", o.network.base, "channels at the top level")->capture_default_str();
  app.add_option("--levels", o.network.levels, "2x downsamplings")->capture_default_str();
  app.add_option("--threads", o.threads, "intra-op threads (0: LibTorch's default)");
  app.add_option("--out", o.out, "write the model to MODEL")->required();
  app.add_option("--json", o.json, "write the training's record as JSON");
  const std::string help_text = ex::parse(app, args);
  help = !help_text.empty();
  if (help) {
    std::fputs(help_text.c_str(), stdout);
    return o;
  }
  ex::check_choice("--data", "image class", o.data.data, deepsolve::diffusion::image_data_names());
  ex::check_at_least("--size", o.data.size, 4);
  ex::check_at_least("--count", o.data.count, 1);
  ex::check_non_negative("--first", o.data.first);
  ex::check_non_negative("--data-seed", o.data_seed);
  ex::check_non_negative("--seed", o.seed);
  ex::check_at_least("--epochs", o.train.epochs, 1);
  ex::check_at_least("--batch", o.train.batch, 1);
  ex::check_positive_finite("--lr", o.train.learning_rate);
  check_ema(o.train.ema);
  ex::check_non_negative("--samples-per-epoch", o.train.samples_per_epoch);
  ex::check_non_negative("--threads", o.threads);
  o.data.seed = static_cast<std::uint64_t>(o.data_seed);
  o.train.seed = static_cast<std::uint64_t>(o.seed);
  ex::OutputFiles outputs;
  outputs.add("--out", o.out).add("--json", o.json);
  outputs.check_distinct();
  outputs.check_writable();
  return o;
}

}  // namespace train_cli

void train_command(const std::vector<std::string>& args) {
  using namespace train_cli;
  bool help = false;
  const Options o = parse_options(args, help);
  if (help) return;
  if (o.threads > 0) at::set_num_threads(o.threads);
  const at::Tensor images = load_images(o.data);
  std::printf("diffusion_images train: %s images %lld .. %lld (%lldx%lld), %s UNet\n",
              o.data.data.c_str(), static_cast<long long>(o.data.first),
              static_cast<long long>(o.data.first + o.data.count - 1),
              static_cast<long long>(o.data.size), static_cast<long long>(o.data.size),
              o.network.bias_free ? "bias-free blind" : "normal");
  std::fflush(stdout);
  const TrainedModel model = train_model(images, o.network, o.train);
  auto metadata = data_metadata(o.data);
  metadata["command"] = deepsolve::examples::command_record(args);
  deepsolve::diffusion::save_denoiser(o.out, model.denoiser, metadata);
  std::printf("trained %lld epochs (%lld steps) in %.2f s, final training loss %.6g\nwrote %s\n",
              static_cast<long long>(model.result.train.epochs),
              static_cast<long long>(model.result.train.steps), model.seconds,
              model.result.train.train_loss, o.out.c_str());
  if (!o.json.empty()) {
    json j;
    j["command"] = deepsolve::examples::command_record(args);
    j["data"] = o.data.data;
    j["size"] = o.data.size;
    j["first"] = o.data.first;
    j["count"] = o.data.count;
    j["data_seed"] = o.data_seed;
    j["bias_free"] = o.network.bias_free;
    j["ema"] = o.train.ema;
    j["epochs"] = model.result.train.epochs;
    j["steps"] = model.result.train.steps;
    j["train_loss"] = model.result.train.train_loss;
    j["time_s"] = model.seconds;
    j["model"] = o.out;
    ex::write_json(o.json, j);
    std::printf("wrote %s\n", o.json.c_str());
  }
}

}  // namespace diffusion_images
