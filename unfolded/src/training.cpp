// Training of the unfolded networks through learned::fit; see training.hpp.
#include "deepsolve/unfolded/training.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "deepsolve/learned/device.hpp"
#include "deepsolve/learned/io/archive.hpp"
#include "deepsolve/learned/io/model_registry.hpp"
#include "deepsolve/learned/settings.hpp"
#include "deepsolve/learned/training/checkpoint.hpp"

namespace deepsolve::unfolded {

namespace {

namespace dl = deepsolve::learned;

// Marks the checkpoints of this trainer, so that another program's checkpoint is refused by
// name rather than by its first differing setting.
const char* const kProgram = "deepsolve-unfolded-training";

std::string flag(bool value) {
  return value ? "true" : "false";
}

std::string sizes(std::int64_t m, std::int64_t n) {
  return std::to_string(m) + " x " + std::to_string(n);
}

// The CRC-32 of a matrix's float64 values: identifies the fixed A in the settings.
std::string matrix_crc32(const torch::Tensor& A) {
  const torch::Tensor a = A.to(torch::kCPU, torch::kFloat64).contiguous();
  const std::string_view bytes(static_cast<const char*>(a.data_ptr()),
                               static_cast<std::size_t>(a.nbytes()));
  std::ostringstream s;
  s << std::hex << dl::crc32_of(bytes);
  return s.str();
}

// Ordered "key=value" pairs; kept as a vector so the metadata lists them in a readable order.
using SettingList = std::vector<std::pair<std::string, std::string>>;

SettingList setting_list(const UnfoldedModule& net, const SyntheticData& data,
                         const UnfoldedTrainingOptions& o) {
  SettingList s;
  s.emplace_back("program", kProgram);
  const dl::ModelType* type = nullptr;
  try {
    type = &dl::ModelRegistry::instance().type_of(net);
  } catch (const std::invalid_argument&) {  // an unregistered type: its sizes are still checked
  }
  s.emplace_back("network", type ? type->name : "(unregistered)");
  if (type)
    for (const auto& [name, value] : type->options_of(net))
      s.emplace_back("network." + name, value);
  s.emplace_back("layers", std::to_string(net.layers()));
  s.emplace_back("measurements", std::to_string(net.measurements()));
  s.emplace_back("signal_size", std::to_string(net.signal_size()));
  s.emplace_back("penalty", penalty_name(net.penalty()));
  s.emplace_back("lambda", dl::format_number(net.lambda()));
  const SyntheticSetup& d = data.setup();
  s.emplace_back("data.sparsity", dl::format_number(d.sparsity));
  s.emplace_back("data.snr_db", dl::format_number(d.snr_db));
  s.emplace_back("data.seed", std::to_string(d.seed));
  s.emplace_back("data.redraw_matrix", flag(d.redraw_matrix));
  if (!d.redraw_matrix) s.emplace_back("data.matrix_crc32", matrix_crc32(data.matrix()));
  s.emplace_back("loss", training_loss_name(o.loss()));
  s.emplace_back("train_size", std::to_string(o.train_size()));
  s.emplace_back("fresh_samples", flag(o.fresh_samples()));
  s.emplace_back("validation_size", std::to_string(o.validation_size()));
  s.emplace_back("batch_size", std::to_string(o.batch_size()));
  s.emplace_back("learning_rate", dl::format_number(o.learning_rate()));
  s.emplace_back("lr_schedule", dl::to_string(o.lr_schedule()));
  s.emplace_back("incremental", flag(o.incremental()));
  if (o.incremental()) s.emplace_back("epochs_per_layer", std::to_string(o.epochs_per_layer()));
  s.emplace_back("seed", std::to_string(o.seed()));
  s.emplace_back("patience", std::to_string(o.patience()));
  return s;
}

std::string to_text(const SettingList& settings) {
  std::string out;
  for (const auto& [key, value] : settings) out += key + "=" + value + "\n";
  return out;
}

// Lines "key=value" (values may hold spaces and commas, so learned::parse_settings, which
// splits at them, does not fit).
dl::Settings from_text(const std::string& text) {
  dl::Settings out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    const auto eq = line.find('=');
    if (eq != std::string::npos) out[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return out;
}

// Throws unless the checkpoint's settings are `now`'s, naming the first one that differs.
void check_same_settings(const std::string& path, const std::string& metadata,
                         const SettingList& now) {
  const dl::Settings stored = from_text(metadata);
  const auto program = stored.find("program");
  if (program == stored.end() || program->second != kProgram)
    throw std::runtime_error(path + ": not a checkpoint of an unfolded network's training");
  for (const auto& [key, value] : now) {
    const auto there = stored.find(key);
    const std::string theirs = there == stored.end() ? "(not set)" : there->second;
    if (theirs != value)
      throw std::runtime_error(path + ": the checkpoint was made with " + key + " " + theirs +
                               ", this run has " + key + " " + value +
                               " (resume needs the same settings)");
  }
}

// The device of a module's tensors (the CPU when it has none).
torch::Device device_of(const torch::nn::Module& net) {
  for (const torch::Tensor& p : net.parameters()) return p.device();
  for (const torch::Tensor& b : net.buffers()) return b.device();
  return torch::kCPU;
}

void check_sizes(const UnfoldedModule& net, std::int64_t m, std::int64_t n, const char* what) {
  if (net.measurements() != m || net.signal_size() != n)
    throw std::invalid_argument("the network is for " +
                                sizes(net.measurements(), net.signal_size()) +
                                " problems (m x n), " + what + " has " + sizes(m, n));
}

// True when a fixed-matrix network holds `A` (compared in the network's float32).
bool holds_matrix(const UnfoldedModule& net, const torch::Tensor& A) {
  const torch::Tensor own = net.matrix();
  return own.defined() && own.sizes() == A.sizes() &&
         torch::equal(own.to(torch::kCPU, torch::kFloat32), A.to(torch::kCPU, torch::kFloat32));
}

// The per-sample loss [B] of x_k, the network's output at layer `up_to`, for a batch already in
// float32 on the network's device. For a fixed-matrix network A is its own.
//
// For l0 (IHT) the objective's ||x||_0 has no gradient: the gradient flows through the data term
// 1/2 ||y - A x_k||^2 only (and through the kept entries of the hard threshold), as in
// Nagahisa et al.'s unsupervised IHT.
torch::Tensor per_sample_loss(UnfoldedModule& net, TrainingLoss loss, const torch::Tensor& A,
                              const torch::Tensor& x, const torch::Tensor& y, std::int64_t up_to) {
  const torch::Tensor x_k =
      net.forward_layers(y, net.fixed_matrix() ? torch::Tensor() : A, up_to).back();
  if (loss == TrainingLoss::supervised) return (x_k - x).pow(2).sum(1);
  return objective(net.penalty(), net.lambda(), A, y, x_k);
}

}  // namespace

std::string training_loss_name(TrainingLoss loss) {
  return loss == TrainingLoss::supervised ? "supervised" : "unsupervised";
}

TrainingLoss parse_training_loss(const std::string& name, const std::string& what) {
  if (name == "supervised") return TrainingLoss::supervised;
  if (name == "unsupervised") return TrainingLoss::unsupervised;
  throw std::invalid_argument(what + ": '" + name + "' is not a training loss (supervised, " +
                              "unsupervised)");
}

void UnfoldedTrainingOptions::validate() const {
  const auto positive = [](const char* name, std::int64_t v) {
    if (v < 1)
      throw std::invalid_argument(std::string(name) + " must be >= 1, got " + std::to_string(v));
  };
  positive("train_size", train_size());
  positive("batch_size", batch_size());
  positive("epochs_per_layer", epochs_per_layer());
  positive("checkpoint_every", checkpoint_every());
  if (validation_size() < 0)
    throw std::invalid_argument("validation_size must be >= 0, got " +
                                std::to_string(validation_size()));
  if (epochs() < 0)
    throw std::invalid_argument("epochs must be >= 0, got " + std::to_string(epochs()));
  if (batch_size() > train_size())
    throw std::invalid_argument("batch_size " + std::to_string(batch_size()) +
                                " is larger than train_size " + std::to_string(train_size()));
  if (!(learning_rate() > 0.0) || !std::isfinite(learning_rate()))
    throw std::invalid_argument("learning_rate must be positive and finite, got " +
                                dl::format_number(learning_rate()));
  if (resume() && checkpoint().empty())
    throw std::invalid_argument("resume needs a checkpoint file (checkpoint is empty)");
  if (patience() < 0)
    throw std::invalid_argument("patience must be >= 0, got " + std::to_string(patience()));
  if (patience() > 0 && validation_size() == 0)
    throw std::invalid_argument("patience " + std::to_string(patience()) +
                                " (early stopping) needs validation samples; validation_size is 0");
  if (patience() > 0 && incremental())
    throw std::invalid_argument("patience " + std::to_string(patience()) +
                                " (early stopping) does not go with incremental training: a "
                                "stage's validation loss is at its own layer");
}

std::int64_t incremental_stage(std::int64_t epoch, std::int64_t epochs_per_layer,
                               std::int64_t layers) {
  if (epoch < 1 || epochs_per_layer < 1 || layers < 1)
    throw std::invalid_argument("incremental_stage: epoch " + std::to_string(epoch) +
                                ", epochs_per_layer " + std::to_string(epochs_per_layer) +
                                " and layers " + std::to_string(layers) + " must be >= 1");
  return std::min(layers, (epoch + epochs_per_layer - 1) / epochs_per_layer);
}

std::string training_settings(const UnfoldedModule& net, const SyntheticData& data,
                              const UnfoldedTrainingOptions& options) {
  return to_text(setting_list(net, data, options));
}

dl::TrainResult train_unfolded(UnfoldedModule& net, const SyntheticData& data,
                               const UnfoldedTrainingOptions& options,
                               const dl::DataParallel& parallel,
                               const std::function<void(const dl::EpochResult&)>& on_epoch) {
  options.validate();
  const SyntheticSetup& setup = data.setup();
  check_sizes(net, setup.measurements, setup.signal_size, "the data");
  if (net.fixed_matrix() && setup.redraw_matrix)
    throw std::invalid_argument(
        "the network is tied to one matrix A (a fixed-matrix network), but the data redraws A "
        "for every batch (redraw_matrix): train it on data with a fixed A");
  const SettingList settings = setting_list(net, data, options);

  std::string device_name;
  dl::collectively(parallel,
                   [&] { device_name = dl::resolve_device(options.device(), parallel.rank()); });
  const torch::Device device(device_name);

  if (!options.resume()) {
    if (options.initialise()) {
      // On resume the checkpoint holds every parameter and buffer (a fixed-matrix network's A
      // too), so only a new training starts from the classical method's values.
      net.initialise(setup.redraw_matrix
                         ? gaussian_matrix(setup.measurements, setup.signal_size, setup.seed)
                         : data.matrix());
    } else if (net.fixed_matrix() && !holds_matrix(net, data.matrix())) {
      throw std::invalid_argument(
          "the fixed-matrix network holds another A than the data (initialise(false) keeps the "
          "network's own): give the data the network's matrix, or initialise it");
    }
  }
  net.to(device);
  torch::optim::Adam optimizer(net.parameters(),
                               torch::optim::AdamOptions(options.learning_rate()));

  // A fixed A goes to the device once (a fixed-matrix network uses its own buffer: the same
  // values, which the settings' CRC-32 ties to the data on resume).
  torch::Tensor fixed_A;
  if (!setup.redraw_matrix)
    fixed_A = net.fixed_matrix() ? net.matrix() : data.matrix().to(device, torch::kFloat32);
  const auto on_device = [&](const SparseBatch& b) {
    return SparseBatch{fixed_A.defined() ? fixed_A : b.A.to(device, torch::kFloat32),
                       b.x.to(device, torch::kFloat32), b.y.to(device, torch::kFloat32)};
  };

  // The epoch being trained: the samples (fresh_samples) and the incremental stage depend on it.
  // fit() tells its end through on_epoch, and its start on resume through check_resume.
  //
  // In incremental stage t the layers after t get zero gradients: every registered type keeps
  // each kind of per-layer value in one [T, ...] tensor, so its later entries are in the
  // gradient (zeros, leaving them unchanged under Adam) on one rank as on several. A type with
  // a tensor per layer would get no gradient for the later ones on one rank (Adam skips them)
  // but zeros on several (the gradient averaging, distributed.hpp), which start Adam's step
  // count earlier: such a type would train incrementally a little differently on several ranks.
  std::int64_t epoch = 1;
  const auto layer_of_epoch = [&] {
    return options.incremental()
               ? incremental_stage(epoch, options.epochs_per_layer(), net.layers())
               : net.layers();
  };

  dl::TrainTask task;
  task.train_size = options.train_size();
  task.validation_size = options.validation_size();
  task.loss_sum = [&](const torch::Tensor& indices) {
    const torch::Tensor keys =
        options.fresh_samples() ? indices + (epoch - 1) * options.train_size() : indices;
    const SparseBatch b = on_device(data.batch(keys, DataStream::train));
    return per_sample_loss(net, options.loss(), b.A, b.x, b.y, layer_of_epoch()).sum();
  };
  // Validation in chunks of batch_size aligned on multiples of it, whatever part of the set this
  // rank has: with redraw_matrix a chunk's A is keyed by its first sample, so the validation
  // loss does not depend on the number of ranks.
  task.validation_loss_sum = [&](std::int64_t begin, std::int64_t end) {
    const std::int64_t chunk = options.batch_size();
    const std::int64_t layer = layer_of_epoch();
    double sum = 0.0;
    for (std::int64_t lo = begin / chunk * chunk; lo < end; lo += chunk) {
      const std::int64_t hi = std::min(lo + chunk, options.validation_size());
      const SparseBatch b = on_device(data.range(lo, hi, DataStream::validation));
      const torch::Tensor loss = per_sample_loss(net, options.loss(), b.A, b.x, b.y, layer);
      const std::int64_t from = std::max(begin, lo) - lo, to = std::min(end, hi) - lo;
      sum += loss.narrow(0, from, to - from).to(torch::kFloat64).sum().item<double>();
    }
    return sum;
  };
  task.check_resume = [&](const dl::CheckpointState& state) {
    check_same_settings(options.checkpoint(), state.metadata, settings);
    epoch = state.epoch + 1;
  };

  dl::TrainerOptions trainer;
  trainer.epochs(options.epochs())
      .batch_size(options.batch_size())
      .seed(options.seed())
      .checkpoint(options.checkpoint())
      .checkpoint_every(options.checkpoint_every())
      .resume(options.resume())
      .log(options.log())
      .metadata(to_text(settings))
      .print_progress(options.print_progress())
      .patience(options.patience())
      .lr_schedule(options.lr_schedule());
  return dl::fit(net, optimizer, task, trainer, parallel, [&](const dl::EpochResult& result) {
    epoch = result.epoch + 1;
    if (on_epoch) on_epoch(result);
  });
}

std::vector<LayerMetrics> evaluate_layers(UnfoldedModule& net, const SparseBatch& batch) {
  if (batch.A.dim() != 2 || batch.x.dim() != 2 || batch.y.dim() != 2 ||
      batch.x.size(0) != batch.y.size(0))
    throw std::invalid_argument("evaluate_layers: the batch needs A [m, n], x [B, n], y [B, m]");
  check_sizes(net, batch.A.size(0), batch.A.size(1), "the batch's A");
  if (batch.x.size(1) != net.signal_size() || batch.y.size(1) != net.measurements())
    throw std::invalid_argument("evaluate_layers: x is [" + std::to_string(batch.x.size(0)) + ", " +
                                std::to_string(batch.x.size(1)) + "] and y [" +
                                std::to_string(batch.y.size(0)) + ", " +
                                std::to_string(batch.y.size(1)) + "] for a network of " +
                                sizes(net.measurements(), net.signal_size()));
  if (net.fixed_matrix() && !holds_matrix(net, batch.A))
    throw std::invalid_argument(
        "evaluate_layers: the batch's A is not the one the fixed-matrix network holds");
  torch::NoGradGuard no_grad;
  const torch::Device device = device_of(net);
  const bool was_training = net.is_training();
  net.eval();
  std::vector<torch::Tensor> layers;
  try {
    layers = net.forward_layers(
        batch.y.to(device, torch::kFloat32),
        net.fixed_matrix() ? torch::Tensor() : batch.A.to(device, torch::kFloat32));
  } catch (...) {
    net.train(was_training);
    throw;
  }
  net.train(was_training);
  const torch::Tensor A = batch.A.to(torch::kCPU, torch::kFloat64);
  const torch::Tensor x = batch.x.to(torch::kCPU, torch::kFloat64);
  const torch::Tensor y = batch.y.to(torch::kCPU, torch::kFloat64);
  std::vector<LayerMetrics> out;
  for (std::size_t t = 0; t < layers.size(); ++t) {
    const torch::Tensor x_t = layers[t].to(torch::kCPU, torch::kFloat64);
    LayerMetrics metrics;
    metrics.layer = static_cast<std::int64_t>(t) + 1;
    metrics.objective = objective(net.penalty(), net.lambda(), A, y, x_t).mean().item<double>();
    metrics.nmse_db = nmse_db(x_t, x);
    out.push_back(metrics);
  }
  return out;
}

}  // namespace deepsolve::unfolded
