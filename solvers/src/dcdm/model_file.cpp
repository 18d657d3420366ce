#include "deepsolve/solvers/dcdm/model_file.hpp"

#include <torch/script.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "deepsolve/learned/atomic_file.hpp"
#include "deepsolve/solvers/io.hpp"

namespace deepsolve::solvers::dcdm {

namespace {

constexpr const char* kFormat = "deepsolve-dcdm-net";
// Version 1: the convolutional DcdmNet. Version 2 adds net_architecture ("cnn" or "vcycle");
// CNN files are still written as version 1, so that older builds read them.
constexpr std::int64_t kFormatVersion = 2;
constexpr std::int64_t kCnnFormatVersion = 1;
constexpr const char* kTorchScriptExtraFile = "deepsolve_model.txt";

std::string shape_string(torch::IntArrayRef sizes) {
  std::ostringstream s;
  s << sizes;
  return s.str();
}

// The first line of a c10::Error, without LibTorch's backtrace.
std::string short_message(const c10::Error& e) {
  std::string m = e.what_without_backtrace();
  const auto nl = m.find('\n');
  if (nl != std::string::npos) m.resize(nl);
  return m;
}

std::string read_model_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw std::runtime_error(path + ": cannot open model file (" + std::strerror(errno) + ")");
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) throw std::runtime_error(path + ": read error");
  return s.str();
}

// Every model file is a zip archive that LibTorch can open, whatever its format.
torch::serialize::InputArchive open_archive(const std::string& path, const std::string& bytes) {
  torch::serialize::InputArchive archive;
  try {
    std::istringstream in(bytes);
    archive.load_from(in, torch::Device(torch::kCPU));
  } catch (const c10::Error& e) {
    throw std::runtime_error(path + ": not a readable model file: truncated, corrupt or not a " +
                             "LibTorch archive at all (" + short_message(e) + ")");
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": not a readable model file: truncated, corrupt or not a " +
                             "LibTorch archive at all (" + e.what() + ")");
  }
  return archive;
}

// ~~~ Native format ~~~

// What a native network of each architecture is called and takes besides the residual.
std::string format_name(const DcdmNet&) {
  return "dcdm";
}
std::string format_name(const VcycleNet&) {
  return "vcycle";
}
bool takes_cell_types(const DcdmNet& net) {
  return net->options().cell_type_inputs();
}
bool takes_cell_types(const VcycleNet&) {
  return true;
}
torch::Tensor cell_inputs(const DcdmNet&, const Grid& grid) {
  return cell_type_images(grid);
}
torch::Tensor cell_inputs(const VcycleNet&, const Grid& grid) {
  return ghosted_cell_images(grid);
}

template <class Net>
class NativeNetwork final : public DirectionNetwork {
 public:
  NativeNetwork(std::string path, Net net, ModelInfo info)
      : DirectionNetwork(std::move(path), net->options().dim(), std::move(info)),
        net_(std::move(net)) {
    net_->eval();
    for (const auto& p : net_->parameters()) device_ = p.device();
  }
  void to(torch::Device device) override {
    net_->to(device);
    if (cell_images_.defined()) cell_images_ = cell_images_.to(device);
    device_ = device;
  }
  std::int64_t num_parameters() const override { return net_->num_parameters(); }
  std::string format() const override { return format_name(net_); }
  bool uses_cell_types() const override { return takes_cell_types(net_); }

 protected:
  torch::Tensor forward(const torch::Tensor& r) override {
    return net_->forward(r, {}, cell_images_);
  }
  torch::Tensor grid_inputs(const Grid& grid) const override { return cell_inputs(net_, grid); }

 private:
  Net net_;
};

std::int64_t read_int(torch::serialize::InputArchive& a, const std::string& key) {
  c10::IValue v;
  a.read(key, v);
  return v.toInt();
}

std::string read_string(torch::serialize::InputArchive& a, const std::string& key) {
  c10::IValue v;
  a.read(key, v);
  return v.toStringRef();
}

