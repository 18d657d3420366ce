#include "deepsolve/diffusion/denoiser.hpp"

#include <ATen/ATen.h>

#include <cmath>
#include <stdexcept>

namespace deepsolve::diffusion {
namespace {

// [B] -> [B, 1, ..., 1] so that it broadcasts against a batch of samples of `dims` dimensions.
at::Tensor per_sample(const at::Tensor& v, std::int64_t dims) {
  std::vector<std::int64_t> shape(static_cast<std::size_t>(dims), 1);
  shape[0] = v.size(0);
  return v.reshape(shape);
}

}  // namespace

Denoiser::Denoiser(std::shared_ptr<DenoiserNetwork> network, Prediction prediction,
                   double sigma_data)
    : network_(std::move(network)), prediction_(prediction), sigma_data_(sigma_data) {
  if (!network_) throw std::invalid_argument("Denoiser: the network is null");
  if (!(sigma_data_ > 0.0))
    throw std::invalid_argument("Denoiser: sigma_data must be > 0, got " +
                                std::to_string(sigma_data_));
  const bool blind = !network_->uses_noise_level();
  if (blind && prediction_ != Prediction::residual)
    throw std::invalid_argument(
        std::string("Denoiser: a blind network (no noise-level input) predicts the residual; "
                    "prediction '") +
        prediction_name(prediction_) + "' needs the noise level");
  if (!blind && prediction_ == Prediction::residual)
    throw std::invalid_argument(
        "Denoiser: prediction 'residual' is for blind networks; this network takes the noise "
        "level (use eps, x0, v or edm)");
}

at::Tensor Denoiser::labels_for(const at::Tensor& x, const at::Tensor& labels) const {
  if (!labels.defined())
    return at::full({x.size(0)}, network_->null_label(), x.options().dtype(at::kLong));
  if (labels.dim() != 1 || labels.size(0) != x.size(0))
    throw std::invalid_argument("Denoiser: labels must have shape [" + std::to_string(x.size(0)) +
                                "], got " + shape_text(labels.sizes().vec()));
  return labels.to(x.device(), at::kLong);
}

at::Tensor Denoiser::operator()(const at::Tensor& x, const at::Tensor& sigma,
                                const at::Tensor& labels) const {
  check_sample_batch(x, network_->sample_shape(), "Denoiser input");
  const at::Tensor s = sigma.dim() == 0 ? sigma.expand({x.size(0)}) : sigma;
  if (s.dim() != 1 || s.size(0) != x.size(0))
    throw std::invalid_argument("Denoiser: sigma must have shape [" + std::to_string(x.size(0)) +
                                "], got " + shape_text(sigma.sizes().vec()));
  const auto net_dtype = network_->parameters().empty()
                             ? x.scalar_type()
                             : network_->parameters().front().scalar_type();
  const at::Tensor sx = s.to(x.options());
  const Preconditioning c = preconditioning(prediction_, sx, sigma_data_);
  const std::int64_t dims = x.dim();
  const at::Tensor x_in = (per_sample(c.c_in, dims) * x).to(net_dtype);
  const at::Tensor f =
      network_->forward(x_in, c.c_noise.to(net_dtype), labels_for(x, labels)).to(x.scalar_type());
  return per_sample(c.c_skip, dims) * x + per_sample(c.c_out, dims) * f;
}

at::Tensor Denoiser::operator()(const at::Tensor& x, double sigma, const at::Tensor& labels) const {
  // One noise level for the batch (every sampler step): the coefficients are numbers, which
  // saves a handful of small tensor operations per evaluation (they dominate at small batches).
  check_sample_batch(x, network_->sample_shape(), "Denoiser input");
  if (!(sigma > 0.0) || !std::isfinite(sigma))
    throw std::invalid_argument("Denoiser: sigma must be positive and finite, got " +
                                std::to_string(sigma));
  const PreconditioningAt c = preconditioning_at(prediction_, sigma, sigma_data_);
  const double c_skip = c.c_skip, c_out = c.c_out, c_in = c.c_in, c_noise = c.c_noise;
  const auto net_dtype = network_->parameters().empty()
                             ? x.scalar_type()
                             : network_->parameters().front().scalar_type();
  const at::Tensor x_in = c_in == 1.0 ? x.to(net_dtype) : (x * c_in).to(net_dtype);
  const at::Tensor f =
      network_->forward(x_in, at::full({x.size(0)}, c_noise, x_in.options()), labels_for(x, labels))
          .to(x.scalar_type());
  if (c_skip == 0.0) return c_out == 1.0 ? f : f * c_out;
  return at::add(x * c_skip, f, c_out);
}

at::Tensor Denoiser::loss(const at::Tensor& x0, const at::Tensor& sigma, const at::Tensor& noise,
                          const at::Tensor& labels) const {
  check_sample_batch(x0, network_->sample_shape(), "Denoiser::loss clean samples");
  if (!noise.sizes().equals(x0.sizes()))
    throw std::invalid_argument("Denoiser::loss: noise has shape " +
                                shape_text(noise.sizes().vec()) + ", the samples " +
                                shape_text(x0.sizes().vec()));
  if (sigma.dim() != 1 || sigma.size(0) != x0.size(0))
    throw std::invalid_argument("Denoiser::loss: sigma must have shape [" +
                                std::to_string(x0.size(0)) + "]");
  const std::int64_t dims = x0.dim();
  const Preconditioning c = preconditioning(prediction_, sigma, sigma_data_);
  const at::Tensor x = x0 + per_sample(sigma, dims) * noise;
  const at::Tensor f =
      network_->forward(per_sample(c.c_in, dims) * x, c.c_noise, labels_for(x0, labels));
  const at::Tensor target = (x0 - per_sample(c.c_skip, dims) * x) / per_sample(c.c_out, dims);
  return (f - target).pow(2).reshape({x0.size(0), -1}).mean(1);
}

}  // namespace deepsolve::diffusion
