// Z-loss (de Brébisson & Vincent 2016, arXiv 1604.08859); see z_loss.hpp.
#include "deepsolve/learned/losses/z_loss.hpp"

#include <torch/torch.h>

#include <cmath>

#include "checks.hpp"
#include "registration.hpp"

namespace deepsolve::learned {

namespace {

constexpr const char* kZLossName = "z_loss";

void check_options(const ZLossOptions& o) {
  detail::require_positive(kZLossName, "a", o.a());
  detail::require(std::isfinite(o.b()),
                  std::string(kZLossName) + ": b must be finite, got " + detail::number(o.b()));
  detail::require_nonnegative(kZLossName, "eps", o.eps());
}

}  // namespace

namespace functional {

at::Tensor z_loss(const at::Tensor& scores, const at::Tensor& target,
                  const ZLossFuncOptions& options) {
  check_options(options);
  detail::require_floating(kZLossName, "scores", scores);
  detail::require(scores.dim() == 2 && scores.size(1) >= 2,
                  std::string(kZLossName) + ": scores must be [N, D] with D >= 2 classes, got " +
                      detail::describe(scores));
  const at::Tensor classes =
      detail::class_indices(kZLossName, target, scores.size(0), scores.size(1)).to(scores.device());
  const at::Tensor mu = scores.mean(1, /*keepdim=*/true);
  const at::Tensor var = (scores - mu).pow(2).mean(1, /*keepdim=*/true);
  // sqrt has an infinite derivative at 0: evaluate it only where the variance is positive.
  const at::Tensor positive = var > 0;
  const at::Tensor sigma =
      torch::where(positive, torch::sqrt(torch::where(positive, var, torch::ones_like(var))),
                   torch::zeros_like(var));
  const at::Tensor z =
      ((scores.gather(1, classes.unsqueeze(1)) - mu) / (sigma + options.eps())).squeeze(1);
  // softplus(t) = -log σ(-t), in a form that is stable for any t.
  const double a = options.a();
  const at::Tensor loss = -torch::log_sigmoid(-a * (options.b() - z)) / a;
  return reduce_loss(loss, options.reduction());
}

}  // namespace functional

ZLossImpl::ZLossImpl(ZLossOptions options_) : options(std::move(options_)) {
  reset();
}

void ZLossImpl::reset() {
  check_options(options);
}

void ZLossImpl::pretty_print(std::ostream& stream) const {
  stream << "deepsolve::learned::ZLoss(a=" << options.a() << ", b=" << options.b()
         << ", eps=" << options.eps() << ", reduction=" << reduction_name(options.reduction())
         << ")";
}

at::Tensor ZLossImpl::forward(const at::Tensor& scores, const at::Tensor& target) {
  return functional::z_loss(scores, target, options);
}

namespace detail {

std::vector<LossEntry> z_losses() {
  return {make_entry(
      "z-loss", LossInput::classification,
      "Z-loss (1/a) softplus(a (b - z_c)) of the standardised target score (de Brebisson & "
      "Vincent 2016); needs C >= 3 classes",
      {{"z_a", "1"}, {"z_b", "0"}, {"eps", "1e-12"}}, [](const SettingsReader& r) {
        const ZLossOptions z = ZLossOptions()
                                   .a(r.number("z_a"))
                                   .b(r.number("z_b"))
                                   .eps(r.number("eps"))
                                   .reduction(reduction_setting(r));
        check_options(z);
        return Loss([z](const LossBatch& b) {
          // With C = 2, z_c = ±1 whatever the scores: no useful gradient.
          require(b.input.dim() == 2 && b.input.size(1) >= 3,
                  "z-loss: needs multi-class logits [N, C] (C >= 3), got " + describe(b.input));
          return functional::z_loss(b.input, b.target, z);
        });
      })};
}

}  // namespace detail

}  // namespace deepsolve::learned