std::int64_t read_version(const std::string& path, torch::serialize::InputArchive& archive) {
  const std::int64_t version = read_int(archive, "format_version");
  if (version < 1 || version > kFormatVersion)
    throw std::runtime_error(path + ": DCDM model file format version " + std::to_string(version) +
                             " is not supported (this build reads 1 to " +
                             std::to_string(kFormatVersion) + ")");
  return version;
}

// "cnn" (every version 1 file) or "vcycle".
std::string read_architecture(torch::serialize::InputArchive& archive) {
  c10::IValue v;
  if (archive.try_read("net_architecture", v) && v.isString()) return v.toStringRef();
  return "cnn";
}

ModelInfo read_info(const std::string& path, torch::serialize::InputArchive& archive) {
  ModelInfo info;
  TrainingGrid& g = info.grid;
  g.dim = static_cast<int>(read_int(archive, "grid_dim"));
  c10::IValue v;
  archive.read("grid_size", v);
  const auto size = v.toIntVector();
  archive.read("grid_spacing", v);
  const auto spacing = v.toDoubleVector();
  if (size.size() != 3 || spacing.size() != 3)
    throw std::runtime_error(path + ": grid_size and grid_spacing must have 3 entries");
  for (int d = 0; d < 3; ++d) {
    g.size[d] = static_cast<int>(size[d]);
    g.spacing[d] = spacing[d];
  }
  g.boundaries = read_string(archive, "grid_boundaries");
  archive.read("metadata", v);
  for (const auto& entry : v.toGenericDict())
    info.metadata[entry.key().toStringRef()] = entry.value().toStringRef();
  return info;
}

// Fills a freshly built network from the archive, which must hold a float32 tensor of each
// parameter's shape.
void read_parameters(const std::string& path, torch::serialize::InputArchive& archive,
                     torch::nn::Module& net) {
  std::vector<std::pair<std::string, std::vector<std::int64_t>>> expected;
  for (const auto& p : net.named_parameters()) expected.emplace_back(p.key(), p->sizes().vec());
  torch::serialize::InputArchive parameters;
  archive.read("parameters", parameters);
  net.load(parameters);
  const auto loaded = net.named_parameters();
  for (const auto& [name, sizes] : expected) {
    const torch::Tensor* p = loaded.find(name);
    if (p == nullptr || p->sizes().vec() != sizes)
      throw std::runtime_error(path + ": parameter " + name + " has shape " +
                               (p ? shape_string(p->sizes()) : std::string("(missing)")) +
                               ", the network options say " + shape_string(sizes));
    if (p->scalar_type() != torch::kFloat32)
      throw std::runtime_error(path + ": parameter " + name + " is not float32");
  }
}

// Runs `read` and turns LibTorch's and the options' errors into "<path>: malformed ...".
template <class Read>
auto read_or_explain(const std::string& path, Read read) {
  try {
    return read();
  } catch (const c10::Error& e) {
    throw std::runtime_error(path + ": malformed DCDM model file (" + short_message(e) + ")");
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(path + ": malformed DCDM model file (" + e.what() + ")");
  }
}

LoadedDcdmModel read_native(const std::string& path, torch::serialize::InputArchive& archive) {
  LoadedDcdmModel out = read_or_explain(path, [&] {
    read_version(path, archive);
    LoadedDcdmModel m;
    DcdmNetOptions o;
    o.dim(static_cast<int>(read_int(archive, "net_dim")))
        .channels(static_cast<int>(read_int(archive, "net_channels")))
        .full_convs(static_cast<int>(read_int(archive, "net_full_convs")))
        .half_convs(static_cast<int>(read_int(archive, "net_half_convs")))
        .up_convs(static_cast<int>(read_int(archive, "net_up_convs")))
        .pooling_levels(static_cast<int>(read_int(archive, "net_pooling_levels")))
        .activation(activation_from_string(read_string(archive, "net_activation")))
        .padding(padding_from_string(read_string(archive, "net_padding")));
    c10::IValue cell_inputs;  // absent in files written before the option existed
    if (archive.try_read("net_cell_type_inputs", cell_inputs))
      o.cell_type_inputs(cell_inputs.toInt() != 0);
    o.validate();
    m.info = read_info(path, archive);
    m.net = DcdmNet(o);
    read_parameters(path, archive, *m.net);
    return m;
  });
  out.net->eval();
  return out;
}

