#include "models.hpp"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <chrono>
#include <cmath>
#include <memory>
#include <stdexcept>

#include "common/cli.hpp"
#include "deepsolve/diffusion/coarse_to_fine.hpp"
#include "deepsolve/diffusion/denoising_function.hpp"
#include "deepsolve/diffusion/image_data.hpp"
#include "deepsolve/diffusion/model_types.hpp"
#include "deepsolve/diffusion/noise_schedule.hpp"
#include "deepsolve/diffusion/sampler.hpp"
#include "deepsolve/learned/io/model_registry.hpp"
#include "deepsolve/learned/random.hpp"

namespace diffusion_images {

namespace dl = deepsolve::learned;
namespace ex = deepsolve::examples;

at::Tensor load_images(const DataSpec& spec) {
  return dd::images(spec.data, spec.first, spec.count, spec.size, spec.seed).images;
}

std::map<std::string, std::string> data_metadata(const DataSpec& spec) {
  return {{"images.data", spec.data},
          {"images.size", std::to_string(spec.size)},
          {"images.first", std::to_string(spec.first)},
          {"images.count", std::to_string(spec.count)},
          {"images.seed", std::to_string(spec.seed)}};
}

DataSpec data_from_metadata(const std::map<std::string, std::string>& metadata,
                            const std::string& path) {
  const auto text = [&](const char* key) {
    const auto it = metadata.find(key);
    if (it == metadata.end())
      throw std::runtime_error(path + ": no '" + key +
                               "' in the model's metadata (not written by diffusion_images train)");
    return it->second;
  };
  const auto number = [&](const char* key) {
    const std::string value = text(key);
    try {
      std::size_t used = 0;
      const long long v = std::stoll(value, &used);
      if (used == value.size() && v >= 0) return static_cast<std::int64_t>(v);
    } catch (const std::exception&) {
    }
    throw std::runtime_error(path + ": metadata '" + key + "' is '" + value + "', not a count");
  };
  DataSpec spec;
  spec.data = text("images.data");
  spec.size = number("images.size");
  spec.first = number("images.first");
  spec.count = number("images.count");
  spec.seed = static_cast<std::uint64_t>(number("images.seed"));
  return spec;
}

dd::Denoiser new_denoiser(const NetworkSpec& network, std::int64_t size, std::uint64_t seed) {
  dd::register_diffusion_networks();
  const dl::ModelType& type = dl::ModelRegistry::instance().get("unet-denoiser");
  const dl::ModelOptions options =
      dl::resolve_options(type, {{"size", std::to_string(size)},
                                 {"base", std::to_string(network.base)},
                                 {"levels", std::to_string(network.levels)},
                                 {"blocks", std::to_string(network.blocks)},
                                 {"bias-free", network.bias_free ? "1" : "0"}});
  at::manual_seed(seed);
  std::shared_ptr<torch::nn::Module> module;
  try {
    module = type.build(options);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("the UNet: ") + e.what());
  }
  auto net = std::dynamic_pointer_cast<dd::DenoiserNetwork>(module);
  if (!net) throw std::logic_error("unet-denoiser is not a DenoiserNetwork");
  if (network.bias_free) return dd::Denoiser(net, dd::Prediction::residual);
  return dd::Denoiser(net, dd::Prediction::edm, 0.5);
}

dd::NoiseLevelOptions training_noise_levels(bool blind) {
  if (blind)
    return dd::NoiseLevelOptions().distribution("quadratic").sigma_min(1e-3).sigma_max(1.0);
  return dd::NoiseLevelOptions();  // EDM's log-normal
}

