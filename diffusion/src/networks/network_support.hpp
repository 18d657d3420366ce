// What the denoiser networks share: the Fourier features of the noise level, the checks of their
// conditioning inputs, option-range checks and Module::clone. Internal to the library.
#pragma once

#include <torch/nn/module.h>

#include <cstdint>
#include <memory>
#include <string>

namespace deepsolve::diffusion::detail {

/// The Fourier features of the noise level, [cos(2 pi f_k c), sin(2 pi f_k c)], k = 0 .. K-1 with
/// f_k geometric from 1/8 to 32 (f_0 = 1/8 when K is 1), are computed as cos(c w + p) (one outer
/// product and one cosine): w = [2 pi f, 2 pi f] and p = [0 (K times), -pi/2 (K times)], both
/// of size 2K = `size` (even), kept as buffers "frequencies" and "phases".
at::Tensor noise_frequencies(std::int64_t size);
at::Tensor noise_phases(std::int64_t size);
/// c_noise [B] -> [B, size].
at::Tensor fourier_features(const at::Tensor& c_noise, const at::Tensor& frequencies,
                            const at::Tensor& phases);
/// Whether intermediate results may be overwritten (no autograd graph is being recorded).
bool may_work_in_place();

/// Throws std::invalid_argument "<network>: c_noise must have shape [B], got ..." unless c_noise
/// is defined with shape [batch].
void check_noise_input(const at::Tensor& c_noise, std::int64_t batch, const std::string& network);
/// The labels as int64 [batch] on `device`: `labels` itself when defined (it must have shape
/// [batch], an integer dtype and values in [0, classes]), else the null label `classes` for every
/// sample. Throws std::invalid_argument naming the network and the offending shape or value.
at::Tensor checked_labels(const at::Tensor& labels, std::int64_t batch, std::int64_t classes,
                          const at::Device& device, const std::string& network);

/// Throws std::invalid_argument "<type> option <option>: must be in [lo, hi], got v".
void check_option_range(const std::string& type, const std::string& option, std::int64_t value,
                        std::int64_t lo, std::int64_t hi);
/// Throws std::invalid_argument naming `option` when `count` > kMaxDenoiserParameters.
void check_parameter_count(const std::string& type, const std::string& option, double count);

/// Module::clone for the denoiser networks: `copy` is a new module built with the same options;
/// its parameters and buffers become copies of `from`'s (same names), on `device` when given,
/// and its training mode `from`'s.
std::shared_ptr<torch::nn::Module> copy_state_into(std::shared_ptr<torch::nn::Module> copy,
                                                   const torch::nn::Module& from,
                                                   const c10::optional<torch::Device>& device);

}  // namespace deepsolve::diffusion::detail
