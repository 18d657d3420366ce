#include "deepsolve/diffusion/mlp_denoiser.hpp"

#include <ATen/ATen.h>
#include <torch/nn/functional/activation.h>

#include <stdexcept>

#include "deepsolve/learned/io/model_registry.hpp"
#include "network_support.hpp"

namespace deepsolve::diffusion {
namespace mlp_detail {

constexpr const char* kMlpName = "mlp-denoiser";

}  // namespace mlp_detail

using mlp_detail::kMlpName;

namespace mlp_detail {

// b + x W^T as one addmm (a Linear module's forward goes through at::linear, one dispatch more).
at::Tensor affine(const torch::nn::Linear& layer, const at::Tensor& x) {
  return at::addmm(layer->bias, x, layer->weight.t());
}

}  // namespace mlp_detail

using mlp_detail::affine;

void MlpDenoiserOptions::validate() const {
  detail::check_option_range(kMlpName, "dimension", dimension, 1, std::int64_t{1} << 20);
  detail::check_option_range(kMlpName, "hidden", hidden, 1, std::int64_t{1} << 16);
  detail::check_option_range(kMlpName, "layers", layers, 1, 1024);
  detail::check_option_range(kMlpName, "embedding", embedding, 2, std::int64_t{1} << 16);
  if (embedding % 2 != 0)
    throw std::invalid_argument(std::string(kMlpName) +
                                " option embedding: must be even (cosines and sines), got " +
                                std::to_string(embedding));
  detail::check_option_range(kMlpName, "classes", classes, 0, std::int64_t{1} << 24);
  detail::check_parameter_count(kMlpName, "hidden", parameter_count());
}

double MlpDenoiserOptions::parameter_count() const {
  const double d = double(dimension), h = double(hidden), l = double(layers), e = double(embedding);
  return e * (e + 1) + (classes > 0 ? double(classes + 1) * e : 0.0) + e * l * h + l * h + d * h +
         (l - 1) * h * h + (h * d + d);
}

std::string MlpDenoiserOptions::describe() const {
  return std::to_string(dimension) + "-d samples, " + std::to_string(layers) +
         " hidden layers of " + std::to_string(hidden) + ", " + std::to_string(embedding) +
         "-d noise embedding, " +
         (classes > 0 ? std::to_string(classes) + " classes (+ the null label)"
                      : std::string("unconditional"));
}

MlpDenoiser::MlpDenoiser(MlpDenoiserOptions options) : options_(options) {
  options_.validate();
  const std::int64_t e = options_.embedding, h = options_.hidden;
  frequencies_ = register_buffer("frequencies", detail::noise_frequencies(e));
  phases_ = register_buffer("phases", detail::noise_phases(e));
  noise_ = register_module("noise", torch::nn::Linear(e, e));
  if (options_.classes > 0)
    labels_ = register_module("labels", torch::nn::Embedding(options_.classes + 1, e));
  condition_ = register_module("condition", torch::nn::Linear(e, options_.layers * h));
  for (std::int64_t l = 0; l < options_.layers; ++l)
    hidden_.push_back(register_module(
        "hidden" + std::to_string(l),
        torch::nn::Linear(
            torch::nn::LinearOptions(l == 0 ? options_.dimension : h, h).bias(false))));
  out_ = register_module("out", torch::nn::Linear(h, options_.dimension));
  at::NoGradGuard no_grad;
  out_->weight.mul_(0.01);
  out_->bias.zero_();
}

at::Tensor MlpDenoiser::forward(const at::Tensor& x_in, const at::Tensor& c_noise,
                                const at::Tensor& labels) {
  check_sample_batch(x_in, sample_shape(), "mlp-denoiser input");
  const std::int64_t batch = x_in.size(0);
  detail::check_noise_input(c_noise, batch, kMlpName);
  // Sampling evaluates this network thousands of times on small batches, so it spends as few
  // operator calls as it can: in place where no autograd graph is recorded, the shifts added by
  // the matrix products themselves.
  const bool in_place = detail::may_work_in_place();
  at::Tensor e = affine(noise_, detail::fourier_features(c_noise, frequencies_, phases_));
  e = in_place ? at::silu_(e) : at::silu(e);
  if (options_.classes > 0) {
    const at::Tensor table_rows =
        labels_(detail::checked_labels(labels, batch, options_.classes, x_in.device(), kMlpName));
    e = in_place ? e.add_(table_rows) : e + table_rows;
  } else if (labels.defined()) {
    detail::checked_labels(labels, batch, 0, x_in.device(), kMlpName);
  }
  const std::vector<at::Tensor> shifts = affine(condition_, e).chunk(options_.layers, 1);
  at::Tensor h = x_in;
  for (std::size_t l = 0; l < hidden_.size(); ++l) {
    h = at::addmm(shifts[l], h, hidden_[l]->weight.t());
    h = in_place ? at::silu_(h) : at::silu(h);
  }
  return affine(out_, h);
}

std::string MlpDenoiser::describe() const {
  return "MLP denoiser, " + options_.describe();
}

std::shared_ptr<torch::nn::Module> MlpDenoiser::clone(
    const c10::optional<torch::Device>& device) const {
  return detail::copy_state_into(std::make_shared<MlpDenoiser>(options_), *this, device);
}

learned::ModelType mlp_denoiser_model_type() {
  using Kind = learned::ModelOption::Kind;
  const MlpDenoiserOptions defaults;
  learned::ModelType t;
  t.name = kMlpName;
  t.family = kDenoiserFamily;
  t.description =
      "MLP denoiser for low-dimensional data: SiLU layers shifted by a Fourier embedding of the "
      "noise level and an optional label embedding (with a null label)";
  t.options = {
      {"dimension", Kind::integer, std::to_string(defaults.dimension), "sample dimension d"},
      {"hidden", Kind::integer, std::to_string(defaults.hidden), "width of the hidden layers"},
      {"layers", Kind::integer, std::to_string(defaults.layers), "number of hidden layers"},
      {"embedding", Kind::integer, std::to_string(defaults.embedding),
       "size of the noise-level and label embedding (even)"},
      {"classes", Kind::integer, std::to_string(defaults.classes),
       "number of classes (0: unconditional; label = classes is the null label)"},
  };
  t.build = [](const learned::ModelOptions& o) -> std::shared_ptr<torch::nn::Module> {
    MlpDenoiserOptions m;
    m.dimension = learned::integer_option(o, "dimension");
    m.hidden = learned::integer_option(o, "hidden");
    m.layers = learned::integer_option(o, "layers");
    m.embedding = learned::integer_option(o, "embedding");
    m.classes = learned::integer_option(o, "classes");
    return std::make_shared<MlpDenoiser>(m);
  };
  t.is_instance = [](const torch::nn::Module& m) {
    return dynamic_cast<const MlpDenoiser*>(&m) != nullptr;
  };
  t.options_of = [](const torch::nn::Module& m) {
    const MlpDenoiserOptions& o = dynamic_cast<const MlpDenoiser&>(m).options();
    return learned::ModelOptions{{"dimension", std::to_string(o.dimension)},
                                 {"hidden", std::to_string(o.hidden)},
                                 {"layers", std::to_string(o.layers)},
                                 {"embedding", std::to_string(o.embedding)},
                                 {"classes", std::to_string(o.classes)}};
  };
  t.describe = [](const torch::nn::Module& m) {
    return dynamic_cast<const MlpDenoiser&>(m).describe();
  };
  // Per hidden layer the pre-activation and the SiLU output (h each) and the shift (h); the
  // embedding's features, pre-activation and output (3 e); input, output and their gradients.
  t.training_floats = [](const learned::ModelOptions& o, const std::vector<std::int64_t>&) {
    const double d = double(learned::integer_option(o, "dimension"));
    const double h = double(learned::integer_option(o, "hidden"));
    const double l = double(learned::integer_option(o, "layers"));
    const double e = double(learned::integer_option(o, "embedding"));
    return 3.0 * l * h + 3.0 * e + 4.0 * d;
  };
  return t;
}

}  // namespace deepsolve::diffusion
