// DCDM model files: a trained DcdmNet or VcycleNet saved with its hyper-parameters, the grid it
// was trained on and free-form metadata, and one loading interface that also takes TorchScript
// models exported from Python.
//
// Native format ("deepsolve-dcdm-net"): a LibTorch archive (torch::serialize::OutputArchive, a
// zip file) holding
//   deepsolve_format = "deepsolve-dcdm-net", format_version = 1 (CNN) or 2 (V-cycle),
//   the network's options: for the CNN (version 1, no net_architecture) net_dim, net_channels,
//   net_full_convs, net_half_convs, net_up_convs, net_pooling_levels, net_cell_type_inputs (int),
//   net_activation, net_padding (string); for the V-cycle net_architecture = "vcycle", net_dim,
//   net_hidden, net_smoothing, net_coarsest (int),
//   grid_dim, grid_size (3 ints), grid_spacing (3 doubles), grid_boundaries (string),
//   metadata (a string -> string dictionary),
//   parameters (a nested archive: the float parameters of the network),
// written to a temporary file and renamed into place.
//
// TorchScript: any scripted or traced module whose forward maps a float32 tensor of shape
// (batch, 1, [nz,] ny, nx) to one of the same shape. Its dimension comes from the extra file
// "deepsolve_model.txt" (lines "key=value"; "dim=2" or "dim=3", every other line becomes
// metadata) that torch.jit.save(..., _extra_files=...) can store, or else from the rank of its
// first conv weight (4: 2D, 5: 3D). tests/solvers/data/make_torchscript_model.py shows how.
//
// Every failure to load is a std::runtime_error that starts with the path and says what is wrong:
// a missing file, a truncated or corrupt archive, a file that is neither format, a model of the
// wrong dimension for the grid, a forward that returns the wrong shape.
#pragma once

#include <torch/torch.h>

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "deepsolve/solvers/dcdm/network.hpp"
#include "deepsolve/solvers/dcdm/vcycle_network.hpp"
#include "deepsolve/solvers/grid.hpp"

namespace deepsolve::solvers::dcdm {

/// The grid a model was trained on (dim 0: unknown, e.g. a TorchScript model).
struct TrainingGrid {
  int dim = 0;
  std::array<int, 3> size{0, 0, 0};
  std::array<double, 3> spacing{0.0, 0.0, 0.0};
  /// Boundary conditions and cell counts, e.g. "x_lo=dirichlet x_hi=dirichlet y_lo=neumann
  /// y_hi=neumann; 120 solid, 0 air cells".
  std::string boundaries;

  static TrainingGrid from_grid(const Grid& grid);
};

/// What a model file holds besides the weights. By convention `metadata` has the keys
/// "training_command", "seed", "epochs" and "final_loss"; any other key is kept as well.
struct ModelInfo {
  TrainingGrid grid;
  std::map<std::string, std::string> metadata;
};

/// Writes `net` (its options, parameters moved to the CPU) and `info` to `path` atomically.
/// Throws std::runtime_error naming the path when it cannot be written.
void save_dcdm_model(const std::string& path, const DcdmNet& net, const ModelInfo& info = {});

struct LoadedDcdmModel {
  DcdmNet net{nullptr};
  ModelInfo info;
};

/// Reads a native model file of the convolutional network onto the CPU. Throws
/// std::runtime_error naming the path (also for a V-cycle model file).
LoadedDcdmModel load_dcdm_model(const std::string& path);

/// The same for the V-cycle network (vcycle_network.hpp): format version 2, net_architecture
/// "vcycle" and its options instead of the CNN's.
void save_vcycle_model(const std::string& path, const VcycleNet& net, const ModelInfo& info = {});

struct LoadedVcycleModel {
  VcycleNet net{nullptr};
  ModelInfo info;
};

LoadedVcycleModel load_vcycle_model(const std::string& path);

/// A loaded direction network of either format: callable on a tensor.
class DirectionNetwork {
 public:
  virtual ~DirectionNetwork() = default;

  /// q = f(r): r of shape (batch, 1, [nz,] ny, nx), float32, on device(); returns the same shape.
  /// Throws std::runtime_error naming path() for a wrong input shape or an output of another
  /// shape than the input.
  torch::Tensor operator()(const torch::Tensor& r);

  /// Moves the parameters.
  virtual void to(torch::Device device) = 0;
  torch::Device device() const { return device_; }

  /// 2 or 3; 0 when the file does not say (then only forward can tell).
  int dim() const { return dim_; }
  virtual std::int64_t num_parameters() const = 0;
  /// "dcdm" (native CNN), "vcycle" (native V-cycle) or "torchscript".
  virtual std::string format() const = 0;
  const std::string& path() const { return path_; }
  const ModelInfo& info() const { return info_; }
  /// e.g. "models/x.pt (dcdm, 3D, 97457 parameters)".
  std::string describe() const;

  /// Throws std::runtime_error "<path>: a 2D model cannot be applied to a 3D grid" on a mismatch.
  void check_grid(const Grid& grid) const;

  /// Whether forward needs the grid's cell types (a native model with cell_type_inputs).
  virtual bool uses_cell_types() const { return false; }
  /// The cell types the next calls see (grid_inputs of the grid); check_grid first.
  void set_grid(const Grid& grid);

 protected:
  DirectionNetwork(std::string path, int dim, ModelInfo info)
      : path_(std::move(path)), dim_(dim), info_(std::move(info)) {}
  virtual torch::Tensor forward(const torch::Tensor& r) = 0;
  /// The cell-type tensor forward reads: cell_type_images, unless the network wants others.
  virtual torch::Tensor grid_inputs(const Grid& grid) const;
  torch::Device device_{torch::kCPU};
  torch::Tensor cell_images_;  // set_grid's images on device_, when uses_cell_types()

 private:
  std::string path_;
  int dim_;
  ModelInfo info_;
};

/// Loads a native model file or a TorchScript file (told apart by content), in eval mode on the
/// CPU. Throws std::runtime_error naming the path when the file is missing, truncated, corrupt or
/// neither format.
std::shared_ptr<DirectionNetwork> load_direction_network(const std::string& path);

/// Wraps an in-memory network (e.g. untrained, or just trained) behind the same interface;
/// `name` stands for the path in messages.
std::shared_ptr<DirectionNetwork> wrap_direction_network(DcdmNet net, ModelInfo info = {},
                                                         std::string name = "<in-memory network>");
std::shared_ptr<DirectionNetwork> wrap_direction_network(VcycleNet net, ModelInfo info = {},
                                                         std::string name = "<in-memory network>");

}  // namespace deepsolve::solvers::dcdm
