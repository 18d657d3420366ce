#include "options.hpp"

#include <CLI/CLI.hpp>

#include <cmath>
#include <stdexcept>

#include "deepsolve/learned/io/model_registry.hpp"
#include "deepsolve/learned/training/lr_schedule.hpp"
#include "deepsolve/unfolded/iterative.hpp"
#include "deepsolve/unfolded/model_types.hpp"
#include "deepsolve/unfolded/network.hpp"
#include "deepsolve/unfolded/training.hpp"

namespace sparse_recovery {

using namespace deepsolve::examples;
namespace dl = deepsolve::learned;
namespace du = deepsolve::unfolded;

namespace {

const char* const kExitStatus =
    "\nExit status: 0 done; 2 invalid input or another error (one line on stderr,\n"
    "\"sparse_recovery: error: ...\").";

const char* const kSolveFooter = R"(
The problem: min_x 1/2 ||y - A x||^2 + lambda R(x), R = ||x||_1 for ista and fista (the Lasso)
and ||x||_0 for iht, from x_0 = 0 with the step 1/L, L = lambda_max(A^T A). y may hold B problems
as the columns of an m x B array; they are solved together (a batch in LibTorch, or one after
the other in Eigen with --sparse) and every number of the JSON is their mean (the NMSE: of the
whole batch). A problem that meets --tolerance or --gap-tolerance stops on its own.

Files: Matrix Market (array or coordinate; real, integer or pattern; general, symmetric or
skew-symmetric). --solution is written in array format, n x B.

JSON: objective, nmse_db (with --truth), iterations, time_s, history (one entry per iterate
x_0 .. x_k: iteration, objective, nmse_db with --truth, support, duality_gap for l1), and the
settings (method, penalty, lambda, step, lipschitz, reason, m, n, problems, ...).

Examples:
  sparse_recovery solve --matrix A.mtx --measurements y.mtx --lambda 0.1 --method fista \
      --iterations 500 --gap-tolerance 1e-8 --json fista.json --solution x.mtx
  sparse_recovery solve --matrix A.mtx --measurements y.mtx --truth x_true.mtx --lambda 0.05 \
      --method iht --iterations 200 --sparse --json iht.json)";

const char* const kTrainFooter = R"(
Data: seeded synthetic problems y = A x + w (docs/unfolded.md, "Synthetic data"): A Gaussian
m x n with unit-norm columns, fixed (from --seed, or --matrix) or redrawn for every batch
(--redraw-matrix; not for the fixed-matrix types lista, lista-cpss and alista), x Bernoulli-
Gaussian with --sparsity, noise at --snr dB. m and n are the network options --measurements
and --signal-size (with --matrix: A's sizes).

Losses: supervised ||x_T - x||^2 (needs the true x); unsupervised, the problem's objective
1/2 ||y - A x_T||^2 + lambda R(x_T) (needs none). --incremental trains layer t = 1..T for
--epochs-per-layer epochs each (the loss at x_t), then the whole network.

After training, --test-size samples of the test stream are run through every layer and
compared with the classical method of the same penalty (ista or iht) after T iterations.

Examples:
  sparse_recovery train --model-type unfolded-ista --loss unsupervised --layers 16 \
      --lambda 0.1 --epochs 40 --out ista_unsup.pt
  sparse_recovery train --model-type alista --lambda 0.1 --incremental --epochs-per-layer 2 \
      --epochs 40 --lr 1e-2 --matrix A.mtx --out alista.pt --json alista.json)";

const char* const kRunFooter = R"(
Input: either --measurements y.mtx (m x B; with --matrix A.mtx, which networks that take A as
an input need; a fixed-matrix network uses its own A, and --matrix must then be that A), or
--synthetic N: samples 0..N-1 of the test stream of the model's training data (its sparsity,
SNR, seed and matrix, from the model file's metadata; --seed, --sparsity, --snr change them).

JSON: objective (layer T, mean over the problems), nmse_db (layer T, with a truth), iterations
(= layers), time_s, history (one entry per layer t = 1..T: layer, objective, nmse_db with a
truth), and the model's type, penalty, lambda, m, n, problems.

Examples:
  sparse_recovery run --model ista_unsup.pt --synthetic 1000 --json run.json
  sparse_recovery run --model ista_unsup.pt --measurements y.mtx --matrix A.mtx \
      --solution x.mtx --json run.json)";

