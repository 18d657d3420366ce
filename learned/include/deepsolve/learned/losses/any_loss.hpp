// AnyLoss: a confusion-matrix metric turned into a differentiable loss.
//
// Han, Moniz & Chawla, "AnyLoss: Transforming Classification Metrics into Loss Functions"
// (2024, arXiv 2405.14745), eq. for the amplifier A(p) and the soft confusion matrix (their sec.
// 3).
//
// Binary classification. Each predicted probability p_i is pushed towards 0 or 1 by the amplifier
//   A(p) = 1 / (1 + exp(-L (p - 1/2)))                              (L: `amplifier`, default 73)
// and the batch's confusion matrix is built from the amplified values Ŷ_i = A(p_i) and the labels
// y_i in {0, 1} (N the BATCH size, y1 = sum y, y0 = N - y1):
//   TP = sum y Ŷ,  FN = y1 - TP,  FP = sum Ŷ - TP,  TN = N - y1 - sum Ŷ + TP.
// The loss is 1 - metric, with s = `eps` added to each denominator:
//   accuracy           (TP + TN) / N
//   f_beta             (1 + β²) TP / (β² y1 + sum Ŷ)
//   geometric_mean     sqrt(TP TN / (y1 y0))       (or TP TN / (y1 y0) with gmean_sqrt(false),
//                                                   the form of the authors' newer README)
//   balanced_accuracy  (y0 TP + y1 TN) / (2 y1 y0)
//   mcc                (TP TN - FP FN) / sqrt((TP+FP)(TP+FN)(TN+FP)(TN+FN))   (not in the paper;
//                       built the same way; this loss lies in [0, 2])
// As L grows the loss tends to 1 - (the metric of the hard predictions p > 1/2).
//
// Precision. In float32 A(p) rounds to exactly 1 for L(p - 1/2) > ~17, and then the derivative
// L A (1 - A) that autograd forms from the rounded value is 0: confident samples would silently
// stop contributing to the gradient. This implementation
//   1. computes everything in float64 (the result is cast back to the input's dtype), and
//   2. differentiates the amplifier (and the logistic of `from_logits`) as L σ(x) σ(-x) from
//      x itself, so the derivative stays nonzero even where σ(x) rounds to 1 in float64
//      (L > 73 for p = 1, or logits above ~37); it only underflows for x > ~745.
//
// Shapes (our extension beyond the paper's binary case; reduction runs over the columns):
//   input [N],    target [N] in {0,1}:       binary; the result is a 0-dim tensor.
//   input [N, C], target [N, C] in {0,1}:    C independent binary problems (multi-label); [C].
//   input [N, C], target [N] class indices:  one-vs-rest over C classes with p = softmax(input)
//                                            (or input rows as given probabilities); [C], whose
//                                            mean is the macro-averaged loss.
// `from_logits` (default true): input holds logits, p = σ(input) (softmax for class indices);
// false: input holds probabilities in [0, 1].
#pragma once

#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>

#include <ostream>
#include <string>
#include <vector>

#include "deepsolve/learned/losses/common.hpp"

namespace deepsolve::learned {

enum class AnyLossMetric { accuracy, f_beta, geometric_mean, balanced_accuracy, mcc };

/// "accuracy", "f_beta", "geometric_mean", "balanced_accuracy", "mcc".
std::string metric_name(AnyLossMetric metric);

struct AnyLossOptions {
  typedef LossReduction reduction_t;

  /* implicit */ AnyLossOptions(AnyLossMetric metric = AnyLossMetric::f_beta) : metric_(metric) {}

  /// Which metric the loss is 1 minus.
  TORCH_ARG(AnyLossMetric, metric);
  /// The amplifier's steepness L (> 0). 73 as in the authors' experiments: the largest integer
  /// with A(1) < 1 in float64.
  TORCH_ARG(double, amplifier) = 73.0;
  /// β of the F-beta score (> 0); 1 gives F1.
  TORCH_ARG(double, beta) = 1.0;
  /// Added to every denominator (>= 0); the authors' code uses 1e-5.
  TORCH_ARG(double, eps) = 1e-5;
  /// Input holds logits (true) or probabilities in [0, 1] (false).
  TORCH_ARG(bool, from_logits) = true;
  /// Geometric mean with the square root (the paper) or without (the authors' newer README).
  TORCH_ARG(bool, gmean_sqrt) = true;
  /// Over the columns (classes or labels); a binary input gives one value anyway.
  TORCH_ARG(reduction_t, reduction) = torch::kMean;
};

namespace functional {

using AnyLossFuncOptions = AnyLossOptions;

/// AnyLoss of a batch (see the file comment for the shapes).
at::Tensor any_loss(const at::Tensor& input, const at::Tensor& target,
                    const AnyLossFuncOptions& options = {});

/// The amplifier A(p) = σ(L (p - 1/2)) in the input's dtype, with the derivative L σ(x) σ(-x)
/// formed from x (nonzero where A rounds to 1).
at::Tensor anyloss_amplifier(const at::Tensor& p, double amplifier);

/// σ(x) whose derivative is formed as σ(x) σ(-x) from x, so it does not vanish where σ(x)
/// rounds to 1 (it does not, either, for very negative x: σ(x) is then tiny but nonzero).
at::Tensor stable_sigmoid(const at::Tensor& x);

}  // namespace functional

/// Module form of functional::any_loss.
struct AnyLossImpl : torch::nn::Cloneable<AnyLossImpl> {
  explicit AnyLossImpl(AnyLossOptions options = {});
  void reset() override;
  void pretty_print(std::ostream& stream) const override;
  at::Tensor forward(const at::Tensor& input, const at::Tensor& target);
  AnyLossOptions options;
};
TORCH_MODULE(AnyLoss);

}  // namespace deepsolve::learned
