#include "deepsolve/diffusion/unet_denoiser.hpp"

#include <ATen/ATen.h>
#include <torch/nn/modules/normalization.h>

#include <stdexcept>

#include "deepsolve/learned/io/model_registry.hpp"
#include "network_support.hpp"

namespace deepsolve::diffusion {
namespace unet_detail {

constexpr const char* kUnetName = "unet-denoiser";
constexpr std::int64_t kUnetFourierFeatures = 32;  // cosines and sines of c_noise
constexpr double kBiasFreeEpsilon = 1e-5;          // added to the batch variance
constexpr double kBiasFreeMomentum = 0.1;          // of the running standard deviation

std::int64_t level_channels(const UnetDenoiserOptions& o, std::int64_t level) {
  return o.base << level;
}
std::int64_t embedding_size(const UnetDenoiserOptions& o) {
  return 4 * o.base;
}
// GroupNorm's groups: up to 8, dividing the channels.
std::int64_t norm_groups(std::int64_t channels) {
  for (std::int64_t g : {8, 4, 2}) {
    if (channels % g == 0) return g;
  }
  return 1;
}

}  // namespace unet_detail

using unet_detail::kUnetName;

namespace detail {

// One convolution block: 3x3 conv -> norm (-> + per-channel shift of e) -> activation, see
// unet_denoiser.hpp for the two variants.
class UnetBlock : public torch::nn::Module {
 public:
  UnetBlock(std::int64_t in, std::int64_t out, bool bias_free, std::int64_t embedding)
      : bias_free_(bias_free) {
    conv_ = register_module(
        "conv",
        torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1).bias(!bias_free)));
    if (bias_free) {
      gain_ = register_parameter("gain", at::ones({out}));
      running_sd_ = register_buffer("running_sd", at::ones({out}));
    } else {
      norm_ = register_module("norm", torch::nn::GroupNorm(unet_detail::norm_groups(out), out));
      shift_ = register_module("shift", torch::nn::Linear(embedding, out));
    }
  }

  at::Tensor forward(const at::Tensor& x, const at::Tensor& e) {
    const at::Tensor y = conv_(x);
    if (!bias_free_) {
      const at::Tensor shift = shift_(e).unsqueeze(-1).unsqueeze(-1);
      return at::silu(norm_(y) + shift);
    }
    // The bias-free batch norm: y / sd * gain per channel, no mean subtracted and no offset.
    at::Tensor sd;
    if (is_training()) {
      sd = (y.var({0, 2, 3}, /*unbiased=*/false, /*keepdim=*/false) + unet_detail::kBiasFreeEpsilon)
               .sqrt();
      at::NoGradGuard no_grad;
      running_sd_.mul_(1.0 - unet_detail::kBiasFreeMomentum)
          .add_(sd.detach(), unet_detail::kBiasFreeMomentum);
    } else {
      sd = running_sd_;
    }
    return at::relu(y * (gain_ / sd).view({1, -1, 1, 1}));
  }

 private:
  bool bias_free_;
  torch::nn::Conv2d conv_{nullptr};
  torch::nn::GroupNorm norm_{nullptr};
  torch::nn::Linear shift_{nullptr};
  at::Tensor gain_, running_sd_;
};

}  // namespace detail

void UnetDenoiserOptions::validate() const {
  detail::check_option_range(kUnetName, "channels", channels, 1, 4096);
  detail::check_option_range(kUnetName, "size", size, 1, std::int64_t{1} << 14);
  detail::check_option_range(kUnetName, "base", base, 1, 4096);
  detail::check_option_range(kUnetName, "levels", levels, 0, 10);
  detail::check_option_range(kUnetName, "blocks", blocks, 1, 64);
  detail::check_option_range(kUnetName, "classes", classes, 0, std::int64_t{1} << 24);
  const std::int64_t factor = std::int64_t{1} << levels;
  if (size % factor != 0)
    throw std::invalid_argument(std::string(kUnetName) + " option size: " + std::to_string(size) +
                                " is not divisible by 2^levels = " + std::to_string(factor) +
                                " (levels " + std::to_string(levels) + ")");
  if (bias_free && classes > 0)
    throw std::invalid_argument(std::string(kUnetName) +
                                " options classes and bias-free: the bias-free network is blind "
                                "and unconditional, so classes must be 0, got " +
                                std::to_string(classes));
  detail::check_parameter_count(kUnetName, "base", parameter_count());
}

