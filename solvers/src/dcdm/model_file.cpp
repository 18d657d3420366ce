#include "deepsolve/solvers/dcdm/model_file.hpp"

#include <torch/script.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "deepsolve/learned/atomic_file.hpp"
#include "deepsolve/learned/io/archive.hpp"
#include "deepsolve/learned/io/model_registry.hpp"
#include "deepsolve/learned/io/torch_messages.hpp"
#include "deepsolve/solvers/dcdm/network.hpp"
#include "deepsolve/solvers/io.hpp"

namespace deepsolve::solvers::dcdm {

namespace {

using learned::shape_string;
using learned::short_message;

// The format before checksummed archives: a bare LibTorch archive with this header entry.
constexpr const char* kLegacyFormat = "deepsolve-dcdm-net";
constexpr const char* kTorchScriptExtraFile = "deepsolve_model.txt";
constexpr const char* kGridPrefix = "grid.";

std::string resave_hint(const std::string& path) {
  return "re-save it with `train_dcdm --resave " + path +
         " --out NEW.pt` (or "
         "deepsolve::solvers::dcdm::resave_legacy_model)";
}

// The training grid as metadata entries, and back.
void put_grid(const TrainingGrid& g, std::map<std::string, std::string>& m) {
  std::ostringstream size, spacing;
  size << g.size[0] << ' ' << g.size[1] << ' ' << g.size[2];
  spacing.precision(17);
  spacing << g.spacing[0] << ' ' << g.spacing[1] << ' ' << g.spacing[2];
  m[std::string(kGridPrefix) + "dim"] = std::to_string(g.dim);
  m[std::string(kGridPrefix) + "size"] = size.str();
  m[std::string(kGridPrefix) + "spacing"] = spacing.str();
  m[std::string(kGridPrefix) + "boundaries"] = g.boundaries;
}

ModelInfo split_info(const std::string& path, std::map<std::string, std::string> metadata) {
  ModelInfo info;
  auto take = [&](const std::string& key) {
    const auto it = metadata.find(kGridPrefix + key);
    if (it == metadata.end())
      throw std::runtime_error(path + ": the model's metadata lacks " + kGridPrefix + key);
    std::string v = it->second;
    metadata.erase(it);
    return v;
  };
  TrainingGrid& g = info.grid;
  g.dim = std::stoi(take("dim"));
  std::istringstream size(take("size")), spacing(take("spacing"));
  for (int d = 0; d < 3; ++d) size >> g.size[d];
  for (int d = 0; d < 3; ++d) spacing >> g.spacing[d];
  if (!size || !spacing)
    throw std::runtime_error(path + ": malformed grid.size or grid.spacing in the metadata");
  g.boundaries = take("boundaries");
  info.metadata = std::move(metadata);
  return info;
}

DirectionModule& as_direction(const std::string& path, torch::nn::Module& module) {
  auto* d = dynamic_cast<DirectionModule*>(&module);
  if (d == nullptr)
    throw std::runtime_error(path + ": the model is not a DCDM direction network (" +
                             module.name() + ")");
  return *d;
}

// ~~~ Native format ~~~

class NativeNetwork final : public DirectionNetwork {
 public:
  NativeNetwork(std::string path, std::shared_ptr<torch::nn::Module> module, std::string type,
                ModelInfo info)
      : DirectionNetwork(path, as_direction(path, *module).spatial_dim(), std::move(info)),
        module_(std::move(module)),
        net_(as_direction(path, *module_)),
        type_(std::move(type)) {
    module_->eval();
    for (const auto& p : module_->parameters()) device_ = p.device();
  }
  void to(torch::Device device) override {
    module_->to(device);
    if (cell_images_.defined()) cell_images_ = cell_images_.to(device);
    device_ = device;
  }
  std::int64_t num_parameters() const override { return net_.num_parameters(); }
  std::string format() const override { return type_; }
  bool uses_cell_types() const override { return net_.uses_cell_types(); }

 protected:
  torch::Tensor forward(const torch::Tensor& r) override {
    return net_.direction(r, {}, cell_images_);
  }
  torch::Tensor grid_inputs(const Grid& grid) const override { return net_.grid_inputs(grid); }