const char* const kReproduceFooter = R"(
Trains unfolded ISTA and unfolded IHT, each with the supervised and the unsupervised loss, and
LISTA-CPSS and ALISTA (supervised) on one fixed m x n Gaussian A (unit-norm columns), then runs
them and ISTA, FISTA and IHT on --test-size test samples, and prints NMSE and mean objective per
layer t = 1..T (the classical methods also at 50, 100, 200, ... iterations) and the four
findings of Nagahisa, Hayakawa & Iiguni (2025), each as "finding N: holds" or "does not hold"
with its numbers. The mismatch test (finding 4) uses --mismatch-snr and --mismatch-sparsity.

--quick: 50 x 100, 8 layers and short trainings (about 10 s); every option given explicitly
overrides it. The default run takes about 10 minutes on one thread.

Writes into --out: the six model files (*.pt), per_layer.csv, nmse.png, objective_l1.png,
objective_l0.png, objective_gap_l1.png, reproduction.md and summary.json.)";

CLI::App& new_app(CLI::App& app, std::size_t column, const std::string& footer) {
  setup_app(app, column, footer + kExitStatus);
  return app;
}

void check_file_given(const std::string& option, const std::string& path, const std::string& what) {
  check(!path.empty(), option + " FILE is required (" + what + ")");
}

void check_snr(const std::string& option, double snr) {
  check(!std::isnan(snr), option + " must be a number in dB (inf: noiseless), got nan");
}

void check_sparsity(const std::string& option, double p) {
  check(p > 0.0 && p <= 1.0, option + " must be in (0, 1], got " + format_number(p));
}

// The canonical text of a schedule, or an error naming the option.
std::string canonical_schedule(const std::string& text) {
  try {
    return dl::to_string(dl::parse_lr_schedule(text));
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("--lr-schedule: ") + e.what());
  }
}

void check_threads(int threads) {
  check_non_negative("--threads", threads);
}

void check_device(const std::string& device) {
  check(device == "cpu" || device == "auto" || device.rfind("cuda", 0) == 0,
        "--device: unknown device '" + device + "' (valid: cpu, cuda, cuda:N, auto)");
}

}  // namespace

std::vector<std::string> command_names() {
  return {"solve", "train", "run", "describe", "reproduce"};
}

std::string overview_help() {
  return R"(sparse_recovery: sparse recovery with the classical ISTA, FISTA and IHT and with deep-unfolded
networks (unfolded ISTA/IHT with learned step sizes, LISTA, LISTA-CPSS, ALISTA), trained
supervised or unsupervised (Nagahisa, Hayakawa & Iiguni 2025).

Usage: sparse_recovery COMMAND [OPTIONS]   (sparse_recovery COMMAND --help for its options)

Commands:
  solve      ISTA, FISTA or IHT on your problem (A and y as Matrix Market files)
  train      train an unfolded network on seeded synthetic data and save it
  run        run a trained network on your measurements or on synthetic data
  describe   print what a model file holds
  reproduce  the supervised vs. unsupervised experiment: six networks, three classical
             methods, the four findings (--quick: about 10 s)

See docs/unfolded.md.
)" + std::string(kExitStatus) +
         "\n";
}

