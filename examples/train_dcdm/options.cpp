#include "options.hpp"

#include <sys/stat.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

#include <torch/cuda.h>

#include "deepsolve/learned/config.hpp"
#include "deepsolve/learned/io/model_registry.hpp"
#include "deepsolve/learned/memory.hpp"
#include "deepsolve/learned/optim/registry.hpp"
#include "deepsolve/learned/training/lr_schedule.hpp"
#include "deepsolve/solvers/dcdm/network_types.hpp"
#include "deepsolve/solvers/geometry.hpp"
#include "deepsolve/solvers/grid.hpp"

#if DEEPSOLVE_LEARNED_WITH_MPI
#include <mpi.h>
#endif

namespace train_dcdm {

using namespace deepsolve::examples;

namespace {

const char* const kFooter = R"(
What it does: builds the grid, loads the dataset (or generates it once with Lanczos and saves it,
  see docs/dcdm.md), and trains the DCDM network on it with the self-supervised loss
  ||b - (q'b / q'Aq) A q||^2, q = f(b), A the float32 stencil operator of the grid, solid and air
  cells masked to zero in the network's output. The last --validation-fraction of the samples is
  held out for the validation loss. One progress line per epoch; the checkpoint is rewritten
  atomically after every epoch, so a run that is killed loses at most the epoch in progress.

Resuming: run the same command with --resume (and --epochs at least the checkpoint's). Every
  setting that changes the result (grid, dataset, network, batch, learning rate and its schedule,
  optimizer, validation fraction, patience and min delta, seed, --init's weights) must match the
  checkpoint's; on one rank the final model is then bit for bit that of an uninterrupted run. A
  cosine schedule runs over --epochs, so resume with the same --epochs to get the same rates.

Learning-rate schedules (--lr-schedule, one rate per epoch; docs/learned.md): constant,
  step:every=K[,gamma=G], exponential:gamma=G, cosine[:min=M]; any of them with warmup=W (a linear
  ramp over the first W epochs), e.g. cosine:min=1e-6,warmup=2. Early stopping (--patience N):
  stop once the validation loss has not fallen more than --min-delta below its last improvement
  for N epochs in a row.

MPI: under mpiexec -n N the ranks split each batch and average their gradients, which gives the
  same training as one rank up to round-off. Every rank reads the dataset and checkpoint files.

Exit status: 0 trained; 2 invalid input or another error (one line on stderr,
  "train_dcdm: error: ..."); 3 the loss became NaN or infinite (training stopped before that step;
  the checkpoint holds the last finished epoch).

Examples:
  train_dcdm --dim 2 --size 64 --dataset dcdm64.bin --epochs 50 --out dcdm_2d_64.pt
  train_dcdm --dim 2 --size 64 --dataset dcdm64.bin --epochs 100 --out dcdm_2d_64.pt --resume
  mpiexec -n 2 train_dcdm --size 32 --samples 400 --epochs 5 --threads 1 --out small.pt)";

int world_size() {
  int ranks = 1;
#if DEEPSOLVE_LEARNED_WITH_MPI
  int initialised = 0;
  MPI_Initialized(&initialised);
  if (initialised) MPI_Comm_size(MPI_COMM_WORLD, &ranks);
#endif
  return ranks;
}

/// Refuses a --size or --batch bound to run out of memory, before the dataset is made: the
/// dataset (every rank holds all of it) and this rank's share of a batch, against the memory
/// available (a GPU's batch is not checked here).
void check_training_memory(const Options& o, const deepsolve::learned::ModelType& type,
                           const deepsolve::learned::ModelOptions& net) {
  std::array<int, 3> n{o.size, o.size, o.dim == 3 ? o.size : 1};
  const double cells = double(n[0]) * n[1] * n[2];
  if (cells > deepsolve::solvers::Grid::kMaxCells) {
    std::ostringstream msg;
    msg << "--size " << o.size << " in " << o.dim << "D gives " << cells
        << " cells, more than a grid may have (" << deepsolve::solvers::Grid::kMaxCells << ")";
    throw std::invalid_argument(msg.str());
  }
  // What the network type says one sample's training step keeps alive (0: it does not say).
  const std::vector<std::int64_t> shape(std::size_t(o.dim), o.size);
  const double floats = type.training_floats ? type.training_floats(net, shape) : 0.0;
  const double dataset = 4.0 * cells * o.samples;
  const bool on_cpu = o.device == "cpu" || (o.device == "auto" && !torch::cuda::is_available());
  const int ranks = world_size();
  const double share = std::ceil(double(o.batch) / ranks);
  const double per_sample = on_cpu ? 4.0 * floats : 0.0;
  const double estimate = dataset + share * per_sample;
  const auto available = deepsolve::learned::available_memory();
  if (!available.known || estimate <= double(available.bytes)) return;
  const std::string grid =
      std::to_string(o.dim) + "D " + std::to_string(o.size) + "^" + std::to_string(o.dim) + " grid";
  auto bytes = [](double b) { return deepsolve::learned::format_bytes(std::uint64_t(b)); };
  std::string how = "the dataset, " + std::to_string(o.samples) + " samples x " +
                    bytes(4.0 * cells) + ", and a batch's tensors, about " + bytes(per_sample) +
                    " per sample (" + std::to_string(std::lround(floats / cells)) +
                    " float32 values per cell)";
  std::string advice;
  if (dataset >= double(available.bytes)) {
    advice = "the dataset alone does not fit: lower --size or --samples";
  } else {
    const double fits = std::floor((double(available.bytes) - dataset) / per_sample) * ranks;
    advice = fits < 1.0 ? "not even one sample fits: lower --size"
                        : "at most about --batch " + std::to_string(std::int64_t(fits)) +
                              " fits: lower --batch or --size";
  }
  deepsolve::learned::check_memory(
      "training on a " + grid + " with --batch " + std::to_string(o.batch) +
          (ranks > 1 ? " over " + std::to_string(ranks) + " ranks" : ""),
      std::uint64_t(std::min(estimate, 1.8e19)), how, advice, available);
}

}  // namespace

bool optimizer_has_momentum(const std::string& name) {
  return deepsolve::learned::is_optimizer_name(name) &&
         deepsolve::learned::optimizer_defaults(name).count("momentum") > 0;
}

Options parse_options(const std::vector<std::string>& args) {
  Options o;
  CLI::App app{
      "train_dcdm: trains the DCDM network (Kaneda et al., ICML 2023) for one grid, on a dataset\n"
      "of Ritz-vector right-hand sides, and saves it as a deepsolve model file.",
      "train_dcdm"};
  setup_app(app, 30, kFooter);

  const std::string grid = "Grid", data = "Dataset", net = "Network", train = "Training",
                    output = "Output";
  app.add_option("--dim", o.dim, "Grid dimension: 2 or 3")->capture_default_str()->group(grid);
  app.add_option("--size", o.size, "Cells per axis (unit box)")->capture_default_str()->group(grid);
  auto* geometry = app.add_option("--geometry", o.geometry,
                                  "Obstacles: " + join(deepsolve::solvers::geometry_names(), "|"))
                       ->type_name("NAME")
                       ->capture_default_str()
                       ->group(grid);
  app.add_option("--cells", o.cells_file, "Read the cell types from FILE instead")
      ->type_name("FILE")
      ->group(grid);
  app.add_option("--bc", o.bc, "Boundary condition on every face: dirichlet|neumann")
      ->type_name("BC")
      ->capture_default_str()
      ->group(grid);
  app.add_option("--seed", o.seed,
                 "Seeds everything: --geometry random, the dataset, the\nnetwork's initial "
                 "weights, the shuffling")
      ->capture_default_str()
      ->group(grid);

  app.add_option("--dataset", o.dataset,
                 "Load the dataset from FILE if it exists (it must match\nthe grid); otherwise "
                 "generate it and save it there.\nWithout it: generated, not saved")
      ->type_name("FILE")
      ->group(data);
  auto* lanczos = app.add_option("--lanczos-steps", o.lanczos_steps,
                                 "Lanczos steps m when generating (Ritz vectors the\nsamples are "
                                 "made of)")
                      ->capture_default_str()
                      ->group(data);
  auto* samples = app.add_option("--samples", o.samples, "Right-hand sides when generating")
                      ->capture_default_str()
                      ->group(data);

  // The network types and their options come from the model registry: one --<option> for
  // every option of every DCDM network type (but dim, which --dim sets).
  namespace dl = deepsolve::learned;
  namespace dcdm = deepsolve::solvers::dcdm;
  dcdm::register_direction_networks();
  const auto& registry = dl::ModelRegistry::instance();
  const std::vector<std::string> types = registry.names(dcdm::kDirectionFamily);
  std::string architectures;
  for (const auto& t : types) architectures += t + ": " + registry.get(t).description + "\n";
  app.add_option("--architecture", o.architecture,
                 architectures + "Each takes the options below that name it")
      ->type_name("NAME")
      ->capture_default_str()
      ->group(net);
  std::map<std::string, std::string> values;  // option -> its text on the command line
  std::map<std::string, CLI::Option*> given;
  for (const auto& t : types) {
    for (const dl::ModelOption& opt : registry.get(t).options) {
      if (opt.name == "dim") continue;
      if (given.count(opt.name)) continue;
      std::string owners;
      for (const auto& u : types)
        if (registry.get(u).option(opt.name)) owners += (owners.empty() ? "" : ", ") + u;
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
  app.add_option("--describe", o.describe,
                 "Print what the model file MODEL holds (type, options, parameters, training "
                 "grid, metadata) and exit")
      ->type_name("MODEL")
      ->group(net);
  app.add_option("--resave", o.resave,
                 "Re-save MODEL, a model file of the format before checksummed archives "
                 "(deepsolve before December 2026), in today's format at --out, and exit")
      ->type_name("MODEL")
      ->group(net);
  app.add_option("--init", o.init,
                 "Start from the weights of MODEL (a deepsolve model file with the same network "
                 "options), e.g. one trained on a smaller grid, instead of random weights")
      ->type_name("MODEL")
      ->group(net);

  app.add_option("--epochs", o.epochs, "Total epochs (with --resume: up to this many)")
      ->capture_default_str()
      ->group(train);
  app.add_option("--batch", o.batch, "Samples per step, all ranks together")
      ->capture_default_str()
      ->group(train);
  app.add_option("--lr", o.lr, "Learning rate")->capture_default_str()->group(train);
  app.add_option("--optimizer", o.optimizer,
                 "One of: " + join(deepsolve::learned::optimizer_names(), "|") +
                     "\n(docs/learned.md, Optimizers)")
      ->type_name("NAME")
      ->capture_default_str()
      ->group(train);
  auto* momentum = app.add_option("--momentum", o.momentum, "Momentum of sgd")
                       ->capture_default_str()
                       ->group(train);
  app.add_option("--lr-schedule", o.lr_schedule,
                 "Learning rate per epoch: constant, step:every=K[,gamma=G],\nexponential:gamma=G, "
                 "cosine[:min=M]; ,warmup=W adds\na linear warm-up (see below)")
      ->type_name("TEXT")
      ->capture_default_str()
      ->group(train);
  app.add_option("--patience", o.patience,
                 "Stop after N epochs without the validation loss improving\n(0: never)")
      ->type_name("N")
      ->capture_default_str()
      ->group(train);
  app.add_option("--min-delta", o.min_delta,
                 "How far below its last improvement the validation loss\nmust fall to improve")
      ->type_name("F")
      ->capture_default_str()
      ->group(train);
  app.add_option("--validation-fraction", o.validation_fraction,
                 "Fraction of the samples held out for validation")
      ->type_name("F")
      ->capture_default_str()
      ->group(train);
  app.add_option("--device", o.device,
                 "cpu, cuda, cuda:N or auto (cuda:(rank mod devices)\nwhen CUDA is available)")
      ->type_name("DEV")
      ->capture_default_str()
      ->group(train);
  app.add_option("--threads", o.threads,
                 "CPU threads per rank (0: LibTorch's default on one\nrank, cores / ranks on "
                 "several)")
      ->capture_default_str()
      ->group(train);

  app.add_option("--out", o.out, "Write the trained model to MODEL (required)")
      ->type_name("MODEL")
      ->group(output);
  app.add_option("--checkpoint", o.checkpoint, "Checkpoint file (default: MODEL.ckpt)")
      ->type_name("FILE")
      ->group(output);
  app.add_option("--checkpoint-every", o.checkpoint_every,
                 "Write the checkpoint every N epochs (and after the last)")
      ->type_name("N")
      ->capture_default_str()
      ->group(output);
  app.add_flag("--resume", o.resume, "Continue the training saved in the checkpoint")
      ->group(output);
  app.add_option("--log", o.log,
                 "Per-epoch metrics, rewritten after every epoch (CSV,\nor JSON if FILE ends in "
                 ".json)")
      ->type_name("FILE")
      ->group(output);
  app.add_flag("--quiet", o.quiet, "Print only errors")->group(output);

  o.help = parse(app, args);
  if (!o.help.empty()) return o;

  check(o.dim == 2 || o.dim == 3, "--dim must be 2 or 3, got " + std::to_string(o.dim));
  check_at_least("--size", o.size, 1);
  o.geometry_given = geometry->count() > 0;
  check(!(o.geometry_given && !o.cells_file.empty()),
        "--geometry and --cells both give the obstacles; use one");
  if (o.cells_file.empty())
    check_choice("--geometry", "geometry", o.geometry, deepsolve::solvers::geometry_names());
  check_choice("--bc", "boundary condition", o.bc, {"dirichlet", "neumann"});

  o.lanczos_steps_given = lanczos->count() > 0;
  o.samples_given = samples->count() > 0;
  check_at_least("--lanczos-steps", o.lanczos_steps, 1);
  check_at_least("--samples", o.samples, 1);

  check_choice("--architecture", "architecture", o.architecture, types);
  const dl::ModelType& type = registry.get(o.architecture);
  for (const auto& [name, option] : given) {
    if (option->count() == 0) continue;
    if (!type.option(name)) {
      std::string own;
      for (const auto& opt : type.options)
        if (opt.name != "dim") own += (own.empty() ? "--" : ", --") + opt.name;
      throw std::invalid_argument("--" + name + " is not an option of the " + o.architecture +
                                  " network (it takes " + own + "; see --help)");
    }
    o.network[name] = type.option(name)->kind == dl::ModelOption::Kind::flag ? "1" : values[name];
  }
  dl::ModelOptions complete;
  try {
    complete = dl::resolve_options(type, o.network);
    complete["dim"] = std::to_string(o.dim);
    type.build(complete);  // validates every option: a bad one fails now, not after the dataset
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument("--architecture " + o.architecture + ": " + e.what());
  }

  check_at_least("--epochs", o.epochs, 1);
  check_at_least("--batch", o.batch, 1);
  check_positive_finite("--lr", o.lr);
  check_choice("--optimizer", "optimizer", o.optimizer, deepsolve::learned::optimizer_names());
  check(momentum->count() == 0 || optimizer_has_momentum(o.optimizer),
        "--momentum applies only to optimizers with momentum (sgd, sgd-clip)");
  check(o.momentum >= 0.0 && o.momentum < 1.0,
        "--momentum must be in [0, 1), got " + format_number(o.momentum));
  try {
    o.lr_schedule =
        deepsolve::learned::to_string(deepsolve::learned::parse_lr_schedule(o.lr_schedule));
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("--lr-schedule: ") + e.what());
  }
  check_non_negative("--patience", o.patience);
  check(o.min_delta >= 0.0 && std::isfinite(o.min_delta),
        "--min-delta must be >= 0 and finite, got " + format_number(o.min_delta));
  check(o.validation_fraction >= 0.0 && o.validation_fraction < 1.0,
        "--validation-fraction must be in [0, 1), got " + format_number(o.validation_fraction));
  check_non_negative("--threads", o.threads);

  check(!o.out.empty() || !o.describe.empty(),
        "--out MODEL is required (where the trained model goes)");
  if (o.checkpoint.empty()) o.checkpoint = o.out + ".ckpt";
  check(o.checkpoint != o.out, "--checkpoint and --out name the same file");
  check_at_least("--checkpoint-every", o.checkpoint_every, 1);
  check(o.log.empty() || (o.log != o.out && o.log != o.checkpoint),
        "--log names the same file as --out or --checkpoint");
  check(o.dataset.empty() || (o.dataset != o.out && o.dataset != o.checkpoint),
        "--dataset names the same file as --out or --checkpoint");
  check_training_memory(o, type, complete);
  return o;
}

OutputFiles output_files(const Options& o) {
  OutputFiles files;
  files.add("--out", o.out).add("--checkpoint", o.checkpoint).add("--log", o.log);
  struct stat st {};
  if (!o.dataset.empty() && (::stat(o.dataset.c_str(), &st) != 0 || S_ISDIR(st.st_mode)))
    files.add("--dataset", o.dataset);
  return files;
}

}  // namespace train_dcdm
