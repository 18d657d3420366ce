// Classification losses by name; see loss_registry.hpp.
#include "deepsolve/learned/losses/registry.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cctype>

#include "deepsolve/learned/losses/any_loss.hpp"
#include "deepsolve/learned/losses/comp_sum.hpp"
#include "deepsolve/learned/losses/mann_whitney.hpp"
#include "deepsolve/learned/losses/z_loss.hpp"
#include "checks.hpp"

namespace deepsolve::learned {

namespace {

std::string canonical(const std::string& name) {
  std::string out = name;
  for (char& c : out) {
    c = c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (out == "ce") return "cross-entropy";
  return out;
}

ClassificationLoss comp_sum(double tau, const LossReduction& reduction) {
  detail::require_nonnegative("comp_sum", "tau", tau);
  const CompSumOptions options = CompSumOptions(tau).reduction(reduction);
  return [options](const at::Tensor& logits, const at::Tensor& targets) {
    return functional::comp_sum_loss(logits, targets, options);
  };
}

ClassificationLoss any_loss(AnyLossMetric metric, const ClassificationLossOptions& o) {
  const AnyLossOptions options =
      AnyLossOptions(metric).amplifier(o.amplifier()).beta(o.beta()).reduction(o.reduction());
  functional::any_loss(torch::zeros({2}), torch::tensor({0, 1}), options);  // checks the options
  return [options](const at::Tensor& logits, const at::Tensor& targets) {
    return functional::any_loss(logits, targets, options);
  };
}

ClassificationLoss mann_whitney(const LossReduction& reduction) {
  return [reduction](const at::Tensor& logits, const at::Tensor& targets) {
    if (logits.dim() == 2 && targets.defined() && targets.dim() == 1) {
      // One-vs-rest: class c's scores are the logits' column c, its positives the samples of c.
      const at::Tensor classes =
          detail::class_indices("mw", targets, logits.size(0), logits.size(1)).to(logits.device());
      const at::Tensor labels = torch::one_hot(classes, logits.size(1)).t();
      return functional::mann_whitney_loss(
          logits.t(), labels, MannWhitneyOptions().per_query(true).reduction(reduction));
    }
    detail::require(logits.dim() == 1,
                    "mw: logits must be [N] (binary) or [N, C] with class indices [N], got " +
                        detail::describe(logits));
    return functional::mann_whitney_loss(logits, targets,
                                         MannWhitneyOptions().reduction(reduction));
  };
}

}  // namespace

std::vector<std::string> classification_loss_names() {
  return {"cross-entropy",
          "comp-sum",
          "sum-exp",
          "gce",
          "mae",
          "anyloss-accuracy",
          "anyloss-f1",
          "anyloss-fbeta",
          "anyloss-gmean",
          "anyloss-balanced-accuracy",
          "anyloss-mcc",
          "z-loss",
          "mw"};
}

ClassificationLoss make_classification_loss(const std::string& name,
                                            const ClassificationLossOptions& options) {
  const std::string key = canonical(name);
  const LossReduction& reduction = options.reduction();
  if (key == "cross-entropy") return comp_sum(1.0, reduction);
  if (key == "comp-sum") return comp_sum(options.tau(), reduction);
  if (key == "sum-exp") return comp_sum(0.0, reduction);
  if (key == "gce") {
    detail::require(options.gce_q() > 0 && options.gce_q() < 1,
                    "gce: gce_q must be in (0, 1), got " + detail::number(options.gce_q()));
    return comp_sum(1.0 + options.gce_q(), reduction);
  }
  if (key == "mae") return comp_sum(2.0, reduction);
  if (key == "anyloss-accuracy") return any_loss(AnyLossMetric::accuracy, options);
  if (key == "anyloss-f1") {
    ClassificationLossOptions f1 = options;
    return any_loss(AnyLossMetric::f_beta, f1.beta(1.0));
  }
  if (key == "anyloss-fbeta") return any_loss(AnyLossMetric::f_beta, options);
  if (key == "anyloss-gmean") return any_loss(AnyLossMetric::geometric_mean, options);
  if (key == "anyloss-balanced-accuracy")
    return any_loss(AnyLossMetric::balanced_accuracy, options);
  if (key == "anyloss-mcc") return any_loss(AnyLossMetric::mcc, options);
  if (key == "z-loss") {
    const ZLossOptions z = ZLossOptions().a(options.z_a()).b(options.z_b()).reduction(reduction);
    functional::z_loss(torch::zeros({1, 3}), torch::zeros({1}, torch::kLong), z);  // checks a, b
    return [z](const at::Tensor& logits, const at::Tensor& targets) {
      detail::require(
          logits.dim() == 2 && logits.size(1) >= 3,
          "z-loss: needs multi-class logits [N, C] (C >= 3), got " + detail::describe(logits));
      return functional::z_loss(logits, targets, z);
    };
  }
  if (key == "mw") return mann_whitney(reduction);
  std::string valid;
  for (const std::string& n : classification_loss_names()) valid += (valid.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown classification loss '" + name + "'; valid names: " + valid +
                              " (also 'ce'; '_' and '-' are interchangeable)");
}

}  // namespace deepsolve::learned
