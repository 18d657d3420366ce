// Classifier-free guidance (CFG) as one per-sample policy: a DenoisingFunction (what samplers
// call) that combines the conditional and the unconditional estimate of a ConditionalDenoiser,
//   eps~ = eps_u + w (eps_c - eps_u),      eps = (x - D) / sigma,
// (Ho & Salimans 2022; the same combination of D), and evaluates the unconditional branch only
// for the samples that need it at that evaluation: the conditional batch and the unconditional
// rows that are needed go through the denoiser in ONE call on the concatenated batch, so a
// sample costs 2 NFEs at a guided evaluation and 1 otherwise.
//
// The policies (one registry table, guidance_policies()):
//   none       the conditional model alone (w ignored), 1 NFE per evaluation;
//   cfg        w at every evaluation (w = 1 is the conditional model, 1 NFE);
//   interval   w where sigma_lo < sigma <= sigma_hi, the conditional model elsewhere
//              (Kynkaanniemi et al., "Applying guidance in a limited interval improves sample
//              and distribution quality", NeurIPS 2024);
//   schedule   a weight that follows a schedule in t = step / (steps - 1) (WeightSchedule);
//              evaluations whose weight is exactly 1 skip the unconditional branch;
//   ag         Adaptive Guidance (Castillo et al., arXiv 2312.12487): w on the interval as
//              above (by default every sigma), and per sample gamma = cos(eps_c, eps_u) over the
//              whole flattened sample; once gamma rises above gamma_bar the sample takes
//              conditional-only steps for the rest of its trajectory (sticky). "Rises": the
//              cutoff is armed by a first evaluation with gamma <= gamma_bar (ag_arming, on by
//              default; off is the paper's rule as written). Our choice, for a measured reason:
//              at the top of a wide schedule (sigma_max 80 on data of scale 2) both eps estimates
//              are almost the input noise, gamma starts near 0.9994 and falls to ~0.9 at mid
//              sigma before it climbs to 1 (the paper's "increasingly correlated"); without
//              arming, AG stops guiding most samples at the first step for gamma_bar <= 0.999. The
//              evaluation where gamma crosses gamma_bar still returns the guided estimate (both
//              branches were paid); the next ones cost 1 NFE;
//   linear-ag  LinearAG (same paper; linear_ag.hpp): at the evaluations the fitted model marks
//              as predicted, the unconditional estimate is an affine combination of the past
//              estimates (0 extra NFE); full CFG at the others, with the AG cutoff as above
//              (gamma is measured at evaluated unconditional branches only).
// Guidance rescale (Lin et al., arXiv 2305.08891, as diffusers' rescale_noise_cfg) applies to
// every guided sample of every policy: r = cfg * std(eps_c) / std(cfg) per sample (unbiased std
// over the sample's elements), output phi r + (1 - phi) cfg.
#pragma once

#include <ATen/Tensor.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "deepsolve/diffusion/denoising_function.hpp"
#include "deepsolve/solvers/options.hpp"

namespace deepsolve::diffusion {

class LinearAG;

/// How the "schedule" policy's weight moves from start (t = 0, the first step) to end (t = 1, the
/// last step), t = step / (steps - 1) (t = 0 when steps == 1):
///   linear:  (1 - t) start + t end;
///   cosine:  c start + (1 - c) end, c = (1 + cos(pi t)) / 2 (flat at both ends);
///   step:    start while t < cut, end from there on (e.g. CFG for the first half only).
/// The end points are exact, so an end of 1 makes the last steps conditional-only.
enum class WeightShape { linear, cosine, step };

/// "linear", "cosine", "step"; std::invalid_argument listing them for another name.
WeightShape parse_weight_shape(const std::string& name);
std::string weight_shape_name(WeightShape shape);

struct WeightSchedule {
  DEEPSOLVE_ARG(WeightShape, shape) = WeightShape::linear;
  DEEPSOLVE_ARG(double, start) = 2.0;  ///< the weight at t = 0 (>= 0)
  DEEPSOLVE_ARG(double, end) = 1.0;    ///< the weight at t = 1 (>= 0)
  DEEPSOLVE_ARG(double, cut) = 0.5;    ///< step shape: where the weight switches, in [0, 1]

