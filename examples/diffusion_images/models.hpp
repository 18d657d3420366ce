// What the commands of diffusion_images share: the training images, the UNet denoiser built
// through the model registry and trained by denoising score matching, the model file's record of
// its data, and sampling (the coarse-to-fine ascent for a blind model, Heun otherwise).
#pragma once

#include <ATen/Tensor.h>

#include <cstdint>
#include <map>
#include <string>

#include "deepsolve/diffusion/denoiser.hpp"
#include "deepsolve/diffusion/training.hpp"

namespace diffusion_images {

namespace dd = deepsolve::diffusion;

/// Images first .. first + count - 1 of a synthetic class (image_data.hpp).
struct DataSpec {
  std::string data;
  std::int64_t size = 16;
  std::int64_t first = 0;
  std::int64_t count = 256;
  std::uint64_t seed = 0;  ///< the data set's seed
};

/// [count, 1, size, size] float32 in [0, 1].
at::Tensor load_images(const DataSpec& spec);

/// The data of a model file (metadata "images.*"), for a model's record.
std::map<std::string, std::string> data_metadata(const DataSpec& spec);
/// Reads it back; throws std::runtime_error naming `path` when a key is missing or bad.
DataSpec data_from_metadata(const std::map<std::string, std::string>& metadata,
                            const std::string& path);

struct NetworkSpec {
  bool bias_free = false;
  std::int64_t base = 16;
  std::int64_t levels = 2;
  std::int64_t blocks = 2;
};

struct TrainSpec {
  std::int64_t epochs = 8;
  std::int64_t batch = 32;
  double learning_rate = 2e-3;
  /// Images per epoch: the set is tiled (repeated with fresh noise) up to it; 0: the set once.
  std::int64_t samples_per_epoch = 0;
  std::uint64_t seed = 0;  ///< initial weights and training noise
  /// Decay of the weight average that replaces the weights at the end; 0: none.
  double ema = 0.0;
  bool progress = true;
};

struct TrainedModel {
  dd::Denoiser denoiser;
  dd::DenoiserTrainingResult result;
  double seconds = 0.0;
};

/// A new UNet denoiser ("unet-denoiser" of the model registry) for size x size grey images:
/// the bias-free blind variant with a residual prediction, or the normal one with EDM's
/// preconditioning (sigma_data 0.5). Weights seeded by `seed`.
dd::Denoiser new_denoiser(const NetworkSpec& network, std::int64_t size, std::uint64_t seed);

/// The noise levels it trains on: sigma = U^2, U uniform (Kadkhodaie et al.) for a blind model,
/// EDM's log-normal otherwise.
dd::NoiseLevelOptions training_noise_levels(bool blind);

/// Trains a new denoiser on `images`.
TrainedModel train_model(const at::Tensor& images, const NetworkSpec& network,
                         const TrainSpec& train);

struct SamplerSpec {
  std::int64_t count = 16;
  std::uint64_t seed = 0;
  // coarse-to-fine (blind models)
  double h0 = 0.01;
  double beta = 0.05;
  double sigma_L = 0.01;
  std::int64_t max_iterations = 3000;
  // Heun on the Karras schedule (the others)
  std::int64_t steps = 18;
};

struct Samples {
  at::Tensor images;               ///< [count, 1, size, size] float32
  std::int64_t nfe = 0;            ///< network evaluations, all samples
  std::string method;              ///< "coarse-to-fine" or "heun"
  std::int64_t not_converged = 0;  ///< coarse-to-fine samples that hit max_iterations
  std::int64_t not_finite = 0;     ///< samples with a non-finite value (a diverged ascent)
};

/// Draws samples. Sample i starts from noise seeded by (seed, i) alone, so two models given the
/// same seed start sample i from the same noise (and, coarse-to-fine, inject the same noise): the
/// ascent runs each sample on its own for that.
Samples generate(const dd::Denoiser& denoiser, const SamplerSpec& spec);

/// Throws std::invalid_argument unless 0 <= ema < 1 (naming --ema).
void check_ema(double ema);

/// Checks the coarse-to-fine and Heun settings; throws std::invalid_argument naming the option.
void check_sampler_spec(const SamplerSpec& spec);

}  // namespace diffusion_images
