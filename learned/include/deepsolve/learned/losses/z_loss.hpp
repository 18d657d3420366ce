// Z-loss: a softplus of the standardised score of the target class.
//
// de Brébisson & Vincent, "The Z-loss: a shift and scale invariant classification loss belonging
// to the Spherical Family" (2016, arXiv 1604.08859), eq. (6)-(7):
//   μ = mean_k o_k,  σ² = mean_k o_k² - μ² (population),  z_c = (o_c - μ) / σ,
//   L_Z(o, c) = (1/a) softplus(a (b - z_c)) = (1/a) log(1 + exp(a (b - z_c))),
// with sharpness a > 0 and shift b. As the authors' reference code does, σ gets `eps` added
// (z_c = (o_c - μ) / (σ + eps), eps = 1e-12). The loss is unchanged when all scores of a sample
// are shifted by a constant or multiplied by a positive one. Rows whose scores are all equal have
// σ = 0; their z is 0 and the gradient through σ is taken as 0 (not NaN).
//
// The paper tunes a and b per task (their values are not in our notes [verify]); a = 1, b = 0 are
// the reference code's. Shapes: scores [N, D] (D >= 2; with D = 2, z_c = ±1 whatever the scores,
// so the loss has no useful gradient) and class indices [N]. Reduction over the samples.
#pragma once

#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>

#include <ostream>

#include "deepsolve/learned/losses/common.hpp"

namespace deepsolve::learned {

struct ZLossOptions {
  typedef LossReduction reduction_t;

  /// Sharpness a > 0.
  TORCH_ARG(double, a) = 1.0;
  /// Shift b.
  TORCH_ARG(double, b) = 0.0;
  /// Added to σ (>= 0).
  TORCH_ARG(double, eps) = 1e-12;
  TORCH_ARG(reduction_t, reduction) = torch::kMean;
};

namespace functional {

using ZLossFuncOptions = ZLossOptions;

/// Z-loss of scores [N, D] and class indices [N].
at::Tensor z_loss(const at::Tensor& scores, const at::Tensor& target,
                  const ZLossFuncOptions& options = {});

}  // namespace functional

/// Module form of functional::z_loss.
struct ZLossImpl : torch::nn::Cloneable<ZLossImpl> {
  explicit ZLossImpl(ZLossOptions options = {});
  void reset() override;
  void pretty_print(std::ostream& stream) const override;
  at::Tensor forward(const at::Tensor& scores, const at::Tensor& target);
  ZLossOptions options;
};
TORCH_MODULE(ZLoss);

}  // namespace deepsolve::learned
