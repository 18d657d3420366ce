// GroCo (Shvetsova et al., ICCV 2023, arXiv 2301.02009); see groco.hpp.
#include "deepsolve/learned/losses/groco.hpp"

#include <torch/torch.h>

#include <limits>

#include "checks.hpp"
#include "registration.hpp"

namespace deepsolve::learned {

namespace {

constexpr const char* kGrocoName = "groco";

void check_options(const GroCoOptions& o) {
  detail::require_positive(kGrocoName, "steepness", o.steepness());
  detail::require(o.topk_neg() >= 1, std::string(kGrocoName) + ": topk_neg must be >= 1, got " +
                                         std::to_string(o.topk_neg()));
  detail::require_nonnegative(kGrocoName, "art_lambda", o.art_lambda());
  detail::require_nonnegative(kGrocoName, "eps", o.eps());
}

// Per-anchor losses [B].
at::Tensor per_anchor(const at::Tensor& positive, const at::Tensor& negative,
                      const GroCoOptions& o) {
  const std::int64_t k = o.topk_neg();
  const at::Tensor neg =
      std::get<0>(negative.topk(k, 1, /*largest=*/true, /*sorted=*/true)).flip(1);
  const at::Tensor pos = std::get<0>(positive.sort(1));
  const at::Tensor sims = torch::cat({neg, pos}, 1);  // in the order wanted: ascending
  const std::int64_t n = sims.size(1);
  const at::Tensor perm = odd_even_soft_sort(sims, o.steepness(), o.relaxation(), o.art_lambda())
                              .permutation;  // [B, n, n]
  const at::Tensor q_neg = perm.narrow(2, 0, k).sum(2).clamp(0, 1);
  const at::Tensor q_pos = perm.narrow(2, k, n - k).sum(2).clamp(0, 1);
  const at::Tensor is_neg = (torch::arange(n, sims.options().dtype(at::kLong)) < k)
                                .to(sims.scalar_type())
                                .expand_as(q_neg);
  const at::Tensor bce_pos =
      torch::binary_cross_entropy(q_pos, 1 - is_neg, {}, at::Reduction::None).mean(1);
  const at::Tensor bce_neg =
      torch::binary_cross_entropy(q_neg, is_neg, {}, at::Reduction::None).mean(1);
  return 0.5 * (bce_pos + bce_neg);
}

}  // namespace

namespace functional {

at::Tensor groco_loss_from_similarities(const at::Tensor& positive, const at::Tensor& negative,
                                        const GroCoFuncOptions& options) {
  check_options(options);
  detail::require_floating(kGrocoName, "positive", positive);
  detail::require_floating(kGrocoName, "negative", negative);
  detail::require(positive.dim() == 2 && negative.dim() == 2 &&
                      positive.size(0) == negative.size(0) && positive.size(1) >= 1,
                  std::string(kGrocoName) +
                      ": similarities must be [B, P] (P >= 1 positives) and [B, M], got " +
                      detail::describe(positive) + " and " + detail::describe(negative));
  detail::require(negative.size(1) >= options.topk_neg(),
                  std::string(kGrocoName) + ": topk_neg = " + std::to_string(options.topk_neg()) +
                      " needs at least as many negatives per anchor, got " +
                      std::to_string(negative.size(1)));
  return reduce_loss(per_anchor(positive, negative, options), options.reduction());
}

at::Tensor groco_loss(const at::Tensor& z1, const at::Tensor& z2, const GroCoFuncOptions& options) {
  check_options(options);
  detail::require_floating(kGrocoName, "z1", z1);
  detail::require_floating(kGrocoName, "z2", z2);
  detail::require(z1.dim() == 2 && z1.sizes() == z2.sizes(),
                  std::string(kGrocoName) + ": the views must both be [B, d], got " +
                      detail::describe(z1) + " and " + detail::describe(z2));
  const std::int64_t b = z1.size(0);
  detail::require(b - 1 >= options.topk_neg(),
                  std::string(kGrocoName) + ": topk_neg = " + std::to_string(options.topk_neg()) +
                      " needs a batch of at least " + std::to_string(options.topk_neg() + 1) +
                      " samples, got " + std::to_string(b));
  const at::Tensor self = torch::eye(b, z1.options().dtype(at::kBool));
  const at::Tensor n1 = detail::row_normalized(z1, options.eps());
  const at::Tensor n2 = detail::row_normalized(z2, options.eps());
  std::vector<at::Tensor> losses;
  for (const auto& [anchor, other] : {std::pair{n1, n2}, std::pair{n2, n1}}) {
    const at::Tensor pos_side = options.stop_grad() ? other.detach() : other;
    const at::Tensor neg_side = options.stop_grad() ? anchor.detach() : anchor;
    const at::Tensor positive = (anchor * pos_side).sum(1, /*keepdim=*/true);
    const at::Tensor negative =
        anchor.matmul(neg_side.t()).masked_fill(self, -std::numeric_limits<double>::infinity());
    losses.push_back(per_anchor(positive, negative, options));
  }
  return reduce_loss(torch::cat(losses), options.reduction());
}

}  // namespace functional

GroCoLossImpl::GroCoLossImpl(GroCoOptions options_) : options(std::move(options_)) {
  reset();
}

void GroCoLossImpl::reset() {
  check_options(options);
}

void GroCoLossImpl::pretty_print(std::ostream& stream) const {
  stream << "deepsolve::learned::GroCoLoss(steepness=" << options.steepness()
         << ", topk_neg=" << options.topk_neg()
         << ", relaxation=" << relaxation_name(options.relaxation())
         << ", art_lambda=" << options.art_lambda() << ", stop_grad=" << std::boolalpha
         << options.stop_grad() << ", reduction=" << reduction_name(options.reduction()) << ")";
}

at::Tensor GroCoLossImpl::forward(const at::Tensor& z1, const at::Tensor& z2) {
  return functional::groco_loss(z1, z2, options);
}

namespace detail {

std::vector<LossEntry> groco_losses() {
  return {
      make_entry("groco", LossInput::views,
                 "GroCo: positives above the top-k negatives by a differentiable sorting network "
                 "(Shvetsova et al. 2023); needs B >= topk_neg + 1",
                 {{"steepness", "1"},
                  {"topk_neg", "10"},
                  {"relaxation", "cauchy"},
                  {"art_lambda", "0.25"},
                  {"stop_grad", "true"},
                  {"eps", "1e-12"}},
                 [](const SettingsReader& r) {
                   GroCoOptions options = GroCoOptions()
                                              .steepness(r.number("steepness"))
                                              .topk_neg(r.integer("topk_neg", 1))
                                              .art_lambda(r.number("art_lambda"))
                                              .stop_grad(r.boolean("stop_grad"))
                                              .eps(r.number("eps"))
                                              .reduction(reduction_setting(r));
                   try {
                     options.relaxation(relaxation_from_name(r.text("relaxation")));
                   } catch (const std::invalid_argument& e) {
                     r.fail("relaxation", e.what());
                   }
                   check_options(options);
                   return Loss([options](const LossBatch& b) {
                     return functional::groco_loss(b.input, b.second, options);
                   });
                 })};
}

}  // namespace detail

}  // namespace deepsolve::learned
