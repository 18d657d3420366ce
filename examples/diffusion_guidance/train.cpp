// diffusion_guidance train: a conditional MLP denoiser ("mlp-denoiser") trained by denoising
// score matching (deepsolve/diffusion/training.hpp) on a seeded point data set, with a held-out
// set for the early-stopping rule; the model file records the data set so that `sample` and
// `compare` can measure against the truth.
#include <ATen/ATen.h>
#include <torch/utils.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>

#include "commands.hpp"
#include "common/cli.hpp"
#include "common/output.hpp"
#include "deepsolve/diffusion/denoiser_file.hpp"
#include "deepsolve/diffusion/model_types.hpp"
#include "deepsolve/diffusion/point_data.hpp"
#include "deepsolve/diffusion/training.hpp"
#include "deepsolve/learned/io/model_registry.hpp"
#include "setup.hpp"

namespace diffusion_guidance {
namespace {

namespace ex = deepsolve::examples;
namespace learned = deepsolve::learned;
using json = nlohmann::json;

const char* const kTrainFooter = R"(
The network: "mlp-denoiser" (docs/diffusion.md) with --hidden, --layers and --embedding,
conditional on the data set's labels (a null label for classifier-free guidance, used with
probability --label-dropout in training). The loss: denoising score matching in EDM's
preconditioned form for --prediction (eps, x0, v, edm), noise levels from --noise-levels
(log-normal: ln sigma ~ N(--p-mean, --p-std^2)). Training samples 0 .. --count-1 of the data set
with --data-seed; a held-out set of --validation samples with the next seed; --patience stops
when its loss has not improved for that many epochs.

Examples:
  diffusion_guidance train --data mixture8 --out mixture8.dsm
  diffusion_guidance train --data pinwheel --epochs 60 --ema 0.999 --out pinwheel.dsm --json t.json)";

struct TrainOptions {
  std::string data = "mixture8", out, json, checkpoint, log;
  std::int64_t count = 20000, validation = 2000, epochs = 40, batch = 256, patience = 0;
  std::int64_t hidden = 128, layers = 3, embedding = 32;
  std::uint64_t data_seed = 0, seed = 0;
  std::string prediction = "edm", noise_levels = "log-normal";
  double p_mean = -1.2, p_std = 1.2, sigma_data = 1.0, label_dropout = 0.1, lr = 2e-3, ema = 0.0;
  bool resume = false, quiet = false;
};

}  // namespace

