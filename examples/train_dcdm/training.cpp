#include "training.hpp"

#include <torch/torch.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "deepsolve/learned/device.hpp"
#include "deepsolve/learned/io/model_registry.hpp"
#include "deepsolve/learned/optim/optimizer_util.hpp"
#include "deepsolve/learned/optim/registry.hpp"
#include "deepsolve/learned/training/checkpoint.hpp"
#include "deepsolve/learned/training/lr_schedule.hpp"
#include "deepsolve/learned/training/progress.hpp"
#include "deepsolve/learned/training/trainer.hpp"
#include "deepsolve/solvers/dcdm/direction_module.hpp"
#include "deepsolve/solvers/dcdm/loss.hpp"
#include "deepsolve/solvers/dcdm/model_file.hpp"
#include "deepsolve/solvers/dcdm/network_direction.hpp"
#include "deepsolve/solvers/dcdm/training_data.hpp"
#include "deepsolve/solvers/geometry.hpp"
#include "deepsolve/solvers/io.hpp"
#include "deepsolve/solvers/torch/torch_stencil_operator.hpp"

namespace train_dcdm {

namespace {

namespace ds = deepsolve::solvers;
namespace dcdm = deepsolve::solvers::dcdm;
namespace dl = deepsolve::learned;
using json = nlohmann::json;

std::string hex64(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// FNV-1a over bytes: identifies a dataset or a cell-type field in the checkpoint's settings.
std::uint64_t fnv1a(const void* data, std::size_t n, std::uint64_t h = 0xcbf29ce484222325ULL) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ULL;
  return h;
}

bool file_exists(const std::string& path) {
  return ::access(path.c_str(), F_OK) == 0;
}

ds::Grid make_grid(const Options& o) {
  ds::Grid grid = ds::Grid::unit_box(o.dim, o.size);
  grid.set_all_boundaries(ds::boundary_from_string(o.bc));
  if (!o.cells_file.empty())
    ds::read_cell_types(o.cells_file, grid);
  else
    ds::apply_geometry(grid, o.geometry, o.seed);
  if (grid.count(ds::CellType::fluid) == 0)
    throw std::invalid_argument("the grid (" + grid.describe() + ") has no fluid cells");
  return grid;
}

// The network type's complete options: the command line's, the type's defaults, --dim.
dl::ModelOptions network_options(const Options& o) {
  dl::ModelOptions options =
      dl::resolve_options(dl::ModelRegistry::instance().get(o.architecture), o.network);
  options["dim"] = std::to_string(o.dim);
  return options;
}

// The network being trained: any registered DCDM network type.
class TrainedNet {
 public:
  explicit TrainedNet(const Options& o)
      : type_(dl::ModelRegistry::instance().get(o.architecture)),
        module_(type_.build(network_options(o))),
        net_(dynamic_cast<dcdm::DirectionModule&>(*module_)) {}
  torch::nn::Module& module() { return *module_; }
  std::vector<torch::Tensor> parameters() { return module_->parameters(); }
  std::int64_t num_parameters() const { return net_.num_parameters(); }
  std::string describe() const { return type_.describe(*module_); }
  /// The cell-type tensor forward takes.
  torch::Tensor grid_inputs(const ds::Grid& grid) const { return net_.grid_inputs(grid); }
  torch::Tensor forward(const torch::Tensor& b, const torch::Tensor& mask,
                        const torch::Tensor& cells) {
    return net_.direction(b, mask, cells);
  }
  void save(const std::string& path, const dcdm::ModelInfo& info) const {
    dcdm::save_direction_model(path, *module_, info);
  }