TrainedModel train_model(const at::Tensor& images, const NetworkSpec& network,
                         const TrainSpec& train) {
  const auto start = std::chrono::steady_clock::now();
  TrainedModel model{new_denoiser(network, images.size(-1), train.seed), {}, 0.0};
  const std::int64_t n = images.size(0);
  const std::int64_t repeats =
      train.samples_per_epoch > n ? (train.samples_per_epoch + n - 1) / n : 1;
  dd::DenoiserTrainingOptions options;
  options.noise_levels(training_noise_levels(network.bias_free))
      .learning_rate(train.learning_rate)
      .ema_decay(train.ema)
      .repeats(repeats)
      .trainer(dl::TrainerOptions()
                   .epochs(train.epochs)
                   .batch_size(std::min(train.batch, n * repeats))
                   .seed(train.seed)
                   .print_progress(train.progress));
  model.denoiser.network().train();
  model.result = dd::train_denoiser(model.denoiser, {images, {}}, {}, options);
  model.denoiser.network().eval();
  model.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return model;
}

void check_ema(double ema) {
  ex::check(ema >= 0 && ema < 1, "--ema must be in [0, 1), got " + ex::format_number(ema));
}

void check_sampler_spec(const SamplerSpec& spec) {
  ex::check_at_least("--count", spec.count, 1);
  ex::check(spec.h0 > 0 && spec.h0 <= 1,
            "--h0 must be in (0, 1], got " + ex::format_number(spec.h0));
  ex::check(spec.beta > 0 && spec.beta <= 1,
            "--beta must be in (0, 1], got " + ex::format_number(spec.beta));
  ex::check(spec.sigma_L > 0 && spec.sigma_L < 1,
            "--sigma-L must be in (0, 1), got " + ex::format_number(spec.sigma_L));
  ex::check_at_least("--max-iterations", spec.max_iterations, 1);
  ex::check_at_least("--steps", spec.steps, 1);
}

namespace {

// Standard normal noise of one sample, seeded by (seed, index) alone.
at::Tensor sample_noise(std::uint64_t seed, std::int64_t index,
                        const std::vector<std::int64_t>& shape) {
  const std::uint64_t key =
      dl::splitmix64(seed ^ dl::splitmix64(static_cast<std::uint64_t>(index)));
  return at::randn(shape, at::make_generator<at::CPUGeneratorImpl>(key),
                   at::TensorOptions().dtype(at::kFloat));
}

}  // namespace

Samples generate(const dd::Denoiser& denoiser, const SamplerSpec& spec) {
  check_sampler_spec(spec);
  const std::vector<std::int64_t> shape = denoiser.network().sample_shape();
  at::NoGradGuard no_grad;
  Samples out;
  std::vector<at::Tensor> images;
  if (!denoiser.network().uses_noise_level()) {
    // The ascent of a blind denoiser, each sample alone so that its injected noise depends on
    // its index only (a batch would shrink as samples stop, and share one noise stream).
    out.method = "coarse-to-fine";
    for (std::int64_t i = 0; i < spec.count; ++i) {
      dd::CoarseToFineOptions c;
      c.h0 = spec.h0;
      c.beta = spec.beta;
      c.sigma_L = spec.sigma_L;
      c.mean = 0.5;  // the middle of the images' [0, 1]
      c.max_iterations = spec.max_iterations;
      c.seed = dl::splitmix64(spec.seed + 0x9e37ULL * static_cast<std::uint64_t>(i + 1));
      const dd::CoarseToFineOutput r =
          dd::coarse_to_fine(denoiser, sample_noise(spec.seed, i, shape).unsqueeze(0), c);
      images.push_back(r.samples);
      out.nfe += r.nfe;
      out.not_converged += r.converged.logical_not().sum().item<std::int64_t>();
    }
    out.images = at::cat(images, 0);
  } else {
    out.method = "heun";
    for (std::int64_t i = 0; i < spec.count; ++i)
      images.push_back(sample_noise(spec.seed, i, shape));
    dd::UnguidedDenoising model(denoiser);
    const dd::SampleOutput r =
        dd::sample("heun", model, at::stack(images, 0),
                   dd::karras_sigmas(spec.steps, 0.002, 80.0, 7.0), spec.seed);
    out.images = r.samples;
    out.nfe = r.nfe;
  }
  out.not_finite =
      at::isfinite(out.images).flatten(1).all(1).logical_not().sum().item<std::int64_t>();
  return out;
}

}  // namespace diffusion_images