SolveOptions parse_solve(const std::vector<std::string>& args) {
  SolveOptions o;
  CLI::App app{
      "sparse_recovery solve: ISTA, FISTA or IHT on a problem given as Matrix Market files.",
      "sparse_recovery solve"};
  new_app(app, 30, kSolveFooter);
  const std::string problem = "Problem", method = "Method", output = "Output";
  app.add_option("--matrix", o.matrix, "A, m x n (required)")->type_name("FILE")->group(problem);
  app.add_option("--measurements", o.measurements,
                 "y: a vector of size m, or m x B (B problems) (required)")
      ->type_name("FILE")
      ->group(problem);
  app.add_option("--truth", o.truth, "The true x (n x B): adds the NMSE")
      ->type_name("FILE")
      ->group(problem);
  app.add_flag("--sparse", o.sparse,
               "Read A as a sparse matrix and solve in Eigen, one\nproblem after the other")
      ->group(problem);
  app.add_option("--method", o.method, "ista|fista|iht")
      ->type_name("NAME")
      ->capture_default_str()
      ->group(method);
  app.add_option("--lambda", o.lambda, "The penalty weight (> 0, required)")
      ->type_name("L")
      ->group(method);
  app.add_option("--iterations", o.iterations, "The most iterations")
      ->type_name("N")
      ->capture_default_str()
      ->group(method);
  app.add_option("--tolerance", o.tolerance,
                 "Stop a problem when ||x_k+1 - x_k|| <= T ||x_k+1||\n(0: off)")
      ->type_name("T")
      ->capture_default_str()
      ->group(method);
  app.add_option("--gap-tolerance", o.gap_tolerance,
                 "Stop a problem when its duality gap <= G objective\n(ista, fista; 0: off)")
      ->type_name("G")
      ->capture_default_str()
      ->group(method);
  app.add_option("--threads", o.threads, "LibTorch CPU threads (0: its default)")
      ->capture_default_str()
      ->group(method);
  app.add_option("--json", o.json, "Write the results to FILE (required)")
      ->type_name("FILE")
      ->group(output);
  app.add_option("--solution", o.solution, "Write x (n x B, Matrix Market array) to FILE")
      ->type_name("FILE")
      ->group(output);
  app.add_flag("--quiet", o.quiet, "Print only errors")->group(output);

  o.help = parse(app, args);
  if (!o.help.empty()) return o;
  check_file_given("--matrix", o.matrix, "A");
  check_file_given("--measurements", o.measurements, "y");
  check_file_given("--json", o.json, "where the results go");
  check_choice("--method", "method", o.method, {"ista", "fista", "iht"});
  check_positive_finite("--lambda", o.lambda);
  check_at_least("--iterations", o.iterations, 1);
  check(o.tolerance >= 0.0 && std::isfinite(o.tolerance),
        "--tolerance must be >= 0 and finite, got " + format_number(o.tolerance));
  check(o.gap_tolerance >= 0.0 && std::isfinite(o.gap_tolerance),
        "--gap-tolerance must be >= 0 and finite, got " + format_number(o.gap_tolerance));
  check(o.gap_tolerance == 0.0 || o.method != "iht",
        "--gap-tolerance applies to ista and fista (the l1 problem has a dual), not to iht");
  check_threads(o.threads);
  output_files(o).check_distinct();
  return o;
}

