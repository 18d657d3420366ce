// The DCDM convolutional network (Kaneda et al., ICML 2023; src/train_N64.py and train_N128.py of
// the authors' code) in LibTorch, in 2D and 3D. It maps a residual on the whole grid to a search
// direction of the same shape.
//
// Layer structure with the defaults (one pooling level), where every conv is 3x3(x3) 'same' with
// `channels` filters and `act` is the activation (ReLU):
//
//   h0 = first(x)                                          linear conv 1 -> C, no activation
//   full stage (full_convs convs, input h0):   h1 = act(c1(h0)), then the pair rule from h1
//   coarse stage (half_convs convs):           avg-pool 2x of the full stage's output, pair rule
//   up stage (up_convs convs):                 u0 = nearest-upsample 2x(coarse output) + full
//                                              stage output (added, not concatenated), pair rule
//   y = last(up stage output)                              1x1(x1) conv C -> 1, linear
//
// The pair rule on a stage input x0 and convs c1..cn: x_i = act(c_i(x_{i-1})) + (i even ? x_{i-2}
// : 0). So each residual block is two convs with the skip around both, and the activation comes
// BEFORE the add, as in the reference (`la = Conv3D(..., activation='relu')(lb) + la`). The first
// linear conv's output is never a skip source: the full stage starts its pairs after c1.
//
// With more pooling levels the network is a U-Net of the same blocks: levels 1 .. L-1 each add a
// down stage (full_convs convs, after pooling) and an up stage (up_convs convs, after
// upsampling + the skip of that level); the coarsest level runs the coarse stage. L = 1 is exactly
// the reference.
//
// Any grid size is accepted: the input is padded at the high end of each axis to a multiple of
// 2^levels (zeros by default, or a copy of the last cell), and the output is cropped back.
//
// Optional extension (cell_type_inputs, off by default, so the defaults are the reference): two
// more input channels, the fluid and the air (Dirichlet) indicator of every cell. Zero padding
// makes the domain boundary visible to the first conv, and obstacles become visible too; with
// the residual alone, a translation-equivariant network can only guess where the boundary is (its
// biases see the padding), and its directions are poorest next to it. Lan et al. (ICML 2024) feed
// cell-type images to their network for the same reason. The first conv then has 3 inputs, and
// the residual channel is multiplied by sqrt(cells per sample), so that a unit-norm residual has
// entries of order one like the indicators.
//
// Parameters (3D, C = 16): first 448, each 3x3x3 conv 6,928, last 17: the reference N64 model
// (4 + 6 + 4 convs) has 97,457, the N128 model (6 + 10 + 6) 152,881.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "deepsolve/solvers/dcdm/direction_module.hpp"
#include "deepsolve/solvers/grid.hpp"
#include "deepsolve/solvers/options.hpp"

namespace deepsolve::solvers::dcdm {

/// Nonlinearity of the hidden convs (the reference uses ReLU).
enum class Activation { relu, leaky_relu, tanh };
std::string to_string(Activation a);
/// Throws std::invalid_argument listing the valid names.
Activation activation_from_string(const std::string& name);

/// How the input is padded to a multiple of 2^pooling_levels when the grid size is not one.
enum class Padding { zero, replicate };
std::string to_string(Padding p);
Padding padding_from_string(const std::string& name);

struct DcdmNetOptions {
  /// Spatial dimension: 2 (input (batch, 1, ny, nx)) or 3 (input (batch, 1, nz, ny, nx)).
  DEEPSOLVE_ARG(int, dim) = 3;
  /// Filters of every hidden conv.
  DEEPSOLVE_ARG(int, channels) = 16;
  /// Convs at full resolution after the linear first conv (reference: 4 for N64, 6 for N128).
  DEEPSOLVE_ARG(int, full_convs) = 4;
  /// Convs at the coarsest resolution (reference: 6 for N64, 10 for N128).
  DEEPSOLVE_ARG(int, half_convs) = 6;
  /// Convs after the last upsampling (reference: 4 for N64, 6 for N128).
  DEEPSOLVE_ARG(int, up_convs) = 4;
  /// Number of 2x average-pooling levels (reference: 1).
  DEEPSOLVE_ARG(int, pooling_levels) = 1;
  /// Nonlinearity of the hidden convs.
  DEEPSOLVE_ARG(Activation, activation) = Activation::relu;
  /// Padding of sizes that 2^pooling_levels does not divide.
  DEEPSOLVE_ARG(Padding, padding) = Padding::zero;
  /// Also feed the cell types (fluid and air indicators, see cell_type_images) as input channels.
  DEEPSOLVE_ARG(bool, cell_type_inputs) = false;