 public:
  /// The weight at step `step` of `steps` (0 <= step < steps).
  double weight(std::int64_t step, std::int64_t steps) const;
};

struct GuidanceOptions {
  /// A name of guidance_policies(): none, cfg, interval, schedule, ag, linear-ag.
  DEEPSOLVE_ARG(std::string, policy) = "cfg";
  /// The guidance scale w >= 0 (none and schedule ignore it).
  DEEPSOLVE_ARG(double, scale) = 2.0;
  /// interval, ag, linear-ag: guidance only where sigma_lo < sigma <= sigma_hi (0 <= lo < hi).
  DEEPSOLVE_ARG(double, sigma_lo) = 0.0;
  DEEPSOLVE_ARG(double, sigma_hi) = std::numeric_limits<double>::infinity();
  /// schedule: the weight per step.
  DEEPSOLVE_ARG(WeightSchedule, schedule) = {};
  /// ag, linear-ag: the cosine threshold, in (0, 1] (1 never cuts off).
  DEEPSOLVE_ARG(double, gamma_bar) = 0.99;
  /// Adaptive Guidance: the cutoff needs a first gamma <= gamma_bar (see above); false: the
  /// paper's rule, any gamma > gamma_bar cuts off.
  DEEPSOLVE_ARG(bool, ag_arming) = true;
  /// Guidance rescale phi in [0, 1] (0: plain CFG).
  DEEPSOLVE_ARG(double, rescale) = 0.0;
  /// linear-ag: the fitted model (required there, ignored elsewhere).
  DEEPSOLVE_ARG(std::shared_ptr<const LinearAG>, linear_ag) = nullptr;
  /// Record eps_c and eps_u of every evaluation (GuidedDenoising::trajectory()), e.g. full-CFG
  /// trajectories to fit LinearAG on.
  DEEPSOLVE_ARG(bool, record) = false;
};

/// Throws std::invalid_argument naming the option and the value: an unknown policy (listing the
/// known ones), scale < 0 or not finite, gamma_bar outside (0, 1], sigma_lo < 0 or sigma_lo >=
/// sigma_hi, rescale outside [0, 1], a schedule weight < 0 or cut outside [0, 1], linear-ag
/// without a model.
void validate(const GuidanceOptions& options);

/// What a policy decides at one evaluation, for the samples it still guides.
struct GuidanceDecision {
  double weight = 1.0;                 ///< the CFG weight (exactly 1: no unconditional branch)
  bool predict_unconditional = false;  ///< LinearAG: predict eps_u instead of evaluating it
};

/// A guidance policy: the per-evaluation part of the decision. The per-sample part (the sticky
/// AG cutoff, which samples have the history a prediction needs) is kept by GuidedDenoising.
class GuidancePolicy {
 public:
  virtual ~GuidancePolicy() = default;
  /// `evaluation`: the index of this evaluation since begin() (Heun's two evaluations of a step
  /// are two indices).
  virtual GuidanceDecision decide(const EvaluationPoint& at, std::int64_t evaluation) const = 0;
  /// Adaptive Guidance: switch a sample off for good once cos(eps_c, eps_u) > gamma_bar.
  virtual bool adaptive() const { return false; }
  /// The model that predicts eps_u where decide() says predict_unconditional (LinearAG); null for
  /// policies that never predict.
  virtual const LinearAG* predictor() const { return nullptr; }
};

struct GuidancePolicyType {
  std::string name;
  std::string description;
  std::function<std::unique_ptr<GuidancePolicy>(const GuidanceOptions&)> make;
};

/// The registry of guidance policies (the only place that maps a name to a policy).
const std::vector<GuidancePolicyType>& guidance_policies();
/// "none, cfg, interval, schedule, ag, linear-ag".
std::string guidance_policy_names();
/// validate(options), then the policy of options.policy().
std::unique_ptr<GuidancePolicy> make_guidance_policy(const GuidanceOptions& options);

/// The estimates of one recorded trajectory (GuidanceOptions::record): per evaluation k, eps_c
/// and eps_u of every sample as float64 CPU tensors [B, sample...]; rows of eps_u whose
/// unconditional branch was not evaluated at k are NaN.
struct GuidanceTrajectory {
  std::vector<double> sigma;
  std::vector<at::Tensor> conditional;
  std::vector<at::Tensor> unconditional;
};

class GuidedDenoising : public DenoisingFunction {
 public:
  /// labels: [B] int64 class labels of the conditional branch; the unconditional branch uses
  /// denoiser.null_label(). The denoiser must outlive this object. Throws std::invalid_argument
  /// for bad options or labels.
  GuidedDenoising(const ConditionalDenoiser& denoiser, at::Tensor labels, GuidanceOptions options);

  void begin(std::int64_t batch) override;
  at::Tensor denoise(const at::Tensor& x, const EvaluationPoint& at) override;
  at::Tensor nfe_per_sample() const override;

  const GuidanceOptions& options() const { return options_; }
  /// Evaluations since begin().
  std::int64_t evaluations() const { return evaluation_; }
  /// Per sample, the evaluation index at which Adaptive Guidance switched it off (-1: never):
  /// [B] int64.
  at::Tensor switched_off_at() const;
  /// gamma = cos(eps_c, eps_u) per evaluation and sample: [evaluations, B] float64. It is
  /// computed wherever the unconditional branch was evaluated (every policy), NaN elsewhere (a
  /// zero eps_c or eps_u gives 0).
  at::Tensor gamma_history() const;
  /// The number of unconditional rows of each evaluation's denoiser call.
  const std::vector<std::int64_t>& unconditional_batch_sizes() const { return uncond_sizes_; }
  /// Per sample, the number of unconditional estimates LinearAG predicted: [B] int64.
  at::Tensor predicted_per_sample() const;
  /// The recorded estimates (empty unless options.record()).
  const GuidanceTrajectory& trajectory() const { return trajectory_; }

 private:
  const ConditionalDenoiser& denoiser_;
  at::Tensor labels_;
  GuidanceOptions options_;
  std::unique_ptr<GuidancePolicy> policy_;
  std::int64_t batch_ = -1;
  std::int64_t evaluation_ = 0;
  at::Tensor nfe_;
  std::vector<char> off_;
  std::vector<std::int64_t> switched_at_;
  std::vector<char> armed_;  ///< AG: gamma has been <= gamma_bar at an evaluated step
  std::vector<std::int64_t> predicted_count_;
  std::vector<std::int64_t> uncond_run_;  // consecutive evaluations with an eps_u, per sample
  std::vector<at::Tensor> past_c_;        // LinearAG history, most recent first
  std::vector<at::Tensor> past_u_;
  std::vector<at::Tensor> gamma_rows_;
  std::vector<std::int64_t> uncond_sizes_;
  GuidanceTrajectory trajectory_;
};

}  // namespace deepsolve::diffusion
