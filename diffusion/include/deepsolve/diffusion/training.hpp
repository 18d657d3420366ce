// Training a denoiser by denoising score matching (Vincent 2011; Song & Ermon 2019; in EDM's
// preconditioned form, parameterization.hpp) through learned's shared trainer (trainer.hpp), so
// that it gets checkpoints, exact resume, data parallelism, learning-rate schedules, early
// stopping and the metrics log without writing them again.
//
// Each optimizer step draws, for every sample of its batch, a noise level (noise_levels.hpp), the
// noise n ~ N(0, I) and, for a conditional network, whether its label is replaced by the null
// label (probability label_dropout: classifier-free guidance's joint training, Ho & Salimans
// 2022). Those draws come from a generator seeded by (seed, optimizer step, rank) in the trainer's
// begin_step hook, so a resumed run draws exactly what the uninterrupted one did (bit for bit on
// one rank). The loss of a sample is Denoiser::loss (mean square over its elements).
//
// The held-out loss for early stopping (the rule the score-estimation analysis of Han, Razaviyayn
// & Xu, arXiv 2401.15604, motivates: stop when the denoising error on data not trained on stops
// falling) uses noise levels and noise drawn ONCE per validation sample and copy
// (validation_draws), so epochs are compared on the same draws.
//
// With ema_decay > 0 the network's weights are averaged (weight_average.hpp); the averages are in
// the checkpoint, and at the end they replace the network's weights when use_average is set.
#pragma once

#include <ATen/Tensor.h>
#include <torch/arg.h>

#include <cstdint>
#include <string>

#include "deepsolve/diffusion/denoiser.hpp"
#include "deepsolve/diffusion/noise_levels.hpp"
#include "deepsolve/learned/training/trainer.hpp"

namespace deepsolve::diffusion {

/// Samples and, for a conditional model, their labels ([N] int64 in [0, classes); undefined when
/// unlabelled).
struct LabelledData {
  at::Tensor x;
  at::Tensor labels;
};

struct DenoiserTrainingOptions {
  TORCH_ARG(NoiseLevelOptions, noise_levels) = {};
  /// Probability that a training sample's label is replaced by the null label (conditional
  /// networks only).
  TORCH_ARG(double, label_dropout) = 0.1;
  /// Adam's learning rate.
  TORCH_ARG(double, learning_rate) = 1e-3;
  /// Decay of the weight average; 0: none.
  TORCH_ARG(double, ema_decay) = 0.0;
  /// Replace the network's weights by the average at the end (when ema_decay > 0).
  TORCH_ARG(bool, use_average) = true;
  /// Each training sample appears this many times per epoch, with fresh noise each time (a small
  /// set tiled to a fixed epoch, as Kadkhodaie et al. train on N = 1 .. 10^5 images).
  TORCH_ARG(std::int64_t, repeats) = 1;
  /// Noise draws per validation sample for the held-out loss.
  TORCH_ARG(std::int64_t, validation_draws) = 4;
  /// Epochs, batch size, seed, checkpoint, resume, log, patience, ... (trainer.hpp).
  TORCH_ARG(learned::TrainerOptions, trainer) = {};
};

struct DenoiserTrainingResult {
  learned::TrainResult train;
  double validation_loss = 0.0;  ///< held-out loss of the final weights (NaN without validation)
  bool averaged = false;         ///< the network now holds the weight average
};

/// Trains `denoiser`'s network on `train` (validated against the network: sample shape, labels
/// in range, a conditional network needs labels). Throws std::invalid_argument for bad data or
/// options (naming them), and what learned::fit throws.
DenoiserTrainingResult train_denoiser(const Denoiser& denoiser, const LabelledData& train,
                                      const LabelledData& validation,
                                      const DenoiserTrainingOptions& options,
                                      const learned::DataParallel& parallel = {});

/// The held-out denoising loss of `denoiser` on `data`: the mean of Denoiser::loss over `draws`
/// seeded draws of (sigma, noise) per sample (labels kept, never dropped).
double held_out_loss(const Denoiser& denoiser, const LabelledData& data,
                     const NoiseLevelOptions& noise_levels, std::int64_t draws, std::uint64_t seed);

}  // namespace deepsolve::diffusion
