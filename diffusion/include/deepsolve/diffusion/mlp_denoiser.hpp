// "mlp-denoiser": a multilayer perceptron denoiser network (network.hpp) for low-dimensional data
// (2D toys, Gaussian mixtures), conditioned on the noise level and, optionally, on a class label.
//
//   e   = SiLU(W_e fourier(c_noise) + b_e) + T[label]
//         (T: classes + 1 rows, the last the null label; absent when classes = 0)
//   h_0 = x,   h_l = SiLU(W_l h_{l-1} + U_l e + c_l)   for l = 1 .. layers
//   F   = W_out h_layers + b_out   (W_out initialised 100x smaller, b_out = 0)
//
// fourier(c) = [cos(2 pi f_k c), sin(2 pi f_k c)], k = 0 .. embedding/2 - 1, with frequencies f_k
// geometric from 1/8 to 32: c_noise = ln(sigma)/4 spans about [-1.6, 1.1] on the usual sigma
// range, so the slowest features are monotone in sigma and the fastest resolve small changes. The
// conditioning enters every hidden layer as an additive shift: U_1 .. U_layers and the biases
// c_1 .. c_layers are one linear map e -> [layers * hidden] evaluated once per call (so the
// hidden layers' own maps W_l have no bias: it would duplicate c_l).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "deepsolve/diffusion/network.hpp"

namespace deepsolve::diffusion {

struct MlpDenoiserOptions {
  std::int64_t dimension = 2;   ///< d: samples are [B, d]
  std::int64_t hidden = 128;    ///< width of the hidden layers
  std::int64_t layers = 3;      ///< number of hidden layers
  std::int64_t embedding = 32;  ///< size of the noise-level (and label) embedding; even
  std::int64_t classes = 0;     ///< 0: unconditional; else labels 0 .. classes - 1, null = classes

  /// Throws std::invalid_argument naming the option (by its model-option name): dimension,
  /// hidden, layers < 1, embedding odd or < 2, classes < 0, any of them absurdly large, or more
  /// than kMaxDenoiserParameters learned values.
  void validate() const;
  /// About how many learned values the network holds.
  double parameter_count() const;
  /// e.g. "2-d samples, 3 hidden layers of 128, 32-d noise embedding, unconditional".
  std::string describe() const;
};

/// The most learned values one denoiser network may hold (a guard against sizes that would only
/// fail in an allocation): 2^28 float32 values, 1 GiB.
inline constexpr double kMaxDenoiserParameters = double(std::int64_t{1} << 28);

class MlpDenoiser : public DenoiserNetwork {
 public:
  /// Throws std::invalid_argument for invalid options (MlpDenoiserOptions::validate). Weights are
  /// LibTorch's default initialisation (seed it with torch::manual_seed), the output layer's
  /// scaled by 1/100 and its bias 0.
  explicit MlpDenoiser(MlpDenoiserOptions options);

  /// x_in [B, dimension], c_noise [B], labels [B] int64 in [0, classes] or undefined (the null
  /// label). Throws std::invalid_argument naming the expected shape, or a label out of range.
  at::Tensor forward(const at::Tensor& x_in, const at::Tensor& c_noise,
                     const at::Tensor& labels) override;
  std::vector<std::int64_t> sample_shape() const override { return {options_.dimension}; }
  std::int64_t num_classes() const override { return options_.classes; }
  bool uses_noise_level() const override { return true; }

  const MlpDenoiserOptions& options() const { return options_; }
  /// e.g. "MLP denoiser, 2-d samples, 3 hidden layers of 128, 32-d noise embedding,
  /// unconditional".
  std::string describe() const;

  std::shared_ptr<torch::nn::Module> clone(
      const c10::optional<torch::Device>& device = c10::nullopt) const override;

 private:
  MlpDenoiserOptions options_;
  at::Tensor frequencies_;            ///< buffer "frequencies" [embedding]: 2 pi f_k, twice
  at::Tensor phases_;                 ///< buffer "phases" [embedding]: 0 (cosines), -pi/2 (sines)
  torch::nn::Linear noise_{nullptr};  ///< "noise": embedding -> embedding
  torch::nn::Embedding labels_{nullptr};   ///< "labels": [classes + 1, embedding]; only if classes
  torch::nn::Linear condition_{nullptr};   ///< "condition": embedding -> layers * hidden (U_l, c_l)
  std::vector<torch::nn::Linear> hidden_;  ///< "hidden<l>": W_l (no bias)
  torch::nn::Linear out_{nullptr};         ///< "out": hidden -> dimension
};

}  // namespace deepsolve::diffusion
