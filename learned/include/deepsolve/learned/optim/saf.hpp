// SAF, Sharpness-Aware training for Free (Du et al., NeurIPS 2022, arXiv 2205.14083, Sec. 4.1):
// the loss gets lambda T^2 KL(softmax(z_{e - E~} / T) || softmax(z_e / T)) (trajectory_kl.hpp),
// where z_{e - E~} are the logits the same sample had E~ epochs earlier. They come from a logit
// bank: a ring buffer of samples x (E~ + 1) epochs x classes, indexed by the sample ids the data
// loader hands out. Defaults: T = 5, E~ = 3 (the authors' code), start epoch 5, lambda 0.3 (their
// run.sh for ResNet-50; their code's default is 0.16).
#pragma once

#include <torch/nn/cloneable.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <cstdint>

#include "deepsolve/learned/optim/trajectory_kl.hpp"

namespace deepsolve::learned {

/// Ring buffer of logits: slot (epoch mod window) of each sample holds its logits of that epoch.
/// A module with buffers, so it can be registered in the model (and saved in checkpoints) or
/// saved on its own. Kept on the CPU unless moved.
class LogitBankImpl : public torch::nn::Cloneable<LogitBankImpl> {
 public:
  /// `window` slots per sample (E~ + 1 for SAF).
  LogitBankImpl(std::int64_t samples, std::int64_t classes, std::int64_t window);
  void reset() override;

  /// Stores the (b, classes) logits of samples `indices` (1-D int64) for `epoch`.
  void record(const at::Tensor& indices, const at::Tensor& logits, std::int64_t epoch);
  struct Lookup {
    at::Tensor logits;  ///< (b, classes), on the bank's device; rows without an entry are zero
    at::Tensor found;   ///< (b,) bool: the bank holds this sample's logits of that epoch
  };
  /// The logits of samples `indices` stored for `epoch`.
  Lookup lookup(const at::Tensor& indices, std::int64_t epoch) const;

  std::int64_t samples() const { return samples_; }
  std::int64_t classes() const { return classes_; }
  std::int64_t window() const { return window_; }

  at::Tensor logits;  ///< (samples, window, classes) float32
  at::Tensor epochs;  ///< (samples, window) int64, -1 = empty

 private:
  void check_indices(const at::Tensor& indices, const char* where) const;
  std::int64_t samples_, classes_, window_;
};
TORCH_MODULE(LogitBank);

struct SAFOptions {
  TORCH_ARG(double, lambda) = 0.3;
  TORCH_ARG(double, temperature) = 5.0;
  /// E~: compare with the logits of this many epochs ago (>= 1).
  TORCH_ARG(std::int64_t, epochs_back) = 3;
  TORCH_ARG(std::int64_t, start_epoch) = 5;
  TORCH_ARG(std::int64_t, end_epoch) = kNoEndEpoch;
};

void validate(const SAFOptions& options);

class SAF {
 public:
  SAF(std::int64_t samples, std::int64_t classes, SAFOptions options = {});

  /// Records the batch's logits for `epoch` and returns lambda T^2 KL against the logits of
  /// epoch - E~ (the mean over the batch rows that have them; 0 when none has or the epoch is
  /// outside [start_epoch, end_epoch]). Add it to the loss.
  at::Tensor term(const at::Tensor& logits, const at::Tensor& indices, std::int64_t epoch);

  LogitBank& bank() { return bank_; }
  const SAFOptions& options() const { return options_; }

 private:
  SAFOptions options_;
  LogitBank bank_;
};

}  // namespace deepsolve::learned
