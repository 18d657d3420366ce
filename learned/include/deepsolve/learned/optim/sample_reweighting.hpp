// Loss-based sample reweighting (Sow, Woisetschläger, Pfaff, Luo et al., "Dynamic loss-based
// sample reweighting for improved large language model pretraining", ICLR 2025, arXiv
// 2502.06733). From the per-sample losses l_i of a batch:
//   h_i = 2 delta l_i / (l_max - l_min) - delta (l_max + l_min) / (l_max - l_min)  (in [-delta,
//   delta];
//         0 for all when the losses are equal);
//   f_i = LinUpper: min(h + delta, delta) | Quadratic: 1 - h^2/delta^2 | Extremes: |h| |
//         Upper: h/2 + delta/2 | Uniform: no reweighting;
//   w_i = softmax_i(f / r)  (r = temperature; r -> infinity gives uniform weights);
//   loss = sum_i w_i l_i    (the plain mean when the weights are uniform).
// The weights carry no gradient. The first burn_in_steps steps use uniform weights.
#pragma once

#include <ATen/Tensor.h>
#include <torch/arg.h>

#include <cstdint>
#include <string>

namespace deepsolve::learned {

enum class ReweightStrategy { uniform, lin_upper, quadratic, extremes, upper };

/// "uniform", "lin-upper", "quadratic", "extremes", "upper".
std::string to_string(ReweightStrategy strategy);
/// Inverse of to_string (also "linupper" and "mid" for quadratic); throws listing the names.
ReweightStrategy reweight_strategy_from_string(const std::string& name);

struct SampleReweightingOptions {
  TORCH_ARG(ReweightStrategy, strategy) = ReweightStrategy::lin_upper;
  /// r (the paper's code calls it kl_reg; 0.4 in its 684M-parameter configuration).
  TORCH_ARG(double, temperature) = 0.4;
  TORCH_ARG(double, delta) = 1.0;
  /// Uniform weights while step < burn_in_steps.
  TORCH_ARG(std::int64_t, burn_in_steps) = 1000;
};

void validate(const SampleReweightingOptions& options);

/// The weights w (b,) of 1-D per-sample losses (b >= 1), detached, summing to 1.
at::Tensor sample_weights(const at::Tensor& losses, ReweightStrategy strategy, double temperature,
                          double delta = 1.0);

/// sum_i w_i l_i, differentiable through l; uniform weights (the mean) while
/// step < burn_in_steps.
at::Tensor reweighted_loss(const at::Tensor& losses, const SampleReweightingOptions& options,
                           std::int64_t step);

/// The same with its own step counter (advanced by every call); step() goes into checkpoints.
class SampleReweighting {
 public:
  explicit SampleReweighting(SampleReweightingOptions options = {});
  at::Tensor operator()(const at::Tensor& losses);
  std::int64_t step() const { return step_; }
  void set_step(std::int64_t step) { step_ = step; }
  const SampleReweightingOptions& options() const { return options_; }

 private:
  SampleReweightingOptions options_;
  std::int64_t step_ = 0;
};

}  // namespace deepsolve::learned