double UnetDenoiserOptions::parameter_count() const {
  const double e = bias_free ? 0.0 : double(unet_detail::embedding_size(*this));
  auto block = [&](double in, double out) {
    return 9.0 * in * out + (bias_free ? out : out + 2.0 * out + e * out + out);
  };
  double count = bias_free ? 0.0 : double(unet_detail::kUnetFourierFeatures) * e + e;
  if (classes > 0) count += double(classes + 1) * e;
  double in = double(channels);
  for (std::int64_t i = 0; i <= levels; ++i) {
    const double c = double(unet_detail::level_channels(*this, i));
    count += block(in, c) + double(blocks - 1) * block(c, c);
    if (i < levels)
      count += block(2.0 * c, c) + double(blocks - 1) * block(c, c) + 4.0 * 2.0 * c * c +
               (bias_free ? 0.0 : c);
    in = c;
  }
  return count + 9.0 * double(base) * double(channels) + (bias_free ? 0.0 : double(channels));
}

std::string UnetDenoiserOptions::describe() const {
  std::string text = std::to_string(channels) + "x" + std::to_string(size) + "x" +
                     std::to_string(size) + " images, " + std::to_string(levels) + " levels of " +
                     std::to_string(blocks) + " blocks, " + std::to_string(base) + ".." +
                     std::to_string(unet_detail::level_channels(*this, levels)) + " channels, ";
  if (bias_free) return text + "bias-free (blind, positively homogeneous in eval mode)";
  return text + (classes > 0 ? std::to_string(classes) + " classes (+ the null label)"
                             : std::string("unconditional"));
}

UnetDenoiser::UnetDenoiser(UnetDenoiserOptions options) : options_(options) {
  options_.validate();
  const bool bf = options_.bias_free;
  const std::int64_t e = bf ? 0 : unet_detail::embedding_size(options_);
  if (!bf) {
    frequencies_ = register_buffer("frequencies",
                                   detail::noise_frequencies(unet_detail::kUnetFourierFeatures));
    phases_ = register_buffer("phases", detail::noise_phases(unet_detail::kUnetFourierFeatures));
    noise_ = register_module("noise", torch::nn::Linear(unet_detail::kUnetFourierFeatures, e));
    if (options_.classes > 0)
      labels_ = register_module("labels", torch::nn::Embedding(options_.classes + 1, e));
  }
  auto stack = [&](const std::string& name, std::int64_t in, std::int64_t out) {
    std::vector<std::shared_ptr<detail::UnetBlock>> blocks;
    for (std::int64_t j = 0; j < options_.blocks; ++j)
      blocks.push_back(
          register_module(name + std::to_string(j),
                          std::make_shared<detail::UnetBlock>(j == 0 ? in : out, out, bf, e)));
    return blocks;
  };
  std::int64_t in = options_.channels;
  for (std::int64_t i = 0; i < options_.levels; ++i) {
    const std::int64_t c = unet_detail::level_channels(options_, i);
    down_.push_back(stack("down" + std::to_string(i) + "_", in, c));
    in = c;
  }
  middle_ = stack("middle", in, unet_detail::level_channels(options_, options_.levels));
  up_.resize(static_cast<std::size_t>(options_.levels), torch::nn::ConvTranspose2d{nullptr});
  decode_.resize(static_cast<std::size_t>(options_.levels));
  for (std::int64_t i = options_.levels - 1; i >= 0; --i) {
    const std::int64_t c = unet_detail::level_channels(options_, i);
    const auto k = static_cast<std::size_t>(i);
    up_[k] =
        register_module("up" + std::to_string(i),
                        torch::nn::ConvTranspose2d(
                            torch::nn::ConvTranspose2dOptions(2 * c, c, 2).stride(2).bias(!bf)));
    decode_[k] = stack("decode" + std::to_string(i) + "_", 2 * c, c);
  }
  out_ = register_module(
      "out",
      torch::nn::Conv2d(
          torch::nn::Conv2dOptions(options_.base, options_.channels, 3).padding(1).bias(!bf)));
  if (!bf) {
    at::NoGradGuard no_grad;
    out_->weight.mul_(0.1);
    out_->bias.mul_(0.1);
  }
}

UnetDenoiser::~UnetDenoiser() = default;

at::Tensor UnetDenoiser::forward(const at::Tensor& x_in, const at::Tensor& c_noise,
                                 const at::Tensor& labels) {
  check_sample_batch(x_in, sample_shape(), "unet-denoiser input");
  const std::int64_t batch = x_in.size(0);
  at::Tensor e;
  if (!options_.bias_free) {
    detail::check_noise_input(c_noise, batch, kUnetName);
    e = at::silu(noise_(detail::fourier_features(c_noise, frequencies_, phases_)));
  }
  if (options_.classes > 0)
    e = e +
        labels_(detail::checked_labels(labels, batch, options_.classes, x_in.device(), kUnetName));
  else if (labels.defined())
    detail::checked_labels(labels, batch, 0, x_in.device(), kUnetName);

  at::Tensor h = x_in;
  std::vector<at::Tensor> skips;
  for (const auto& level : down_) {
    for (const auto& block : level) h = block->forward(h, e);
    skips.push_back(h);
    h = at::avg_pool2d(h, {2, 2});
  }
  for (const auto& block : middle_) h = block->forward(h, e);
  for (std::size_t k = up_.size(); k-- > 0;) {
    h = at::cat({up_[k](h), skips[k]}, 1);
    for (const auto& block : decode_[k]) h = block->forward(h, e);
  }
  return out_(h);
}

