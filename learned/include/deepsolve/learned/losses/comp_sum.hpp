// The comp-sum family of multi-class losses.
//
// Mao, Mohri & Zhong, "Cross-Entropy Loss Functions: Theoretical Analysis and Applications"
// (ICML 2023, arXiv 2304.07288), the comp-sum losses of their sec. 3:
//   u(h, x, y) = sum_{y' != y} exp(h(x, y') - h(x, y))   (= 1/p_y - 1 with p = softmax(h))
//   L_τ = Φ^τ(u),  Φ^τ(u) = log(1 + u)                        for τ = 1,
//                           ((1 + u)^(1-τ) - 1) / (1 - τ)     for τ >= 0, τ != 1.
// τ = 0: the sum-exponential loss u; τ = 1: cross-entropy -log p_y; τ in (1, 2): generalized
// cross-entropy (1 - p_y^q) / q with q = τ - 1; τ = 2: mean absolute error 1 - p_y.
//
// Computed from logits without forming u: with r = logsumexp(h) - h_y (= -log p_y >= 0),
// 1 + u = exp(r) and Φ^τ = expm1((1 - τ) r) / (1 - τ), which is accurate for every τ and tends
// continuously to r as τ → 1.
//
// Shapes: logits [N, C] with class indices [N] in [0, C); or binary logits [N] with labels [N]
// in {0, 1}, treated as the two-class scores (0, z) (so τ = 1 is binary cross-entropy with
// logits). Reduction over the samples.
#pragma once

#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>

#include <ostream>

#include "deepsolve/learned/losses/common.hpp"

namespace deepsolve::learned {

struct CompSumOptions {
  typedef LossReduction reduction_t;

  /* implicit */ CompSumOptions(double tau = 1.0) : tau_(tau) {}

  /// τ >= 0 (0 sum-exponential, 1 cross-entropy, (1, 2) GCE, 2 MAE).
  TORCH_ARG(double, tau);
  TORCH_ARG(reduction_t, reduction) = torch::kMean;
};

namespace functional {

using CompSumFuncOptions = CompSumOptions;

/// Φ^τ of the comp-sum family for logits [N, C] and class indices [N] (or binary [N], [N]).
at::Tensor comp_sum_loss(const at::Tensor& logits, const at::Tensor& target,
                         const CompSumFuncOptions& options = {});

/// Φ^τ written in r = log(1 + u) >= 0: expm1((1 - τ) r) / (1 - τ), or r for τ = 1.
at::Tensor comp_sum_transform(const at::Tensor& r, double tau);

/// r = logsumexp(h) - h_y per sample (= -log p_y), for logits [N, C] and class indices [N] (or
/// binary [N], [N] as in comp_sum_loss); checks the shapes and labels, naming `loss_name`.
at::Tensor negative_log_likelihood(const at::Tensor& logits, const at::Tensor& target,
                                   const char* loss_name);

}  // namespace functional

/// Module form of functional::comp_sum_loss.
struct CompSumLossImpl : torch::nn::Cloneable<CompSumLossImpl> {
  explicit CompSumLossImpl(CompSumOptions options = {});
  void reset() override;
  void pretty_print(std::ostream& stream) const override;
  at::Tensor forward(const at::Tensor& logits, const at::Tensor& target);
  CompSumOptions options;
};
TORCH_MODULE(CompSumLoss);

}  // namespace deepsolve::learned
