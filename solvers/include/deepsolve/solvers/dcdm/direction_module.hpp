// What every DCDM direction network implements (family "dcdm-direction" of the model registry,
// deepsolve/learned/io/model_registry.hpp), so that model files, the PETSc types, the examples
// and the trainer use any registered network without naming it.
//
// A network type lives in its own files: its module (a torch::nn::Module that also derives from
// DirectionModule), its ModelType (name, options, constructor), and one line in
// src/dcdm/network_types.cpp that registers it.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>

#include "deepsolve/solvers/dcdm/network_types.hpp"
#include "deepsolve/solvers/grid.hpp"

namespace deepsolve::solvers::dcdm {

class DirectionModule {
 public:
  virtual ~DirectionModule() = default;

  /// 2 or 3.
  virtual int spatial_dim() const = 0;
  /// Whether direction() reads the grid's cell types.
  virtual bool uses_cell_types() const = 0;
  /// The cell-type tensor direction() takes for `grid`, float32 on the CPU (undefined when
  /// uses_cell_types() is false).
  virtual torch::Tensor grid_inputs(const Grid& grid) const = 0;
  /// q = f(x) for x of shape (batch, 1, [nz,] ny, nx) in the parameters' dtype and device; `mask`
  /// (optional) multiplies the output; `cells` is grid_inputs of the grid (on x's device).
  virtual torch::Tensor direction(const torch::Tensor& x, const torch::Tensor& mask,
                                  const torch::Tensor& cells) = 0;
  /// Number of scalar parameters.
  virtual std::int64_t num_parameters() const = 0;
};

}  // namespace deepsolve::solvers::dcdm