TrainOptions parse_train(const std::vector<std::string>& args) {
  TrainOptions o;
  CLI::App app{
      "sparse_recovery train: trains an unfolded network on seeded synthetic data and saves it\n"
      "as a deepsolve model file.",
      "sparse_recovery train"};
  new_app(app, 32, kTrainFooter);
  const std::string net = "Network", train = "Training", data = "Data", output = "Output";

  // The network types and their options come from the model registry: one --<option> for every
  // option of every unfolded type.
  du::register_unfolded_networks();
  const auto& registry = dl::ModelRegistry::instance();
  const std::vector<std::string> types = registry.names(du::kUnfoldedFamily);
  std::string descriptions;
  for (const auto& t : types) descriptions += t + ": " + registry.get(t).description + "\n";
  app.add_option("--model-type", o.model_type,
                 descriptions + "Each takes the options below that name it")
      ->type_name("TYPE")
      ->capture_default_str()
      ->group(net);
  std::map<std::string, std::string> values;
  std::map<std::string, CLI::Option*> given;
  for (const auto& t : types) {
    for (const dl::ModelOption& opt : registry.get(t).options) {
      if (given.count(opt.name)) continue;
      std::string owners;
      for (const auto& u : types)
        if (registry.get(u).option(opt.name)) owners += (owners.empty() ? "" : ", ") + u;
      if (owners == join(types)) owners = "all";
      const std::string help = owners + ": " + opt.help +
                               (opt.default_value.empty() || opt.kind == dl::ModelOption::Kind::flag
                                    ? std::string()
                                    : " (default " + opt.default_value + ")");
      const std::string flag = "--" + opt.name;
      if (opt.kind == dl::ModelOption::Kind::flag)
        given[opt.name] = app.add_flag(flag, help)->group(net);
      else
        given[opt.name] =
            app.add_option(flag, values[opt.name], help)->type_name("VALUE")->group(net);
    }
  }

  app.add_option("--loss", o.loss, "supervised|unsupervised")
      ->type_name("LOSS")
      ->capture_default_str()
      ->group(train);
  app.add_option("--epochs", o.epochs, "Total epochs (with --resume: up to this many)")
      ->capture_default_str()
      ->group(train);
  app.add_option("--batch", o.batch, "Samples per step")->capture_default_str()->group(train);
  app.add_option("--train-size", o.train_size, "Training samples per epoch")
      ->type_name("N")
      ->capture_default_str()
      ->group(train);
  app.add_flag("--fixed-samples", o.fixed_samples,
               "Train on the same --train-size samples every epoch\n(default: new ones)")
      ->group(train);
  app.add_option("--validation-size", o.validation_size, "Validation samples (0: none)")
      ->type_name("N")
      ->capture_default_str()
      ->group(train);
  app.add_option("--test-size", o.test_size, "Test samples evaluated after training (0: none)")
      ->type_name("N")
      ->capture_default_str()
      ->group(train);
  app.add_option("--lr", o.lr, "Adam's learning rate")->capture_default_str()->group(train);
  app.add_option("--lr-schedule", o.lr_schedule,
                 "Learning rate per epoch: constant, step:every=K[,gamma=G],\nexponential:gamma=G, "
                 "cosine[:min=M]; ,warmup=W adds a\nlinear warm-up (docs/learned.md)")
      ->type_name("TEXT")
      ->capture_default_str()
      ->group(train);
  app.add_flag("--incremental", o.incremental, "Layer-by-layer training (see below)")->group(train);
  app.add_option("--epochs-per-layer", o.epochs_per_layer, "Epochs per stage of --incremental")
      ->type_name("K")
      ->capture_default_str()
      ->group(train);
  app.add_option("--patience", o.patience,
                 "Stop after N epochs without a better validation loss\n(0: never)")
      ->type_name("N")
      ->capture_default_str()
      ->group(train);
  app.add_option("--device", o.device, "cpu, cuda, cuda:N or auto")
      ->type_name("DEV")
      ->capture_default_str()
      ->group(train);
  app.add_option("--threads", o.threads, "LibTorch CPU threads (0: its default)")
      ->capture_default_str()
      ->group(train);

  app.add_option("--sparsity", o.sparsity, "Probability that an entry of x is nonzero")
      ->type_name("P")
      ->capture_default_str()
      ->group(data);
  app.add_option("--snr", o.snr_db, "Signal-to-noise ratio in dB (inf: noiseless)")
      ->type_name("DB")
      ->capture_default_str()
      ->group(data);
  app.add_option("--seed", o.seed, "Seeds the data, A and the order of the samples")
      ->capture_default_str()
      ->group(data);
  app.add_flag("--redraw-matrix", o.redraw_matrix, "A new A for every batch")->group(data);
  app.add_option("--matrix", o.matrix, "Train on this fixed A (Matrix Market, m x n)")
      ->type_name("FILE")
      ->group(data);

  app.add_option("--out", o.out, "Write the trained model to MODEL (required)")
      ->type_name("MODEL")
      ->group(output);
  app.add_option("--checkpoint", o.checkpoint, "Checkpoint file (default: none)")
      ->type_name("FILE")
      ->group(output);
  app.add_option("--checkpoint-every", o.checkpoint_every,
                 "Write the checkpoint every N epochs (and after the last)")
      ->type_name("N")
      ->capture_default_str()
      ->group(output);
  app.add_flag("--resume", o.resume, "Continue the training saved in --checkpoint")->group(output);
  app.add_option("--log", o.log, "Per-epoch metrics (CSV, or JSON if FILE ends in .json)")
      ->type_name("FILE")
      ->group(output);
  app.add_option("--json", o.json, "Write the training and the test results to FILE")
      ->type_name("FILE")
      ->group(output);
  app.add_flag("--quiet", o.quiet, "Print only errors")->group(output);

  o.help = parse(app, args);
  if (!o.help.empty()) return o;

  check_choice("--model-type", "model type", o.model_type, types);
  const dl::ModelType& type = registry.get(o.model_type);
  for (const auto& [name, option] : given) {
    if (option->count() == 0) continue;
    if (!type.option(name)) {
      std::string own;
      for (const auto& opt : type.options) own += (own.empty() ? "--" : ", --") + opt.name;
      throw std::invalid_argument("--" + name + " is not an option of the " + o.model_type +
                                  " network (it takes " + own + "; see --help)");
    }
    o.network[name] = type.option(name)->kind == dl::ModelOption::Kind::flag ? "1" : values[name];
  }
  std::shared_ptr<torch::nn::Module> network;  // every network option is checked now
  try {
    network = type.build(dl::resolve_options(type, o.network));
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument("the " + o.model_type + " network: " + e.what());
  }

  check_choice("--loss", "loss", o.loss, {"supervised", "unsupervised"});
  check_at_least("--epochs", o.epochs, 1);
  check_at_least("--batch", o.batch, 1);
  check_at_least("--train-size", o.train_size, 1);
  check(o.batch <= o.train_size, "--batch " + std::to_string(o.batch) +
                                     " is larger than --train-size " +
                                     std::to_string(o.train_size));
  check_non_negative("--validation-size", o.validation_size);
  check_non_negative("--test-size", o.test_size);
  check_positive_finite("--lr", o.lr);
  o.lr_schedule = canonical_schedule(o.lr_schedule);
  check_at_least("--epochs-per-layer", o.epochs_per_layer, 1);
  check_non_negative("--patience", o.patience);
  check(o.patience == 0 || o.validation_size > 0,
        "--patience needs validation samples (--validation-size is 0)");
  check(o.patience == 0 || !o.incremental,
        "--patience does not go with --incremental (each stage's validation loss is at its own "
        "layer)");
  check_device(o.device);
  check_threads(o.threads);

  check_sparsity("--sparsity", o.sparsity);
  check_snr("--snr", o.snr_db);
  check(!(o.redraw_matrix && !o.matrix.empty()),
        "--redraw-matrix and --matrix both give A; use one");
  // A network tied to one A cannot learn from data that changes A every batch.
  check(!(o.redraw_matrix && dynamic_cast<du::UnfoldedModule&>(*network).fixed_matrix()),
        "--redraw-matrix: the " + o.model_type +
            " network is tied to one A (a fixed-matrix type); train it on a fixed A");

  check(!o.out.empty(), "--out MODEL is required (where the trained model goes)");
  check_at_least("--checkpoint-every", o.checkpoint_every, 1);
  check(!o.resume || !o.checkpoint.empty(), "--resume needs --checkpoint FILE");
  output_files(o).check_distinct();
  return o;
}

