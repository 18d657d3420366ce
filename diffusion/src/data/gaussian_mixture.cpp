// Isotropic Gaussian mixtures with analytic noised scores (gaussian_mixture.hpp).
#include "deepsolve/diffusion/gaussian_mixture.hpp"

#include <ATen/ATen.h>

#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>

#include "seeded_draws.hpp"

namespace deepsolve::diffusion {

namespace mixture_detail {

at::Tensor float64_cpu(const at::Tensor& t, const char* name) {
  if (!t.defined())
    throw std::invalid_argument(std::string("GaussianMixture: ") + name + " is undefined");
  if (!at::isFloatingType(t.scalar_type()))
    throw std::invalid_argument(std::string("GaussianMixture: ") + name +
                                " must be a floating tensor, got " +
                                c10::toString(t.scalar_type()));
  return t.to(at::kCPU, at::kDouble).contiguous().clone();  // never shares the caller's storage
}

void check_sigma(double sigma, const char* what) {
  if (!(sigma >= 0.0) || !std::isfinite(sigma))
    throw std::invalid_argument(std::string(what) + ": sigma must be finite and >= 0, got " +
                                number_text(sigma));
}

}  // namespace mixture_detail

GaussianMixture::GaussianMixture(const at::Tensor& means, const at::Tensor& stds,
                                 const at::Tensor& weights) {
  using namespace mixture_detail;
  means_ = float64_cpu(means, "means");
  stds_ = float64_cpu(stds, "stds");
  weights_ = float64_cpu(weights, "weights");
  if (means_.dim() != 2 || means_.size(0) < 1 || means_.size(1) < 1)
    throw std::invalid_argument(
        "GaussianMixture: means must have shape [K, d] with K, d >= 1, got " +
        shape_text(means_.sizes().vec()));
  components_ = means_.size(0);
  dimension_ = means_.size(1);
  const std::string k = std::to_string(components_);
  if (stds_.dim() != 1 || stds_.size(0) != components_)
    throw std::invalid_argument("GaussianMixture: stds must have shape [" + k + "], got " +
                                shape_text(stds_.sizes().vec()));
  if (weights_.dim() != 1 || weights_.size(0) != components_)
    throw std::invalid_argument("GaussianMixture: weights must have shape [" + k + "], got " +
                                shape_text(weights_.sizes().vec()));
  if (!means_.isfinite().all().item<bool>())
    throw std::invalid_argument("GaussianMixture: the means must be finite");
  for (std::int64_t i = 0; i < components_; ++i) {
    const double s = stds_[i].item<double>();
    if (!(s > 0.0) || !std::isfinite(s))
      throw std::invalid_argument("GaussianMixture: stds must be finite and > 0, got stds[" +
                                  std::to_string(i) + "] = " + number_text(s));
    const double w = weights_[i].item<double>();
    if (!(w >= 0.0) || !std::isfinite(w))
      throw std::invalid_argument("GaussianMixture: weights must be finite and >= 0, got weights[" +
                                  std::to_string(i) + "] = " + number_text(w));
  }
  const double total = weights_.sum().item<double>();
  if (!(total > 0.0))
    throw std::invalid_argument("GaussianMixture: the weights sum to 0 (at least one must be > 0)");
  weights_ = weights_ / total;

  means_v_.assign(means_.data_ptr<double>(), means_.data_ptr<double>() + means_.numel());
  stds_v_.assign(stds_.data_ptr<double>(), stds_.data_ptr<double>() + components_);
  weights_v_.assign(weights_.data_ptr<double>(), weights_.data_ptr<double>() + components_);
  cumulative_weights_.resize(static_cast<std::size_t>(components_));
  double running = 0.0;
  for (std::int64_t i = 0; i < components_; ++i) {
    running += weights_v_[static_cast<std::size_t>(i)];
    cumulative_weights_[static_cast<std::size_t>(i)] = running;
  }
}

GaussianMixture GaussianMixture::mixture8() {
  constexpr std::int64_t k = 8;
  at::Tensor means = at::empty({k, 2}, at::kDouble);
  for (std::int64_t i = 0; i < k; ++i) {
    const double angle = 2.0 * M_PI * static_cast<double>(i) / static_cast<double>(k);
    means[i][0] = 2.0 * std::cos(angle);
    means[i][1] = 2.0 * std::sin(angle);
  }
  return GaussianMixture(means, at::full({k}, 0.2, at::kDouble), at::ones({k}, at::kDouble));
}

void GaussianMixture::check_label(std::int64_t label, const char* what) const {
  if (label < -1 || label >= components_)
    throw std::invalid_argument(std::string("GaussianMixture::") + what + ": label " +
                                std::to_string(label) + " is outside [-1, " +
                                std::to_string(components_ - 1) +
                                "] (-1: the whole mixture, k: component k)");
}

at::Tensor GaussianMixture::checked_points(const at::Tensor& x, const char* what) const {
  if (!x.defined())
    throw std::invalid_argument(std::string("GaussianMixture::") + what + ": x is undefined");
  if (x.dim() != 2 || x.size(1) != dimension_)
    throw std::invalid_argument(std::string("GaussianMixture::") + what +
                                ": x must have shape [B, " + std::to_string(dimension_) +
                                "], got " + shape_text(x.sizes().vec()));
  if (!at::isFloatingType(x.scalar_type()))
    throw std::invalid_argument(std::string("GaussianMixture::") + what +
                                ": x must be a floating tensor, got " +
                                c10::toString(x.scalar_type()));
  return x.to(at::kCPU, at::kDouble);
}

at::Tensor GaussianMixture::row_labels(const at::Tensor& labels, std::int64_t rows,
                                       const char* what) const {
  if (!labels.defined()) return at::full({rows}, components_, at::kLong);
  if (labels.dim() != 1 || labels.size(0) != rows)
    throw std::invalid_argument(std::string("GaussianMixture::") + what +
                                ": labels must have shape [" + std::to_string(rows) + "], got " +
                                shape_text(labels.sizes().vec()));
  if (at::isFloatingType(labels.scalar_type()) || labels.scalar_type() == at::kBool)
    throw std::invalid_argument(std::string("GaussianMixture::") + what +
                                ": labels must be an integer tensor, got " +
                                c10::toString(labels.scalar_type()));
  at::Tensor l = labels.to(at::kCPU, at::kLong);
  if (rows > 0) {
    const std::int64_t lo = l.min().item<std::int64_t>();
    const std::int64_t hi = l.max().item<std::int64_t>();
    if (lo < 0 || hi > components_)
      throw std::invalid_argument(std::string("GaussianMixture::") + what +
                                  ": labels must lie in [0, " + std::to_string(components_) +
                                  "] (" + std::to_string(components_) +
                                  ": the whole mixture), got values in [" + std::to_string(lo) +
                                  ", " + std::to_string(hi) + "]");
  }
  return l;
}

at::Tensor GaussianMixture::masked_logits(const at::Tensor& x64, double sigma,
                                          const at::Tensor& labels64, at::Tensor* variances) const {
  const double d = static_cast<double>(dimension_);
  const at::Tensor var = stds_ * stds_ + sigma * sigma;                           // [K]
  const at::Tensor sq = (x64.unsqueeze(1) - means_.unsqueeze(0)).pow(2).sum(-1);  // [B, K]
  const at::Tensor logits = -0.5 * d * at::log(2.0 * M_PI * var) - sq / (2.0 * var);
  // Whole-mixture rows add log w_k; a row with label k keeps component k alone (log 1 = 0), so
  // that a component of weight 0 can still be conditioned on.
  const double inf = std::numeric_limits<double>::infinity();
  const at::Tensor index = at::arange(components_, at::kLong).unsqueeze(0);  // [1, K]
  const at::Tensor chosen = index == labels64.unsqueeze(1);                  // [B, K]
  const at::Tensor conditional =
      at::where(chosen, at::zeros({}, at::kDouble), at::full({}, -inf, at::kDouble));
  const at::Tensor whole = (labels64 == components_).unsqueeze(1);  // [B, 1]
  const at::Tensor added = at::where(whole, at::log(weights_).unsqueeze(0), conditional);
  if (variances) *variances = var;
  return logits + added;
}

at::Tensor GaussianMixture::score64(const at::Tensor& x64, double sigma,
                                    const at::Tensor& labels64) const {
  at::Tensor var;
  const at::Tensor logits = masked_logits(x64, sigma, labels64, &var);
  const at::Tensor r_over_v = at::softmax(logits, 1) / var.unsqueeze(0);  // [B, K]
  // sum_k r_k (mu_k - x) / v_k
  return at::matmul(r_over_v, means_) - x64 * r_over_v.sum(1, /*keepdim=*/true);
}

PointSamples GaussianMixture::sample(std::int64_t n, std::uint64_t seed, const at::Tensor& labels,
                                     at::ScalarType dtype) const {
  if (n < 0)
    throw std::invalid_argument("GaussianMixture::sample: n must be >= 0, got " +
                                std::to_string(n));
  if (!at::isFloatingType(dtype))
    throw std::invalid_argument(
        std::string("GaussianMixture::sample: dtype must be floating, got ") +
        c10::toString(dtype));
  at::Tensor given;
  if (labels.defined()) {
    given = row_labels(labels, n, "sample").contiguous();
    if (n > 0 && given.max().item<std::int64_t>() >= components_)
      throw std::invalid_argument("GaussianMixture::sample: labels must lie in [0, " +
                                  std::to_string(components_ - 1) + "] (a component)");
  }
  at::Tensor x = at::empty({n, dimension_}, at::kDouble);
  at::Tensor out_labels = at::empty({n}, at::kLong);
  double* px = x.data_ptr<double>();
  std::int64_t* pl = out_labels.data_ptr<std::int64_t>();
  const std::int64_t* pg = given.defined() ? given.data_ptr<std::int64_t>() : nullptr;
  const std::uint64_t key = data_detail::set_key(seed, "gaussian-mixture");
  for (std::int64_t i = 0; i < n; ++i) {
    data_detail::SampleStream stream(key, i);
    const double u = stream.uniform();  // always drawn: the noise below does not depend on labels
    std::int64_t k = 0;
    while (k + 1 < components_ && u >= cumulative_weights_[static_cast<std::size_t>(k)]) ++k;
    // Never land on a zero-weight component at the end of the table through rounding.
    while (k > 0 && weights_v_[static_cast<std::size_t>(k)] == 0.0) --k;
    if (pg) k = pg[i];
    pl[i] = k;
    const double s = stds_v_[static_cast<std::size_t>(k)];
    for (std::int64_t j = 0; j < dimension_; ++j)
      px[i * dimension_ + j] =
          means_v_[static_cast<std::size_t>(k * dimension_ + j)] + s * stream.normal();
  }
  return {x.to(dtype), out_labels};
}

at::Tensor GaussianMixture::log_density(const at::Tensor& x, double sigma,
                                        std::int64_t label) const {
  mixture_detail::check_sigma(sigma, "GaussianMixture::log_density");
  check_label(label, "log_density");
  const at::Tensor x64 = checked_points(x, "log_density");
  const at::Tensor labels64 = at::full({x64.size(0)}, label < 0 ? components_ : label, at::kLong);
  return at::logsumexp(masked_logits(x64, sigma, labels64, nullptr), 1).to(x.options());
}

at::Tensor GaussianMixture::score(const at::Tensor& x, double sigma, std::int64_t label) const {
  mixture_detail::check_sigma(sigma, "GaussianMixture::score");
  check_label(label, "score");
  const at::Tensor x64 = checked_points(x, "score");
  const at::Tensor labels64 = at::full({x64.size(0)}, label < 0 ? components_ : label, at::kLong);
  return score64(x64, sigma, labels64).to(x.options());
}

at::Tensor GaussianMixture::labelled_score(const at::Tensor& x, double sigma,
                                           const at::Tensor& labels) const {
  mixture_detail::check_sigma(sigma, "GaussianMixture::labelled_score");
  const at::Tensor x64 = checked_points(x, "labelled_score");
  return score64(x64, sigma, row_labels(labels, x64.size(0), "labelled_score")).to(x.options());
}

at::Tensor GaussianMixture::posterior_mean(const at::Tensor& x, double sigma,
                                           const at::Tensor& labels) const {
  mixture_detail::check_sigma(sigma, "GaussianMixture::posterior_mean");
  const at::Tensor x64 = checked_points(x, "posterior_mean");
  const at::Tensor s = score64(x64, sigma, row_labels(labels, x64.size(0), "posterior_mean"));
  return (x64 + (sigma * sigma) * s).to(x.options());
}

at::Tensor GaussianMixture::mean(std::int64_t label) const {
  check_label(label, "mean");
  if (label >= 0) return means_[label].clone();
  return at::matmul(weights_, means_);
}

at::Tensor GaussianMixture::covariance(std::int64_t label) const {
  check_label(label, "covariance");
  const at::Tensor eye = at::eye(dimension_, at::kDouble);
  if (label >= 0)
    return stds_v_[static_cast<std::size_t>(label)] * stds_v_[static_cast<std::size_t>(label)] *
           eye;
  // sum_k w_k (s_k^2 I + mu_k mu_k^T) - m m^T
  const at::Tensor m = mean(-1);
  const at::Tensor second = at::matmul(means_.t() * weights_.unsqueeze(0), means_) +
                            (weights_ * stds_ * stds_).sum() * eye;
  return second - at::outer(m, m);
}

GaussianMixture GaussianMixture::noised(double sigma) const {
  mixture_detail::check_sigma(sigma, "GaussianMixture::noised");
  return GaussianMixture(means_, at::sqrt(stds_ * stds_ + sigma * sigma), weights_);
}

at::Tensor GaussianMixtureDenoiser::denoise(const at::Tensor& x, double sigma,
                                            const at::Tensor& labels) const {
  if (!(sigma > 0.0) || !std::isfinite(sigma))
    throw std::invalid_argument("GaussianMixtureDenoiser: sigma must be finite and > 0, got " +
                                number_text(sigma));
  return mixture_.posterior_mean(x, sigma, labels).to(x.device());
}

double score_error(const ConditionalDenoiser& model, const GaussianMixture& truth,
                   const at::Tensor& x, double sigma, const at::Tensor& labels) {
  if (!(sigma > 0.0) || !std::isfinite(sigma))
    throw std::invalid_argument("score_error: sigma must be finite and > 0, got " +
                                number_text(sigma));
  if (!x.defined() || x.dim() != 2 || x.size(0) < 1 || x.size(1) != truth.dimension())
    throw std::invalid_argument("score_error: x must have shape [B, " +
                                std::to_string(truth.dimension()) + "] with B >= 1, got " +
                                (x.defined() ? shape_text(x.sizes().vec()) : "undefined"));
  if (model.null_label() != truth.components())
    throw std::invalid_argument(
        "score_error: the model's null label " + std::to_string(model.null_label()) +
        " differs from the mixture's component count " + std::to_string(truth.components()));
  const at::Tensor x64 = x.to(at::kCPU, at::kDouble);
  const at::Tensor d_model = model.denoise(x, sigma, labels).to(at::kCPU, at::kDouble);
  if (d_model.sizes() != x64.sizes())
    throw std::invalid_argument("score_error: the model returned shape " +
                                shape_text(d_model.sizes().vec()) + " for x of shape " +
                                shape_text(x64.sizes().vec()));
  const at::Tensor d_true = truth.posterior_mean(x64, sigma, labels);
  // sigma^2 |s_model - s_true|^2 = |D_model - D_true|^2 / sigma^2
  return ((d_model - d_true).pow(2).sum(1) / (sigma * sigma)).mean().item<double>();
}

}  // namespace deepsolve::diffusion
