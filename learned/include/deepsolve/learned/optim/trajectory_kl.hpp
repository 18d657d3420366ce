// The trajectory term of SAF and MESA (Du, Zhou, Feng, Tan & Zhou, "Sharpness-Aware Training for
// Free", NeurIPS 2022, arXiv 2205.14083, Eqs. 5 and 8):
//   lambda T^2 KL( softmax(z_ref / T) || softmax(z / T) ), the mean over the batch,
// added to the training loss from epoch start_epoch to end_epoch. z_ref is a reference output of
// the same sample: its logits from epochs ago (SAF, saf.hpp) or the output of an exponential
// moving average of the model (MESA, mesa.hpp). z_ref gets no gradient. It regularises sharpness
// without SAM's second backward pass.
#pragma once

#include <ATen/Tensor.h>

#include <cstdint>
#include <limits>

namespace deepsolve::learned {

/// T^2 mean_i KL(softmax(reference_i / T) || softmax(logits_i / T)) for (b, C) logits; the
/// reference is detached. Throws std::invalid_argument on mismatched shapes or T <= 0.
at::Tensor trajectory_kl(const at::Tensor& logits, const at::Tensor& reference_logits,
                         double temperature);

/// Whether `epoch` lies in [start_epoch, end_epoch] (both ends included).
inline bool trajectory_term_active(std::int64_t epoch, std::int64_t start_epoch,
                                   std::int64_t end_epoch) {
  return epoch >= start_epoch && epoch <= end_epoch;
}

constexpr std::int64_t kNoEndEpoch = std::numeric_limits<std::int64_t>::max();

}  // namespace deepsolve::learned
