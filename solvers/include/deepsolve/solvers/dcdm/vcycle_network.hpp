// A direction network shaped like a multigrid V-cycle, linear in the residual, after the
// "neural sparse matrix" network of Lan, Gueidon, Kaneda, Panetta & Teran (ICML 2024, arXiv
// 2310.00177): every level applies 3x3(x3) stencils
// whose coefficients a small convolutional head computes from the cell types, so the network is a
// learned, geometry-dependent linear operator M and q = M r.
//
// Our variant (one set of weights for every level, so the level count follows the grid):
//
//   levels: grid 0 is the input grid; grid l+1 halves grid l (avg-pool 2x, odd axes padded with
//   one zero cell at the high end) until every axis has at most `coarsest` cells.
//   cells:  per level, the fluid and air indicators with a ghost layer that encodes the boundary
//           condition (air on Dirichlet faces, nothing on Neumann faces); coarse levels pool the
//           fine indicators (cell fractions).
//   head:   conv 3x3(x3) 2 -> hidden (no padding: the ghost layer), ReLU, 1x1 conv hidden ->
//           hidden, ReLU, 1x1 conv hidden -> 2 * smoothing stencils of 3^dim taps and the mixing
//           weights c0, c1: per cell, per level.
//   cycle:  V_l(r) = post_l( c0_l * pre_l(r) + c1_l * 4 up(V_{l+1}(pool r)) ), where pre_l and
//           post_l apply `smoothing` stencils each, up is bi/trilinear interpolation, and the
//           coarsest level drops the coarse term. The factor 4 is the h^2 scaling of the inverse
//           Laplacian from one level to the next, so the shared weights need not know the level.
//
// With the whole hierarchy, the coarsest correction reaches across the grid at every size: an
// additive multilevel (BPX-like) operator with learned smoothers and weights. The coefficients
// depend only on the grid, so inference computes them once per grid and then costs a few stencil
// applications per level.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "deepsolve/solvers/dcdm/direction_module.hpp"
#include "deepsolve/solvers/grid.hpp"
#include "deepsolve/solvers/options.hpp"

namespace deepsolve::solvers::dcdm {

struct VcycleNetOptions {
  /// Spatial dimension: 2 or 3.
  DEEPSOLVE_ARG(int, dim) = 3;
  /// Channels of the coefficient head's hidden layers.
  DEEPSOLVE_ARG(int, hidden) = 16;
  /// Stencils applied before and after the coarse correction, on every level.
  DEEPSOLVE_ARG(int, smoothing) = 1;
  /// Pool until every axis has at most this many cells.
  DEEPSOLVE_ARG(int, coarsest) = 2;

 public:
  /// Throws std::invalid_argument naming the bad field.
  void validate() const;
  /// One line, e.g. "3D V-cycle, 16 hidden channels, 1 smoothing stencil, coarsest 2".
  std::string describe() const;
  /// Number of grids of the hierarchy for a grid of these sizes (x, y[, z]).
  int levels_for(const std::vector<std::int64_t>& sizes) const;
};

/// Registered as model type "vcycle" (vcycle_network.cpp: vcycle_model_type).
class VcycleNetImpl : public torch::nn::Cloneable<VcycleNetImpl>, public DirectionModule {
 public:
  explicit VcycleNetImpl(VcycleNetOptions options = {});

  /// (Re)creates the head: hidden layers Glorot-uniform; the last layer starts near the
  /// identity stencils and c0 = c1 = 1.
  void reset() override;

  /// x: (batch, 1, [nz,] ny, nx) in the parameters' dtype and device. `cells`: ghosted_cell_images
  /// of the grid, (1, 2, [nz + 2,] ny + 2, nx + 2). `mask` (optional, broadcastable to the output)
  /// multiplies the output, so masked entries are exactly zero. Throws std::invalid_argument for a
  /// wrong shape or dtype. In eval mode without autograd the coefficients are computed once per
  /// `cells` tensor and reused.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask,
                        const torch::Tensor& cells);

  void pretty_print(std::ostream& stream) const override;
  std::int64_t num_parameters() const override;
  const VcycleNetOptions& options() const { return options_; }

  int spatial_dim() const override { return options_.dim(); }
  bool uses_cell_types() const override { return true; }
  /// ghosted_cell_images of the grid.
  torch::Tensor grid_inputs(const Grid& grid) const override;
  torch::Tensor direction(const torch::Tensor& x, const torch::Tensor& mask,
                          const torch::Tensor& cells) override {
    return forward(x, mask, cells);
  }

  /// Bytes held by the inference cache (0 when there is none): what the coefficients of the
  /// last cell images seen in eval mode without autograd take.
  std::int64_t inference_cache_bytes() const;

 private:
  // A stretch [begin, end) of one grid row whose cells have the same coefficients.
  struct PatternRun {
    std::int32_t begin, end, pattern;
  };
  // One level's stencils for inference: the coefficients of each distinct 3^dim patch of cell
  // images, and each row as runs of cells with the same patch; or, where runs are short, the
  // coefficients of every cell.
  struct LevelStencils {
    torch::Tensor table;                 // (patterns, 2 * smoothing, taps)
    std::vector<PatternRun> runs;        // row after row
    std::vector<std::int64_t> row_runs;  // row r: runs [row_runs[r], row_runs[r + 1])
    torch::Tensor per_cell;              // else (2 * smoothing, rows, taps, nx)
  };

  std::vector<torch::Tensor> coefficients(const torch::Tensor& cells) const;
  void cache_for_inference(const torch::Tensor& cells);
  static torch::Tensor apply_stencil(const LevelStencils& level, int stencil,
                                     const torch::Tensor& e, bool three);
  torch::Tensor stencil(const torch::Tensor& weights, const torch::Tensor& e) const;

  VcycleNetOptions options_;
  std::shared_ptr<torch::nn::Module> spatial_{nullptr}, mix_{nullptr}, out_{nullptr};
  // The inference cache, for the last `cells` seen in eval mode: on the CPU in float32 the
  // stencils of each level as LevelStencils and its two mixing weights as (1, 2, grid);
  // otherwise the coefficients as computed for training.
  std::vector<torch::Tensor> cached_;
  std::vector<LevelStencils> cached_stencils_;
  std::vector<torch::Tensor> cached_mixing_;
  torch::Tensor cached_cells_;  // kept alive: its address is part of the key
  std::vector<std::int64_t> cache_key_;
};

TORCH_MODULE(VcycleNet);

/// The fluid and air indicators of `grid` with one ghost cell on each side: (1, 2, [nz + 2,]
/// ny + 2, nx + 2) float32 on the CPU. Ghost cells are air on Dirichlet faces and neither on
/// Neumann faces, so a head sees which kind of boundary a cell is next to.
torch::Tensor ghosted_cell_images(const Grid& grid);

}  // namespace deepsolve::solvers::dcdm
