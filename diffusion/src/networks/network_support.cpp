#include "network_support.hpp"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "deepsolve/diffusion/mlp_denoiser.hpp"
#include "deepsolve/diffusion/network.hpp"

namespace deepsolve::diffusion::detail {

at::Tensor noise_frequencies(std::int64_t size) {
  constexpr double kLowest = 1.0 / 8.0, kHighest = 32.0;
  const double two_pi = 2.0 * std::acos(-1.0);
  const std::int64_t count = size / 2;
  at::Tensor w = at::empty({2 * count}, at::kFloat);
  auto a = w.accessor<float, 1>();
  for (std::int64_t k = 0; k < count; ++k) {
    const double t = count > 1 ? double(k) / double(count - 1) : 0.0;
    a[k] = a[count + k] = static_cast<float>(two_pi * kLowest * std::pow(kHighest / kLowest, t));
  }
  return w;
}

at::Tensor noise_phases(std::int64_t size) {
  const std::int64_t count = size / 2;
  at::Tensor p = at::zeros({2 * count}, at::kFloat);
  p.slice(0, count).fill_(-0.5 * std::acos(-1.0));
  return p;
}

at::Tensor fourier_features(const at::Tensor& c_noise, const at::Tensor& frequencies,
                            const at::Tensor& phases) {
  const at::Tensor c = c_noise.scalar_type() == frequencies.scalar_type()
                           ? c_noise
                           : c_noise.to(frequencies.scalar_type());
  const at::Tensor phase = at::addr(phases, c, frequencies);
  return may_work_in_place() ? phase.cos_() : phase.cos();
}

bool may_work_in_place() {
  return !at::GradMode::is_enabled();
}

void check_noise_input(const at::Tensor& c_noise, std::int64_t batch, const std::string& network) {
  if (!c_noise.defined() || c_noise.dim() != 1 || c_noise.size(0) != batch)
    throw std::invalid_argument(
        network + ": c_noise must have shape [" + std::to_string(batch) + "], got " +
        (c_noise.defined() ? shape_text(c_noise.sizes().vec()) : "an undefined tensor"));
}

at::Tensor checked_labels(const at::Tensor& labels, std::int64_t batch, std::int64_t classes,
                          const at::Device& device, const std::string& network) {
  if (!labels.defined())
    return at::full({batch}, classes, at::TensorOptions(device).dtype(at::kLong));
  if (labels.dim() != 1 || labels.size(0) != batch)
    throw std::invalid_argument(network + ": labels must have shape [" + std::to_string(batch) +
                                "], got " + shape_text(labels.sizes().vec()));
  if (!at::isIntegralType(labels.scalar_type(), /*includeBool=*/false))
    throw std::invalid_argument(network + ": labels must be integers (int64), got " +
                                std::string(c10::toString(labels.scalar_type())));
  std::int64_t smallest = 0, largest = 0;
  if (labels.device().is_cpu() && labels.scalar_type() == at::kLong && labels.is_contiguous()) {
    // The common case without a kernel launch: a plain loop over the batch.
    const std::int64_t* v = labels.data_ptr<std::int64_t>();
    smallest = largest = v[0];
    for (std::int64_t i = 1; i < batch; ++i) {
      smallest = std::min(smallest, v[i]);
      largest = std::max(largest, v[i]);
    }
  } else {
    const auto [lo, hi] = at::aminmax(labels);
    smallest = lo.item<std::int64_t>();
    largest = hi.item<std::int64_t>();
  }
  if (smallest < 0 || largest > classes)
    throw std::invalid_argument(
        network + ": label " + std::to_string(smallest < 0 ? smallest : largest) +
        " out of range [0, " + std::to_string(classes) + "] (" + std::to_string(classes) +
        (classes == 0 ? " classes: an unconditional network takes only the null label 0)"
                      : " classes; " + std::to_string(classes) + " is the null label)"));
  if (labels.device() == device && labels.scalar_type() == at::kLong) return labels;
  return labels.to(device, at::kLong);
}

void check_option_range(const std::string& type, const std::string& option, std::int64_t value,
                        std::int64_t lo, std::int64_t hi) {
  if (value < lo || value > hi)
    throw std::invalid_argument(type + " option " + option + ": must be in [" + std::to_string(lo) +
                                ", " + std::to_string(hi) + "], got " + std::to_string(value));
}

void check_parameter_count(const std::string& type, const std::string& option, double count) {
  if (count > kMaxDenoiserParameters)
    throw std::invalid_argument(type + " option " + option + ": the network would hold about " +
                                std::to_string(count) + " learned values, more than the limit " +
                                std::to_string(kMaxDenoiserParameters));
}

std::shared_ptr<torch::nn::Module> copy_state_into(std::shared_ptr<torch::nn::Module> copy,
                                                   const torch::nn::Module& from,
                                                   const c10::optional<torch::Device>& device) {
  at::NoGradGuard no_grad;
  auto copy_tensor = [&](const at::Tensor& source, at::Tensor target) {
    target.set_data(device && source.device() != *device ? source.to(*device) : source.clone());
  };
  auto target_parameters = copy->named_parameters();
  for (const auto& p : from.named_parameters()) copy_tensor(p.value(), target_parameters[p.key()]);
  auto target_buffers = copy->named_buffers();
  for (const auto& b : from.named_buffers()) copy_tensor(b.value(), target_buffers[b.key()]);
  copy->train(from.is_training());
  return copy;
}

}  // namespace deepsolve::diffusion::detail
