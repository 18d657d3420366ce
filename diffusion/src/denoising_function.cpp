#include "deepsolve/diffusion/denoising_function.hpp"

#include <ATen/ATen.h>

#include <algorithm>
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
  batch_ = batch;
  evaluations_ = 0;
}

at::Tensor UnguidedDenoising::denoise(const at::Tensor& x, const EvaluationPoint& at) {
  if (batch_ != x.size(0))
    throw std::logic_error("UnguidedDenoising: begin() was not called for this batch");
  ++evaluations_;
  return denoiser_.denoise(x, at.sigma, labels_);
}

at::Tensor UnguidedDenoising::nfe_per_sample() const {
  return at::full({std::max<std::int64_t>(batch_, 0)}, evaluations_, at::kLong);
}

}  // namespace deepsolve::diffusion
