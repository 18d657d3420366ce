// GuidedDenoising (guidance.hpp): per-sample classifier-free guidance with one denoiser call per
// evaluation on the conditional batch plus the unconditional rows that are needed.
#include <ATen/ATen.h>

#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "deepsolve/diffusion/guidance.hpp"
#include "deepsolve/diffusion/linear_ag.hpp"

namespace deepsolve::diffusion {

namespace guided_denoising_detail {

at::Tensor index_tensor(const std::vector<std::int64_t>& rows, const at::Device& device) {
  return at::tensor(rows, at::TensorOptions().dtype(at::kLong)).to(device);
}

// Per-row cosine of two [n, ...] tensors over all non-batch elements, in float64 (0 where either
// row is zero), clamped to [-1, 1] so that rounding never makes gamma_bar = 1 cut off.
at::Tensor row_cosine(const at::Tensor& a, const at::Tensor& b) {
  const auto a2 = a.reshape({a.size(0), -1}).to(at::kDouble);
  const auto b2 = b.reshape({b.size(0), -1}).to(at::kDouble);
  const auto dot = (a2 * b2).sum(1);
  const auto norms = a2.norm(2, {1}) * b2.norm(2, {1});
  return at::where(norms > 0, dot / norms, at::zeros_like(dot)).clamp(-1.0, 1.0);
}

// Guidance rescale (Lin et al. 2023, diffusers' rescale_noise_cfg): per row, cfg scaled to the
// standard deviation of the conditional estimate, mixed with cfg by phi.
at::Tensor rescaled(const at::Tensor& cfg, const at::Tensor& eps_c, double phi) {
  std::vector<std::int64_t> dims;
  for (std::int64_t d = 1; d < cfg.dim(); ++d) dims.push_back(d);
  const auto std_c = eps_c.std(dims, /*unbiased=*/true, /*keepdim=*/true);
  const auto std_cfg = cfg.std(dims, /*unbiased=*/true, /*keepdim=*/true);
  const auto ratio = at::where(std_cfg > 0, std_c / std_cfg, at::ones_like(std_cfg));
  return phi * (cfg * ratio) + (1.0 - phi) * cfg;
}

}  // namespace guided_denoising_detail

GuidedDenoising::GuidedDenoising(const ConditionalDenoiser& denoiser, at::Tensor labels,
                                 GuidanceOptions options)
    : denoiser_(denoiser), labels_(std::move(labels)), options_(std::move(options)) {
  policy_ = make_guidance_policy(options_);
  if (!labels_.defined() || labels_.dim() != 1 || labels_.scalar_type() != at::kLong)
    throw std::invalid_argument(
        "GuidedDenoising: labels must be a [batch] int64 tensor" +
        (labels_.defined() ? ", got " + std::string(c10::toString(labels_.scalar_type())) + " of " +
                                 std::to_string(labels_.dim()) + " dimensions"
                           : std::string(", got an undefined tensor")));
}

void GuidedDenoising::begin(std::int64_t batch) {
  if (labels_.size(0) != batch)
    throw std::invalid_argument("GuidedDenoising: " + std::to_string(labels_.size(0)) +
                                " labels for a batch of " + std::to_string(batch));
  batch_ = batch;
  evaluation_ = 0;
  nfe_ = at::zeros({batch}, at::kLong);
  const auto n = static_cast<std::size_t>(batch);
  off_.assign(n, 0);
  armed_.assign(n, 0);
  switched_at_.assign(n, -1);
  predicted_count_.assign(n, 0);
  uncond_run_.assign(n, 0);
  past_c_.clear();
  past_u_.clear();
  gamma_rows_.clear();
  uncond_sizes_.clear();
  trajectory_ = {};
}

at::Tensor GuidedDenoising::denoise(const at::Tensor& x, const EvaluationPoint& at) {
  namespace detail = guided_denoising_detail;
  if (batch_ < 0 || x.dim() < 1 || x.size(0) != batch_)
    throw std::logic_error("GuidedDenoising: begin() was not called for this batch");
  if (!(at.sigma > 0) || !std::isfinite(at.sigma))
    throw std::invalid_argument("GuidedDenoising: sigma = " + std::to_string(at.sigma) +
                                " (must be finite and > 0)");
  const std::int64_t k = evaluation_++;
  const GuidanceDecision decision = policy_->decide(at, k);
  const LinearAG* model = policy_->predictor();
  if (decision.predict_unconditional && !model)
    throw std::logic_error("GuidedDenoising: a policy without a predictor asked for a prediction");
  if (decision.predict_unconditional &&
      std::abs(model->step(k).sigma - at.sigma) > 1e-6 * model->step(k).sigma)
    throw std::invalid_argument("GuidedDenoising: the LinearAG model was fitted with sigma = " +
                                std::to_string(model->step(k).sigma) + " at evaluation " +
                                std::to_string(k) +
                                ", this trajectory has sigma = " + std::to_string(at.sigma) +
                                " (fit the model for this sampler and schedule)");

  // Per sample: conditional only, evaluated unconditional branch, or predicted one.
  std::vector<std::int64_t> evaluated, predicted;
  if (decision.weight != 1.0) {
    const std::int64_t need = decision.predict_unconditional ? model->step(k).history : 0;
    for (std::int64_t i = 0; i < batch_; ++i) {
      if (off_[static_cast<std::size_t>(i)]) continue;
      if (decision.predict_unconditional && uncond_run_[static_cast<std::size_t>(i)] >= need)
        predicted.push_back(i);
      else
        evaluated.push_back(i);
    }
  }
  const auto n_u = static_cast<std::int64_t>(evaluated.size());
  const auto labels = labels_.to(x.device());
  at::Tensor idx_u, x_u;
  at::Tensor out_all;
  if (n_u > 0) {
    idx_u = detail::index_tensor(evaluated, x.device());
    x_u = x.index_select(0, idx_u);
    const auto null = at::full({n_u}, denoiser_.null_label(), labels.options());
    out_all = denoiser_.denoise(at::cat({x, x_u}), at.sigma, at::cat({labels, null}));
  } else {
    out_all = denoiser_.denoise(x, at.sigma, labels);
  }
  auto expected = x.sizes().vec();
  expected[0] = batch_ + n_u;
  if (out_all.sizes() != at::IntArrayRef(expected)) {
    std::ostringstream message;
    message << "GuidedDenoising: the denoiser returned shape " << out_all.sizes()
            << " for an input of shape " << at::IntArrayRef(expected);
    throw std::runtime_error(message.str());
  }
  const auto d_c = out_all.narrow(0, 0, batch_);
  nfe_ += 1;
  if (n_u > 0) nfe_.index_add_(0, idx_u.cpu(), at::ones({n_u}, at::kLong));
  uncond_sizes_.push_back(n_u);

  auto gamma = at::full({batch_}, std::numeric_limits<double>::quiet_NaN(), at::kDouble);
  const bool guided_any = !evaluated.empty() || !predicted.empty();
  const bool keep_history = model != nullptr;
  at::Tensor eps_c, eps_u_eval;
  if (guided_any || keep_history || options_.record()) eps_c = (x - d_c) / at.sigma;
  if (n_u > 0) {
    eps_u_eval = (x_u - out_all.narrow(0, batch_, n_u)) / at.sigma;
    const auto g = detail::row_cosine(eps_c.index_select(0, idx_u), eps_u_eval).cpu();
    gamma.index_copy_(0, idx_u.cpu(), g);
  }

  at::Tensor result = d_c;
  at::Tensor idx_g, eps_u_g;
  if (guided_any) {
    std::vector<at::Tensor> eps_u_parts;
    std::vector<std::int64_t> guided = evaluated;
    if (n_u > 0) eps_u_parts.push_back(eps_u_eval);
    if (!predicted.empty()) {
      const auto idx_p = detail::index_tensor(predicted, x.device());
      std::vector<at::Tensor> pc, pu;
      for (std::int64_t j = 0; j < model->step(k).history; ++j) {
        pc.push_back(past_c_[static_cast<std::size_t>(j)].index_select(0, idx_p));
        pu.push_back(past_u_[static_cast<std::size_t>(j)].index_select(0, idx_p));
      }
      eps_u_parts.push_back(model->predict(k, eps_c.index_select(0, idx_p), pc, pu));
      guided.insert(guided.end(), predicted.begin(), predicted.end());
      for (const auto i : predicted) ++predicted_count_[static_cast<std::size_t>(i)];
    }
    idx_g = detail::index_tensor(guided, x.device());
    eps_u_g = at::cat(eps_u_parts);
    const auto eps_c_g = eps_c.index_select(0, idx_g);
    auto cfg = eps_u_g + decision.weight * (eps_c_g - eps_u_g);
    if (options_.rescale() > 0) {
      if (x[0].numel() < 2)
        throw std::invalid_argument(
            "GuidedDenoising: guidance rescale needs samples of at least 2 elements");
      cfg = detail::rescaled(cfg, eps_c_g, options_.rescale());
    }
    result = d_c.clone();
    result.index_copy_(0, idx_g, x.index_select(0, idx_g) - at.sigma * cfg);
  }

  // Adaptive Guidance: sticky per-sample cutoff, decided at evaluated unconditional branches,
  // armed once the sample's gamma has been at or below gamma_bar (see guidance.hpp).
  if (policy_->adaptive() && n_u > 0) {
    const auto g = gamma.accessor<double, 1>();
    for (const auto i : evaluated) {
      const auto s = static_cast<std::size_t>(i);
      if (g[i] <= options_.gamma_bar()) {
        armed_[s] = 1;
      } else if (armed_[s] || !options_.ag_arming()) {
        off_[s] = 1;
        switched_at_[s] = k;
      }
    }
  }
  gamma_rows_.push_back(gamma);

  // LinearAG history: eps_c and eps_u (evaluated or predicted) of the last evaluations.
  std::vector<char> has_u(static_cast<std::size_t>(batch_), 0);
  for (const auto i : evaluated) has_u[static_cast<std::size_t>(i)] = 1;
  for (const auto i : predicted) has_u[static_cast<std::size_t>(i)] = 1;
  for (std::size_t i = 0; i < has_u.size(); ++i) uncond_run_[i] = has_u[i] ? uncond_run_[i] + 1 : 0;
  if (keep_history) {
    auto u = at::zeros_like(eps_c);
    if (guided_any) u.index_copy_(0, idx_g, eps_u_g.to(u.scalar_type()));
    past_c_.insert(past_c_.begin(), eps_c);
    past_u_.insert(past_u_.begin(), u);
    const auto h = static_cast<std::size_t>(model->history());
    if (past_c_.size() > h) {
      past_c_.resize(h);
      past_u_.resize(h);
    }
  }

  if (options_.record()) {
    const auto c = eps_c.to(at::kDouble).cpu();
    auto u = at::full_like(c, std::numeric_limits<double>::quiet_NaN());
    if (n_u > 0) u.index_copy_(0, idx_u.cpu(), eps_u_eval.to(at::kDouble).cpu());
    trajectory_.sigma.push_back(at.sigma);
    trajectory_.conditional.push_back(c);
    trajectory_.unconditional.push_back(u);
  }
  return result;
}

at::Tensor GuidedDenoising::nfe_per_sample() const {
  return nfe_.defined() ? nfe_ : at::zeros({0}, at::kLong);
}

at::Tensor GuidedDenoising::switched_off_at() const {
  return at::tensor(switched_at_, at::TensorOptions().dtype(at::kLong));
}

at::Tensor GuidedDenoising::predicted_per_sample() const {
  return at::tensor(predicted_count_, at::TensorOptions().dtype(at::kLong));
}

at::Tensor GuidedDenoising::gamma_history() const {
  if (gamma_rows_.empty()) return at::zeros({0, batch_ < 0 ? 0 : batch_}, at::kDouble);
  return at::stack(gamma_rows_);
}

}  // namespace deepsolve::diffusion
