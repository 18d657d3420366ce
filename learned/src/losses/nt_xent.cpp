// NT-Xent / InfoNCE (Chen et al., SimCLR, ICML 2020, eq. 1); see nt_xent.hpp.
#include "deepsolve/learned/losses/nt_xent.hpp"

#include <torch/torch.h>

#include <limits>

#include "checks.hpp"
#include "registration.hpp"

namespace deepsolve::learned {

namespace {

constexpr const char* kNtXentName = "nt_xent";

void check_options(const NTXentOptions& o) {
  detail::require_positive(kNtXentName, "temperature", o.temperature());
  detail::require_nonnegative(kNtXentName, "eps", o.eps());
}

}  // namespace

namespace functional {

at::Tensor nt_xent_loss(const at::Tensor& z1, const at::Tensor& z2,
                        const NTXentFuncOptions& options) {
  check_options(options);
  detail::require_floating(kNtXentName, "z1", z1);
  detail::require_floating(kNtXentName, "z2", z2);
  detail::require(z1.dim() == 2 && z1.size(0) >= 1 && z1.sizes() == z2.sizes(),
                  std::string(kNtXentName) + ": the views must both be [N, d] with N >= 1, got " +
                      detail::describe(z1) + " and " + detail::describe(z2));
  const std::int64_t n = z1.size(0);
  at::Tensor z = torch::cat({z1, z2}, 0);
  z = z / z.norm(2, 1, /*keepdim=*/true).clamp_min(options.eps());
  const at::Tensor eye = torch::eye(2 * n, z.options().dtype(at::kBool));
  const at::Tensor logits = (z.matmul(z.t()) / options.temperature())
                                .masked_fill(eye, -std::numeric_limits<double>::infinity());
  const at::Tensor partner = torch::cat({torch::arange(n, 2 * n, z.options().dtype(at::kLong)),
                                         torch::arange(0, n, z.options().dtype(at::kLong))});
  const at::Tensor loss =
      torch::logsumexp(logits, 1) - logits.gather(1, partner.unsqueeze(1)).squeeze(1);
  return reduce_loss(loss, options.reduction());
}

at::Tensor nt_xent_loss(const at::Tensor& z, const NTXentFuncOptions& options) {
  detail::require_floating(kNtXentName, "z", z);
  detail::require(z.dim() == 2 && z.size(0) >= 2 && z.size(0) % 2 == 0,
                  std::string(kNtXentName) + ": z must be [2N, d] (two views stacked), got " +
                      detail::describe(z));
  const std::int64_t n = z.size(0) / 2;
  return nt_xent_loss(z.narrow(0, 0, n), z.narrow(0, n, n), options);
}

}  // namespace functional

NTXentLossImpl::NTXentLossImpl(NTXentOptions options_) : options(std::move(options_)) {
  reset();
}

void NTXentLossImpl::reset() {
  check_options(options);
}

void NTXentLossImpl::pretty_print(std::ostream& stream) const {
  stream << "deepsolve::learned::NTXentLoss(temperature=" << options.temperature()
         << ", reduction=" << reduction_name(options.reduction()) << ")";
}

at::Tensor NTXentLossImpl::forward(const at::Tensor& z1, const at::Tensor& z2) {
  return functional::nt_xent_loss(z1, z2, options);
}

namespace detail {

std::vector<LossEntry> nt_xent_losses() {
  return {make_entry("nt-xent", LossInput::views,
                     "NT-Xent / InfoNCE over two views, cosine similarity / temperature (SimCLR, "
                     "Chen et al. 2020, eq. 1)",
                     {{"temperature", "0.1"}, {"eps", "1e-12"}}, [](const SettingsReader& r) {
                       const NTXentOptions options = NTXentOptions(r.number("temperature"))
                                                         .eps(r.number("eps"))
                                                         .reduction(reduction_setting(r));
                       check_options(options);
                       return Loss([options](const LossBatch& b) {
                         return functional::nt_xent_loss(b.input, b.second, options);
                       });
                     })};
}

}  // namespace detail

}  // namespace deepsolve::learned
