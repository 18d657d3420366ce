// The Poisson operator (stencil.hpp) expressed with tensor operations, so it runs on whatever
// device LibTorch has (CPU, CUDA) and a whole CG solve can stay there. Whole grid, float64 by
// default; float32 for training networks.
//
// Two entry points:
//   * operator()(x, y): y = A x for one flat vector (what the Krylov core's TorchSpace calls). For
//     a float64 operator on a CUDA device with constant coefficients, in a build with CUDA, this
//     runs the CUDA stencil kernel (cuda/cuda_stencil_operator.hpp) instead of tensor operations;
//   * apply(x): A x for every sample of a batch, (batch, 1, [nz,] ny, nx) or (batch, N). It is made
//     of out-of-place tensor operations only, so autograd differentiates through it (the DCDM loss,
//     dcdm/loss.hpp, backpropagates through A q).
// Both give the same values as the Eigen matrix (assemble_eigen_matrix) to round-off in the
// operator's dtype.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <torch/torch.h>

#include "deepsolve/solvers/grid.hpp"

namespace deepsolve::solvers {

class CudaStencilOperator;

class TorchStencilOperator {
 public:
  /// The operator on the whole grid, its coefficients stored on `device` in `dtype` (kFloat64 or
  /// kFloat32; anything else throws std::invalid_argument).
  TorchStencilOperator(const Grid& grid, torch::Device device = torch::kCPU,
                       torch::ScalarType dtype = torch::kFloat64);

  /// y = A x for flat vectors of num_cells() entries in natural ordering (the operator's dtype and
  /// device). Not differentiable (y is written in place).
  void operator()(const torch::Tensor& x, torch::Tensor& y) const;

  /// A x for each sample of a batch. `x` has shape (batch, 1, [nz,] ny, nx) or (batch, N) with
  /// N = num_cells(), and the operator's dtype and device; the result has the shape of `x`.
  /// Differentiable: gradients flow to `x` (A is symmetric, so the backward pass applies A again).
  /// Throws std::invalid_argument naming the shape, dtype or device that does not fit.
  torch::Tensor apply(const torch::Tensor& x) const;

  /// The grid shape as a tensor shape: {nz, ny, nx} (3D) or {ny, nx} (2D).
  const std::vector<std::int64_t>& shape() const { return shape_; }
  /// The shape of a batch of `batch` samples as apply() takes it: {batch, 1, [nz,] ny, nx}.
  std::vector<std::int64_t> batch_shape(std::int64_t batch) const;
  std::int64_t num_cells() const { return num_cells_; }
  torch::ScalarType dtype() const { return dtype_; }
  torch::Device device() const { return diag_.device(); }
  /// Whether operator() runs the CUDA stencil kernel.
  bool uses_cuda_kernel() const { return cuda_kernel_ != nullptr; }

 private:
  /// A x for x of shape (..., [nz,] ny, nx), out of place.
  torch::Tensor apply_grid_shaped(const torch::Tensor& x) const;

  int dim_;
  std::int64_t num_cells_;
  torch::ScalarType dtype_;
  std::vector<std::int64_t> shape_;
  torch::Tensor diag_;
  torch::Tensor off_[6];  // weight towards the neighbour through face f (0 where not coupled)
  std::shared_ptr<const CudaStencilOperator> cuda_kernel_;  // see operator()
};

}  // namespace deepsolve::solvers
