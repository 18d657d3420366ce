// LinearAG (Castillo et al., "Adaptive Guidance: Training-free Acceleration of Conditional
// Diffusion Models", arXiv 2312.12487): in the first part of sampling the unconditional estimate
// is not evaluated but predicted as an affine combination of past estimates, with per-step
// coefficients fitted by ordinary least squares on recorded CFG trajectories.
//
// Our model, per evaluation k >= 1 of a fixed sampler and schedule, with m = min(k, history):
//   eps_u^k ~ a_k eps_c^k + sum_{j=1..m} (b_kj eps_u^(k-j) + c_kj eps_c^(k-j)),
// scalar coefficients shared by all samples and coordinates, fitted by column-pivoted Householder
// QR (Eigen) over every coordinate of every recorded sample whose eps_u is known at k and at the
// m evaluations before. The fit reports its relative residual per k, measured against the
// guidance direction: ||A x - b|| / ||eps_c^k - eps_u^k|| (a prediction error enters the guided
// estimate as (w - 1) times itself, the guidance as w times that direction; relative to eps_u
// itself the error would look negligible at high noise, where eps_u ~ eps_c ~ x / sigma).
//
// Which evaluations are predicted (chosen at fit time, stored in the model, or set explicitly):
// k >= 1 with k < first_fraction * K (K evaluations in all), relative residual <= max_residual,
// and at most max_consecutive predicted evaluations in a row (the default 1 alternates predicted
// and evaluated steps, so a prediction always leans on a freshly evaluated eps_u^(k-1)).
//
// The model also stores the sigma of each evaluation; GuidedDenoising refuses a trajectory whose
// noise levels differ (another sampler or step count needs its own fit).
//
// File: a learned archive (io/archive.hpp, kind "linear-ag", CRC-checked, written atomically)
// whose payload is text: "deepsolve-linear-ag 1", "evaluations K history h", then one line per k:
// "k sigma m predicted residual a b_1 c_1 ... b_m c_m" with numbers printed to round-trip exactly.
#pragma once

#include <ATen/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "deepsolve/diffusion/guidance.hpp"
#include "deepsolve/solvers/options.hpp"

namespace deepsolve::diffusion {

struct LinearAGOptions {
  /// The number h of past evaluations in the combination (>= 1).
  DEEPSOLVE_ARG(std::int64_t, history) = 1;
  /// Predict only at evaluations k < first_fraction * K, in [0, 1].
  DEEPSOLVE_ARG(double, first_fraction) = 0.5;
  /// Predict only where the fit's relative residual is at most this (>= 0).
  DEEPSOLVE_ARG(double, max_residual) = 0.2;
  /// At most this many predicted evaluations in a row (>= 1).
  DEEPSOLVE_ARG(std::int64_t, max_consecutive) = 1;
};

class LinearAG {
 public:
  /// One evaluation index of the model.
  struct Step {
    double sigma = 0.0;
    std::int64_t history = 0;          ///< m = min(k, h); 0 for k = 0 (never predicted)
    std::vector<double> coefficients;  ///< a, b_1, c_1, ..., b_m, c_m (empty for k = 0)
    double relative_residual = 0.0;    ///< of the fit, see above (NaN for k = 0)
    bool predicted = false;
  };

  /// Fits on recorded trajectories (GuidanceOptions::record, normally of the "cfg" policy). All
  /// trajectories must have the same number of evaluations (>= 2), the same noise levels and
  /// the same sample shape. Throws std::invalid_argument for bad options, no trajectories, a
  /// mismatch, or an evaluation without a single usable sample.
  static LinearAG fit(const std::vector<GuidanceTrajectory>& trajectories,
                      const LinearAGOptions& options = {});

  /// A model from its steps (k = 0 first); validated as a loaded file is.
  explicit LinearAG(std::vector<Step> steps);

  std::int64_t evaluations() const { return static_cast<std::int64_t>(steps_.size()); }
  /// The largest history of any step.
  std::int64_t history() const;
  const Step& step(std::int64_t k) const;
  const std::vector<Step>& steps() const { return steps_; }
  /// Whether evaluation k is predicted (false for k >= evaluations()).
  bool predicted(std::int64_t k) const;
  /// Marks the predicted evaluations explicitly (one flag per evaluation; k = 0 must be false).
  void set_predicted(const std::vector<bool>& predicted);
  std::int64_t predicted_count() const;

  /// The predicted eps_u^k of n samples: eps_c [n, sample...] at k, past_c[j-1] and past_u[j-1]
  /// the estimates at k - j (j = 1 .. step(k).history), same shape. Throws std::invalid_argument
  /// if k is not a fitted step or too little history is given.
  at::Tensor predict(std::int64_t k, const at::Tensor& eps_c, const std::vector<at::Tensor>& past_c,
                     const std::vector<at::Tensor>& past_u) const;

  /// Writes the model atomically (std::runtime_error naming the path if it cannot).
  void save(const std::string& path) const;
  /// Reads a model; std::runtime_error starting with the path for a missing, corrupt (header or
  /// checksum), truncated or malformed file.
  static LinearAG load(const std::string& path);

  /// One line per evaluation: sigma, history, predicted, residual, coefficients.
  std::string describe() const;

 private:
  std::vector<Step> steps_;
};

}  // namespace deepsolve::diffusion
