// What a sampler evaluates at each step: the denoised estimate of every sample of a batch at one
// noise level. Samplers (sampler.hpp) only see this interface; an unguided denoiser
// (UnguidedDenoising below) and the guidance policies (guidance.hpp) implement it, and count the
// network evaluations (NFEs) they spend, per sample.
#pragma once

#include <ATen/Tensor.h>

#include <cstdint>

#include "deepsolve/diffusion/denoiser.hpp"

namespace deepsolve::diffusion {

/// Where in a trajectory an evaluation happens.
struct EvaluationPoint {
  double sigma = 0.0;      ///< the noise level of every sample of x (> 0)
  std::int64_t step = 0;   ///< the sampler's step, 0 .. steps-1 (Heun's 2nd evaluation: same step)
  std::int64_t steps = 0;  ///< the number of steps of the trajectory
};

class DenoisingFunction {
 public:
  virtual ~DenoisingFunction() = default;
  /// Starts a new trajectory of `batch` samples (resets per-sample state and NFE counters).
  virtual void begin(std::int64_t batch) = 0;
  /// D(x; sigma) for every sample of x ([batch, sample...]); same shape and dtype as x.
  virtual at::Tensor denoise(const at::Tensor& x, const EvaluationPoint& at) = 0;
  /// Network evaluations spent on each sample since begin(): a [batch] int64 CPU tensor. One
  /// evaluation of one sample by the network is one NFE (a guided step costs 2, a conditional
  /// one 1), whatever the batching.
  virtual at::Tensor nfe_per_sample() const = 0;
  /// The sum of nfe_per_sample().
  std::int64_t nfe() const;
};

/// A denoiser with fixed labels (or none) and no guidance: 1 NFE per sample per evaluation.
class UnguidedDenoising : public DenoisingFunction {
 public:
  /// labels: [batch] int64, or undefined for the null label.
  explicit UnguidedDenoising(const ConditionalDenoiser& denoiser, at::Tensor labels = {});
  void begin(std::int64_t batch) override;
  at::Tensor denoise(const at::Tensor& x, const EvaluationPoint& at) override;
  at::Tensor nfe_per_sample() const override;

 private:
  const ConditionalDenoiser& denoiser_;
  at::Tensor labels_;
  std::int64_t batch_ = -1;       ///< begin()'s batch
  std::int64_t evaluations_ = 0;  ///< since begin(): every sample is evaluated each time
};

}  // namespace deepsolve::diffusion
