// Matrix-free application of the Poisson operator (stencil.hpp) on a CUDA device, in float64, for
// the whole grid: one thread per cell evaluates stencil_cell.hpp from the cell's 16-bit stencil
// code, so an apply streams x, y and two bytes per cell. It is what TorchStencilOperator uses for
// float64 CUDA tensors, so a CG or DCDM solve over the torch vector space stays on the GPU.
//
// Constant coefficients only (variable coefficients need seven numbers per cell; for them
// TorchStencilOperator falls back to tensor operations). Available when deepsolve was built with
// CUDA (DEEPSOLVE_HAVE_CUDA in deepsolve/solvers/config.hpp).
#pragma once

#include <cstdint>

#include "deepsolve/solvers/config.hpp"
#include "deepsolve/solvers/grid.hpp"

#if DEEPSOLVE_HAVE_CUDA

namespace deepsolve::solvers {

/// The number of CUDA devices the runtime sees: 0 without a driver or a device.
int cuda_device_count();

class CudaStencilOperator {
 public:
  /// Copies the stencil codes of `grid` to CUDA device `device`. Throws std::invalid_argument for
  /// a grid with variable coefficients or a device that does not exist, std::runtime_error naming
  /// the CUDA call and its error otherwise.
  explicit CudaStencilOperator(const Grid& grid, int device = 0);
  ~CudaStencilOperator();
  CudaStencilOperator(const CudaStencilOperator&) = delete;
  CudaStencilOperator& operator=(const CudaStencilOperator&) = delete;

  /// y = A x for device arrays of num_cells() doubles on this operator's device, in natural
  /// ordering (x fastest); x and y must not overlap. Enqueued on the legacy default stream, which
  /// orders it with LibTorch's default-stream work; it does not wait for the result. Throws
  /// std::runtime_error if the launch fails.
  void apply(const double* x, double* y) const;

  int device() const { return device_; }
  std::int64_t num_cells() const { return num_cells_; }

 private:
  int device_;
  std::int64_t num_cells_;
  int size_[3];
  int dim_;
  double weight_[3];
  double eliminated_diag_;
  std::uint16_t* codes_ = nullptr;  // device memory
};

}  // namespace deepsolve::solvers

#endif  // DEEPSOLVE_HAVE_CUDA