 private:
  std::shared_ptr<torch::nn::Module> module_;
  DirectionModule& net_;
  std::string type_;
};

// ~~~ TorchScript ~~~

class TorchScriptNetwork final : public DirectionNetwork {
 public:
  TorchScriptNetwork(std::string path, torch::jit::Module module, int dim, ModelInfo info)
      : DirectionNetwork(std::move(path), dim, std::move(info)), module_(std::move(module)) {
    module_.eval();
  }
  void to(torch::Device device) override {
    module_.to(device);
    device_ = device;
  }
  std::int64_t num_parameters() const override {
    std::int64_t n = 0;
    for (const auto& p : module_.parameters()) n += p.numel();
    return n;
  }
  std::string format() const override { return "torchscript"; }

 protected:
  torch::Tensor forward(const torch::Tensor& r) override {
    c10::IValue out = module_.forward({r});
    if (!out.isTensor())
      throw std::runtime_error(path() + ": the TorchScript forward returned a " + out.tagKind() +
                               ", not a tensor");
    return out.toTensor();
  }

 private:
  torch::jit::Module module_;
};

std::shared_ptr<DirectionNetwork> read_torchscript(const std::string& path,
                                                   const std::string& bytes) {
  torch::jit::ExtraFilesMap extra{{kTorchScriptExtraFile, ""}};
  torch::jit::Module module;
  try {
    std::istringstream in(bytes);
    module = torch::jit::load(in, torch::kCPU, extra);
  } catch (const c10::Error& e) {
    throw std::runtime_error(path + ": neither a deepsolve DCDM model nor a TorchScript module (" +
                             short_message(e) + ")");
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": neither a deepsolve DCDM model nor a TorchScript module (" +
                             e.what() + ")");
  }
  if (!module.find_method("forward"))
    throw std::runtime_error(path + ": the TorchScript module has no forward method");

  ModelInfo info;
  int dim = 0;
  std::istringstream lines(extra[kTorchScriptExtraFile]);
  for (std::string line; std::getline(lines, line);) {
    const auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = line.substr(0, eq), value = line.substr(eq + 1);
    if (key == "dim") {
      if (value != "2" && value != "3")
        throw std::runtime_error(path + ": " + kTorchScriptExtraFile + " says dim=" + value +
                                 " (must be 2 or 3)");
      dim = std::stoi(value);
    } else {
      info.metadata[key] = value;
    }
  }
  if (dim == 0) {
    for (const auto& p : module.parameters()) {
      if (p.dim() == 4 || p.dim() == 5) {
        dim = static_cast<int>(p.dim()) - 2;
        break;
      }
    }
  }
  info.grid.dim = 0;
  return std::make_shared<TorchScriptNetwork>(path, std::move(module), dim, std::move(info));
}

}  // namespace

TrainingGrid TrainingGrid::from_grid(const Grid& grid) {
  TrainingGrid g;
  g.dim = grid.dim();
  g.size = grid.size();
  g.spacing = grid.spacing();
  if (grid.dim() == 2) {
    g.size[2] = 1;
    g.spacing[2] = 0.0;
  }
  static const char* names[] = {"x_lo", "x_hi", "y_lo", "y_hi", "z_lo", "z_hi"};
  std::ostringstream s;
  for (int f = 0; f < 2 * grid.dim(); ++f)
    s << (f ? " " : "") << names[f] << "=" << to_string(grid.boundary(static_cast<Face>(f)));
  s << "; " << grid.count(CellType::solid) << " solid, " << grid.count(CellType::air)
    << " air cells";
  if (grid.has_coefficients()) s << "; variable coefficients";
  g.boundaries = s.str();
  return g;
}