LoadedVcycleModel read_vcycle(const std::string& path, torch::serialize::InputArchive& archive) {
  LoadedVcycleModel out = read_or_explain(path, [&] {
    read_version(path, archive);
    LoadedVcycleModel m;
    VcycleNetOptions o;
    o.dim(static_cast<int>(read_int(archive, "net_dim")))
        .hidden(static_cast<int>(read_int(archive, "net_hidden")))
        .smoothing(static_cast<int>(read_int(archive, "net_smoothing")))
        .coarsest(static_cast<int>(read_int(archive, "net_coarsest")));
    o.validate();
    m.info = read_info(path, archive);
    m.net = VcycleNet(o);
    read_parameters(path, archive, *m.net);
    return m;
  });
  out.net->eval();
  return out;
}

// The archive of a native file (format header checked) and its architecture.
std::string native_architecture(const std::string& path, torch::serialize::InputArchive& archive) {
  c10::IValue format;
  if (!archive.try_read("deepsolve_format", format) || !format.isString() ||
      format.toStringRef() != kFormat)
    return "";
  return read_or_explain(path, [&] { return read_architecture(archive); });
}

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

// Writes the format header, the network fields (`write_net`), the grid, the metadata and the
// parameters of `cpu_net`, then renames the file into place.
template <class WriteNet>
void save_model(const std::string& path, std::int64_t version, WriteNet write_net,
                const torch::nn::Module& cpu_net, const ModelInfo& info) {
  std::ostringstream bytes;
  try {
    torch::serialize::OutputArchive archive;
    archive.write("deepsolve_format", c10::IValue(std::string(kFormat)));
    archive.write("format_version", c10::IValue(version));
    write_net(archive);
    archive.write("grid_dim", c10::IValue(std::int64_t{info.grid.dim}));
    archive.write("grid_size", c10::IValue(std::vector<std::int64_t>(info.grid.size.begin(),
                                                                     info.grid.size.end())));
    archive.write("grid_spacing", c10::IValue(std::vector<double>(info.grid.spacing.begin(),
                                                                  info.grid.spacing.end())));
    archive.write("grid_boundaries", c10::IValue(info.grid.boundaries));
    c10::Dict<std::string, std::string> metadata;
    for (const auto& [k, v] : info.metadata) metadata.insert(k, v);
    archive.write("metadata", c10::IValue(metadata));
    // Module::save writes each parameter under its name, children as nested archives.
    torch::serialize::OutputArchive parameters;
    cpu_net.save(parameters);
    archive.write("parameters", parameters);
    archive.save_to(bytes);
  } catch (const c10::Error& e) {
    throw std::runtime_error(path + ": cannot serialise the DCDM model (" + short_message(e) + ")");
  }
  learned::write_file_atomically(path, bytes.str());
}

}  // namespace

void save_dcdm_model(const std::string& path, const DcdmNet& net, const ModelInfo& info) {
  if (net.is_empty()) throw std::invalid_argument(path + ": cannot save an empty DcdmNet");
  const DcdmNetOptions& o = net->options();
  auto write_net = [&](torch::serialize::OutputArchive& archive) {
    archive.write("net_dim", c10::IValue(std::int64_t{o.dim()}));
    archive.write("net_channels", c10::IValue(std::int64_t{o.channels()}));
    archive.write("net_full_convs", c10::IValue(std::int64_t{o.full_convs()}));
    archive.write("net_half_convs", c10::IValue(std::int64_t{o.half_convs()}));
    archive.write("net_up_convs", c10::IValue(std::int64_t{o.up_convs()}));
    archive.write("net_pooling_levels", c10::IValue(std::int64_t{o.pooling_levels()}));
    archive.write("net_activation", c10::IValue(to_string(o.activation())));
    archive.write("net_padding", c10::IValue(to_string(o.padding())));
    archive.write("net_cell_type_inputs", c10::IValue(std::int64_t{o.cell_type_inputs()}));
  };
  torch::NoGradGuard no_grad;
  const DcdmNet cpu = std::dynamic_pointer_cast<DcdmNetImpl>(net->clone(torch::kCPU));
  save_model(path, kCnnFormatVersion, write_net, *cpu, info);
}

