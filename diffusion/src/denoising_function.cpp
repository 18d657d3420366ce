#include "deepsolve/diffusion/denoising_function.hpp"

#include <ATen/ATen.h>

#include <stdexcept>

namespace deepsolve::diffusion {

std::int64_t DenoisingFunction::nfe() const {
  return nfe_per_sample().sum().item<std::int64_t>();
}

UnguidedDenoising::UnguidedDenoising(const ConditionalDenoiser& denoiser, at::Tensor labels)
    : denoiser_(denoiser), labels_(std::move(labels)) {}

void UnguidedDenoising::begin(std::int64_t batch) {
  if (labels_.defined() && labels_.size(0) != batch)
    throw std::invalid_argument("UnguidedDenoising: " + std::to_string(labels_.size(0)) +
                                " labels for a batch of " + std::to_string(batch));
  nfe_ = at::zeros({batch}, at::kLong);
}

at::Tensor UnguidedDenoising::denoise(const at::Tensor& x, const EvaluationPoint& at) {
  if (!nfe_.defined() || nfe_.size(0) != x.size(0))
    throw std::logic_error("UnguidedDenoising: begin() was not called for this batch");
  nfe_ += 1;
  return denoiser_.denoise(x, at.sigma, labels_);
}

at::Tensor UnguidedDenoising::nfe_per_sample() const {
  return nfe_.defined() ? nfe_ : at::zeros({0}, at::kLong);
}

}  // namespace deepsolve::diffusion
