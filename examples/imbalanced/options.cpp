#include "options.hpp"

#include <torch/torch.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "deepsolve/learned/losses/registry.hpp"
#include "deepsolve/learned/optim/registry.hpp"

namespace imbalanced {

using namespace deepsolve::examples;

namespace {

// Every loss must work on both problems: it is tried on a tiny batch of each shape, so that a
// loss that cannot take binary logits (z-loss) is refused before any training.
void check_loss(const std::string& name, int classes) {
  namespace dl = deepsolve::learned;
  try {
    const dl::ClassificationLoss loss = dl::make_classification_loss(name);
    loss(torch::zeros({4}), torch::tensor({0, 1, 0, 1}, torch::kLong));
    loss(torch::zeros({4, classes}), torch::arange(4, torch::kLong).remainder(classes));
  } catch (const std::exception& e) {
    throw std::invalid_argument("--losses " + name + ": " + e.what());
  }
}

void check_optimizer(const std::string& option, const std::string& name) {
  if (deepsolve::learned::is_optimizer_name(name)) return;
  throw std::invalid_argument(option + ": unknown optimizer '" + name +
                              "' (valid: " + join(deepsolve::learned::optimizer_names()) + ")");
}

const char* const kFooter = R"(
Part 1 (--part losses): two seeded synthetic problems, Gaussian blobs in --dim dimensions:
  binary       negatives N(0, I), positives N(s u, I) (u a random unit vector, s = --separation),
               a fraction --positive-rate of positives;
  multi-class  --classes classes, class k ~ N(s u_k, I), priors proportional to
               --imbalance^(k / (classes - 1)) (class 0 the commonest, the last the rarest).
  The train and test sets are drawn independently, with class counts following the priors. An MLP
  (--hidden units, two hidden ReLU layers; --hidden 0: linear) is trained with each of --losses
  (deepsolve::learned's loss registry, from the same initial weights) and evaluated on the test
  set: F1 (binary: of the positive class; multi-class: macro), balanced accuracy (mean recall per
  class) and ROC AUC (multi-class: macro one-vs-rest on the softmax probabilities). Predictions are
  logit > 0 (binary) and argmax (multi-class), whatever the loss.

Part 2 (--part optimizers): cross-entropy on the multi-class problem, the same MLP and initial
  weights trained with each of --optimizers; prints the train and test loss after every epoch
  (epoch 0: before training). --csv and --png write the curves. adagrad and adagrad-norm keep
  --batch (the batch sizes their variance tests recommend are not followed here).

Losses in the curves and tables: the mean over consecutive batches of --batch samples of the set
  (for AnyLoss and Mann-Whitney, which are batch-level, the quantity training sees).

Everything is a function of --seed (and --threads); the default run takes about 15 s on one core.

Exit status: 0 done; 2 invalid input or another error (one line on stderr, "imbalanced: error:").

Examples:
  imbalanced
  imbalanced --seed 3 --positive-rate 0.02 --losses ce,anyloss-f1,anyloss-mcc --part losses
  imbalanced --part optimizers --optimizers sgd,sgd-clip,adam,adam-clip --csv curves.csv --png curves.png)";

}  // namespace

Options parse_options(const std::vector<std::string>& args) {
  Options o;
  CLI::App app{
      "imbalanced: classification losses (cross-entropy, AnyLoss, GCE, Mann-Whitney) on seeded\n"
      "imbalanced binary and multi-class problems, and SGD vs clipped SGD vs Adam loss curves.",
      "imbalanced"};
  setup_app(app, 30, kFooter);

  const std::string run = "Run", data = "Problems", model = "Model", part1 = "Part 1: losses",
                    part2 = "Part 2: optimizers", output = "Output";
  app.add_option("--seed", o.seed, "Seeds the data, the initial weights and the shuffling")
      ->capture_default_str()
      ->group(run);
  app.add_option("--part", o.part, "all|losses|optimizers")
      ->type_name("PART")
      ->capture_default_str()
      ->group(run);
  app.add_option("--threads", o.threads, "LibTorch CPU threads (results depend on it)")
      ->capture_default_str()
      ->group(run);

  app.add_option("--dim", o.dim, "Input dimensions")->capture_default_str()->group(data);
  app.add_option("--train", o.train, "Training samples per problem")
      ->type_name("N")
      ->capture_default_str()
      ->group(data);
  app.add_option("--test", o.test, "Test samples per problem")
      ->type_name("N")
      ->capture_default_str()
      ->group(data);
  app.add_option("--positive-rate", o.positive_rate, "Binary: fraction of positives, in (0, 1)")
      ->type_name("P")
      ->capture_default_str()
      ->group(data);
  app.add_option("--classes", o.classes, "Multi-class: number of classes (>= 2)")
      ->capture_default_str()
      ->group(data);
  app.add_option("--imbalance", o.imbalance,
                 "Multi-class: prior of the rarest class over that of\nthe commonest, in (0, 1)")
      ->type_name("R")
      ->capture_default_str()
      ->group(data);
  app.add_option("--separation", o.separation, "Distance of the class means from the origin")
      ->type_name("S")
      ->capture_default_str()
      ->group(data);

  app.add_option("--hidden", o.hidden, "Units per hidden layer (two layers); 0: linear model")
      ->capture_default_str()
      ->group(model);

  std::string losses = join(o.losses, ","), optimizers = join(o.optimizers, ",");
  app.add_option("--losses", losses,
                 "Comma-separated loss registry names (docs/learned.md,\n\"Choosing a loss by "
                 "name\")")
      ->type_name("LIST")
      ->capture_default_str()
      ->group(part1);
  app.add_option("--optimizer", o.optimizer, "Optimizer of part 1 (registry name)")
      ->type_name("NAME")
      ->capture_default_str()
      ->group(part1);
  app.add_option("--lr", o.lr, "Learning rate of part 1")->capture_default_str()->group(part1);
  app.add_option("--epochs", o.epochs, "Epochs of part 1")->capture_default_str()->group(part1);
  app.add_option("--batch", o.batch, "Samples per step (both parts)")
      ->capture_default_str()
      ->group(part1);

  app.add_option("--optimizers", optimizers,
                 "Comma-separated: " + join(deepsolve::learned::optimizer_names(), "|"))
      ->type_name("LIST")
      ->capture_default_str()
      ->group(part2);
  app.add_option("--curve-epochs", o.curve_epochs, "Epochs of part 2")
      ->type_name("N")
      ->capture_default_str()
      ->group(part2);
  app.add_option("--sgd-lr", o.sgd_lr, "Learning rate of sgd, sgd-clip, adagrad*")
      ->type_name("LR")
      ->capture_default_str()
      ->group(part2);
  app.add_option("--adam-lr", o.adam_lr, "Learning rate of adam, adamw, adam-clip")
      ->type_name("LR")
      ->capture_default_str()
      ->group(part2);
  app.add_option("--momentum", o.momentum,
                 "beta of every optimizer with momentum, in [0, 1); sgd\ngets dampening = beta, "
                 "so that sgd and sgd-clip both\naverage m <- beta m + (1 - beta) g")
      ->type_name("BETA")
      ->capture_default_str()
      ->group(part2);
  app.add_option("--clip", o.clip, "Fraction of coordinates clipped (sgd-clip, adam-clip)")
      ->type_name("C")
      ->capture_default_str()
      ->group(part2);

  app.add_option("--json", o.json, "Write every number to FILE (JSON)")
      ->type_name("FILE")
      ->group(output);
  app.add_option("--csv", o.csv, "Write the loss curves of part 2 to FILE (CSV)")
      ->type_name("FILE")
      ->group(output);
  app.add_option("--png", o.png, "Plot the loss curves of part 2 to FILE (PNG)")
      ->type_name("FILE")
      ->group(output);
  app.add_option("--png-width", o.png_width, "Width of the plot in pixels")
      ->type_name("PX")
      ->capture_default_str()
      ->group(output);
  app.add_option("--png-height", o.png_height, "Height of the plot in pixels")
      ->type_name("PX")
      ->capture_default_str()
      ->group(output);

  o.help = parse(app, args);
  if (!o.help.empty()) return o;

  check_choice("--part", "part", o.part, {"all", "losses", "optimizers"});
  check_at_least("--threads", o.threads, 1);

  check_at_least("--dim", o.dim, 1);
  check_at_least("--train", o.train, 1);
  check_at_least("--test", o.test, 1);
  check(o.positive_rate > 0.0 && o.positive_rate < 1.0,
        "--positive-rate must be in (0, 1), got " + format_number(o.positive_rate));
  check_at_least("--classes", o.classes, 2);
  check(o.imbalance > 0.0 && o.imbalance < 1.0,
        "--imbalance must be in (0, 1), got " + format_number(o.imbalance));
  check(std::isfinite(o.separation) && o.separation >= 0.0,
        "--separation must be >= 0 and finite, got " + format_number(o.separation));
  check_non_negative("--hidden", o.hidden);

  o.losses = split_list(losses);
  o.optimizers = split_list(optimizers);
  check(!o.losses.empty(), "--losses is empty");
  for (const auto& name : o.losses) check_loss(name, o.classes);
  check_optimizer("--optimizer", o.optimizer);
  check_positive_finite("--lr", o.lr);
  check_at_least("--epochs", o.epochs, 1);
  check_at_least("--batch", o.batch, 1);

  check(!o.optimizers.empty(), "--optimizers is empty");
  for (const auto& name : o.optimizers) check_optimizer("--optimizers", name);
  for (std::size_t i = 0; i < o.optimizers.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      check(o.optimizers[i] != o.optimizers[j], "--optimizers names " + o.optimizers[i] + " twice");
  check_at_least("--curve-epochs", o.curve_epochs, 1);
  check_positive_finite("--sgd-lr", o.sgd_lr);
  check_positive_finite("--adam-lr", o.adam_lr);
  check(o.momentum >= 0.0 && o.momentum < 1.0,
        "--momentum must be in [0, 1), got " + format_number(o.momentum));
  check(o.clip >= 0.0 && o.clip <= 1.0, "--clip must be in [0, 1], got " + format_number(o.clip));

  check(o.png_width >= 200 && o.png_width <= 10000,
        "--png-width must be in [200, 10000], got " + std::to_string(o.png_width));
  check(o.png_height >= 150 && o.png_height <= 10000,
        "--png-height must be in [150, 10000], got " + std::to_string(o.png_height));
  check((o.csv.empty() && o.png.empty()) || o.run_optimizers(),
        "--csv and --png write the curves of part 2, which --part " + o.part + " does not run");
  output_files(o).check_distinct();
  return o;
}

OutputFiles output_files(const Options& o) {
  OutputFiles files;
  files.add("--json", o.json).add("--csv", o.csv).add("--png", o.png);
  return files;
}

}  // namespace imbalanced