void save_vcycle_model(const std::string& path, const VcycleNet& net, const ModelInfo& info) {
  if (net.is_empty()) throw std::invalid_argument(path + ": cannot save an empty VcycleNet");
  const VcycleNetOptions& o = net->options();
  auto write_net = [&](torch::serialize::OutputArchive& archive) {
    archive.write("net_architecture", c10::IValue(std::string("vcycle")));
    archive.write("net_dim", c10::IValue(std::int64_t{o.dim()}));
    archive.write("net_hidden", c10::IValue(std::int64_t{o.hidden()}));
    archive.write("net_smoothing", c10::IValue(std::int64_t{o.smoothing()}));
    archive.write("net_coarsest", c10::IValue(std::int64_t{o.coarsest()}));
  };
  torch::NoGradGuard no_grad;
  const VcycleNet cpu = std::dynamic_pointer_cast<VcycleNetImpl>(net->clone(torch::kCPU));
  save_model(path, kFormatVersion, write_net, *cpu, info);
}

namespace {

// The archive of a native model file, or a message saying what else the file is.
torch::serialize::InputArchive native_archive(const std::string& path, const std::string& bytes,
                                              const std::string& architecture) {
  torch::serialize::InputArchive archive = open_archive(path, bytes);
  const std::string found = native_architecture(path, archive);
  if (found.empty())
    throw std::runtime_error(path + ": not a deepsolve DCDM model file (no '" + kFormat +
                             "' header; a TorchScript model loads with load_direction_network)");
  if (found != architecture)
    throw std::runtime_error(path + ": holds a '" + found + "' network, not a '" + architecture +
                             "' one (load_direction_network loads either)");
  return archive;
}

}  // namespace

LoadedDcdmModel load_dcdm_model(const std::string& path) {
  torch::serialize::InputArchive archive = native_archive(path, read_model_bytes(path), "cnn");
  return read_native(path, archive);
}

LoadedVcycleModel load_vcycle_model(const std::string& path) {
  torch::serialize::InputArchive archive = native_archive(path, read_model_bytes(path), "vcycle");
  return read_vcycle(path, archive);
}

std::shared_ptr<DirectionNetwork> load_direction_network(const std::string& path) {
  const std::string bytes = read_model_bytes(path);
  torch::serialize::InputArchive archive = open_archive(path, bytes);
  const std::string architecture = native_architecture(path, archive);
  if (architecture == "cnn") {
    LoadedDcdmModel m = read_native(path, archive);
    return std::make_shared<NativeNetwork<DcdmNet>>(path, std::move(m.net), std::move(m.info));
  }
  if (architecture == "vcycle") {
    LoadedVcycleModel m = read_vcycle(path, archive);
    return std::make_shared<NativeNetwork<VcycleNet>>(path, std::move(m.net), std::move(m.info));
  }
  if (!architecture.empty())
    throw std::runtime_error(path + ": unknown DCDM network architecture '" + architecture +
                             "' (this build reads cnn and vcycle)");
  return read_torchscript(path, bytes);
}

std::shared_ptr<DirectionNetwork> wrap_direction_network(DcdmNet net, ModelInfo info,
                                                         std::string name) {
  if (net.is_empty()) throw std::invalid_argument("wrap_direction_network: empty DcdmNet");
  return std::make_shared<NativeNetwork<DcdmNet>>(std::move(name), std::move(net), std::move(info));
}

std::shared_ptr<DirectionNetwork> wrap_direction_network(VcycleNet net, ModelInfo info,
                                                         std::string name) {
  if (net.is_empty()) throw std::invalid_argument("wrap_direction_network: empty VcycleNet");
  return std::make_shared<NativeNetwork<VcycleNet>>(std::move(name), std::move(net),
                                                    std::move(info));
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