namespace {

// A file that is no archive: a legacy native model (refused with a hint) or, when
// `torchscript`, a TorchScript module (else refused).
std::shared_ptr<DirectionNetwork> read_foreign(const std::string& path, bool torchscript) {
  std::ifstream in(path, std::ios::binary);
  char start[4] = {};
  // Both LibTorch archives and TorchScript files are zip files; anything else is refused here,
  // before it is read whole.
  if (!in.read(start, 4) || std::memcmp(start, "PK\x03\x04", 4) != 0)
    throw std::runtime_error(path + ": neither a deepsolve model file (no archive header) nor a " +
                             "TorchScript module (not a zip file)");
  in.close();
  const std::string bytes = learned::read_whole_file(path, "model file");
  try {
    torch::serialize::InputArchive archive;
    std::istringstream stream(bytes);
    archive.load_from(stream, torch::Device(torch::kCPU));
    c10::IValue format;
    if (archive.try_read("deepsolve_format", format) && format.isString() &&
        format.toStringRef() == kLegacyFormat)
      throw std::runtime_error(path + ": a DCDM model file of the format before checksummed " +
                               "archives (deepsolve-dcdm-net); " + resave_hint(path));
  } catch (const c10::Error&) {
    // Not a LibTorch archive: TorchScript decides below.
  }
  if (!torchscript)
    throw std::runtime_error(path + ": not a deepsolve model file (no archive header; a " +
                             "TorchScript module loads with load_direction_network)");
  return read_torchscript(path, bytes);
}

// The legacy file's options under the registry's names, from each option's legacy_key.
learned::ModelOptions legacy_options(const std::string& path, const learned::ModelType& type,
                                     torch::serialize::InputArchive& archive) {
  learned::ModelOptions options;
  for (const auto& o : type.options) {
    if (o.legacy_key.empty()) continue;
    c10::IValue v;
    if (!archive.try_read(o.legacy_key, v)) continue;  // absent in older files: the default
    if (v.isInt())
      options[o.name] = std::to_string(v.toInt());
    else if (v.isString())
      options[o.name] = v.toStringRef();
    else
      throw std::runtime_error(path + ": " + o.legacy_key + " has an unexpected type");
  }
  return options;
}

}  // namespace

void save_direction_model(const std::string& path, const torch::nn::Module& net,
                          const ModelInfo& info) {
  register_direction_networks();
  if (dynamic_cast<const DirectionModule*>(&net) == nullptr)
    throw std::invalid_argument(path + ": cannot save a " + net.name() +
                                ": not a DCDM direction network");
  std::map<std::string, std::string> metadata = info.metadata;
  put_grid(info.grid, metadata);
  learned::save_model(path, net, metadata);
}

LoadedDirectionModel load_direction_model(const std::string& path) {
  register_direction_networks();
  if (!learned::peek_archive_header(path)) read_foreign(path, false);  // throws
  learned::LoadedModel m = learned::load_model(path);
  if (m.type->family != kDirectionFamily)
    throw std::runtime_error(path + ": a '" + m.type->name + "' model (" + m.type->family +
                             "), not a DCDM direction network");
  LoadedDirectionModel out;
  out.type = m.type->name;
  out.network = &as_direction(path, *m.module);
  out.module = std::move(m.module);
  out.info = split_info(path, std::move(m.metadata));
  return out;
}

void resave_legacy_model(const std::string& from, const std::string& to) {
  register_direction_networks();
  if (learned::peek_archive_header(from))
    throw std::runtime_error(from + ": not a DCDM model file of the format before checksummed " +
                             "archives: it is in today's format already");
  const std::string bytes = learned::read_whole_file(from, "model file");
  try {
    torch::serialize::InputArchive archive;
    std::istringstream stream(bytes);
    archive.load_from(stream, torch::Device(torch::kCPU));
    c10::IValue v;
    if (!archive.try_read("deepsolve_format", v) || !v.isString() ||
        v.toStringRef() != kLegacyFormat)
      throw std::runtime_error(from + ": not a DCDM model file of the format before checksummed " +
                               "archives (no deepsolve_format = deepsolve-dcdm-net)");
    // Version 1 files are all of the convolutional network, which had no name then.
    std::string type_name = "cnn";
    if (archive.try_read("net_architecture", v) && v.isString()) type_name = v.toStringRef();
    const learned::ModelType& type = learned::ModelRegistry::instance().get(type_name);
    const learned::ModelOptions options =
        learned::resolve_options(type, legacy_options(from, type, archive));
    const std::shared_ptr<torch::nn::Module> module = type.build(options);
    torch::serialize::InputArchive parameters;
    archive.read("parameters", parameters);
    module->load(parameters);

    ModelInfo info;
    TrainingGrid& g = info.grid;
    archive.read("grid_dim", v);
    g.dim = static_cast<int>(v.toInt());
    archive.read("grid_size", v);
    const auto size = v.toIntVector();
    archive.read("grid_spacing", v);
    const auto spacing = v.toDoubleVector();
    if (size.size() != 3 || spacing.size() != 3)
      throw std::runtime_error(from + ": grid_size and grid_spacing must have 3 entries");
    for (int d = 0; d < 3; ++d) {
      g.size[d] = static_cast<int>(size[d]);
      g.spacing[d] = spacing[d];
    }
    archive.read("grid_boundaries", v);
    g.boundaries = v.toStringRef();
    archive.read("metadata", v);
    for (const auto& entry : v.toGenericDict())
      info.metadata[entry.key().toStringRef()] = entry.value().toStringRef();
    save_direction_model(to, *module, info);
  } catch (const c10::Error& e) {
    throw std::runtime_error(from + ": malformed legacy DCDM model file (" + short_message(e) +
                             ")");
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(from + ": malformed legacy DCDM model file (" + e.what() + ")");
  }
}

