// iSogCLR: contrastive learning with a temperature per sample, optimised with the model.
//
// Qiu, Hu, Yuan, Zhou, Zhang & Yang, "Not All Semantics are Created Equal: Contrastive
// Self-supervised Learning with Automatic Temperature Individualization" (ICML 2023,
// arXiv 2305.11965), the KL-DRO objective and Algorithm 1. For anchor i with temperature τ_i and
// negatives S_i, with margins l_iz = sim(i, z) - sim(i, i+) (cosine similarities),
//   F = (1/n) sum_i [ τ_i log( (1/|S_i|) sum_{z in S_i} exp(l_iz / τ_i) ) + τ_i ρ ].
// Every step, for the anchors of the batch (ids i):
//   g_i = mean_z exp(l_iz / τ_i);   s_i <- (1 - γ) s_i + γ g_i   (s_i = g_i on a sample's first
//                                                                 visit);
//   w_iz = exp(l_iz / τ_i) / s_i (no gradient); loss_i = mean_z w_iz l_iz, whose gradient in the
//   embeddings is that of F (exactly so when s_i = g_i);
//   ∇τ_i = log s_i + ρ - mean_z w_iz l_iz / τ_i, clamped to [-grad_clip, grad_clip];
//   u_i <- (1 - β_u) u_i + β_u ∇τ_i;   τ_i <- clip(τ_i - η u_i, τ_min, τ_max).
// s is kept as log s (no overflow for small τ); the state is float64 buffers, indexed by the
// samples' ids in [0, num_samples), and is saved with the module's state (and checkpoints).
//
// Two forms (`bimodal`):
//   false (unimodal, SimCLR-like, as the authors' unimodal code): z1 and z2 are two views of the
//     same samples; each anchor's negatives are both views of every other sample of the batch
//     (2B - 2); the two views of a sample share its state (s and ∇τ are averaged over the views).
//   true (bimodal, CLIP-like): z1 (e.g. images) and z2 (texts) have separate states; an anchor's
//     negatives are the other side's other samples (B - 1).
// Defaults are the authors' bimodal CLIP script's (γ 0.8, ρ 6, τ_init 0.01, τ_min 5e-3, τ_max 1,
// β_u 0.9, η 0.03, clip 5); their unimodal class uses τ_init 0.07, τ_min 0.05, η 1e-3 and
// clip 3, with a comment suggesting ρ in 0.1-0.5 for unimodal data.
//
// In eval mode nothing is updated and s_i is taken as the batch's g_i.
#pragma once

#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <ostream>

#include "deepsolve/learned/losses/common.hpp"

namespace deepsolve::learned {

struct ISogCLROptions {
  typedef LossReduction reduction_t;

  /* implicit */ ISogCLROptions(std::int64_t num_samples) : num_samples_(num_samples) {}

  /// Size of the dataset: sample ids lie in [0, num_samples).
  TORCH_ARG(std::int64_t, num_samples);
  /// Moving-average weight γ in (0, 1] of s.
  TORCH_ARG(double, gamma) = 0.8;
  /// KL radius ρ >= 0.
  TORCH_ARG(double, rho) = 6.0;
  /// Initial temperature, in [tau_min, tau_max].
  TORCH_ARG(double, tau_init) = 0.01;
  TORCH_ARG(double, tau_min) = 5e-3;
  TORCH_ARG(double, tau_max) = 1.0;
  /// Momentum weight β_u in (0, 1] of the temperature gradient.
  TORCH_ARG(double, beta_u) = 0.9;
  /// Temperature step η >= 0.
  TORCH_ARG(double, eta) = 0.03;
  /// |∇τ| is clamped to this (> 0).
  TORCH_ARG(double, grad_clip) = 5.0;
  /// CLIP-like two sides (true) or two views of one kind of data (false).
  TORCH_ARG(bool, bimodal) = false;
  /// Norms are clamped below by eps before normalising.
  TORCH_ARG(double, eps) = 1e-12;
  /// Over the 2B anchors (kNone: [2B], z1's anchors first).
  TORCH_ARG(reduction_t, reduction) = torch::kMean;
};

/// What one step on a side computed.
struct ISogCLRStep {
  at::Tensor loss;       ///< [V, B] surrogate losses mean_z w_iz l_iz (differentiable)
  at::Tensor weights;    ///< [V, B, M] w_iz (0 where not a negative), float64, no gradient
  at::Tensor grad_tau;   ///< [B] the clamped ∇τ_i, averaged over the V views
  at::Tensor tau;        ///< [B] the temperatures used (before this step's update)
  at::Tensor objective;  ///< [B] τ_i (log g_i + ρ), the batch estimate of F's terms (view mean)
};

struct ISogCLRImpl : torch::nn::Cloneable<ISogCLRImpl> {
  explicit ISogCLRImpl(ISogCLROptions options);
  void reset() override;
  void pretty_print(std::ostream& stream) const override;

  /// The loss of embeddings z1, z2 [B, d] of the samples `ids` [B] (distinct); updates the
  /// state in training mode.
  at::Tensor forward(const at::Tensor& z1, const at::Tensor& z2, const at::Tensor& ids);

  /// One step on side `side` (0, or 1 for bimodal's z2) from margins l [V, B, M] (or [B, M]) of
  /// V views of the samples `ids` [B] (distinct) against M candidates, `valid` (bool, of the
  /// margins' shape, or undefined for all) marking the negatives; at least one per anchor.
  ISogCLRStep step(std::int64_t side, const at::Tensor& margins, const at::Tensor& ids,
                   const at::Tensor& valid = {});

  ISogCLROptions options;
  /// [sides, num_samples] float64 buffers: temperatures, log s, u, and whether seen.
  at::Tensor tau, log_s, u, seen;
};
TORCH_MODULE(ISogCLR);

}  // namespace deepsolve::learned
