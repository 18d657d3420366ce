// The Poisson operator (stencil.hpp) expressed with tensor operations, so it runs on whatever
// device LibTorch has (CPU, CUDA) and a whole CG solve can stay there. Whole grid, float64.
#pragma once

#include <torch/torch.h>

#include "deepsolve/solvers/grid.hpp"

namespace deepsolve::solvers {

class TorchStencilOperator {
 public:
  TorchStencilOperator(const Grid& grid, torch::Device device = torch::kCPU);

  /// y = A x for flat vectors of num_cells() entries in natural ordering.
  void operator()(const torch::Tensor& x, torch::Tensor& y) const;

  /// The grid shape as a tensor shape: {nz, ny, nx} (3D) or {ny, nx} (2D).
  const std::vector<std::int64_t>& shape() const { return shape_; }

 private:
  int dim_;
  std::vector<std::int64_t> shape_;
  torch::Tensor diag_;
  torch::Tensor off_[6];  // weight towards the neighbour through face f (0 where not coupled)
};

}  // namespace deepsolve::solvers
