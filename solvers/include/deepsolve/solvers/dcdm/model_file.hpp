// DCDM model files: any registered direction network (direction_module.hpp) saved with its
// type, options, the grid it was trained on and free-form metadata, and one loading interface
// that also takes TorchScript models exported from Python.
//
// Native format: a model file of the model registry (deepsolve/learned/io/model_registry.hpp), a
// checksummed archive of kind "model" (deepsolve/learned/io/archive.hpp) whose metadata holds the
// training grid under the keys grid.dim, grid.size, grid.spacing and grid.boundaries besides the
// user's keys. A flipped byte anywhere fails the archive's CRC check with a message naming the
// file. Files of the format before the archive (a bare LibTorch archive with
// deepsolve_format = "deepsolve-dcdm-net") are refused with a message saying how to re-save
// them (resave_legacy_model, `train_dcdm --resave OLD --out NEW`).
//
// TorchScript: any scripted or traced module whose forward maps a float32 tensor of shape
// (batch, 1, [nz,] ny, nx) to one of the same shape. Its dimension comes from the extra file
// "deepsolve_model.txt" (lines "key=value"; "dim=2" or "dim=3", every other line becomes
// metadata) that torch.jit.save(..., _extra_files=...) can store, or else from the rank of its
// first conv weight (4: 2D, 5: 3D). tests/solvers/data/make_torchscript_model.py shows how.
//
// Every failure to load is a std::runtime_error that starts with the path and says what is wrong:
// a missing file, a file that is not a regular file, a damaged or truncated archive, a file that
// is neither format, a model of the wrong dimension for the grid, a forward that returns the
// wrong shape.
#pragma once

#include <torch/torch.h>

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "deepsolve/solvers/dcdm/direction_module.hpp"
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

/// Writes `net` (a module of a registered direction-network type; parameters moved to the CPU)
/// and `info` to `path` atomically. Throws std::invalid_argument for a module of no registered
/// type, std::runtime_error naming the path when it cannot be written.
void save_direction_model(const std::string& path, const torch::nn::Module& net,
                          const ModelInfo& info = {});

struct LoadedDirectionModel {
  std::string type;                           ///< the registry name, e.g. "vcycle"
  std::shared_ptr<torch::nn::Module> module;  ///< on the CPU, in eval mode
  DirectionModule* network = nullptr;         ///< the same object as a direction network
  ModelInfo info;
  /// The module as its concrete type, or nullptr, e.g. as<VcycleNetImpl>().
  template <class Impl>
  std::shared_ptr<Impl> as() const {
    return std::dynamic_pointer_cast<Impl>(module);
  }
};

/// Reads a native model file onto the CPU. Throws std::runtime_error naming the path (also for a
/// TorchScript file or a model of another family).
LoadedDirectionModel load_direction_model(const std::string& path);

/// Re-saves a model file of the format before checksummed archives at `to` in today's format
/// (same type, options, weights, grid and metadata). Throws std::runtime_error naming the path.
void resave_legacy_model(const std::string& from, const std::string& to);

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
  /// The registered type of a native model (e.g. "cnn", "vcycle"), or "torchscript".
  virtual std::string format() const = 0;
  const std::string& path() const { return path_; }
  const ModelInfo& info() const { return info_; }
  /// e.g. "models/x.pt (cnn, 3D, 97457 parameters)".
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

/// Wraps an in-memory network of a registered direction-network type (e.g. untrained, or just
/// trained) behind the same interface; `name` stands for the path in messages.
std::shared_ptr<DirectionNetwork> wrap_direction_network(std::shared_ptr<torch::nn::Module> net,
                                                         ModelInfo info = {},
                                                         std::string name = "<in-memory network>");
template <class Impl>
std::shared_ptr<DirectionNetwork> wrap_direction_network(const torch::nn::ModuleHolder<Impl>& net,
                                                         ModelInfo info = {},
                                                         std::string name = "<in-memory network>") {
  return wrap_direction_network(std::static_pointer_cast<torch::nn::Module>(net.ptr()),
                                std::move(info), std::move(name));
}

}  // namespace deepsolve::solvers::dcdm
