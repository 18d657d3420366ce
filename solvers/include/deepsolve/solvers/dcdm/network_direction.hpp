// The learned direction model: a loaded DCDM network (model_file.hpp) applied to whole-grid
// residuals, as a DirectionModel for the conjugate-direction iteration. This header does not
// include LibTorch: the network is held through a forward-declared type, so code that only uses
// DirectionModel does not pay for torch headers.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "deepsolve/solvers/dcdm/direction_model.hpp"
#include "deepsolve/solvers/grid.hpp"
#include "deepsolve/solvers/options.hpp"

namespace at {
class Tensor;
}

namespace deepsolve::solvers::dcdm {

class DirectionNetwork;

struct NetworkDirectionOptions {
  /// "cpu", "cuda", "cuda:N", or "auto": cuda:(rank % device count) when CUDA is available
  /// (PETSc's default device choice), else the CPU; resolved by learned::resolve_device.
  DEEPSOLVE_ARG(std::string, device) = "cpu";
  /// The caller's MPI rank (or LOCAL_RANK), used by "auto".
  DEEPSOLVE_ARG(int, rank) = 0;
};

class NetworkDirection final : public DirectionModel {
 public:
  /// Moves `network` to the chosen device and prepares the fluid mask of `grid`. Throws
  /// std::runtime_error naming the model file when the model's dimension is not the grid's.
  NetworkDirection(std::shared_ptr<DirectionNetwork> network, const Grid& grid,
                   const NetworkDirectionOptions& options = {});
  /// Loads `path` with load_direction_network.
  NetworkDirection(const std::string& path, const Grid& grid,
                   const NetworkDirectionOptions& options = {});
  ~NetworkDirection() override;
  NetworkDirection(const NetworkDirection&) = delete;
  NetworkDirection& operator=(const NetworkDirection&) = delete;

  /// A new geometry on the same grid shape (a moving obstacle): the mask and the network's
  /// cell-type inputs are recomputed, nothing else. Throws std::invalid_argument when the shape
  /// differs from the one the object was built for.
  void set_grid(const Grid& grid);

  /// e.g. "network models/x.pt (cnn, 3D, 97457 parameters) on cpu".
  std::string describe() const override;

  /// q = f(r) with r, q whole-grid float64 arrays in natural ordering (x fastest). r is wrapped
  /// without a copy, converted to float32 on the device, run through the network without autograd,
  /// masked (zero on solid and air cells) and written back as float64.
  void apply(const double* r, double* q) override;

  /// The same on tensors (TorchSpace): r and q hold num_cells() entries (any shape, e.g. flat) of
  /// any floating dtype on any device; q keeps its dtype and device.
  void apply(const at::Tensor& r, at::Tensor& q);

  /// Wall-clock seconds spent in apply (conversions, transfers and the network; CUDA is
  /// synchronised before the clock stops), and the number of calls.
  double network_seconds() const { return seconds_; }
  std::int64_t calls() const { return calls_; }
  void reset_timing() {
    seconds_ = 0.0;
    calls_ = 0;
  }

  /// The resolved device, e.g. "cpu" or "cuda:0".
  const std::string& device() const { return device_; }
  const DirectionNetwork& network() const { return *network_; }

 private:
  struct State;  // tensors: the mask and the grid shape
  std::shared_ptr<DirectionNetwork> network_;
  std::unique_ptr<State> state_;
  std::string device_;
  std::int64_t num_cells_;
  double seconds_ = 0.0;
  std::int64_t calls_ = 0;
};

}  // namespace deepsolve::solvers::dcdm