 public:
  /// The reference N64 model (4 + 6 + 4 convs) in `dim` dimensions.
  static DcdmNetOptions n64(int dim = 3) { return DcdmNetOptions().dim(dim); }
  /// The reference N128 model (6 + 10 + 6 convs) in `dim` dimensions.
  static DcdmNetOptions n128(int dim = 3) {
    return DcdmNetOptions().dim(dim).full_convs(6).half_convs(10).up_convs(6);
  }
  /// Throws std::invalid_argument naming the bad field.
  void validate() const;
  /// One line, e.g. "3D, 16 channels, 4+6+4 convs, 1 pooling level, relu, zero padding".
  std::string describe() const;
};

/// Registered as model type "cnn" (network.cpp: cnn_model_type).
class DcdmNetImpl : public torch::nn::Cloneable<DcdmNetImpl>, public DirectionModule {
 public:
  explicit DcdmNetImpl(DcdmNetOptions options = {});

  /// (Re)creates every layer: weights Glorot-uniform, biases zero (Keras' defaults).
  void reset() override;

  /// x: (batch, 1, [nz,] ny, nx) in the parameters' dtype and on their device. `mask` (optional,
  /// broadcastable to the output, 1 on fluid and 0 on solid/air cells) multiplies the output, so
  /// masked entries are exactly zero. `cells` (required with cell_type_inputs, ignored otherwise):
  /// cell_type_images of the grid, (1 or batch, 2, [nz,] ny, nx). Throws std::invalid_argument for
  /// a wrong shape or dtype.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask = {},
                        const torch::Tensor& cells = {});

  void pretty_print(std::ostream& stream) const override;

  /// Number of scalar parameters (97,457 for the 3D N64 defaults).
  std::int64_t num_parameters() const override;

  int spatial_dim() const override { return options_.dim(); }
  bool uses_cell_types() const override { return options_.cell_type_inputs(); }
  /// cell_type_images of the grid (undefined without cell_type_inputs).
  torch::Tensor grid_inputs(const Grid& grid) const override;
  torch::Tensor direction(const torch::Tensor& x, const torch::Tensor& mask,
                          const torch::Tensor& cells) override {
    return forward(x, mask, cells);
  }

  const DcdmNetOptions& options() const { return options_; }

 private:
  using ModulePtr = std::shared_ptr<torch::nn::Module>;
  ModulePtr make_conv(int in, int out, int kernel) const;
  torch::nn::ModuleList make_convs(int count) const;
  // Memory layout of the activations inside network(); see layout_for.
  enum class Layout { nchw, channels_last, blocked };
  Layout layout_for(const torch::Tensor& x) const;
  torch::Tensor conv(const ModulePtr& conv, const torch::Tensor& x, Layout layout) const;
  torch::Tensor stage(const torch::nn::ModuleList& list, std::size_t begin, torch::Tensor x0,
                      Layout layout) const;
  torch::Tensor act(const torch::Tensor& x) const;
  torch::Tensor network(const torch::Tensor& x, Layout layout) const;

  DcdmNetOptions options_;
  ModulePtr first_, last_;
  torch::nn::ModuleList full_{nullptr}, coarse_{nullptr}, up_{nullptr};
  std::vector<torch::nn::ModuleList> down_, up_levels_;  // levels 1 .. L-1 (index l - 1)
};

TORCH_MODULE(DcdmNet);

/// The cell-type input channels of `grid`: (1, 2, [nz,] ny, nx) float32 on the CPU, channel 0 is 1
/// on fluid cells, channel 1 is 1 on air (Dirichlet) cells; solid cells are 0 in both.
torch::Tensor cell_type_images(const Grid& grid);

}  // namespace deepsolve::solvers::dcdm