 private:
  const dl::ModelType& type_;
  std::shared_ptr<torch::nn::Module> module_;
  dcdm::DirectionModule& net_;
};

// What a resumed run must match, section by section.
json grid_settings(const ds::Grid& grid) {
  const dcdm::TrainingGrid g = dcdm::TrainingGrid::from_grid(grid);
  const auto& cells = grid.cells();
  return {{"dim", g.dim},
          {"size", g.size},
          {"spacing", g.spacing},
          {"boundaries", g.boundaries},
          {"cells_fnv1a", hex64(fnv1a(cells.data(), cells.size()))}};
}

json network_settings(const Options& o) {
  const dl::ModelType& type = dl::ModelRegistry::instance().get(o.architecture);
  json j = {{"architecture", o.architecture}};
  for (const auto& [name, value] : network_options(o)) {
    const dl::ModelOption* option = type.option(name);
    if (option && option->kind == dl::ModelOption::Kind::integer && !value.empty())
      j[name] = dl::integer_option({{name, value}}, name);  // numbers compare as numbers
    else
      j[name] = value;
  }
  return j;
}

json dataset_settings(const dcdm::RitzDataset& data) {
  const torch::Tensor& t = data.tensor();
  const auto& info = data.info();
  return {{"samples", data.count()},
          {"lanczos_steps", info.lanczos_steps},
          {"theta", info.theta},
          {"low_mode_scale", info.low_mode_scale},
          {"seed", info.seed},
          {"fnv1a", hex64(fnv1a(t.data_ptr(), static_cast<std::size_t>(t.nbytes())))}};
}

json training_settings(const Options& o, std::int64_t train, std::int64_t validation,
                       const std::string& init_fnv1a) {
  json j = {{"batch", o.batch},
            {"lr", o.lr},
            {"optimizer", o.optimizer},
            {"validation_fraction", o.validation_fraction},
            {"lr_schedule", o.lr_schedule},
            {"patience", o.patience},
            {"min_delta", o.min_delta},
            {"train_samples", train},
            {"validation_samples", validation},
            {"seed", o.seed},
            {"init_fnv1a", init_fnv1a}};
  if (optimizer_has_momentum(o.optimizer)) j["momentum"] = o.momentum;
  return j;
}

// --init: the parameters of a model file whose network is the one this run trains.
std::vector<torch::Tensor> initial_parameters(const std::string& path, const Options& o) {
  const dcdm::LoadedDirectionModel model = dcdm::load_direction_model(path);
  if (model.type != o.architecture)
    throw std::invalid_argument("--init " + path + ": holds a '" + model.type +
                                "' network, not a '" + o.architecture + "' one");
  const dl::ModelType& type = dl::ModelRegistry::instance().get(model.type);
  const std::string theirs = type.describe(*model.module);
  const std::string ours = type.describe(*type.build(network_options(o)));
  const std::vector<torch::Tensor> loaded = model.module->parameters();
  if (theirs != ours)
    throw std::invalid_argument("--init " + path + ": the model's network is " + theirs +
                                "; this run's is " + ours + " (give the same network options)");
  std::vector<torch::Tensor> parameters;
  for (const torch::Tensor& p : loaded) parameters.push_back(p.detach().clone());
  return parameters;
}

// Identifies --init's weights in the checkpoint's settings ("" without --init).
std::string parameters_fnv1a(const std::vector<torch::Tensor>& parameters) {
  if (parameters.empty()) return "";
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const torch::Tensor& p : parameters) {
    const torch::Tensor c = p.contiguous();
    h = fnv1a(c.data_ptr(), static_cast<std::size_t>(c.nbytes()), h);
  }
  return hex64(h);
}

const char* section_name(const std::string& section) {
  if (section == "grid") return "grid";
  if (section == "network") return "network";
  if (section == "dataset") return "dataset";
  return "training setup";
}

// The value of a setting that checkpoints written before it existed lack: its default then.
json stored_setting(const json& section, const std::string& name, const std::string& key) {
  if (section.contains(key)) return section[key];
  if (name == "training" && key == "lr_schedule") return "constant";
  if (name == "training" && key == "patience") return 0;
  if (name == "training" && key == "min_delta") return 0.0;
  if (name == "training" && key == "init_fnv1a") return "";
  return json();
}

// Throws unless every setting of `now` has the same value in the checkpoint's metadata.
void check_same_settings(const std::string& path, const std::string& metadata, const json& now) {
  json stored;
  try {
    stored = json::parse(metadata);
  } catch (const json::exception&) {
    throw std::runtime_error(path + ": not a train_dcdm checkpoint (its metadata is not JSON)");
  }
  if (!stored.is_object() || stored.value("program", "") != "train_dcdm")
    throw std::runtime_error(path + ": not a train_dcdm checkpoint (no train_dcdm settings)");
  for (const auto& [section, values] : now.items()) {
    if (!stored.contains(section) || !stored[section].is_object())
      throw std::runtime_error(path + ": not a train_dcdm checkpoint (no '" + section +
                               "' settings)");
    for (const auto& [key, value] : values.items()) {
      const json there = stored_setting(stored[section], section, key);
      if (there != value)
        throw std::runtime_error(path + ": the checkpoint is for a different " +
                                 section_name(section) + ": " + key + " is " + there.dump() +
                                 " there, " + value.dump() +
                                 " in this run (--resume needs the same settings)");
    }
  }
}

struct LoadedData {
  std::optional<dcdm::RitzDataset> data;
  std::string source;  ///< for messages and metadata
};

LoadedData load_or_generate(const Options& o, const ds::Grid& grid, const dl::DataParallel& dp) {
  LoadedData out;
  // Rank 0 decides whether the file is there, so every rank takes the same branch.
  const bool exists =
      !o.dataset.empty() &&
      dp.broadcast(std::string(dp.is_root() && file_exists(o.dataset) ? "1" : "0")) == "1";
  if (exists) {
    dl::collectively(dp, [&] {
      out.data.emplace(dcdm::RitzDataset::load(o.dataset, grid));
      const auto& info = out.data->info();
      if (o.samples_given && out.data->count() != o.samples)
        throw std::invalid_argument("--dataset " + o.dataset + " holds " +
                                    std::to_string(out.data->count()) +
                                    " samples, --samples says " + std::to_string(o.samples) +
                                    " (drop --samples, or give another file to generate)");
      if (o.lanczos_steps_given && info.lanczos_steps != o.lanczos_steps)
        throw std::invalid_argument(
            "--dataset " + o.dataset + " was made with " + std::to_string(info.lanczos_steps) +
            " Lanczos steps, --lanczos-steps says " + std::to_string(o.lanczos_steps) +
            " (drop --lanczos-steps, or give another file to generate)");
    });
    out.source = o.dataset + " (loaded)";
    return out;
  }
  // Rank 0 generates (and saves); the others receive the samples.
  std::string header;
  torch::Tensor samples;
  dl::collectively(dp, [&] {
    if (!dp.is_root()) return;
    auto options =
        dcdm::RitzDatasetOptions().lanczos_steps(o.lanczos_steps).samples(o.samples).seed(o.seed);
    out.data.emplace(dcdm::generate_ritz_dataset(grid, options));
    if (!o.dataset.empty()) out.data->save(o.dataset);
    const auto& info = out.data->info();
    std::ostringstream s;
    s.precision(17);
    s << out.data->count() << ' ' << info.lanczos_steps << ' ' << info.theta << ' '
      << info.low_mode_scale << ' ' << info.seed;
    header = s.str();
  });
  if (dp.active()) {
    header = dp.broadcast(header);
    std::istringstream s(header);
    std::int64_t count = 0;
    dcdm::RitzDataset::Info info;
    s >> count >> info.lanczos_steps >> info.theta >> info.low_mode_scale >> info.seed;
    info.dim = grid.dim();
    info.size = {grid.size()[0], grid.size()[1], grid.dim() == 3 ? grid.size()[2] : 1};
    std::vector<std::int64_t> shape{count, 1};
    if (grid.dim() == 3) shape.push_back(info.size[2]);
    shape.push_back(info.size[1]);
    shape.push_back(info.size[0]);
    samples = dp.is_root() ? out.data->tensor() : torch::empty(shape, torch::kFloat32);
    dp.broadcast(samples);
    if (!dp.is_root()) out.data.emplace(info, samples);
  }
  out.source = o.dataset.empty() ? std::string("generated, not saved")
                                 : o.dataset + " (generated and saved)";
  return out;
}

void print(const Options& o, const dl::DataParallel& dp, const std::string& line) {
  if (o.quiet || !dp.is_root()) return;
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

std::string format_double(double v, const char* format = "%.6g") {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

}  // namespace

void train(const Options& o, const std::vector<std::string>& args, const dl::DataParallel& dp) {
  if (!o.describe.empty()) {
    if (dp.is_root()) std::fputs(dl::describe_model_file(o.describe).c_str(), stdout);
    return;
  }
  if (!o.resave.empty()) {  // a model file of the format before checksummed archives
    dl::collectively(dp, [&] {
      if (dp.is_root()) dcdm::resave_legacy_model(o.resave, o.out);
    });
    print(o, dp, "re-saved " + o.resave + " as " + o.out);
    return;
  }
  const auto start = std::chrono::steady_clock::now();
  // Threads: LibTorch's default (every core) on one rank; the cores shared out on several.
  int threads = o.threads;
  if (threads == 0 && dp.size() > 1)
    threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / dp.size());
  if (threads > 0) torch::set_num_threads(threads);

  // Cheap checks first: the files, the grid, the checkpoint's settings.
  std::optional<ds::Grid> grid;
  std::string device_name;
  std::vector<torch::Tensor> init;  // --init's parameters
  dl::collectively(dp, [&] {
    grid.emplace(make_grid(o));
    device_name = dl::resolve_device(o.device, dp.rank());
    if (!o.init.empty()) init = initial_parameters(o.init, o);
  });
  json settings = {{"grid", grid_settings(*grid)}, {"network", network_settings(o)}};
  json commands = json::array();  // the command lines of the runs before this one
  if (o.resume) {
    dl::collectively(dp, [&] {
      const dl::CheckpointState state = dl::read_checkpoint_state(o.checkpoint);
      check_same_settings(o.checkpoint, state.metadata, settings);
      commands = json::parse(state.metadata).value("commands", json::array());
    });
  } else if (dp.is_root() && file_exists(o.checkpoint)) {
    print(o, dp,
          "note: starting a new training; " + o.checkpoint +
              " will be overwritten (--resume continues it)");
  }

  print(o, dp, "train_dcdm: " + grid->describe() + ", " + o.bc + " boundaries");
  const auto data_start = std::chrono::steady_clock::now();
  LoadedData loaded = load_or_generate(o, *grid, dp);
  const dcdm::RitzDataset& data = *loaded.data;
  const double data_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - data_start).count();
  const std::int64_t count = data.count();
  const auto validation =
      static_cast<std::int64_t>(std::llround(o.validation_fraction * static_cast<double>(count)));
  const std::int64_t training = count - validation;
  dl::collectively(dp, [&] {
    if (training < 1)
      throw std::invalid_argument("--validation-fraction " + format_double(o.validation_fraction) +
                                  " leaves no training samples of the " + std::to_string(count));
    if (o.patience > 0 && validation < 1)
      throw std::invalid_argument("--patience needs validation samples; --validation-fraction " +
                                  format_double(o.validation_fraction) + " leaves none of the " +
                                  std::to_string(count));
    if (o.batch > training)
      throw std::invalid_argument("--batch " + std::to_string(o.batch) +
                                  " is larger than the training set (" + std::to_string(training) +
                                  " of the " + std::to_string(count) + " samples; the other " +
                                  std::to_string(validation) + " are for validation)");
  });
  settings["dataset"] = dataset_settings(data);
  settings["training"] = training_settings(o, training, validation, parameters_fnv1a(init));
  print(o, dp,
        "dataset: " + loaded.source + ": " + std::to_string(count) + " samples from " +
            std::to_string(data.info().lanczos_steps) + " Lanczos steps, " +
            std::to_string(training) + " for training, " + std::to_string(validation) +
            " for validation (" + format_double(data_seconds, "%.1f") + " s)");

