// Isotropic Gaussian mixtures whose noised density is known in closed form: the ground truth of
// the samplers', guidance and training tests.
//
// With the variance-exploding convention of the module (x = x0 + sigma n, n ~ N(0, I)), a
// mixture p = sum_k w_k N(mu_k, s_k^2 I) noised to level sigma is the mixture
// p_sigma = sum_k w_k N(mu_k, (s_k^2 + sigma^2) I), so that
//   log p_sigma(x)    = logsumexp_k [log w_k - d/2 log(2 pi v_k) - |x - mu_k|^2 / (2 v_k)],
//   grad log p_sigma  = sum_k r_k(x) (mu_k - x) / v_k,   v_k = s_k^2 + sigma^2,
// with r_k the posterior responsibilities (a softmax of the terms above), and the posterior mean
// (the ideal denoiser) is E[x0 | x] = x + sigma^2 grad log p_sigma(x) (Tweedie's formula, Efron
// 2011; Miyasawa 1961; the D of Karras et al. 2022, EDM, eq. 3). The class label of a component
// is its index: conditioning on label k replaces the mixture by its component k.
#pragma once

#include <ATen/Tensor.h>
#include <c10/core/ScalarType.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "deepsolve/diffusion/denoiser.hpp"

namespace deepsolve::diffusion {

/// Points with optional labels: x [n, d]; labels [n] int64, or undefined for unlabelled data.
struct PointSamples {
  at::Tensor x;
  at::Tensor labels;
};

class GaussianMixture {
 public:
  /// means [K, d], stds [K] (> 0), weights [K] (>= 0, sum > 0; normalised here). Any floating
  /// dtype; stored as float64 on the CPU. Throws std::invalid_argument naming the bad argument.
  GaussianMixture(const at::Tensor& means, const at::Tensor& stds, const at::Tensor& weights);

  /// The issue's `mixture8`: 8 components of std 0.2, means 2 (cos 2 pi k/8, sin 2 pi k/8),
  /// equal weights; label k is component k.
  static GaussianMixture mixture8();

  std::int64_t dimension() const { return dimension_; }
  std::int64_t components() const { return components_; }
  /// float64 copies: [K, d], [K], [K] (normalised weights).
  const at::Tensor& means() const { return means_; }
  const at::Tensor& stds() const { return stds_; }
  const at::Tensor& weights() const { return weights_; }

  /// n samples of the clean mixture. Without labels each sample draws its component by weight
  /// (the returned labels); with labels [n] int64 in [0, K) sample i comes from component
  /// labels[i]. Sample i depends only on (seed, i) (and its label): the noise of sample i is the
  /// same whether its component was drawn or given. x has the given dtype.
  PointSamples sample(std::int64_t n, std::uint64_t seed, const at::Tensor& labels = {},
                      at::ScalarType dtype = at::kDouble) const;

  /// log p_sigma(x) [B] for x [B, d] and sigma >= 0 (0: the clean density); label -1 for the
  /// whole mixture, k in [0, K) for component k alone. Computed in float64, returned in x's dtype.
  at::Tensor log_density(const at::Tensor& x, double sigma, std::int64_t label = -1) const;
  /// grad_x log p_sigma(x) [B, d], log-sum-exp stable; label as in log_density.
  at::Tensor score(const at::Tensor& x, double sigma, std::int64_t label = -1) const;
  /// The score with one label per sample: labels [B] int64 in [0, K], K meaning the whole
  /// mixture; undefined labels: the whole mixture for every sample.
  at::Tensor labelled_score(const at::Tensor& x, double sigma, const at::Tensor& labels) const;
  /// E[x0 | x0 + sigma n = x] = x + sigma^2 score (Tweedie), per-sample labels as in
  /// labelled_score.
  at::Tensor posterior_mean(const at::Tensor& x, double sigma, const at::Tensor& labels) const;

  /// Mean [d] and covariance [d, d] (float64) of the clean mixture (label -1) or of component k.
  at::Tensor mean(std::int64_t label = -1) const;
  at::Tensor covariance(std::int64_t label = -1) const;
  /// The mixture of x0 + sigma n: stds sqrt(s_k^2 + sigma^2).
  GaussianMixture noised(double sigma) const;

 private:
  void check_label(std::int64_t label, const char* what) const;
  at::Tensor checked_points(const at::Tensor& x, const char* what) const;
  at::Tensor row_labels(const at::Tensor& labels, std::int64_t rows, const char* what) const;
  /// The per-component log terms plus log-weights, with components outside a sample's label
  /// masked to -inf: [B, K] (float64), and the variances v_k [K].
  at::Tensor masked_logits(const at::Tensor& x64, double sigma, const at::Tensor& labels64,
                           at::Tensor* variances) const;
  at::Tensor score64(const at::Tensor& x64, double sigma, const at::Tensor& labels64) const;

  at::Tensor means_, stds_, weights_;
  std::vector<double> means_v_, stds_v_, weights_v_, cumulative_weights_;
  std::int64_t dimension_ = 0;
  std::int64_t components_ = 0;
};

/// The exact denoiser of a mixture: D(x; sigma, label) = E[x0 | x, label], label K (the null
/// label) for the whole mixture. The ground truth against which samplers and guidance are tested.
class GaussianMixtureDenoiser : public ConditionalDenoiser {
 public:
  explicit GaussianMixtureDenoiser(GaussianMixture mixture) : mixture_(std::move(mixture)) {}
  /// x [B, d]; labels [B] int64 in [0, K] or undefined (all K). Throws for sigma <= 0.
  at::Tensor denoise(const at::Tensor& x, double sigma, const at::Tensor& labels) const override;
  std::int64_t null_label() const override { return mixture_.components(); }
  const GaussianMixture& mixture() const { return mixture_; }

 private:
  GaussianMixture mixture_;
};

/// The exact score error of a denoiser at one noise level:
///   (1/B) sum_i sigma^2 ||s_model(x_i) - s_true(x_i)||^2 = (1/B) sum_i ||D_model - D_true||^2 /
///   sigma^2,
/// with s = (D(x; sigma, label) - x) / sigma^2 and s_true the mixture's noised score for the same
/// label (labels [B] in [0, K], K or undefined: the whole mixture). The sigma^2 weight makes it
/// the mean squared error of the implied noise prediction (eps = (x - D) / sigma), comparable
/// across noise levels; it is summed over the d coordinates, not divided by d. Computed in
/// float64; x [B, d] should be drawn from p_sigma (e.g. truth.noised(sigma).sample(...)).
double score_error(const ConditionalDenoiser& model, const GaussianMixture& truth,
                   const at::Tensor& x, double sigma, const at::Tensor& labels = {});

}  // namespace deepsolve::diffusion
