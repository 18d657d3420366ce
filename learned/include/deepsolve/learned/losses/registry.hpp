// Classification losses chosen by name (configuration files, command lines).
//
//   auto loss = make_classification_loss("anyloss-f1");
//   at::Tensor value = loss(logits, targets);   // then value.backward()
//
// Every loss takes logits: [N] with 0/1 targets [N] (binary), or [N, C] with class indices [N]
// (multi-class). '_' and '-' are interchangeable in names, and case is ignored.
//
//   name                      loss                                             multi-class as
//   cross-entropy (ce)        comp-sum τ = 1: -log p_y (binary: BCE w/ logits)  softmax CE
//   comp-sum                  comp-sum Φ^τ with τ = options.tau                 softmax
//   sum-exp                   comp-sum τ = 0: sum_{y'≠y} exp(h_y' - h_y)        softmax
//   gce                       comp-sum τ = 1 + q, (1 - p_y^q)/q, q = gce_q      softmax
//   mae                       comp-sum τ = 2: 1 - p_y                           softmax
//   anyloss-accuracy, anyloss-f1, anyloss-fbeta (β = beta), anyloss-gmean,
//   anyloss-balanced-accuracy, anyloss-mcc
//                             AnyLoss, 1 - soft metric (amplifier L)            one-vs-rest on
//                                                                               softmax, macro mean
//   z-loss                    Z-loss (a = z_a, b = z_b); needs C >= 3            -
//   mw                        Mann-Whitney: pairs of the whole batch            one-vs-rest per
//                                                                               class, macro mean
// `reduction` is passed on: over the samples for the comp-sum losses and Z-loss, over the classes
// for AnyLoss (one value for binary), over pairs (binary) or classes (multi-class) for mw.
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/arg.h>

#include <functional>
#include <string>
#include <vector>

#include "deepsolve/learned/losses/common.hpp"

namespace deepsolve::learned {

/// (logits, targets) -> loss.
using ClassificationLoss = std::function<at::Tensor(const at::Tensor&, const at::Tensor&)>;

/// The hyper-parameters the named losses may use; each loss reads only its own.
struct ClassificationLossOptions {
  TORCH_ARG(LossReduction, reduction) = torch::kMean;
  /// τ of "comp-sum" (>= 0).
  TORCH_ARG(double, tau) = 1.0;
  /// q of "gce", in (0, 1).
  TORCH_ARG(double, gce_q) = 0.5;
  /// L of the "anyloss-*" losses.
  TORCH_ARG(double, amplifier) = 73.0;
  /// β of "anyloss-fbeta".
  TORCH_ARG(double, beta) = 1.0;
  /// a and b of "z-loss".
  TORCH_ARG(double, z_a) = 1.0;
  TORCH_ARG(double, z_b) = 0.0;
};

/// The loss called `name`; std::invalid_argument listing the valid names for an unknown one, or
/// naming a bad hyper-parameter.
ClassificationLoss make_classification_loss(const std::string& name,
                                            const ClassificationLossOptions& options = {});

/// The canonical names, in the order of the table above.
std::vector<std::string> classification_loss_names();

}  // namespace deepsolve::learned