  // The network, initialised from the seed on the CPU (the same weights on every device).
  const torch::Device device(device_name);
  torch::manual_seed(o.seed);
  TrainedNet net(o);
  if (!init.empty()) {  // --resume then replaces them with the checkpoint's
    torch::NoGradGuard no_grad;
    const std::vector<torch::Tensor> parameters = net.parameters();
    for (std::size_t i = 0; i < parameters.size(); ++i) parameters[i].copy_(init[i]);
  }
  net.module().to(device);
  // By name from the registry; every other setting keeps the optimizer's default (adam and sgd
  // are LibTorch's own, with its defaults).
  dl::OptimizerSettings optimizer_settings{{"lr", dl::format_number(o.lr)}};
  if (optimizer_has_momentum(o.optimizer))
    optimizer_settings["momentum"] = dl::format_number(o.momentum);
  std::unique_ptr<torch::optim::Optimizer> optimizer =
      dl::make_optimizer(o.optimizer, net.parameters(), optimizer_settings);
  print(o, dp,
        "network: " + net.describe() + ", " + std::to_string(net.num_parameters()) +
            " parameters, on " + device_name + ", " + std::to_string(torch::get_num_threads()) +
            " thread" + (torch::get_num_threads() == 1 ? "" : "s") + " x " +
            std::to_string(dp.size()) + " rank" + (dp.size() == 1 ? "" : "s") +
            (o.init.empty() ? std::string() : ", weights from " + o.init));
  print(o, dp,
        "training: " + std::to_string(o.epochs) + " epochs, batch " + std::to_string(o.batch) +
            ", " + o.optimizer + " lr " + format_double(o.lr) +
            (o.lr_schedule == "constant" ? std::string() : " (" + o.lr_schedule + ")") +
            (o.patience > 0 ? ", patience " + std::to_string(o.patience) : std::string()) +
            ", seed " + std::to_string(o.seed) + "; checkpoint " + o.checkpoint +
            (o.resume ? " (resuming)" : ""));

