#include "deepsolve/learned/training/checkpoint.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/optim.h>
#include <torch/serialize/archive.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <type_traits>
#include <typeinfo>
#include <vector>

#include "deepsolve/learned/atomic_file.hpp"
#include "deepsolve/learned/io/archive.hpp"
#include "deepsolve/learned/io/torch_messages.hpp"

namespace deepsolve::learned {

namespace {

constexpr const char* kFormat = "deepsolve-checkpoint";
// Version 2: the LibTorch archive inside a checksummed archive of kind "checkpoint"
// (io/archive.hpp). Version 1 files (a bare LibTorch archive) are refused by the archive check.
constexpr std::int64_t kFormatVersion = 2;
constexpr const char* kCheckpointKind = "checkpoint";

std::string describe_tensor(const torch::Tensor& t) {
  return shape_string(t.sizes()) + " " + std::string(c10::toString(t.scalar_type()));
}

struct NamedTensors {
  std::vector<std::string> names;
  std::vector<torch::Tensor> tensors;
};

NamedTensors model_tensors(const torch::nn::Module& model, bool buffers) {
  NamedTensors out;
  const auto items = buffers ? model.named_buffers() : model.named_parameters();
  for (const auto& item : items) {
    out.names.push_back(item.key());
    out.tensors.push_back(item.value());
  }
  return out;
}

void write_tensors(torch::serialize::OutputArchive& archive, const NamedTensors& t) {
  archive.write("count", c10::IValue(static_cast<std::int64_t>(t.names.size())));
  for (std::size_t i = 0; i < t.names.size(); ++i) {
    const std::string index = std::to_string(i);
    archive.write("name/" + index, c10::IValue(t.names[i]));
    archive.write("tensor/" + index, t.tensors[i].detach().to(torch::kCPU), /*is_buffer=*/true);
  }
}

// The stored tensors of one group, checked by the caller.
NamedTensors read_tensors(torch::serialize::InputArchive& archive) {
  NamedTensors out;
  c10::IValue v;
  archive.read("count", v);
  const std::int64_t count = v.toInt();
  for (std::int64_t i = 0; i < count; ++i) {
    const std::string index = std::to_string(i);
    archive.read("name/" + index, v);
    out.names.push_back(v.toStringRef());
    torch::Tensor t;
    archive.read("tensor/" + index, t, /*is_buffer=*/true);
    out.tensors.push_back(t);
  }
  return out;
}

// Throws unless the stored group has the model's names, each with the model's shape and dtype.
// Returns, for each of the model's tensors, the index of the stored one of that name.
std::vector<std::size_t> match_tensors(const std::string& path, const std::string& what,
                                       const NamedTensors& stored, const NamedTensors& model) {
  const std::string prefix = path + ": the checkpoint is of a different network: ";
  const std::string counts = " (it holds " + std::to_string(stored.names.size()) + " " + what +
                             "s, the model " + std::to_string(model.names.size()) + ")";
  std::map<std::string, std::size_t> stored_index, model_index;
  for (std::size_t i = 0; i < stored.names.size(); ++i) stored_index[stored.names[i]] = i;
  for (std::size_t i = 0; i < model.names.size(); ++i) model_index[model.names[i]] = i;
  std::vector<std::size_t> match;
  for (std::size_t i = 0; i < model.names.size(); ++i) {
    const auto it = stored_index.find(model.names[i]);
    if (it == stored_index.end())
      throw std::runtime_error(prefix + "it has no " + what + " '" + model.names[i] + "' " +
                               describe_tensor(model.tensors[i]) + counts);
    const torch::Tensor& t = stored.tensors[it->second];
    if (t.sizes() != model.tensors[i].sizes() || t.scalar_type() != model.tensors[i].scalar_type())
      throw std::runtime_error(prefix + what + " '" + model.names[i] + "' is " +
                               describe_tensor(t) + " in the checkpoint, " +
                               describe_tensor(model.tensors[i]) + " in the model");
    match.push_back(it->second);
  }
  for (std::size_t i = 0; i < stored.names.size(); ++i)
    if (model_index.count(stored.names[i]) == 0)
      throw std::runtime_error(prefix + "it has a " + what + " '" + stored.names[i] + "' " +
                               describe_tensor(stored.tensors[i]) + " that the model lacks" +
                               counts);
  return match;
}

std::int64_t to_signed(std::uint64_t v) {
  std::int64_t s;
  std::memcpy(&s, &v, sizeof s);
  return s;
}

std::uint64_t to_unsigned(std::int64_t v) {
  std::uint64_t u;
  std::memcpy(&u, &v, sizeof u);
  return u;
}

struct OpenedCheckpoint {
  torch::serialize::InputArchive archive;
  CheckpointState state;
  torch::Tensor torch_rng_state;
};

// Reads the file, checks the header and reads the counters and strings.
OpenedCheckpoint open_checkpoint(const std::string& path, torch::Device device) {
  const std::string bytes = read_archive(path, kCheckpointKind, "checkpoint");
  OpenedCheckpoint c;
  // The payload passed its CRC: a failure to parse it is a file this build cannot interpret.
  try {
    std::istringstream in(bytes);
    c.archive.load_from(in, device);
  } catch (const c10::Error& e) {
    throw std::runtime_error(path + ": malformed checkpoint (" + short_message(e) + ")");
  }
  c10::IValue v;
  if (!c.archive.try_read("deepsolve_format", v) || !v.isString() || v.toStringRef() != kFormat)
    throw std::runtime_error(path + ": not a deepsolve checkpoint (no '" + kFormat + "' header)");
  try {
    c.archive.read("format_version", v);
    if (v.toInt() != kFormatVersion)
      throw std::runtime_error(path + ": checkpoint format version " + std::to_string(v.toInt()) +
                               " is not supported (this build reads " +
                               std::to_string(kFormatVersion) + ")");
    CheckpointState& s = c.state;
    c.archive.read("epoch", v);
    s.epoch = v.toInt();
    c.archive.read("step", v);
    s.step = v.toInt();
    c.archive.read("best_metric", v);
    s.best_metric = v.toDouble();
    c.archive.read("wall_seconds", v);
    s.wall_seconds = v.toDouble();
    c.archive.read("rng_seed", v);
    s.seed = to_unsigned(v.toInt());
    c.archive.read("rng_counter", v);
    s.rng_counter = to_unsigned(v.toInt());
    // Optional: checkpoints written before early stopping lack them.
    if (c.archive.try_read("epochs_without_improvement", v))
      s.epochs_without_improvement = v.toInt();
    if (c.archive.try_read("improvement_reference", v)) s.improvement_reference = v.toDouble();
    c.archive.read("metadata", v);
    s.metadata = v.toStringRef();
    c.archive.read("metrics_csv", v);
    s.metrics_csv = v.toStringRef();
    c.archive.read("optimizer_kind", v);
    s.optimizer = v.toStringRef();
    c.archive.read("torch_rng_state", c.torch_rng_state, /*is_buffer=*/true);
    if (s.epoch < 0 || s.step < 0 || s.epochs_without_improvement < 0)
      throw std::runtime_error(path + ": malformed checkpoint (negative epoch or step counter)");
  } catch (const c10::Error& e) {
    throw std::runtime_error(path + ": malformed checkpoint (" + short_message(e) + ")");
  }
  return c;
}

}  // namespace

std::string optimizer_kind(const torch::optim::Optimizer& optimizer) {
  if (dynamic_cast<const torch::optim::Adam*>(&optimizer)) return "adam";
  if (dynamic_cast<const torch::optim::AdamW*>(&optimizer)) return "adamw";
  if (dynamic_cast<const torch::optim::SGD*>(&optimizer)) return "sgd";
  if (dynamic_cast<const torch::optim::RMSprop*>(&optimizer)) return "rmsprop";
  if (dynamic_cast<const torch::optim::Adagrad*>(&optimizer)) return "adagrad";
  if (dynamic_cast<const torch::optim::LBFGS*>(&optimizer)) return "lbfgs";
  return typeid(optimizer).name();
}

void save_checkpoint(const std::string& path, const torch::nn::Module& model,
                     const torch::optim::Optimizer& optimizer, const CheckpointState& state) {
  std::ostringstream bytes;
  try {
    torch::serialize::OutputArchive archive;
    archive.write("deepsolve_format", c10::IValue(std::string(kFormat)));
    archive.write("format_version", c10::IValue(kFormatVersion));
    archive.write("epoch", c10::IValue(state.epoch));
    archive.write("step", c10::IValue(state.step));
    archive.write("best_metric", c10::IValue(state.best_metric));
    archive.write("wall_seconds", c10::IValue(state.wall_seconds));
    archive.write("rng_seed", c10::IValue(to_signed(state.seed)));
    archive.write("rng_counter", c10::IValue(to_signed(state.rng_counter)));
    archive.write("epochs_without_improvement", c10::IValue(state.epochs_without_improvement));
    archive.write("improvement_reference", c10::IValue(state.improvement_reference));
    archive.write("metadata", c10::IValue(state.metadata));
    archive.write("metrics_csv", c10::IValue(state.metrics_csv));
    archive.write("optimizer_kind", c10::IValue(optimizer_kind(optimizer)));
    {
      at::Generator gen = at::detail::getDefaultCPUGenerator();
      std::lock_guard<std::mutex> lock(gen.mutex());
      archive.write("torch_rng_state", gen.get_state(), /*is_buffer=*/true);
    }
    torch::NoGradGuard no_grad;
    torch::serialize::OutputArchive parameters, buffers, optim;
    write_tensors(parameters, model_tensors(model, false));
    write_tensors(buffers, model_tensors(model, true));
    optimizer.save(optim);
    archive.write("parameters", parameters);
    archive.write("buffers", buffers);
    archive.write("optimizer", optim);
    archive.save_to(bytes);
  } catch (const c10::Error& e) {
    throw std::runtime_error(path + ": cannot serialise the checkpoint (" + short_message(e) + ")");
  }
  write_archive(path, kCheckpointKind, {bytes.str()});
}

CheckpointState read_checkpoint_state(const std::string& path) {
  return open_checkpoint(path, torch::kCPU).state;
}

CheckpointState load_checkpoint(const std::string& path, torch::nn::Module& model,
                                torch::optim::Optimizer& optimizer) {
  torch::Device device = torch::kCPU;
  for (const auto& p : model.parameters()) {
    device = p.device();
    break;
  }
  OpenedCheckpoint c = open_checkpoint(path, device);

  const std::string kind = optimizer_kind(optimizer);
  if (c.state.optimizer != kind)
    throw std::runtime_error(path + ": the checkpoint holds the state of a '" + c.state.optimizer +
                             "' optimizer, this run uses '" + kind + "'");

  NamedTensors stored_parameters, stored_buffers;
  torch::serialize::InputArchive optim;
  try {
    torch::serialize::InputArchive parameters, buffers;
    c.archive.read("parameters", parameters);
    c.archive.read("buffers", buffers);
    c.archive.read("optimizer", optim);
    stored_parameters = read_tensors(parameters);
    stored_buffers = read_tensors(buffers);
  } catch (const c10::Error& e) {
    throw std::runtime_error(path + ": malformed checkpoint (" + short_message(e) + ")");
  }
  const NamedTensors own_parameters = model_tensors(model, false);
  const NamedTensors own_buffers = model_tensors(model, true);
  const auto parameter_match = match_tensors(path, "parameter", stored_parameters, own_parameters);
  const auto buffer_match = match_tensors(path, "buffer", stored_buffers, own_buffers);

  // The optimizer first, into a scratch state, so that a failure leaves everything unchanged.
  auto& state = optimizer.state();
  std::remove_reference_t<decltype(optimizer.state())> previous;
  previous.swap(state);
  try {
    optimizer.load(optim);
  } catch (const c10::Error& e) {
    state.swap(previous);
    throw std::runtime_error(path + ": the optimizer state in the checkpoint does not fit this " +
                             "optimizer (" + short_message(e) + ")");
  }

  {
    torch::NoGradGuard no_grad;
    for (std::size_t i = 0; i < own_parameters.tensors.size(); ++i)
      own_parameters.tensors[i].copy_(stored_parameters.tensors[parameter_match[i]]);
    for (std::size_t i = 0; i < own_buffers.tensors.size(); ++i)
      own_buffers.tensors[i].copy_(stored_buffers.tensors[buffer_match[i]]);
  }
  if (c.torch_rng_state.defined()) {
    at::Generator gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    try {
      gen.set_state(c.torch_rng_state.to(torch::kCPU));
    } catch (const c10::Error& e) {
      throw std::runtime_error(path + ": malformed checkpoint (random state: " + short_message(e) +
                               ")");
    }
  }
  return c.state;
}

}  // namespace deepsolve::learned
