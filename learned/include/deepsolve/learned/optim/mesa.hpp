// MESA, Memory-Efficient Sharpness-Aware training (Du et al., NeurIPS 2022, arXiv 2205.14083,
// Sec. 4.2): the trajectory term lambda T^2 KL(softmax(z_ema / T) || softmax(z / T))
// (trajectory_kl.hpp) with z_ema the output of an exponential moving average of the model,
// w_ema <- decay w_ema + (1 - decay) w after every step (decay 0.9998, as timm's ModelEmaV2 in
// the authors' code). Defaults: T = 5, start epoch 5, lambda 0.8 (their run.sh and README for
// ResNet-50; their code's default is 0.3).
#pragma once

#include <torch/arg.h>
#include <torch/nn/module.h>

#include <cstdint>
#include <memory>

#include "deepsolve/learned/optim/trajectory_kl.hpp"

namespace deepsolve::learned {

/// An exponential moving average of a model's parameters and floating-point buffers (other
/// buffers are copied). The EMA copy is a module of the same structure, matched by name.
class ModelEma {
 public:
  /// `copy` must have the model's parameter and buffer names and shapes; it is taken as the
  /// starting average (pass a clone of the model, e.g. std::dynamic_pointer_cast of
  /// model->clone() for a Cloneable module). Its parameters stop requiring gradients.
  ModelEma(std::shared_ptr<torch::nn::Module> copy, double decay = 0.9998);

  /// ema <- decay ema + (1 - decay) model. Throws std::invalid_argument if the model's
  /// parameters or buffers do not match the copy's.
  void update(const torch::nn::Module& model);

  std::shared_ptr<torch::nn::Module> module() const { return ema_; }
  template <class ModuleImpl>
  std::shared_ptr<ModuleImpl> module_as() const {
    return std::dynamic_pointer_cast<ModuleImpl>(ema_);
  }
  double decay() const { return decay_; }
  std::int64_t updates() const { return updates_; }

 private:
  std::shared_ptr<torch::nn::Module> ema_;
  double decay_;
  std::int64_t updates_ = 0;
};

struct MESAOptions {
  TORCH_ARG(double, lambda) = 0.8;
  TORCH_ARG(double, temperature) = 5.0;
  TORCH_ARG(double, decay) = 0.9998;
  TORCH_ARG(std::int64_t, start_epoch) = 5;
  TORCH_ARG(std::int64_t, end_epoch) = kNoEndEpoch;
};

void validate(const MESAOptions& options);

class MESA {
 public:
  /// `ema_copy`: a copy of the model (see ModelEma).
  MESA(std::shared_ptr<torch::nn::Module> ema_copy, MESAOptions options = {});

  /// lambda T^2 KL against the EMA model's logits of the same batch (computed by the caller
  /// with ema().module(), in no-grad mode); 0 outside [start_epoch, end_epoch].
  at::Tensor term(const at::Tensor& logits, const at::Tensor& ema_logits, std::int64_t epoch) const;
  /// After each optimizer step.
  void update(const torch::nn::Module& model) { ema_.update(model); }

  ModelEma& ema() { return ema_; }
  const MESAOptions& options() const { return options_; }

 private:
  MESAOptions options_;
  ModelEma ema_;
};

}  // namespace deepsolve::learned