RunOptions parse_run(const std::vector<std::string>& args) {
  RunOptions o;
  CLI::App app{"sparse_recovery run: runs a trained unfolded network, layer by layer.",
               "sparse_recovery run"};
  new_app(app, 30, kRunFooter);
  const std::string input = "Input", output = "Output";
  app.add_option("--model", o.model, "The model file (sparse_recovery train's --out)")
      ->type_name("MODEL")
      ->group(input);
  app.add_option("--measurements", o.measurements, "y, m x B (B problems)")
      ->type_name("FILE")
      ->group(input);
  app.add_option("--matrix", o.matrix, "A, m x n")->type_name("FILE")->group(input);
  app.add_option("--truth", o.truth, "The true x (n x B): adds the NMSE")
      ->type_name("FILE")
      ->group(input);
  app.add_option("--synthetic", o.synthetic, "Run on N samples of the test stream instead")
      ->type_name("N")
      ->group(input);
  auto* seed = app.add_option("--seed", o.seed, "--synthetic: the data seed (default: the model's)")
                   ->group(input);
  auto* sparsity =
      app.add_option("--sparsity", o.sparsity, "--synthetic: the sparsity (default: the model's)")
          ->type_name("P")
          ->group(input);
  auto* snr = app.add_option("--snr", o.snr_db, "--synthetic: the SNR in dB (default: the model's)")
                  ->type_name("DB")
                  ->group(input);
  app.add_option("--device", o.device, "cpu, cuda, cuda:N or auto")
      ->type_name("DEV")
      ->capture_default_str()
      ->group(input);
  app.add_option("--threads", o.threads, "LibTorch CPU threads (0: its default)")
      ->capture_default_str()
      ->group(input);
  app.add_option("--json", o.json, "Write the results to FILE (required)")
      ->type_name("FILE")
      ->group(output);
  app.add_option("--solution", o.solution, "Write x_T (n x B, Matrix Market array) to FILE")
      ->type_name("FILE")
      ->group(output);
  app.add_flag("--quiet", o.quiet, "Print only errors")->group(output);

  o.help = parse(app, args);
  if (!o.help.empty()) return o;
  check_file_given("--model", o.model, "the trained network");
  check_file_given("--json", o.json, "where the results go");
  const bool synthetic = app.get_option("--synthetic")->count() > 0;
  check(synthetic != !o.measurements.empty(),
        "give either --measurements FILE or --synthetic N (the input)");
  if (synthetic) {
    check_at_least("--synthetic", o.synthetic, 1);
    check(o.truth.empty(), "--truth goes with --measurements (--synthetic knows its x)");
  } else {
    check(seed->count() == 0 && sparsity->count() == 0 && snr->count() == 0,
          "--seed, --sparsity and --snr go with --synthetic");
  }
  o.seed_given = seed->count() > 0;
  if (sparsity->count() > 0) check_sparsity("--sparsity", o.sparsity);
  if (snr->count() > 0) check_snr("--snr", o.snr_db);
  check_device(o.device);
  check_threads(o.threads);
  output_files(o).check_distinct();
  return o;
}

