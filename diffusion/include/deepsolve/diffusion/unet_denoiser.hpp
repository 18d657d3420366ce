// "unet-denoiser": a small UNet denoiser network (network.hpp) for images [B, C, S, S], in two
// variants.
//
// Layout (both variants): `levels` encoder levels, level i with `blocks` 3x3 convolution blocks
// at base * 2^i channels and resolution S / 2^i, each followed by a 2x2 average pool; a middle
// level at base * 2^levels channels; then, for i = levels - 1 .. 0, a 2x2 stride-2 transposed
// convolution up to base * 2^i channels, concatenation with the encoder's level-i output (the
// skip connection) and `blocks` convolution blocks; finally a 3x3 convolution to C channels.
//
// Normal variant: convolutions with biases; a block is conv -> GroupNorm -> + shift(e) -> SiLU,
// where the per-channel shift is a linear map of the conditioning vector
// e = SiLU(W fourier(c_noise) + b) + T[label] (T: classes + 1 rows, the last the null label;
// fourier as in mlp_denoiser.hpp, 32 features; e has 4 * base entries). The output convolution
// starts 10x smaller than LibTorch's default.
//
// Bias-free variant (option bias-free; Mohan, Kadkhodaie, Simoncelli & Fernandez-Granda, ICLR
// 2020; Kadkhodaie, Guth, Simoncelli & Mallat, ICLR 2024, section 2 of the reference notes): no
// additive constant anywhere. Convolutions without bias; a block is conv -> bias-free batch norm
// -> ReLU, where the bias-free batch norm divides each channel by its batch standard deviation
// sqrt(var + 1e-5) (var over batch and pixels, the mean is not subtracted from x) times a learned
// gain, and keeps a running standard deviation (momentum 0.1, starting at 1) that it uses in eval
// mode. No noise level and no label reach it: the network is blind (uses_noise_level() false, to
// be used with Prediction::residual) and unconditional, and in eval mode it is positively
// homogeneous, F(a y) = a F(y) for a > 0.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "deepsolve/diffusion/network.hpp"

namespace deepsolve::diffusion {

struct UnetDenoiserOptions {
  std::int64_t channels = 1;  ///< C
  std::int64_t size = 16;     ///< S: images are S x S; divisible by 2^levels
  std::int64_t base = 16;     ///< channels of the top level (doubled per level)
  std::int64_t levels = 2;    ///< number of 2x downsamplings
  std::int64_t blocks = 2;    ///< convolution blocks per level
  std::int64_t classes = 0;   ///< 0: unconditional; else labels 0 .. classes - 1, null = classes
  bool bias_free = false;     ///< the bias-free, blind variant (unconditional only)

  /// Throws std::invalid_argument naming the option (by its model-option name): channels, size,
  /// base, blocks < 1, levels < 0, size not divisible by 2^levels, classes < 0, classes > 0 with
  /// bias-free, any of them absurdly large, or more than kMaxDenoiserParameters learned values.
  void validate() const;
  /// About how many learned values the network holds.
  double parameter_count() const;
  /// e.g. "1x16x16 images, 2 levels of 2 blocks, 16..64 channels, unconditional".
  std::string describe() const;
};

namespace detail {
class UnetBlock;  // unet_denoiser.cpp: conv -> norm (-> shift) -> activation
}

class UnetDenoiser : public DenoiserNetwork {
 public:
  /// Throws std::invalid_argument for invalid options (UnetDenoiserOptions::validate). Weights
  /// are LibTorch's default initialisation (seed it with torch::manual_seed).
  explicit UnetDenoiser(UnetDenoiserOptions options);
  ~UnetDenoiser() override;

  /// x_in [B, channels, size, size], c_noise [B] (ignored by the bias-free variant), labels [B]
  /// int64 in [0, classes] or undefined (the null label). Throws std::invalid_argument naming the
  /// expected shape, or a label out of range.
  at::Tensor forward(const at::Tensor& x_in, const at::Tensor& c_noise,
                     const at::Tensor& labels) override;
  std::vector<std::int64_t> sample_shape() const override {
    return {options_.channels, options_.size, options_.size};
  }
  std::int64_t num_classes() const override { return options_.classes; }
  bool uses_noise_level() const override { return !options_.bias_free; }

  const UnetDenoiserOptions& options() const { return options_; }
  /// e.g. "UNet denoiser, 1x16x16 images, ..., bias-free (blind, positively homogeneous)".
  std::string describe() const;

  std::shared_ptr<torch::nn::Module> clone(
      const c10::optional<torch::Device>& device = c10::nullopt) const override;

 private:
  UnetDenoiserOptions options_;
  // Conditioning (normal variant only).
  at::Tensor frequencies_;                ///< buffer "frequencies" [32] (mlp_denoiser.hpp)
  at::Tensor phases_;                     ///< buffer "phases" [32]
  torch::nn::Linear noise_{nullptr};      ///< "noise": 32 -> 4 base
  torch::nn::Embedding labels_{nullptr};  ///< "labels": [classes + 1, 4 base]; only if classes
  // The network: encoder levels 0 .. levels - 1, the middle, decoder levels levels - 1 .. 0.
  std::vector<std::vector<std::shared_ptr<detail::UnetBlock>>> down_;    ///< "down<i>_<j>"
  std::vector<std::shared_ptr<detail::UnetBlock>> middle_;               ///< "middle<j>"
  std::vector<torch::nn::ConvTranspose2d> up_;                           ///< "up<i>"
  std::vector<std::vector<std::shared_ptr<detail::UnetBlock>>> decode_;  ///< "decode<i>_<j>"
  torch::nn::Conv2d out_{nullptr};                                       ///< "out"
};

}  // namespace deepsolve::diffusion
