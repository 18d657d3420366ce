// Mann-Whitney / AUC loss (Sheikholeslami et al., arXiv 2510.00137); see mann_whitney.hpp.
#include "deepsolve/learned/losses/mann_whitney.hpp"

#include <torch/torch.h>

#include <limits>

#include "checks.hpp"
#include "registration.hpp"

namespace deepsolve::learned {

namespace {

constexpr const char* kMannWhitneyName = "mann_whitney";

// Per-query means from the sums of the pair losses and the pair counts of each query [Q]:
// [Q] (kNone), their sum (kSum), or their mean over the queries that have a pair (kMean).
at::Tensor reduce_query_means(const at::Tensor& sums, const at::Tensor& counts,
                              const LossReduction& reduction) {
  const at::Tensor per_query = sums / counts.clamp_min(1);
  switch (torch::enumtype::reduction_get_enum(reduction)) {
    case at::Reduction::None:
      return per_query;
    case at::Reduction::Sum:
      return per_query.sum();
    default:
      return per_query.sum() / (counts > 0).sum().clamp_min(1).to(per_query.scalar_type());
  }
}

}  // namespace

namespace functional {

at::Tensor mann_whitney_loss(const at::Tensor& scores, const at::Tensor& labels,
                             const MannWhitneyFuncOptions& options) {
  detail::require_floating(kMannWhitneyName, "scores", scores);
  const at::Tensor y = detail::binary_labels(kMannWhitneyName, labels, scores, "scores") > 0.5;
  if (options.per_query()) {
    detail::require(scores.dim() == 2,
                    std::string(kMannWhitneyName) +
                        ": per_query without query ids needs a score matrix [Q, D], got " +
                        detail::describe(scores));
    // Row q: pair losses [D, D] of (positive i, negative j) within the row.
    const at::Tensor pairs = -torch::log_sigmoid(scores.unsqueeze(2) - scores.unsqueeze(1));
    const at::Tensor valid = y.unsqueeze(2) & y.logical_not().unsqueeze(1);
    const at::Tensor masked = torch::where(valid, pairs, torch::zeros_like(pairs));
    return reduce_query_means(masked.sum({1, 2}), valid.sum({1, 2}).to(scores.scalar_type()),
                              options.reduction());
  }
  const at::Tensor flat = scores.reshape({-1});
  const at::Tensor yf = y.reshape({-1});
  const at::Tensor positives = flat.masked_select(yf);
  const at::Tensor negatives = flat.masked_select(yf.logical_not());
  const at::Tensor pairs = -torch::log_sigmoid(positives.unsqueeze(1) - negatives.unsqueeze(0));
  if (pairs.numel() == 0 &&
      torch::enumtype::reduction_get_enum(options.reduction()) == at::Reduction::Mean) {
    return (flat * 0).sum();  // no pair: 0, still attached to the graph
  }
  return reduce_loss(pairs, options.reduction());
}

at::Tensor mann_whitney_loss(const at::Tensor& scores, const at::Tensor& labels,
                             const at::Tensor& query_ids, const MannWhitneyFuncOptions& options) {
  detail::require_floating(kMannWhitneyName, "scores", scores);
  detail::require(scores.dim() == 1, std::string(kMannWhitneyName) +
                                         ": with query ids the scores must be [N], got " +
                                         detail::describe(scores));
  const at::Tensor y = detail::binary_labels(kMannWhitneyName, labels, scores, "scores") > 0.5;
  detail::require(query_ids.defined() && !query_ids.is_floating_point() &&
                      query_ids.scalar_type() != at::kBool && query_ids.sizes() == scores.sizes(),
                  std::string(kMannWhitneyName) +
                      ": query ids must be an integer tensor of the scores' shape " +
                      detail::describe(scores) + ", got " + detail::describe(query_ids));
  // Number the distinct ids 0..Q-1 in increasing order.
  at::Tensor unique;
  at::Tensor row;
  std::tie(unique, row, std::ignore) =
      torch::_unique2(query_ids.to(scores.device(), at::kLong), /*sorted=*/true,
                      /*return_inverse=*/true, /*return_counts=*/false);
  const at::Tensor valid =
      (row.unsqueeze(1) == row.unsqueeze(0)) & y.unsqueeze(1) & y.logical_not().unsqueeze(0);
  const at::Tensor pairs = -torch::log_sigmoid(scores.unsqueeze(1) - scores.unsqueeze(0));
  const at::Tensor masked = torch::where(valid, pairs, torch::zeros_like(pairs));
  const std::int64_t q = unique.numel();
  const at::Tensor sums = torch::zeros({q}, scores.options()).index_add(0, row, masked.sum(1));
  const at::Tensor counts =
      torch::zeros({q}, scores.options()).index_add(0, row, valid.to(scores.scalar_type()).sum(1));
  return reduce_query_means(sums, counts, options.reduction());
}

double roc_auc(const at::Tensor& scores, const at::Tensor& labels) {
  torch::NoGradGuard no_grad;
  detail::require_floating(kMannWhitneyName, "scores", scores);
  const at::Tensor y = detail::binary_labels(kMannWhitneyName, labels, scores, "scores") > 0.5;
  const at::Tensor s = scores.detach().to(at::kDouble).reshape({-1});
  const at::Tensor yf = y.reshape({-1});
  const at::Tensor pos = s.masked_select(yf);
  const at::Tensor neg = s.masked_select(yf.logical_not());
  if (pos.numel() == 0 || neg.numel() == 0) return std::numeric_limits<double>::quiet_NaN();
  const at::Tensor d = pos.unsqueeze(1) - neg.unsqueeze(0);
  return ((d > 0).to(at::kDouble) + 0.5 * (d == 0).to(at::kDouble)).mean().item<double>();
}

}  // namespace functional

MannWhitneyLossImpl::MannWhitneyLossImpl(MannWhitneyOptions options_)
    : options(std::move(options_)) {
  reset();
}

void MannWhitneyLossImpl::reset() {}

void MannWhitneyLossImpl::pretty_print(std::ostream& stream) const {
  stream << "deepsolve::learned::MannWhitneyLoss(per_query=" << std::boolalpha
         << options.per_query() << ", reduction=" << reduction_name(options.reduction()) << ")";
}

at::Tensor MannWhitneyLossImpl::forward(const at::Tensor& scores, const at::Tensor& labels,
                                        const at::Tensor& query_ids) {
  if (!query_ids.defined()) return functional::mann_whitney_loss(scores, labels, options);
  return functional::mann_whitney_loss(scores, labels, query_ids, options);
}

namespace detail {

std::vector<LossEntry> mann_whitney_losses() {
  return {make_entry(
      "mw", LossInput::classification,
      "Mann-Whitney (AUC) loss, mean softplus(-(s+ - s-)) over the batch's (positive, "
      "negative) pairs, or within each query given ids (Sheikholeslami et al. 2025)",
      {}, [](const SettingsReader& r) {
        const LossReduction reduction = reduction_setting(r);
        return Loss([reduction](const LossBatch& b) {
          const at::Tensor& logits = b.input;
          if (b.ids.defined())
            return functional::mann_whitney_loss(logits, b.target, b.ids,
                                                 MannWhitneyOptions().reduction(reduction));
          if (logits.dim() == 2 && b.target.dim() == 1) {
            // One-vs-rest: class c's scores are the logits' column c, its positives the samples
            // of c.
            const at::Tensor classes =
                class_indices("mw", b.target, logits.size(0), logits.size(1)).to(logits.device());
            const at::Tensor labels = torch::one_hot(classes, logits.size(1)).t();
            return functional::mann_whitney_loss(
                logits.t(), labels, MannWhitneyOptions().per_query(true).reduction(reduction));
          }
          require(logits.dim() == 1,
                  "mw: logits must be [N] (binary) or [N, C] with class indices [N], got " +
                      describe(logits));
          return functional::mann_whitney_loss(logits, b.target,
                                               MannWhitneyOptions().reduction(reduction));
        });
      })};
}

}  // namespace detail

}  // namespace deepsolve::learned
