// Test-set metrics of a classifier's logits: F1, balanced accuracy, ROC AUC.
#pragma once

#include <ATen/Tensor.h>

#include <vector>

namespace imbalanced {

struct Metrics {
  double f1 = 0;                 ///< binary: of the positive class; multi-class: macro mean
  double balanced_accuracy = 0;  ///< mean recall over the classes
  double auc = 0;                ///< binary: ROC AUC; multi-class: macro one-vs-rest
  double accuracy = 0;
  std::vector<double> recall;  ///< per class
};

/// Binary logits [N] and labels [N] in {0, 1}; the prediction is logit > 0, the AUC ranks the
/// logits.
Metrics binary_metrics(const at::Tensor& logits, const at::Tensor& labels);

/// Logits [N, C] and class indices [N]; the prediction is the argmax, the AUC of class c ranks
/// the softmax probability of c. Classes without a test sample are left out of the means.
Metrics multiclass_metrics(const at::Tensor& logits, const at::Tensor& labels);

}  // namespace imbalanced