  // The loss: per-sample DCDM loss with the float32 operator, solid/air cells masked.
  const ds::TorchStencilOperator A(*grid, device, torch::kFloat32);
  std::vector<float> fluid(static_cast<std::size_t>(grid->num_cells()));
  for (std::size_t i = 0; i < fluid.size(); ++i)
    fluid[i] = grid->cells()[i] == ds::CellType::fluid ? 1.0f : 0.0f;
  std::vector<std::int64_t> mask_shape = A.batch_shape(1);
  const torch::Tensor mask =
      torch::from_blob(fluid.data(), mask_shape, torch::kFloat32).clone().to(device);
  torch::Tensor cells = net.grid_inputs(*grid);  // undefined: the network reads no cell types
  if (cells.defined()) cells = cells.to(device);
  const torch::Tensor all = data.tensor().to(device);
  const torch::Tensor train_set = all.narrow(0, 0, training);
  const torch::Tensor validation_set = all.narrow(0, training, validation);

  dl::TrainTask task;
  task.train_size = training;
  task.validation_size = validation;
  task.loss_sum = [&](const torch::Tensor& indices) {
    const torch::Tensor b = train_set.index_select(0, indices.to(device));
    return dcdm::dcdm_loss_per_sample(b, net.forward(b, mask, cells), A).sum();
  };
  task.validation_loss_sum = [&](std::int64_t begin, std::int64_t end) {
    double sum = 0.0;
    const std::int64_t chunk = std::max<std::int64_t>(o.batch, 64);
    for (std::int64_t first = begin; first < end; first += chunk) {
      const torch::Tensor b = validation_set.narrow(0, first, std::min(chunk, end - first));
      sum += dcdm::dcdm_loss_per_sample(b, net.forward(b, mask, cells), A).sum().item<double>();
    }
    return sum;
  };
  task.check_resume = [&](const dl::CheckpointState& state) {
    check_same_settings(o.checkpoint, state.metadata, settings);
  };
  json meta = settings;
  meta["program"] = "train_dcdm";
  commands.push_back(quote_command(args));
  meta["commands"] = commands;