DescribeOptions parse_describe(const std::vector<std::string>& args) {
  DescribeOptions o;
  CLI::App app{
      "sparse_recovery describe: prints what a model file holds (type, architecture,\n"
      "parameters, options, training metadata).",
      "sparse_recovery describe"};
  new_app(app, 30, "");
  app.add_option("MODEL", o.model, "The model file")->required();
  o.help = parse(app, args);
  return o;
}

ReproduceOptions parse_reproduce(const std::vector<std::string>& args) {
  ReproduceOptions o;
  CLI::App app{
      "sparse_recovery reproduce: supervised vs. unsupervised deep-unfolded ISTA and IHT\n"
      "(Nagahisa, Hayakawa & Iiguni 2025), with LISTA-CPSS and ALISTA as references.",
      "sparse_recovery reproduce"};
  new_app(app, 36, kReproduceFooter);
  const std::string run = "Run", problem = "Problem", train = "Training", eval = "Evaluation";
  app.add_flag("--quick", o.quick, "Small problem, short trainings (about 10 s)")->group(run);
  app.add_option("--out", o.out, "Folder of the results (created)")
      ->type_name("DIR")
      ->capture_default_str()
      ->group(run);
  app.add_option("--threads", o.threads, "LibTorch CPU threads (0: its default)")
      ->capture_default_str()
      ->group(run);
  app.add_option("--device", o.device, "cpu, cuda, cuda:N or auto")
      ->type_name("DEV")
      ->capture_default_str()
      ->group(run);
  app.add_option("--seed", o.seed, "Seeds A, the data and the trainings")
      ->capture_default_str()
      ->group(run);

  // Options --quick changes unless given.
  std::vector<CLI::Option*> sized;
  const auto sized_option = [&](const std::string& name, auto& value, const std::string& help,
                                const std::string& group, const std::string& type = "") {
    CLI::Option* option = app.add_option(name, value, help)->capture_default_str()->group(group);
    if (!type.empty()) option->type_name(type);
    sized.push_back(option);
    return option;
  };
  sized_option("--measurements", o.measurements, "m", problem, "M");
  sized_option("--signal-size", o.signal_size, "n", problem, "N");
  sized_option("--layers", o.layers, "T, layers of every network", problem, "T");
  app.add_option("--sparsity", o.sparsity, "Probability that an entry of x is nonzero")
      ->type_name("P")
      ->capture_default_str()
      ->group(problem);
  app.add_option("--snr", o.snr_db, "Signal-to-noise ratio in dB")
      ->type_name("DB")
      ->capture_default_str()
      ->group(problem);
  app.add_option("--lambda", o.lambda, "lambda of the l1 problem")
      ->type_name("L")
      ->capture_default_str()
      ->group(problem);
  app.add_option("--lambda-l0", o.lambda_l0, "lambda of the l0 problem")
      ->type_name("L")
      ->capture_default_str()
      ->group(problem);

  sized_option("--epochs", o.epochs, "Epochs of supervised unfolded ISTA\n(the whole network)",
               train);
  app.add_option("--lr", o.lr, "Adam's learning rate, supervised unfolded ISTA")
      ->capture_default_str()
      ->group(train);
  sized_option("--epochs-per-layer", o.epochs_per_layer,
               "Unsupervised unfolded ISTA and both unfolded\nIHTs: epochs per layer (stage)",
               train, "K");
  sized_option("--final-epochs", o.final_epochs, "... then epochs of the whole network", train,
               "E");
  app.add_option("--layerwise-lr", o.layerwise_lr, "... Adam's learning rate")
      ->type_name("LR")
      ->capture_default_str()
      ->group(train);
  sized_option("--train-size", o.train_size, "New training samples per epoch", train, "N");
  app.add_option("--batch", o.batch, "Samples per step")->capture_default_str()->group(train);
  app.add_option("--lr-schedule", o.lr_schedule,
                 "Every network's learning rate per epoch (as train's)")
      ->type_name("TEXT")
      ->capture_default_str()
      ->group(train);
  sized_option("--reference-epochs-per-layer", o.reference_epochs_per_layer,
               "LISTA-CPSS and ALISTA: epochs per layer (stage)", train, "K");
  sized_option("--reference-final-epochs", o.reference_final_epochs,
               "LISTA-CPSS and ALISTA: epochs of the whole network\nafter the stages", train, "E");
  app.add_option("--reference-lr", o.reference_lr, "Adam's learning rate, LISTA-CPSS")
      ->type_name("LR")
      ->capture_default_str()
      ->group(train);
  app.add_option("--alista-lr", o.alista_lr, "Adam's learning rate, ALISTA")
      ->type_name("LR")
      ->capture_default_str()
      ->group(train);

  sized_option("--test-size", o.test_size, "Test samples", eval, "N");
  sized_option("--classical-iterations", o.classical_iterations,
               "Iterations of ISTA, FISTA and IHT (>= 200)", eval, "K");
  app.add_option("--mismatch-snr", o.mismatch_snr_db, "SNR of the mismatched test (dB)")
      ->type_name("DB")
      ->capture_default_str()
      ->group(eval);
  app.add_option("--mismatch-sparsity", o.mismatch_sparsity, "Sparsity of the mismatched test")
      ->type_name("P")
      ->capture_default_str()
      ->group(eval);

  o.help = parse(app, args);
  if (!o.help.empty()) return o;

  if (o.quick) {
    const ReproduceOptions quick = quick_reproduce_options();
    const auto keep = [&](const std::string& name) {
      for (const CLI::Option* option : sized)
        if (option->get_name() == name) return option->count() > 0;
      return false;
    };
    if (!keep("--measurements")) o.measurements = quick.measurements;
    if (!keep("--signal-size")) o.signal_size = quick.signal_size;
    if (!keep("--layers")) o.layers = quick.layers;
    if (!keep("--epochs")) o.epochs = quick.epochs;
    if (!keep("--epochs-per-layer")) o.epochs_per_layer = quick.epochs_per_layer;
    if (!keep("--final-epochs")) o.final_epochs = quick.final_epochs;
    if (!keep("--train-size")) o.train_size = quick.train_size;
    if (!keep("--reference-epochs-per-layer"))
      o.reference_epochs_per_layer = quick.reference_epochs_per_layer;
    if (!keep("--reference-final-epochs")) o.reference_final_epochs = quick.reference_final_epochs;
    if (!keep("--test-size")) o.test_size = quick.test_size;
    if (!keep("--classical-iterations")) o.classical_iterations = quick.classical_iterations;
  }

  check(!o.out.empty(), "--out DIR must not be empty");
  check_threads(o.threads);
  check_device(o.device);
  check_at_least("--measurements", o.measurements, 1);
  check_at_least("--signal-size", o.signal_size, 1);
  check_at_least("--layers", o.layers, 1);
  check_sparsity("--sparsity", o.sparsity);
  check_snr("--snr", o.snr_db);
  check_positive_finite("--lambda", o.lambda);
  check_positive_finite("--lambda-l0", o.lambda_l0);
  check_at_least("--epochs", o.epochs, 1);
  check_at_least("--train-size", o.train_size, 1);
  check_at_least("--batch", o.batch, 1);
  check(o.batch <= o.train_size, "--batch " + std::to_string(o.batch) +
                                     " is larger than --train-size " +
                                     std::to_string(o.train_size));
  check_positive_finite("--lr", o.lr);
  check_at_least("--epochs-per-layer", o.epochs_per_layer, 1);
  check_non_negative("--final-epochs", o.final_epochs);
  check_positive_finite("--layerwise-lr", o.layerwise_lr);
  o.lr_schedule = canonical_schedule(o.lr_schedule);
  check_at_least("--reference-epochs-per-layer", o.reference_epochs_per_layer, 1);
  check_non_negative("--reference-final-epochs", o.reference_final_epochs);
  check_positive_finite("--reference-lr", o.reference_lr);
  check_positive_finite("--alista-lr", o.alista_lr);
  check_at_least("--test-size", o.test_size, 1);
  check_at_least("--classical-iterations", o.classical_iterations, 200);
  check(o.classical_iterations >= o.layers,
        "--classical-iterations must be at least --layers (" + std::to_string(o.layers) + ")");
  check_snr("--mismatch-snr", o.mismatch_snr_db);
  check_sparsity("--mismatch-sparsity", o.mismatch_sparsity);
  return o;
}

ReproduceOptions quick_reproduce_options() {
  ReproduceOptions q;
  q.quick = true;
  q.measurements = 50;
  q.signal_size = 100;
  q.layers = 8;
  q.epochs = 100;
  q.epochs_per_layer = 4;
  q.final_epochs = 16;
  q.train_size = 512;
  q.reference_epochs_per_layer = 1;
  q.reference_final_epochs = 8;
  q.test_size = 300;
  q.classical_iterations = 500;
  return q;
}

deepsolve::examples::OutputFiles output_files(const SolveOptions& o) {
  OutputFiles files;
  files.add("--json", o.json).add("--solution", o.solution);
  return files;
}

deepsolve::examples::OutputFiles output_files(const TrainOptions& o) {
  OutputFiles files;
  files.add("--out", o.out)
      .add("--checkpoint", o.checkpoint)
      .add("--log", o.log)
      .add("--json", o.json);
  return files;
}

deepsolve::examples::OutputFiles output_files(const RunOptions& o) {
  OutputFiles files;
  files.add("--json", o.json).add("--solution", o.solution);
  return files;
}

}  // namespace sparse_recovery
