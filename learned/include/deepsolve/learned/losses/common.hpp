// Pieces shared by the losses of deepsolve::learned (any_loss.hpp, comp_sum.hpp, z_loss.hpp,
// mann_whitney.hpp, nt_xent.hpp, isogclr.hpp, groco.hpp, adversarial_comp_sum.hpp, registry.hpp):
// the reduction type, how a tensor of per-sample (per-class, per-pair, per-query) losses is
// reduced, and the model type of the losses that call the model themselves.
//
// LossReduction is LibTorch's own reduction variant (kNone, kMean, kSum), taken from one of its
// loss options: c10::variant on LibTorch 1.13, std::variant on 2.x. Code that writes
// `torch::kMean`, `torch::kSum` or `torch::kNone` compiles on both.
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/enum.h>
#include <torch/nn/options/loss.h>

#include <functional>
#include <string>

namespace deepsolve::learned {

/// kNone, kMean or kSum (the variant type of torch::nn::L1LossOptions::reduction_t).
using LossReduction = torch::nn::L1LossOptions::reduction_t;

/// A model: inputs [N, ...] to scores [N, C] (adversarial_comp_sum.hpp).
using ScoreFunction = std::function<at::Tensor(const at::Tensor&)>;

/// "none", "mean" or "sum".
std::string reduction_name(const LossReduction& reduction);

/// The reduction called "none", "mean" or "sum"; std::invalid_argument for any other name.
LossReduction reduction_from_name(const std::string& name);

/// The losses as they are (kNone), their mean (kMean) or their sum (kSum).
at::Tensor reduce_loss(const at::Tensor& losses, const LossReduction& reduction);

}  // namespace deepsolve::learned
