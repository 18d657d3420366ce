// Smooth adversarial comp-sum loss.
//
// Mao, Mohri & Zhong (ICML 2023, arXiv 2304.07288), the smooth adversarial comp-sum losses of
// their sec. 5 ("ADV-COMP-SUM"). [verify] The form below is from our reference notes, not
// checked against the paper's equation; in particular the paper may scale the scores by 1/ρ
// (a ρ-margin). Scale the model's output to get that.
//
//   L(x, y) = Φ^τ(u(x, y)) + ν · sup_{||x' - x||_p <= γ} || Δh(x') - Δh(x) ||_2,
//   Δh(x) = (h(x, 1) - h(x, y), ..., h(x, C) - h(x, y)),
// with Φ^τ the comp-sum transform of comp_sum.hpp. The supremum is approximated per sample by a
// few steps of projected gradient ascent (PGD, as in TRADES) on x' from a small random start:
//   p = ∞: x' <- clip_{x±γ}(x' + α sign(∇)),  p = 2: x' <- proj_{B2(x,γ)}(x' + α ∇/||∇||_2),
// α = `step_size` (0: 2.5 γ / steps). The ascent does not touch the model's gradients; the
// penalty is then evaluated at the found x' (detached) with gradients flowing into the model
// through both h(x') and h(x). The samples are attacked independently only if the model treats
// them independently (no batch norm in training mode). The model's train/eval mode is the
// caller's business (TRADES attacks in eval mode).
#pragma once

#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <limits>
#include <ostream>

#include "deepsolve/learned/losses/common.hpp"

namespace deepsolve::learned {

struct AdversarialCompSumOptions {
  typedef LossReduction reduction_t;

  /// τ >= 0 of the comp-sum transform.
  TORCH_ARG(double, tau) = 1.0;
  /// Weight ν >= 0 of the smoothness penalty.
  TORCH_ARG(double, nu) = 1.0;
  /// Radius γ >= 0 of the perturbation ball (0.031 ≈ 8/255, the usual ℓ∞ radius for images).
  TORCH_ARG(double, gamma) = 0.031;
  /// The ball's norm: 2 or infinity.
  TORCH_ARG(double, p) = std::numeric_limits<double>::infinity();
  /// PGD steps (>= 1).
  TORCH_ARG(std::int64_t, steps) = 10;
  /// PGD step length α (>= 0; 0 picks 2.5 γ / steps).
  TORCH_ARG(double, step_size) = 0.0;
  /// Standard deviation of the Gaussian random start (as TRADES, 0.001), projected on the ball.
  TORCH_ARG(double, init_std) = 0.001;
  TORCH_ARG(reduction_t, reduction) = torch::kMean;
};

namespace functional {

using AdversarialCompSumFuncOptions = AdversarialCompSumOptions;

/// The PGD estimate of argmax_{x'} ||Δh(x') - Δh(x)||_2 over the ball (detached).
at::Tensor adversarial_input(const ScoreFunction& model, const at::Tensor& x,
                             const at::Tensor& target,
                             const AdversarialCompSumFuncOptions& options = {});

/// The per-sample penalty ||Δh(x_adv) - Δh(x)||_2 [N] (differentiable in the model).
at::Tensor score_difference_norm(const ScoreFunction& model, const at::Tensor& x,
                                 const at::Tensor& x_adv, const at::Tensor& target);

/// Φ^τ(u(x)) + ν · penalty, reduced over the samples.
at::Tensor adversarial_comp_sum_loss(const ScoreFunction& model, const at::Tensor& x,
                                     const at::Tensor& target,
                                     const AdversarialCompSumFuncOptions& options = {});

}  // namespace functional

/// Module form of functional::adversarial_comp_sum_loss.
struct AdversarialCompSumLossImpl : torch::nn::Cloneable<AdversarialCompSumLossImpl> {
  explicit AdversarialCompSumLossImpl(AdversarialCompSumOptions options = {});
  void reset() override;
  void pretty_print(std::ostream& stream) const override;
  at::Tensor forward(const ScoreFunction& model, const at::Tensor& x, const at::Tensor& target);
  AdversarialCompSumOptions options;
};
TORCH_MODULE(AdversarialCompSumLoss);

}  // namespace deepsolve::learned