std::shared_ptr<DirectionNetwork> load_direction_network(const std::string& path) {
  register_direction_networks();
  if (!learned::peek_archive_header(path)) return read_foreign(path, true);
  LoadedDirectionModel m = load_direction_model(path);
  return std::make_shared<NativeNetwork>(path, std::move(m.module), m.type, std::move(m.info));
}

std::shared_ptr<DirectionNetwork> wrap_direction_network(std::shared_ptr<torch::nn::Module> net,
                                                         ModelInfo info, std::string name) {
  register_direction_networks();
  if (!net) throw std::invalid_argument("wrap_direction_network: empty network");
  const std::string type = learned::ModelRegistry::instance().type_of(*net).name;
  return std::make_shared<NativeNetwork>(std::move(name), std::move(net), type, std::move(info));
}

// ~~~ DirectionNetwork ~~~

torch::Tensor DirectionNetwork::operator()(const torch::Tensor& r) {
  const bool rank_ok =
      r.defined() && (dim_ == 0 ? (r.dim() == 4 || r.dim() == 5) : r.dim() == dim_ + 2);
  if (!rank_ok || r.size(1) != 1) {
    const std::string d = dim_ == 0 ? std::string("") : std::to_string(dim_) + "D ";
    throw std::runtime_error(path_ + ": a " + d + "model takes an input of shape (batch, 1, " +
                             (dim_ == 3   ? "nz, "
                              : dim_ == 2 ? ""
                                          : "[nz,] ") +
                             "ny, nx), got " +
                             (r.defined() ? shape_string(r.sizes()) : std::string("none")));
  }
  torch::Tensor q;
  try {
    q = forward(r);
  } catch (const c10::Error& e) {
    throw std::runtime_error(path_ + ": the model failed on an input of shape " +
                             shape_string(r.sizes()) + " (" + short_message(e) + ")");
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(path_ + ": " + e.what());
  }
  if (q.sizes() != r.sizes())
    throw std::runtime_error(path_ + ": the model returned shape " + shape_string(q.sizes()) +
                             " for an input of shape " + shape_string(r.sizes()) +
                             " (a direction model must return its input's shape)");
  return q;
}

void DirectionNetwork::set_grid(const Grid& grid) {
  if (uses_cell_types()) cell_images_ = grid_inputs(grid).to(device_);
}

torch::Tensor DirectionNetwork::grid_inputs(const Grid& grid) const {
  return cell_type_images(grid);
}

std::string DirectionNetwork::describe() const {
  std::ostringstream s;
  s << path_ << " (" << format() << ", ";
  if (dim_ != 0) s << dim_ << "D, ";
  s << num_parameters() << " parameters" << (uses_cell_types() ? ", cell-type inputs" : "") << ")";
  return s.str();
}

void DirectionNetwork::check_grid(const Grid& grid) const {
  if (dim_ != 0 && dim_ != grid.dim())
    throw std::runtime_error(path_ + ": a " + std::to_string(dim_) +
                             "D model cannot be applied to a " + std::to_string(grid.dim()) +
                             "D grid");
}

}  // namespace deepsolve::solvers::dcdm
