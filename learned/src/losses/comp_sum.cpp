// Comp-sum losses (Mao, Mohri & Zhong, ICML 2023, arXiv 2304.07288); see comp_sum.hpp.
#include "deepsolve/learned/losses/comp_sum.hpp"

#include <torch/torch.h>

#include "checks.hpp"

namespace deepsolve::learned {

namespace functional {

at::Tensor negative_log_likelihood(const at::Tensor& logits, const at::Tensor& target,
                                   const char* loss_name) {
  detail::require_floating(loss_name, "logits", logits);
  at::Tensor h = logits;
  at::Tensor classes;
  if (logits.dim() == 1) {
    // Binary: the scores of the classes (0, 1) are (0, z).
    const at::Tensor y = detail::binary_labels(loss_name, target, logits, "logits");
    h = torch::stack({torch::zeros_like(logits), logits}, 1);
    classes = y.to(at::kLong);
  } else if (logits.dim() == 2) {
    detail::require(logits.size(1) >= 1, std::string(loss_name) + ": logits have no classes");
    classes = detail::class_indices(loss_name, target, logits.size(0), logits.size(1))
                  .to(logits.device());
  } else {
    detail::fail(std::string(loss_name) + ": logits must be [N, C] (or [N] for binary), got " +
                 detail::describe(logits));
  }
  return torch::logsumexp(h, 1) - h.gather(1, classes.unsqueeze(1)).squeeze(1);
}

at::Tensor comp_sum_transform(const at::Tensor& r, double tau) {
  if (tau == 1.0) return r;
  const double c = 1.0 - tau;
  return torch::expm1(c * r) / c;
}

at::Tensor comp_sum_loss(const at::Tensor& logits, const at::Tensor& target,
                         const CompSumFuncOptions& options) {
  detail::require_nonnegative("comp_sum", "tau", options.tau());
  const at::Tensor r = negative_log_likelihood(logits, target, "comp_sum");
  return reduce_loss(comp_sum_transform(r, options.tau()), options.reduction());
}

}  // namespace functional

CompSumLossImpl::CompSumLossImpl(CompSumOptions options_) : options(std::move(options_)) {
  reset();
}

void CompSumLossImpl::reset() {
  detail::require_nonnegative("comp_sum", "tau", options.tau());
}

void CompSumLossImpl::pretty_print(std::ostream& stream) const {
  stream << "deepsolve::learned::CompSumLoss(tau=" << options.tau()
         << ", reduction=" << reduction_name(options.reduction()) << ")";
}

at::Tensor CompSumLossImpl::forward(const at::Tensor& logits, const at::Tensor& target) {
  return functional::comp_sum_loss(logits, target, options);
}

}  // namespace deepsolve::learned
