// Support selection, the shrinkage of LISTA-CPSS (Chen, Liu, Wang & Yin, NeurIPS 2018, §3.2,
// "LISTA-SS") that ALISTA (Liu, Chen, Wang & Yin, ICLR 2019) keeps: in layer t the entries of a
// sample whose magnitudes are among its largest p_t percent, and above the threshold theta_t,
// are trusted as support and pass unchanged; every other entry is soft-thresholded at theta_t.
// p_t grows with depth, p_t = min(t * step, max) for t = 1 .. T (the reference code's default:
// 1.2 % per layer up to 13 %). As in that code, which entries pass is not differentiated
// (a mask without gradient); the value of every entry is.
#pragma once

#include <cstdint>
#include <string>

#include <torch/types.h>

namespace deepsolve::unfolded {

struct SupportSelection {
  double step_percent = 1.2;  ///< p, percent per layer (model option "support-step")
  double max_percent = 13.0;  ///< p_max, percent (model option "support-max")

  /// Throws std::invalid_argument naming the option: support-step negative or not finite,
  /// support-max outside [0, 100].
  void validate() const;
  /// p_t for layer t (1-based).
  double percent(std::int64_t layer) const;
  /// How many entries of a signal of size n may pass in layer t: floor(p_t n / 100), which is
  /// the count above the reference code's (100 - p_t)-th percentile.
  std::int64_t count(std::int64_t layer, std::int64_t n) const;
  /// e.g. "support selection 1.2%/layer up to 13%".
  std::string describe() const;
};

/// The support-selecting shrinkage of v [B, n] at threshold `theta` (a tensor broadcastable
/// against v, e.g. a scalar), with the `count` largest magnitudes of each row eligible to pass
/// (count in [0, n]; 0 gives the plain soft threshold). Differentiable in v and theta.
torch::Tensor shrink_with_support_selection(const torch::Tensor& v, const torch::Tensor& theta,
                                            std::int64_t count);

}  // namespace deepsolve::unfolded
