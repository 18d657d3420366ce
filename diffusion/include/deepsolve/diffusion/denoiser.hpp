// A denoiser: a network (network.hpp) with the preconditioning of its parameterization
// (parameterization.hpp), giving the denoised estimate D(x; sigma, label) that samplers,
// guidance and the analysis use, and the training target that score matching regresses on.
// By Tweedie's formula the score of the noised density is (D(x; sigma) - x) / sigma^2.
#pragma once

#include <ATen/Tensor.h>

#include <memory>
#include <string>

#include "deepsolve/diffusion/network.hpp"
#include "deepsolve/diffusion/parameterization.hpp"

namespace deepsolve::diffusion {

/// Anything that gives D(x; sigma, label) for labelled samples: a trained Denoiser, or the exact
/// posterior mean of an analytic data set (gaussian_mixture.hpp). Samplers and guidance policies
/// drive either.
class ConditionalDenoiser {
 public:
  virtual ~ConditionalDenoiser() = default;
  /// x [B, sample...], one noise level sigma > 0 for the batch, labels [B] int64 with values in
  /// [0, null_label()] (null_label(): unconditional), or undefined (all unconditional).
  virtual at::Tensor denoise(const at::Tensor& x, double sigma, const at::Tensor& labels) const = 0;
  /// The label of the unconditional branch (the number of classes; 0 when there are none).
  virtual std::int64_t null_label() const = 0;
};

class Denoiser : public ConditionalDenoiser {
 public:
  /// Throws std::invalid_argument for a null network, sigma_data <= 0, or a blind network with
  /// a prediction other than residual (and a residual prediction with a non-blind network).
  Denoiser(std::shared_ptr<DenoiserNetwork> network, Prediction prediction,
           double sigma_data = 1.0);

  /// D(x; sigma, labels): x [B, sample...], sigma [B] (or a 0-dim tensor, broadcast) of x's
  /// dtype, labels [B] int64 in [0, num_classes] or undefined (the null label for every sample).
  /// The network runs in x's dtype (a float64 x with a float32 network is converted).
  at::Tensor operator()(const at::Tensor& x, const at::Tensor& sigma,
                        const at::Tensor& labels = {}) const;
  /// Same, one noise level for the whole batch.
  at::Tensor operator()(const at::Tensor& x, double sigma, const at::Tensor& labels = {}) const;
  at::Tensor denoise(const at::Tensor& x, double sigma, const at::Tensor& labels) const override {
    return (*this)(x, sigma, labels);
  }
  std::int64_t null_label() const override { return network_->null_label(); }

  /// The per-sample training loss ||F(c_in x, c_noise) - (x0 - c_skip x) / c_out||^2 / numel
  /// (a [B] tensor) for clean samples x0, noise levels sigma [B] and noise n ~ N(0, I) (x = x0 +
  /// sigma n).
  at::Tensor loss(const at::Tensor& x0, const at::Tensor& sigma, const at::Tensor& noise,
                  const at::Tensor& labels = {}) const;

  DenoiserNetwork& network() const { return *network_; }
  const std::shared_ptr<DenoiserNetwork>& network_ptr() const { return network_; }
  Prediction prediction() const { return prediction_; }
  double sigma_data() const { return sigma_data_; }

 private:
  at::Tensor labels_for(const at::Tensor& x, const at::Tensor& labels) const;
  std::shared_ptr<DenoiserNetwork> network_;
  Prediction prediction_;
  double sigma_data_;
};

}  // namespace deepsolve::diffusion
