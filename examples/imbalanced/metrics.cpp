#include "metrics.hpp"

#include <torch/torch.h>

#include <cmath>
#include <limits>

#include "deepsolve/learned/losses/mann_whitney.hpp"

namespace imbalanced {

namespace {

struct Counts {
  double tp = 0, fp = 0, fn = 0, tn = 0;
};

// One-vs-rest counts of class c.
Counts counts_of(const at::Tensor& predicted, const at::Tensor& labels, std::int64_t c) {
  const at::Tensor p = predicted == c, y = labels == c;
  Counts k;
  k.tp = (p & y).sum().item<double>();
  k.fp = (p & y.logical_not()).sum().item<double>();
  k.fn = (p.logical_not() & y).sum().item<double>();
  k.tn = (p.logical_not() & y.logical_not()).sum().item<double>();
  return k;
}

// 2 TP / (2 TP + FP + FN); 0 when the class is never predicted and never true (not reached: the
// callers skip such classes).
double f1_of(const Counts& k) {
  const double d = 2 * k.tp + k.fp + k.fn;
  return d > 0 ? 2 * k.tp / d : 0.0;
}

}  // namespace

Metrics binary_metrics(const at::Tensor& logits, const at::Tensor& labels) {
  torch::NoGradGuard no_grad;
  const at::Tensor predicted = (logits > 0).to(torch::kLong);
  const Counts k = counts_of(predicted, labels, 1);
  Metrics m;
  m.f1 = f1_of(k);
  const double tpr = k.tp / (k.tp + k.fn), tnr = k.tn / (k.tn + k.fp);
  m.recall = {tnr, tpr};
  m.balanced_accuracy = 0.5 * (tpr + tnr);
  m.accuracy = (k.tp + k.tn) / static_cast<double>(labels.numel());
  m.auc = deepsolve::learned::functional::roc_auc(logits.to(torch::kFloat64), labels);
  return m;
}

Metrics multiclass_metrics(const at::Tensor& logits, const at::Tensor& labels) {
  torch::NoGradGuard no_grad;
  const at::Tensor predicted = logits.argmax(1);
  const at::Tensor probabilities = torch::softmax(logits.to(torch::kFloat64), 1);
  Metrics m;
  double f1 = 0, recall = 0, auc = 0;
  int present = 0;
  for (std::int64_t c = 0; c < logits.size(1); ++c) {
    const Counts k = counts_of(predicted, labels, c);
    if (k.tp + k.fn == 0) {
      m.recall.push_back(std::numeric_limits<double>::quiet_NaN());
      continue;
    }
    ++present;
    f1 += f1_of(k);
    m.recall.push_back(k.tp / (k.tp + k.fn));
    recall += m.recall.back();
    auc += deepsolve::learned::functional::roc_auc(probabilities.select(1, c),
                                                   (labels == c).to(torch::kLong));
  }
  m.f1 = f1 / present;
  m.balanced_accuracy = recall / present;
  m.auc = auc / present;
  m.accuracy = (predicted == labels).sum().item<double>() / static_cast<double>(labels.numel());
  return m;
}

}  // namespace imbalanced
