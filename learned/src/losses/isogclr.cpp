// iSogCLR (Qiu et al., ICML 2023, arXiv 2305.11965); see isogclr.hpp.
#include "deepsolve/learned/losses/isogclr.hpp"

#include <torch/torch.h>

#include <cmath>
#include <limits>

#include "checks.hpp"
#include "registration.hpp"

namespace deepsolve::learned {

namespace {

constexpr const char* kIsogclrName = "isogclr";

void check_options(const ISogCLROptions& o) {
  detail::require(o.num_samples() >= 1, std::string(kIsogclrName) +
                                            ": num_samples must be >= 1, got " +
                                            std::to_string(o.num_samples()));
  detail::require(
      o.gamma() > 0 && o.gamma() <= 1,
      std::string(kIsogclrName) + ": gamma must be in (0, 1], got " + detail::number(o.gamma()));
  detail::require(
      o.beta_u() > 0 && o.beta_u() <= 1,
      std::string(kIsogclrName) + ": beta_u must be in (0, 1], got " + detail::number(o.beta_u()));
  detail::require_nonnegative(kIsogclrName, "rho", o.rho());
  detail::require_positive(kIsogclrName, "tau_min", o.tau_min());
  detail::require_positive(kIsogclrName, "tau_max", o.tau_max());
  detail::require(o.tau_min() <= o.tau_max(),
                  std::string(kIsogclrName) + ": tau_min " + detail::number(o.tau_min()) +
                      " is larger than tau_max " + detail::number(o.tau_max()));
  detail::require(o.tau_init() >= o.tau_min() && o.tau_init() <= o.tau_max(),
                  std::string(kIsogclrName) + ": tau_init " + detail::number(o.tau_init()) +
                      " is outside [tau_min, tau_max] = [" + detail::number(o.tau_min()) + ", " +
                      detail::number(o.tau_max()) + "]");
  detail::require_nonnegative(kIsogclrName, "eta", o.eta());
  detail::require_positive(kIsogclrName, "grad_clip", o.grad_clip());
  detail::require_nonnegative(kIsogclrName, "eps", o.eps());
}

}  // namespace

ISogCLRImpl::ISogCLRImpl(ISogCLROptions options_) : options(std::move(options_)) {
  reset();
}

void ISogCLRImpl::reset() {
  check_options(options);
  const std::int64_t sides = options.bimodal() ? 2 : 1;
  const auto f64 = torch::TensorOptions().dtype(at::kDouble);
  tau =
      register_buffer("tau", torch::full({sides, options.num_samples()}, options.tau_init(), f64));
  log_s = register_buffer("log_s", torch::zeros({sides, options.num_samples()}, f64));
  u = register_buffer("u", torch::zeros({sides, options.num_samples()}, f64));
  seen = register_buffer("seen", torch::zeros({sides, options.num_samples()}, f64));
}

void ISogCLRImpl::pretty_print(std::ostream& stream) const {
  stream << "deepsolve::learned::ISogCLR(num_samples=" << options.num_samples()
         << ", bimodal=" << std::boolalpha << options.bimodal() << ", gamma=" << options.gamma()
         << ", rho=" << options.rho() << ", tau_init=" << options.tau_init() << ", tau=["
         << options.tau_min() << ", " << options.tau_max() << "], beta_u=" << options.beta_u()
         << ", eta=" << options.eta() << ", grad_clip=" << options.grad_clip()
         << ", reduction=" << reduction_name(options.reduction()) << ")";
}

ISogCLRStep ISogCLRImpl::step(std::int64_t side, const at::Tensor& margins, const at::Tensor& ids,
                              const at::Tensor& valid) {
  const std::int64_t sides = tau.size(0);
  detail::require(side >= 0 && side < sides, std::string(kIsogclrName) + ": side " +
                                                 std::to_string(side) + " is not in [0, " +
                                                 std::to_string(sides) + ")");
  detail::require_floating(kIsogclrName, "margins", margins);
  const at::Tensor l = margins.dim() == 2 ? margins.unsqueeze(0) : margins;
  detail::require(l.dim() == 3 && l.size(1) >= 1 && l.size(2) >= 1,
                  std::string(kIsogclrName) + ": margins must be [V, B, M] or [B, M], got " +
                      detail::describe(margins));
  const std::int64_t views = l.size(0);
  const std::int64_t batch = l.size(1);
  detail::require(ids.defined() && !ids.is_floating_point() && ids.scalar_type() != at::kBool &&
                      ids.dim() == 1 && ids.size(0) == batch,
                  std::string(kIsogclrName) + ": ids must be integer [" + std::to_string(batch) +
                      "], got " + detail::describe(ids));
  const at::Tensor idx = ids.to(tau.device(), at::kLong);
  const std::int64_t lo = idx.min().item<std::int64_t>();
  const std::int64_t hi = idx.max().item<std::int64_t>();
  detail::require(lo >= 0 && hi < options.num_samples(),
                  std::string(kIsogclrName) + ": sample id " + std::to_string(lo < 0 ? lo : hi) +
                      " is out of range [0, " + std::to_string(options.num_samples()) + ")");
  detail::require(std::get<0>(torch::_unique(idx)).numel() == batch,
                  std::string(kIsogclrName) + ": the sample ids of a batch must be distinct");
  at::Tensor mask = !valid.defined()     ? torch::ones_like(l, l.options().dtype(at::kBool))
                    : margins.dim() == 2 ? valid.unsqueeze(0)
                                         : valid;
  detail::require(mask.sizes() == l.sizes() && mask.scalar_type() == at::kBool,
                  std::string(kIsogclrName) +
                      ": valid must be a bool tensor of the margins' shape " + detail::describe(l) +
                      ", got " + detail::describe(mask));
  mask = mask.to(l.device());
  const at::Tensor count = mask.sum(-1).to(at::kDouble);  // [V, B]
  detail::require(count.min().item<double>() >= 1,
                  std::string(kIsogclrName) + ": every anchor needs at least one negative");

  const auto device = l.device();
  const at::Tensor tau_b = tau[side].index_select(0, idx).to(device);  // [B]
  ISogCLRStep out;
  at::Tensor log_s_views;
  {
    torch::NoGradGuard no_grad;
    const at::Tensor ld = l.detach().to(at::kDouble);
    const at::Tensor t = tau_b.view({1, batch, 1});
    const at::Tensor scaled =
        torch::where(mask, ld / t, torch::full_like(ld, -std::numeric_limits<double>::infinity()));
    const at::Tensor log_g = torch::logsumexp(scaled, -1) - torch::log(count);  // [V, B]
    if (is_training()) {
      const at::Tensor was_seen = (seen[side].index_select(0, idx).to(device) > 0).view({1, batch});
      const at::Tensor old = log_s[side].index_select(0, idx).to(device).view({1, batch});
      const double g = options.gamma();
      const at::Tensor averaged =
          g < 1 ? torch::logaddexp(std::log1p(-g) + old, std::log(g) + log_g) : log_g;
      log_s_views = torch::where(was_seen, averaged, log_g);
    } else {
      log_s_views = log_g;
    }
    out.weights = torch::exp(scaled - log_s_views.unsqueeze(-1));  // 0 where not a negative
    const at::Tensor mean_wl = (out.weights * ld).sum(-1) / count;
    const at::Tensor grad_views = log_s_views + options.rho() - mean_wl / tau_b.view({1, batch});
    out.grad_tau = grad_views.mean(0).clamp(-options.grad_clip(), options.grad_clip());
    out.tau = tau_b.clone();
    out.objective = (tau_b * (log_g.mean(0) + options.rho())).clone();
  }
  const at::Tensor w = out.weights.to(l.scalar_type());
  out.loss = (w * l).sum(-1) / count.to(l.scalar_type());

  if (is_training()) {
    torch::NoGradGuard no_grad;
    const auto state = tau.device();
    const at::Tensor new_log_s =
        (torch::logsumexp(log_s_views, 0) - std::log(static_cast<double>(views))).to(state);
    log_s[side].index_copy_(0, idx, new_log_s);
    seen[side].index_fill_(0, idx, 1.0);
    const at::Tensor u_new = (1 - options.beta_u()) * u[side].index_select(0, idx) +
                             options.beta_u() * out.grad_tau.to(state);
    u[side].index_copy_(0, idx, u_new);
    const at::Tensor tau_new = (tau[side].index_select(0, idx) - options.eta() * u_new)
                                   .clamp(options.tau_min(), options.tau_max());
    tau[side].index_copy_(0, idx, tau_new);
  }
  return out;
}

at::Tensor ISogCLRImpl::forward(const at::Tensor& z1, const at::Tensor& z2, const at::Tensor& ids) {
  detail::require_floating(kIsogclrName, "z1", z1);
  detail::require_floating(kIsogclrName, "z2", z2);
  detail::require(z1.dim() == 2 && z1.size(0) >= 2 && z1.sizes() == z2.sizes(),
                  std::string(kIsogclrName) + ": the views must both be [B, d] with B >= 2, got " +
                      detail::describe(z1) + " and " + detail::describe(z2));
  const std::int64_t b = z1.size(0);
  const at::Tensor a = detail::row_normalized(z1, options.eps());
  const at::Tensor c = detail::row_normalized(z2, options.eps());
  const at::Tensor not_self = torch::eye(b, a.options().dtype(at::kBool)).logical_not();
  at::Tensor loss;
  if (options.bimodal()) {
    const at::Tensor sim = a.matmul(c.t());  // [B, B]: row i anchor z1_i, column j z2_j
    const at::Tensor pos = sim.diagonal();
    const ISogCLRStep s1 = step(0, sim - pos.unsqueeze(1), ids, not_self);
    const ISogCLRStep s2 = step(1, sim.t() - pos.unsqueeze(1), ids, not_self);
    loss = torch::cat({s1.loss.reshape({-1}), s2.loss.reshape({-1})});
  } else {
    const at::Tensor all = torch::cat({a, c}, 0);
    const at::Tensor sim = all.matmul(all.t());  // [2B, 2B]
    const at::Tensor pos = torch::cat({sim.diagonal(b), sim.diagonal(-b)});
    const at::Tensor margins = (sim - pos.unsqueeze(1)).view({2, b, 2 * b});
    const at::Tensor valid = not_self.repeat({2, 2}).view({2, b, 2 * b});
    loss = step(0, margins, ids, valid).loss.reshape({-1});
  }
  return reduce_loss(loss, options.reduction());
}

namespace detail {

std::vector<LossEntry> isogclr_losses() {
  return {make_entry(
      "isogclr", LossInput::views_and_ids,
      "iSogCLR: contrastive KL-DRO with a temperature per sample, updated with the model (Qiu "
      "et al. 2023, Algorithm 1); setting num_samples (the dataset size) is required",
      {{"num_samples", ""},
       {"gamma", "0.8"},
       {"rho", "6"},
       {"tau_init", "0.01"},
       {"tau_min", "0.005"},
       {"tau_max", "1"},
       {"beta_u", "0.9"},
       {"eta", "0.03"},
       {"grad_clip", "5"},
       {"bimodal", "false"},
       {"eps", "1e-12"}},
      [](const SettingsReader& r) {
        if (r.text("num_samples").empty())
          r.fail("num_samples", "required: the number of samples (ids lie in [0, num_samples))");
        const ISogCLROptions options = ISogCLROptions(r.integer("num_samples", 1))
                                           .gamma(r.number("gamma"))
                                           .rho(r.number("rho"))
                                           .tau_init(r.number("tau_init"))
                                           .tau_min(r.number("tau_min"))
                                           .tau_max(r.number("tau_max"))
                                           .beta_u(r.number("beta_u"))
                                           .eta(r.number("eta"))
                                           .grad_clip(r.number("grad_clip"))
                                           .bimodal(r.boolean("bimodal"))
                                           .eps(r.number("eps"))
                                           .reduction(reduction_setting(r));
        // The temperatures and moving averages are state: the loss holds the module.
        const std::shared_ptr<ISogCLRImpl> module = ISogCLR(options).ptr();
        return Loss(
            [module](const LossBatch& b) { return module->forward(b.input, b.second, b.ids); },
            module);
      })};
}

}  // namespace detail

}  // namespace deepsolve::learned
