// Mann-Whitney (AUC) loss: a logistic surrogate of the fraction of misordered pairs.
//
// Sheikholeslami et al. (ServiceNow), arXiv 2510.00137: the loss is the mean, over pairs of a
// positive score s+ and a negative score s-, of BCE(σ(s+ - s-), 1):
//   L_MW = mean_{(+,-)} softplus(-(s+ - s-)) = mean log(1 + exp(-(s+ - s-))).
// Since 1[d <= 0] <= log2(1 + e^-d), the area over the ROC curve obeys AoC = 1 - AUC <= L_MW /
// ln 2.
//
// Which pairs the paper takes (all pairs of the batch, which matches the pooled AUC, or pairs
// within one query) is [verify]; both are here:
//   global:     every (positive, negative) pair of the batch, whatever its shape;
//   per query:  pairs within one query only, either given by query ids (1-D scores) or as the
//               rows of a score matrix [Q, D] (e.g. query-document similarities with the
//               relevant documents marked 1); each query's loss is the mean over its pairs.
// Reductions: global: kNone gives the pair losses [P, M] (P positives by index, M negatives),
// kMean their mean, kSum their sum. Per query: kNone gives [Q] (queries in row order, or in
// increasing id order), kMean the mean over the queries that have a pair, kSum the sum.
// A batch (or query) without a positive or without a negative has no pair and contributes 0,
// with a zero gradient, so an imbalanced batch without positives does not stop the training.
#pragma once

#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>

#include <ostream>

#include "deepsolve/learned/losses/common.hpp"

namespace deepsolve::learned {

struct MannWhitneyOptions {
  typedef LossReduction reduction_t;

  /// Pairs within each row of a 2-D score matrix (true) or across the whole batch (false).
  TORCH_ARG(bool, per_query) = false;
  TORCH_ARG(reduction_t, reduction) = torch::kMean;
};

namespace functional {

using MannWhitneyFuncOptions = MannWhitneyOptions;

/// Scores and 0/1 labels of the same shape. Global pairs, or per row of [Q, D] with per_query.
at::Tensor mann_whitney_loss(const at::Tensor& scores, const at::Tensor& labels,
                             const MannWhitneyFuncOptions& options = {});

/// Scores [N], 0/1 labels [N] and integer query ids [N]: pairs within each query.
at::Tensor mann_whitney_loss(const at::Tensor& scores, const at::Tensor& labels,
                             const at::Tensor& query_ids,
                             const MannWhitneyFuncOptions& options = {});

/// The area under the ROC curve of scores and 0/1 labels (ties count 1/2), over all pairs;
/// NaN when there is no positive or no negative.
double roc_auc(const at::Tensor& scores, const at::Tensor& labels);

}  // namespace functional

/// Module form: forward(scores, labels) as the 2-argument functional; with query ids (defined),
/// per query.
struct MannWhitneyLossImpl : torch::nn::Cloneable<MannWhitneyLossImpl> {
  explicit MannWhitneyLossImpl(MannWhitneyOptions options = {});
  void reset() override;
  void pretty_print(std::ostream& stream) const override;
  at::Tensor forward(const at::Tensor& scores, const at::Tensor& labels,
                     const at::Tensor& query_ids = {});
  MannWhitneyOptions options;
};
TORCH_MODULE(MannWhitneyLoss);

}  // namespace deepsolve::learned
