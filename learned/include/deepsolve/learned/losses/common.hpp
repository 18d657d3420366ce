// Pieces shared by the losses of deepsolve::learned (any_loss.hpp, comp_sum.hpp, z_loss.hpp,
// mann_whitney.hpp, nt_xent.hpp, isogclr.hpp, groco.hpp): the reduction type and how a tensor of
// per-sample (per-class, per-pair, per-query) losses is reduced.
//
// LossReduction is LibTorch's own reduction variant (kNone, kMean, kSum), taken from one of its
// loss options: c10::variant on LibTorch 1.13, std::variant on 2.x. Code that writes
// `torch::kMean`, `torch::kSum` or `torch::kNone` compiles on both.
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/enum.h>
#include <torch/nn/options/loss.h>

#include <string>

namespace deepsolve::learned {

/// kNone, kMean or kSum (the variant type of torch::nn::L1LossOptions::reduction_t).
using LossReduction = torch::nn::L1LossOptions::reduction_t;

/// "none", "mean" or "sum".
std::string reduction_name(const LossReduction& reduction);

/// The reduction called "none", "mean" or "sum"; std::invalid_argument for any other name.
LossReduction reduction_from_name(const std::string& name);

/// The losses as they are (kNone), their mean (kMean) or their sum (kSum).
at::Tensor reduce_loss(const at::Tensor& losses, const LossReduction& reduction);

}  // namespace deepsolve::learned