void train_command(const std::vector<std::string>& args) {
  TrainOptions o;
  CLI::App app{"diffusion_guidance train: a conditional denoiser on point data",
               "diffusion_guidance train"};
  ex::setup_app(app, 30, kTrainFooter);
  app.add_option("--data", o.data, ex::join(dd::point_data_names()))->capture_default_str();
  app.add_option("--out", o.out, "the model file to write")->required();
  app.add_option("--count", o.count, "training samples")->capture_default_str();
  app.add_option("--validation", o.validation, "held-out samples (0: none)")->capture_default_str();
  app.add_option("--data-seed", o.data_seed, "the data set's seed")->capture_default_str();
  app.add_option("--epochs", o.epochs, "epochs")->capture_default_str();
  app.add_option("--batch", o.batch, "samples per step")->capture_default_str();
  app.add_option("--lr", o.lr, "Adam's learning rate")->capture_default_str();
  app.add_option("--patience", o.patience, "early stopping: epochs without improvement (0: off)")
      ->capture_default_str();
  app.add_option("--hidden", o.hidden, "MLP width")->capture_default_str();
  app.add_option("--layers", o.layers, "MLP hidden layers")->capture_default_str();
  app.add_option("--embedding", o.embedding, "noise/label embedding size")->capture_default_str();
  app.add_option("--prediction", o.prediction, "eps, x0, v or edm")->capture_default_str();
  app.add_option("--sigma-data", o.sigma_data, "EDM's sigma_data")->capture_default_str();
  app.add_option("--noise-levels", o.noise_levels, "log-normal, log-uniform, ddpm, quadratic")
      ->capture_default_str();
  app.add_option("--p-mean", o.p_mean, "log-normal: mean of ln sigma")->capture_default_str();
  app.add_option("--p-std", o.p_std, "log-normal: std of ln sigma")->capture_default_str();
  app.add_option("--label-dropout", o.label_dropout, "probability of the null label")
      ->capture_default_str();
  app.add_option("--ema", o.ema, "weight-average decay in [0, 1) (0: none)")->capture_default_str();
  app.add_option("--seed", o.seed, "initial weights and training noise")->capture_default_str();
  app.add_option("--checkpoint", o.checkpoint, "checkpoint file (written every epoch)");
  app.add_flag("--resume", o.resume, "continue from --checkpoint");
  app.add_option("--log", o.log, "per-epoch metrics (CSV, or JSON for *.json)");
  app.add_option("--json", o.json, "write a summary as JSON");
  app.add_flag("--quiet", o.quiet, "no per-epoch lines");
  const std::string help = ex::parse(app, args);
  if (!help.empty()) {
    std::fputs(help.c_str(), stdout);
    return;
  }
  const auto& set = dd::point_data_set(o.data);
  ex::check(set.num_classes > 0, "--data " + o.data +
                                     " is unlabelled; guidance needs labels (labelled sets: "
                                     "mixture8, 8gaussians, pinwheel, ...)");
  ex::check_at_least("--count", o.count, 1);
  ex::check_non_negative("--validation", o.validation);
  ex::check_at_least("--epochs", o.epochs, 1);
  ex::check_at_least("--batch", o.batch, 1);
  ex::check(o.batch <= o.count, "--batch " + std::to_string(o.batch) + " is larger than --count " +
                                    std::to_string(o.count));
  ex::check(!o.resume || !o.checkpoint.empty(), "--resume needs --checkpoint");
  ex::OutputFiles outputs;
  outputs.add("--out", o.out)
      .add("--json", o.json)
      .add("--checkpoint", o.checkpoint)
      .add("--log", o.log);
  outputs.check_distinct();
  outputs.check_writable();

  dd::register_diffusion_networks();
  const auto& type = learned::ModelRegistry::instance().get("mlp-denoiser");
  torch::manual_seed(o.seed);
  auto module =
      type.build(learned::resolve_options(type, {{"dimension", std::to_string(set.dimension)},
                                                 {"hidden", std::to_string(o.hidden)},
                                                 {"layers", std::to_string(o.layers)},
                                                 {"embedding", std::to_string(o.embedding)},
                                                 {"classes", std::to_string(set.num_classes)}}));
  dd::Denoiser denoiser(std::dynamic_pointer_cast<dd::DenoiserNetwork>(module),
                        dd::parse_prediction(o.prediction), o.sigma_data);

  const auto train = set.sample(o.count, o.data_seed);
  dd::LabelledData validation;
  if (o.validation > 0) {
    const auto v = set.sample(o.validation, o.data_seed + 1);
    validation = {v.x, v.labels};
  }
  dd::DenoiserTrainingOptions to;
  to.noise_levels().distribution(o.noise_levels).mean(o.p_mean).std(o.p_std);
  to.label_dropout(o.label_dropout).learning_rate(o.lr).ema_decay(o.ema);
  to.trainer()
      .epochs(o.epochs)
      .batch_size(o.batch)
      .seed(o.seed)
      .checkpoint(o.checkpoint)
      .resume(o.resume)
      .log(o.log)
      .patience(o.patience)
      .print_progress(!o.quiet);
  std::printf("diffusion_guidance train: %s, %lld samples (%lld held out), %s, %s prediction\n",
              o.data.c_str(), static_cast<long long>(o.count), static_cast<long long>(o.validation),
              type.describe(*module).c_str(), o.prediction.c_str());
  const auto start = std::chrono::steady_clock::now();
  const auto r = dd::train_denoiser(denoiser, {train.x, train.labels}, validation, to);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  dd::save_denoiser(o.out, denoiser,
                    {{kDataKey, o.data},
                     {"data.count", std::to_string(o.count)},
                     {"data.seed", std::to_string(o.data_seed)},
                     {"command", ex::command_record(args)}});
  std::printf(
      "trained %lld epochs (%lld steps) in %.2f s; training loss %.5g, held-out loss %.5g%s\n",
      static_cast<long long>(r.train.epochs), static_cast<long long>(r.train.steps), seconds,
      r.train.train_loss, r.validation_loss, r.train.stopped_early ? " (stopped early)" : "");
  std::printf("wrote %s\n", o.out.c_str());
  if (!o.json.empty()) {
    json j;
    j["command"] = ex::command_record(args);
    j["data"] = o.data;
    j["model"] = o.out;
    j["epochs"] = r.train.epochs;
    j["steps"] = r.train.steps;
    j["train_loss"] = r.train.train_loss;
    j["validation_loss"] = r.validation_loss;
    j["stopped_early"] = r.train.stopped_early;
    j["time_s"] = seconds;
    j["threads"] = at::get_num_threads();
    ex::write_json(o.json, j);
  }
}

}  // namespace diffusion_guidance