std::string UnetDenoiser::describe() const {
  return "UNet denoiser, " + options_.describe();
}

std::shared_ptr<torch::nn::Module> UnetDenoiser::clone(
    const c10::optional<torch::Device>& device) const {
  return detail::copy_state_into(std::make_shared<UnetDenoiser>(options_), *this, device);
}

learned::ModelType unet_denoiser_model_type() {
  using Kind = learned::ModelOption::Kind;
  const UnetDenoiserOptions defaults;
  learned::ModelType t;
  t.name = kUnetName;
  t.family = kDenoiserFamily;
  t.description =
      "UNet denoiser for images [B, C, S, S]: conv blocks with GroupNorm, SiLU and noise/label "
      "shifts, or the bias-free blind variant (Kadkhodaie et al. 2024)";
  t.options = {
      {"channels", Kind::integer, std::to_string(defaults.channels), "image channels C"},
      {"size", Kind::integer, std::to_string(defaults.size),
       "image size S (S x S, divisible by 2^levels)"},
      {"base", Kind::integer, std::to_string(defaults.base),
       "channels of the top level (doubled per level)"},
      {"levels", Kind::integer, std::to_string(defaults.levels), "number of 2x downsamplings"},
      {"blocks", Kind::integer, std::to_string(defaults.blocks), "convolution blocks per level"},
      {"classes", Kind::integer, std::to_string(defaults.classes),
       "number of classes (0: unconditional; label = classes is the null label)"},
      {"bias-free", Kind::flag, defaults.bias_free ? "1" : "0",
       "bias-free blind variant: no biases, bias-free batch norm, ReLU, no noise-level input"},
  };
  auto parse = [](const learned::ModelOptions& o) {
    UnetDenoiserOptions u;
    u.channels = learned::integer_option(o, "channels");
    u.size = learned::integer_option(o, "size");
    u.base = learned::integer_option(o, "base");
    u.levels = learned::integer_option(o, "levels");
    u.blocks = learned::integer_option(o, "blocks");
    u.classes = learned::integer_option(o, "classes");
    u.bias_free = learned::flag_option(o, "bias-free");
    return u;
  };
  t.build = [parse](const learned::ModelOptions& o) -> std::shared_ptr<torch::nn::Module> {
    return std::make_shared<UnetDenoiser>(parse(o));
  };
  t.is_instance = [](const torch::nn::Module& m) {
    return dynamic_cast<const UnetDenoiser*>(&m) != nullptr;
  };
  t.options_of = [](const torch::nn::Module& m) {
    const UnetDenoiserOptions& o = dynamic_cast<const UnetDenoiser&>(m).options();
    return learned::ModelOptions{
        {"channels", std::to_string(o.channels)}, {"size", std::to_string(o.size)},
        {"base", std::to_string(o.base)},         {"levels", std::to_string(o.levels)},
        {"blocks", std::to_string(o.blocks)},     {"classes", std::to_string(o.classes)},
        {"bias-free", o.bias_free ? "1" : "0"}};
  };
  t.describe = [](const torch::nn::Module& m) {
    return dynamic_cast<const UnetDenoiser&>(m).describe();
  };
  // Activations kept for the backward pass, per sample: each block's convolution output, its
  // normalised value and its activation (and the shifted value in the normal variant); each
  // level's pooled map, transposed-convolution output and concatenation; the input, the output
  // and their gradients. (GroupNorm's statistics and the conditioning are left out.)
  t.training_floats = [parse](const learned::ModelOptions& o, const std::vector<std::int64_t>&) {
    const UnetDenoiserOptions u = parse(o);
    const double per_block = u.bias_free ? 3.0 : 4.0;
    double floats = 4.0 * double(u.channels) * double(u.size) * double(u.size);
    for (std::int64_t i = 0; i <= u.levels; ++i) {
      const double s = double(u.size >> i), c = double(unet_detail::level_channels(u, i));
      floats += double(u.blocks) * per_block * c * s * s;  // encoder or middle
      if (i < u.levels)
        floats += c * s * s / 4.0 + 3.0 * c * s * s + double(u.blocks) * per_block * c * s * s;
    }
    return floats;
  };
  return t;
}

}  // namespace deepsolve::diffusion
