// GroCo: a contrastive loss that asks a differentiable sorting network to rank an anchor's
// positives above its hardest negatives, caring only about the two groups, not the order within.
//
// Shvetsova, Petersen, Kukleva, Schiele & Kuehne, "Learning by Sorting: Self-supervised Learning
// with Group Ordering Constraints" (ICCV 2023, arXiv 2301.02009), sec. 3.
//
// Per anchor with similarities to P positives and to its top-k negatives (k = topk_neg), the
// k negatives (ascending) and then the P positives (ascending) form the n = k + P values to sort
// (diff_sort.hpp: odd-even network, Cauchy relaxation, steepness 1 by default; art_lambda only
// matters for the logistic_phi relaxation). From the soft permutation P[j, r]:
//   q_pos(j) = sum_{r >= k} P[j, r] (mass of element j on the top P ranks),
//   q_neg(j) = sum_{r < k} P[j, r]  (mass on the bottom k ranks),
//   loss = ½ [ mean_j BCE(q_pos(j), 1[j positive]) + mean_j BCE(q_neg(j), 1[j negative]) ],
// with q clipped to [0, 1] and BCE's log clamped at -100 (as torch's BCELoss). Reduction over the
// anchors.
//
// groco_loss(z1, z2) is the two-view form of the authors' code: every embedding of either view is
// an anchor; its positive is the same sample's other view, its negatives the other samples of its
// own view; cosine similarities; with stop_grad the positives and negatives are detached, so the
// gradient flows through the anchors only.
#pragma once

#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <ostream>

#include "deepsolve/learned/losses/common.hpp"
#include "deepsolve/learned/losses/diff_sort.hpp"

namespace deepsolve::learned {

struct GroCoOptions {
  typedef LossReduction reduction_t;

  /// Steepness of the comparators (> 0).
  TORCH_ARG(double, steepness) = 1.0;
  /// Number k >= 1 of hardest negatives per anchor.
  TORCH_ARG(std::int64_t, topk_neg) = 10;
  TORCH_ARG(SortRelaxation, relaxation) = SortRelaxation::cauchy;
  /// λ of the logistic_phi relaxation (>= 0).
  TORCH_ARG(double, art_lambda) = 0.25;
  /// Detach the positives and negatives in groco_loss(z1, z2).
  TORCH_ARG(bool, stop_grad) = true;
  /// Norms are clamped below by eps before normalising.
  TORCH_ARG(double, eps) = 1e-12;
  /// Over the anchors (kNone: [B], or [2B] for two views, z1's anchors first).
  TORCH_ARG(reduction_t, reduction) = torch::kMean;
};

namespace functional {

using GroCoFuncOptions = GroCoOptions;

/// From similarities of B anchors to their P positives [B, P] and M >= topk_neg negatives
/// [B, M] (the top k are taken).
at::Tensor groco_loss_from_similarities(const at::Tensor& positive, const at::Tensor& negative,
                                        const GroCoFuncOptions& options = {});

/// Two views z1, z2 [B, d] (B >= topk_neg + 1).
at::Tensor groco_loss(const at::Tensor& z1, const at::Tensor& z2,
                      const GroCoFuncOptions& options = {});

}  // namespace functional

/// Module form of functional::groco_loss.
struct GroCoLossImpl : torch::nn::Cloneable<GroCoLossImpl> {
  explicit GroCoLossImpl(GroCoOptions options = {});
  void reset() override;
  void pretty_print(std::ostream& stream) const override;
  at::Tensor forward(const at::Tensor& z1, const at::Tensor& z2);
  GroCoOptions options;
};
TORCH_MODULE(GroCoLoss);

}  // namespace deepsolve::learned
