// Comp-sum losses (Mao, Mohri & Zhong, ICML 2023, arXiv 2304.07288); see comp_sum.hpp.
#include "deepsolve/learned/losses/comp_sum.hpp"

#include <torch/torch.h>

#include "checks.hpp"
#include "registration.hpp"

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

namespace detail {

namespace {

// A comp-sum loss whose τ the settings give (comp_sum.hpp's Φ^τ).
LossEntry comp_sum_entry(std::string name, std::string summary, Settings defaults,
                         std::function<double(const SettingsReader&)> tau_of) {
  return make_entry(std::move(name), LossInput::classification, std::move(summary),
                    std::move(defaults), [tau_of](const SettingsReader& r) {
                      const double tau = tau_of(r);
                      require_nonnegative("comp_sum", "tau", tau);
                      const CompSumOptions options =
                          CompSumOptions(tau).reduction(reduction_setting(r));
                      return Loss([options](const LossBatch& b) {
                        return functional::comp_sum_loss(b.input, b.target, options);
                      });
                    });
}

}  // namespace

std::vector<LossEntry> comp_sum_losses() {
  const auto fixed = [](double tau) { return [tau](const SettingsReader&) { return tau; }; };
  std::vector<LossEntry> out;
  out.push_back(comp_sum_entry("cross-entropy",
                               "comp-sum tau = 1: -log p_y, softmax cross-entropy (binary: BCE "
                               "with logits); Mao, Mohri & Zhong 2023",
                               {}, fixed(1.0)));
  out.back().aliases = {"ce"};
  out.push_back(comp_sum_entry("comp-sum", "comp-sum loss Phi^tau (Mao, Mohri & Zhong 2023)",
                               {{"tau", "1"}},
                               [](const SettingsReader& r) { return r.number("tau"); }));
  out.push_back(comp_sum_entry("sum-exp",
                               "comp-sum tau = 0: sum_{y' != y} exp(h_y' - h_y) (Mao, Mohri & "
                               "Zhong 2023)",
                               {}, fixed(0.0)));
  out.push_back(comp_sum_entry(
      "gce",
      "generalized cross-entropy (1 - p_y^q)/q, comp-sum tau = 1 + q (Mao, Mohri & Zhong 2023)",
      {{"gce_q", "0.5"}}, [](const SettingsReader& r) {
        const double q = r.number("gce_q");
        require(q > 0 && q < 1, "gce: gce_q must be in (0, 1), got " + number(q));
        return 1.0 + q;
      }));
  out.push_back(comp_sum_entry(
      "mae", "mean absolute error 1 - p_y, comp-sum tau = 2 (Mao, Mohri & Zhong 2023)", {},
      fixed(2.0)));
  return out;
}

}  // namespace detail

}  // namespace deepsolve::learned
