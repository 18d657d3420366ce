#include "deepsolve/diffusion/training.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "deepsolve/diffusion/weight_average.hpp"
#include "deepsolve/learned/random.hpp"

namespace deepsolve::diffusion {
namespace {

// What fit() trains and checkpoints: the network and, with EMA, its weight average (buffers), so
// that the checkpoint holds both.
class DenoiserTrainingState : public torch::nn::Module {
 public:
  DenoiserTrainingState(const std::shared_ptr<DenoiserNetwork>& network, double decay) {
    register_module("network", network);
    if (decay > 0.0)
      average = register_module("average", std::make_shared<WeightAverage>(*network, decay));
  }
  std::shared_ptr<WeightAverage> average;
};

void check_labelled(const LabelledData& data, const DenoiserNetwork& network,
                    const std::string& what, bool may_be_empty) {
  if (may_be_empty && !data.x.defined()) return;
  check_sample_batch(data.x, network.sample_shape(), what + " samples");
  const std::int64_t classes = network.num_classes();
  if (!data.labels.defined()) {
    if (classes > 0)
      throw std::invalid_argument(what + ": the network is conditional (" +
                                  std::to_string(classes) + " classes) but the data has no labels");
    return;
  }
  if (data.labels.dim() != 1 || data.labels.size(0) != data.x.size(0))
    throw std::invalid_argument(what + ": " + std::to_string(data.x.size(0)) +
                                " samples need labels of shape [" + std::to_string(data.x.size(0)) +
                                "], got " + shape_text(data.labels.sizes().vec()));
  if (classes == 0)
    throw std::invalid_argument(what + ": labels given to an unconditional network");
  const auto lo = data.labels.min().item<std::int64_t>();
  const auto hi = data.labels.max().item<std::int64_t>();
  if (lo < 0 || hi >= classes)
    throw std::invalid_argument(what + ": labels must be in [0, " + std::to_string(classes) +
                                "), got values from " + std::to_string(lo) + " to " +
                                std::to_string(hi));
}

at::Generator seeded_generator(std::uint64_t seed) {
  auto g = at::make_generator<at::CPUGeneratorImpl>(seed);
  return g;
}

// Per-sample loss of fixed draws (validation): samples repeated `draws` times, each with its own
// noise level and noise, drawn once from `seed`.
struct FixedDraws {
  at::Tensor x0, labels, sigma, noise;
};

FixedDraws fixed_draws(const LabelledData& data, const NoiseLevelOptions& levels,
                       std::int64_t draws, std::uint64_t seed) {
  FixedDraws d;
  const std::int64_t n = data.x.size(0);
  const at::Tensor index = at::arange(n, at::kLong).repeat({draws});
  at::Generator g = seeded_generator(seed);
  d.x0 = data.x.to(at::kFloat).index_select(0, index);
  if (data.labels.defined()) d.labels = data.labels.to(at::kLong).index_select(0, index);
  d.sigma = draw_noise_levels(levels, index.size(0), g);
  d.noise = at::randn(d.x0.sizes(), g, at::kFloat);
  return d;
}

at::Tensor draws_loss(const Denoiser& denoiser, const FixedDraws& d, std::int64_t begin,
                      std::int64_t end) {
  const std::int64_t n = end - begin;
  return denoiser.loss(d.x0.narrow(0, begin, n), d.sigma.narrow(0, begin, n),
                       d.noise.narrow(0, begin, n),
                       d.labels.defined() ? d.labels.narrow(0, begin, n) : at::Tensor());
}

double mean_draws_loss(const Denoiser& denoiser, const FixedDraws& d) {
  torch::NoGradGuard no_grad;
  const std::int64_t total = d.x0.size(0), chunk = 4096;
  double sum = 0.0;
  for (std::int64_t b = 0; b < total; b += chunk)
    sum += draws_loss(denoiser, d, b, std::min(total, b + chunk)).sum().item<double>();
  return sum / static_cast<double>(total);
}

// The settings a resumed run must share with the checkpoint's run.
std::string training_settings(const Denoiser& denoiser, const DenoiserTrainingOptions& o,
                              std::int64_t train_size) {
  const auto& l = o.noise_levels();
  std::ostringstream s;
  s.precision(17);
  s << "{\"prediction\":\"" << prediction_name(denoiser.prediction())
    << "\",\"sigma_data\":" << denoiser.sigma_data() << ",\"noise_levels\":\"" << l.distribution()
    << "\",\"mean\":" << l.mean() << ",\"std\":" << l.std() << ",\"sigma_min\":" << l.sigma_min()
    << ",\"sigma_max\":" << l.sigma_max() << ",\"label_dropout\":" << o.label_dropout()
    << ",\"ema_decay\":" << o.ema_decay() << ",\"repeats\":" << o.repeats()
    << ",\"train_size\":" << train_size << ",\"caller\":\"" << o.trainer().metadata() << "\"}";
  return s.str();
}

}  // namespace

double held_out_loss(const Denoiser& denoiser, const LabelledData& data,
                     const NoiseLevelOptions& noise_levels, std::int64_t draws,
                     std::uint64_t seed) {
  check_labelled(data, denoiser.network(), "held-out data", false);
  if (draws < 1) throw std::invalid_argument("held-out loss: draws must be >= 1");
  return mean_draws_loss(denoiser, fixed_draws(data, noise_levels, draws, seed));
}

DenoiserTrainingResult train_denoiser(const Denoiser& denoiser, const LabelledData& train,
                                      const LabelledData& validation,
                                      const DenoiserTrainingOptions& options,
                                      const learned::DataParallel& parallel) {
  DenoiserNetwork& network = denoiser.network();
  check_labelled(train, network, "training data", false);
  check_labelled(validation, network, "validation data", true);
  check_noise_levels(options.noise_levels());
  if (!(options.label_dropout() >= 0.0 && options.label_dropout() <= 1.0))
    throw std::invalid_argument("label_dropout must be in [0, 1], got " +
                                std::to_string(options.label_dropout()));
  if (!(options.learning_rate() > 0.0) || !std::isfinite(options.learning_rate()))
    throw std::invalid_argument("learning_rate must be > 0, got " +
                                std::to_string(options.learning_rate()));
  if (options.repeats() < 1)
    throw std::invalid_argument("repeats must be >= 1, got " + std::to_string(options.repeats()));
  if (options.validation_draws() < 1)
    throw std::invalid_argument("validation_draws must be >= 1, got " +
                                std::to_string(options.validation_draws()));

  const std::int64_t n = train.x.size(0);
  const at::Tensor x = train.x.to(at::kFloat).contiguous();
  const at::Tensor labels = train.labels.defined() ? train.labels.to(at::kLong) : at::Tensor();
  const bool conditional = network.num_classes() > 0;
  const std::int64_t null_label = network.null_label();
  const std::uint64_t seed = options.trainer().seed();

  auto state = std::make_shared<DenoiserTrainingState>(denoiser.network_ptr(), options.ema_decay());
  torch::optim::Adam optimizer(network.parameters(),
                               torch::optim::AdamOptions(options.learning_rate()));

  FixedDraws held_out;
  if (validation.x.defined())
    held_out = fixed_draws(validation, options.noise_levels(), options.validation_draws(),
                           learned::splitmix64(seed ^ 0x76616c6964ULL));

  // The draws of one step depend only on (seed, step, rank): exact resume.
  at::Generator generator = seeded_generator(seed);
  const auto rank = static_cast<std::uint64_t>(parallel.rank());
  const auto ranks = static_cast<std::uint64_t>(parallel.size());

  learned::TrainTask task;
  task.train_size = n * options.repeats();
  task.validation_size = held_out.x0.defined() ? held_out.x0.size(0) : 0;
  task.begin_step = [&](std::int64_t, std::int64_t step) {
    learned::SplitMix64 stream(seed, static_cast<std::uint64_t>(step) * ranks + rank);
    generator.set_current_seed(stream.next());
  };
  task.loss_sum = [&](const at::Tensor& indices) {
    const at::Tensor which = indices.remainder(n);
    const at::Tensor x0 = x.index_select(0, which);
    const std::int64_t b = which.size(0);
    const at::Tensor sigma = draw_noise_levels(options.noise_levels(), b, generator);
    const at::Tensor noise = at::randn(x0.sizes(), generator, at::kFloat);
    at::Tensor l;
    if (conditional) {
      l = labels.index_select(0, which);
      const at::Tensor drop = at::rand({b}, generator, at::kDouble) < options.label_dropout();
      l = l.masked_fill(drop, null_label);
    }
    return denoiser.loss(x0, sigma, noise, l).sum();
  };
  if (task.validation_size > 0)
    task.validation_loss_sum = [&](std::int64_t begin, std::int64_t end) {
      return draws_loss(denoiser, held_out, begin, end).sum().item<double>();
    };
  if (state->average) task.end_step = [&](std::int64_t) { state->average->update(network); };
  const std::string settings = training_settings(denoiser, options, n);
  task.check_resume = [&](const learned::CheckpointState& checkpoint) {
    if (checkpoint.metadata != settings)
      throw std::runtime_error("the checkpoint was written by a training with other settings: " +
                               checkpoint.metadata + " (this run: " + settings + ")");
  };

  learned::TrainerOptions trainer = options.trainer();
  trainer.metadata(settings);
  DenoiserTrainingResult result;
  result.train = learned::fit(*state, optimizer, task, trainer, parallel);
  if (state->average && options.use_average()) {
    state->average->copy_to(network);
    result.averaged = true;
  }
  network.eval();
  result.validation_loss = held_out.x0.defined() ? mean_draws_loss(denoiser, held_out)
                                                 : std::numeric_limits<double>::quiet_NaN();
  return result;
}

}  // namespace deepsolve::diffusion
