// The runtime interface of every denoiser network (model family kDenoiserFamily in the model
// registry): F(x_in, c_noise, labels), the raw network whose output the preconditioning of
// parameterization.hpp turns into a denoised estimate (denoiser.hpp).
//
// Conventions shared by all denoiser networks:
//   * x_in has shape [B, sample_shape()...] (e.g. [B, 2] for 2D points, [B, C, H, W] for images);
//     the output has the same shape;
//   * c_noise has shape [B] (the noise-level input c_noise(sigma) of parameterization.hpp); a
//     blind network (uses_noise_level() false) ignores it;
//   * labels has shape [B], int64, values in [0, num_classes()]; the value num_classes() is the
//     null label of classifier-free guidance (the unconditional model). An unconditional network
//     (num_classes() == 0) takes an undefined tensor or all zeros (= its null label);
//   * every network checks its input's shape and throws std::invalid_argument naming the
//     expected and the given shape.
#pragma once

#include <torch/nn/module.h>

#include <cstdint>
#include <string>
#include <vector>

namespace deepsolve::diffusion {

/// The model-registry family of denoiser networks.
inline constexpr const char* kDenoiserFamily = "diffusion-denoiser";

class DenoiserNetwork : public torch::nn::Module {
 public:
  /// F(x_in, c_noise, labels): see the conventions above.
  virtual at::Tensor forward(const at::Tensor& x_in, const at::Tensor& c_noise,
                             const at::Tensor& labels) = 0;
  /// The shape of one sample (without the batch dimension).
  virtual std::vector<std::int64_t> sample_shape() const = 0;
  /// Number of classes of a conditional network; 0 for an unconditional one.
  virtual std::int64_t num_classes() const = 0;
  /// False for a blind denoiser (the noise level is not an input).
  virtual bool uses_noise_level() const = 0;
  /// The label meaning "no label" (classifier-free guidance's unconditional branch).
  std::int64_t null_label() const { return num_classes(); }
};

/// Throws std::invalid_argument naming `what` unless x has shape [B, sample_shape...] with B >= 1.
void check_sample_batch(const at::Tensor& x, const std::vector<std::int64_t>& sample_shape,
                        const std::string& what);

/// "[2, 16, 16]"
std::string shape_text(const std::vector<std::int64_t>& shape);
/// `v` as operator<< prints it (6 significant digits), for error messages.
std::string number_text(double v);

}  // namespace deepsolve::diffusion