  dl::TrainerOptions topts;
  topts.epochs(o.epochs)
      .batch_size(o.batch)
      .seed(o.seed)
      .checkpoint(o.checkpoint)
      .checkpoint_every(o.checkpoint_every)
      .resume(o.resume)
      .log(o.log)
      .metadata(meta.dump())
      .lr_schedule(dl::parse_lr_schedule(o.lr_schedule))
      .patience(o.patience)
      .min_delta(o.min_delta)
      .print_progress(!o.quiet);
  dl::TrainResult result = dl::fit(net.module(), *optimizer, task, topts, dp);

  // The model file, with what it took to make it.
  dcdm::ModelInfo info;
  info.grid = dcdm::TrainingGrid::from_grid(*grid);
  std::string later;
  for (std::size_t i = 1; i < commands.size(); ++i)
    later += (i > 1 ? "\n" : "") + commands[i].get<std::string>();
  info.metadata = {
      {"program", "train_dcdm"},
      {"training_command", commands[0].get<std::string>()},
      {"seed", std::to_string(o.seed)},
      {"epochs", std::to_string(result.epochs)},
      {"steps", std::to_string(result.steps)},
      {"final_loss", format_double(result.train_loss, "%.9g")},
      {"final_validation_loss", format_double(result.validation_loss, "%.9g")},
      {"best_validation_loss", format_double(result.state.best_metric, "%.9g")},
      {"wall_seconds", format_double(result.state.wall_seconds, "%.3f")},
      {"dataset", o.dataset.empty() ? std::string("(generated, not saved)") : o.dataset},
      {"dataset_samples", std::to_string(count)},
      {"train_samples", std::to_string(training)},
      {"validation_samples", std::to_string(validation)},
      {"lanczos_steps", std::to_string(data.info().lanczos_steps)},
      {"batch", std::to_string(o.batch)},
      {"lr", format_double(o.lr, "%.17g")},
      {"optimizer", o.optimizer},
      {"lr_schedule", o.lr_schedule},
      {"patience", std::to_string(o.patience)},
      {"min_delta", format_double(o.min_delta, "%.17g")},
      {"ranks", std::to_string(dp.size())},
      {"threads", std::to_string(torch::get_num_threads())},
      {"device", device_name},
  };
  if (optimizer_has_momentum(o.optimizer))
    info.metadata["momentum"] = format_double(o.momentum, "%.17g");
  if (!later.empty()) info.metadata["resume_commands"] = later;
  if (!o.init.empty()) info.metadata["init"] = o.init;
  if (result.stopped_early) info.metadata["stopped_early"] = std::to_string(result.stopped_epoch);
  dl::collectively(dp, [&] {
    if (dp.is_root()) net.save(o.out, info);
  });
  const double total =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  print(o, dp,
        "saved " + o.out + ": " + std::to_string(result.epochs) + " epochs, final train loss " +
            format_double(result.train_loss, "%.4e") + ", validation loss " +
            format_double(result.validation_loss, "%.4e") + "; training " +
            dl::format_duration(result.state.wall_seconds) + " in all, this run " +
            dl::format_duration(total));
}

}  // namespace train_dcdm
