// Smooth adversarial comp-sum (Mao, Mohri & Zhong, ICML 2023, arXiv 2304.07288); see
// adversarial_comp_sum.hpp.
#include "deepsolve/learned/losses/adversarial_comp_sum.hpp"

#include <torch/torch.h>

#include <cmath>

#include "checks.hpp"
#include "deepsolve/learned/losses/comp_sum.hpp"
#include "registration.hpp"

namespace deepsolve::learned {

namespace {

constexpr const char* kAdversarialCompSumName = "adversarial_comp_sum";

void check_options(const AdversarialCompSumOptions& o) {
  detail::require_nonnegative(kAdversarialCompSumName, "tau", o.tau());
  detail::require_nonnegative(kAdversarialCompSumName, "nu", o.nu());
  detail::require_nonnegative(kAdversarialCompSumName, "gamma", o.gamma());
  detail::require(o.p() == 2.0 || (std::isinf(o.p()) && o.p() > 0),
                  std::string(kAdversarialCompSumName) + ": p must be 2 or infinity, got " +
                      detail::number(o.p()));
  detail::require(o.steps() >= 1, std::string(kAdversarialCompSumName) +
                                      ": steps must be >= 1, got " + std::to_string(o.steps()));
  detail::require_nonnegative(kAdversarialCompSumName, "step_size", o.step_size());
  detail::require_nonnegative(kAdversarialCompSumName, "init_std", o.init_std());
}

// Δh for scores [N, C] and classes [N]: h(x, c) - h(x, y).
at::Tensor score_differences(const at::Tensor& h, const at::Tensor& classes) {
  return h - h.gather(1, classes.unsqueeze(1));
}

at::Tensor call_model(const ScoreFunction& model, const at::Tensor& x, std::int64_t n) {
  at::Tensor h = model(x);
  detail::require(h.defined() && h.dim() == 2 && h.size(0) == n,
                  std::string(kAdversarialCompSumName) +
                      ": the model must map [N, ...] to scores [N, C], got " + detail::describe(h) +
                      " for N = " + std::to_string(n));
  return h;
}

// Per-sample 2-norm over all but the first dimension, as [N, 1, ..., 1].
at::Tensor per_sample_norm(const at::Tensor& v) {
  at::Tensor n = v.reshape({v.size(0), -1}).norm(2, 1);
  std::vector<std::int64_t> shape(static_cast<std::size_t>(v.dim()), 1);
  shape[0] = v.size(0);
  return n.reshape(shape);
}

// Projects the perturbation δ on the ball of radius γ.
at::Tensor project(const at::Tensor& delta, double gamma, bool l2) {
  if (!l2) return delta.clamp(-gamma, gamma);
  const at::Tensor norm = per_sample_norm(delta);
  return delta * torch::clamp_max(gamma / norm.clamp_min(1e-300), 1.0);
}

}  // namespace

namespace functional {

at::Tensor adversarial_input(const ScoreFunction& model, const at::Tensor& x,
                             const at::Tensor& target,
                             const AdversarialCompSumFuncOptions& options) {
  check_options(options);
  detail::require_floating(kAdversarialCompSumName, "x", x);
  detail::require(x.dim() >= 1 && x.size(0) > 0,
                  std::string(kAdversarialCompSumName) +
                      ": x must be a non-empty batch [N, ...], got " + detail::describe(x));
  const std::int64_t n = x.size(0);
  const bool l2 = options.p() == 2.0;
  const double gamma = options.gamma();
  if (gamma == 0.0) return x.detach().clone();
  const double alpha = options.step_size() > 0 ? options.step_size()
                                               : 2.5 * gamma / static_cast<double>(options.steps());

  at::Tensor reference;
  at::Tensor classes;
  {
    torch::NoGradGuard no_grad;
    const at::Tensor h = call_model(model, x, n);
    classes = detail::class_indices(kAdversarialCompSumName, target, n, h.size(1)).to(h.device());
    reference = score_differences(h, classes);
  }
  const at::Tensor x0 = x.detach();
  at::Tensor delta = project(options.init_std() * torch::randn_like(x0), gamma, l2);
  for (std::int64_t k = 0; k < options.steps(); ++k) {
    at::Tensor d = delta.detach().requires_grad_(true);
    at::Tensor objective;
    {
      torch::AutoGradMode enable(true);
      const at::Tensor h = call_model(model, x0 + d, n);
      objective = (score_differences(h, classes) - reference).norm(2, 1).sum();
    }
    const at::Tensor g = torch::autograd::grad({objective}, {d})[0];
    torch::NoGradGuard no_grad;
    at::Tensor step;
    if (l2) {
      step = g / per_sample_norm(g).clamp_min(1e-300);
    } else {
      step = g.sign();
    }
    delta = project(delta + alpha * step, gamma, l2);
  }
  return (x0 + delta).detach();
}

at::Tensor score_difference_norm(const ScoreFunction& model, const at::Tensor& x,
                                 const at::Tensor& x_adv, const at::Tensor& target) {
  detail::require(x.sizes() == x_adv.sizes(), std::string(kAdversarialCompSumName) + ": x " +
                                                  detail::describe(x) + " and x_adv " +
                                                  detail::describe(x_adv) + " differ in shape");
  const std::int64_t n = x.size(0);
  const at::Tensor h = call_model(model, x, n);
  const at::Tensor h_adv = call_model(model, x_adv, n);
  const at::Tensor classes =
      detail::class_indices(kAdversarialCompSumName, target, n, h.size(1)).to(h.device());
  return (score_differences(h_adv, classes) - score_differences(h, classes)).norm(2, 1);
}

at::Tensor adversarial_comp_sum_loss(const ScoreFunction& model, const at::Tensor& x,
                                     const at::Tensor& target,
                                     const AdversarialCompSumFuncOptions& options) {
  const at::Tensor x_adv = adversarial_input(model, x, target, options);
  const std::int64_t n = x.size(0);
  const at::Tensor h = call_model(model, x, n);
  const at::Tensor h_adv = call_model(model, x_adv, n);
  const at::Tensor classes =
      detail::class_indices(kAdversarialCompSumName, target, n, h.size(1)).to(h.device());
  const at::Tensor r = torch::logsumexp(h, 1) - h.gather(1, classes.unsqueeze(1)).squeeze(1);
  const at::Tensor penalty =
      (score_differences(h_adv, classes) - score_differences(h, classes)).norm(2, 1);
  const at::Tensor loss = comp_sum_transform(r, options.tau()) + options.nu() * penalty;
  return reduce_loss(loss, options.reduction());
}

}  // namespace functional

AdversarialCompSumLossImpl::AdversarialCompSumLossImpl(AdversarialCompSumOptions options_)
    : options(std::move(options_)) {
  reset();
}

void AdversarialCompSumLossImpl::reset() {
  check_options(options);
}

void AdversarialCompSumLossImpl::pretty_print(std::ostream& stream) const {
  stream << "deepsolve::learned::AdversarialCompSumLoss(tau=" << options.tau()
         << ", nu=" << options.nu() << ", gamma=" << options.gamma() << ", p=" << options.p()
         << ", steps=" << options.steps() << ", reduction=" << reduction_name(options.reduction())
         << ")";
}

at::Tensor AdversarialCompSumLossImpl::forward(const ScoreFunction& model, const at::Tensor& x,
                                               const at::Tensor& target) {
  return functional::adversarial_comp_sum_loss(model, x, target, options);
}

namespace detail {

std::vector<LossEntry> adversarial_comp_sum_losses() {
  return {make_entry(
      "adversarial-comp-sum", LossInput::model,
      "smooth adversarial comp-sum: Phi^tau + nu sup ||dh(x') - dh(x)||, the sup by PGD (Mao, "
      "Mohri & Zhong 2023, sec. 5)",
      {{"tau", "1"},
       {"nu", "1"},
       {"gamma", "0.031"},
       {"p", "inf"},
       {"steps", "10"},
       {"step_size", "0"},
       {"init_std", "0.001"}},
      [](const SettingsReader& r) {
        const std::string& p = r.text("p");
        if (p != "2" && p != "inf" && p != "infinity")
          r.fail("p", "must be 2 or inf, got '" + p + "'");
        const AdversarialCompSumOptions options =
            AdversarialCompSumOptions()
                .tau(r.number("tau"))
                .nu(r.number("nu"))
                .gamma(r.number("gamma"))
                .p(p == "2" ? 2.0 : std::numeric_limits<double>::infinity())
                .steps(r.integer("steps", 1))
                .step_size(r.number("step_size"))
                .init_std(r.number("init_std"))
                .reduction(reduction_setting(r));
        check_options(options);
        return Loss([options](const LossBatch& b) {
          return functional::adversarial_comp_sum_loss(b.model, b.input, b.target, options);
        });
      })};
}

}  // namespace detail

}  // namespace deepsolve::learned
