// The DCDM training loss (Kaneda et al., ICML 2023, arXiv 2205.10763;
// `custom_loss_function_cnn_1d_fast` in ayano721/2023_DCDM): for a right-hand side b and the
// network's output q = f(b),
//
//   loss(b, q) = || b - (q^T b / q^T A q) A q ||^2,
//
// the squared residual left after one exact line search along q from x = 0. It is zero exactly
// when q is a nonzero multiple of A^{-1} b and does not change when q is scaled (so f only has to
// approximate A^{-1} up to a constant). The batch loss is the mean over the samples (the
// reference sums and divides by the batch size). Self-supervised: no solution is needed.
//
// Degenerate directions: where q^T A q <= 0 (q = 0, q in the null space of a floating region, or
// round-off) or is not finite, the step is taken to be 0 and that sample's loss is ||b||^2
// exactly, the residual of not moving, with zero gradient for that sample (computed without any
// division by zero, so no NaN reaches the backward pass either). A NaN or Inf in b or q gives a
// non-finite loss: the training loop should stop on it.
#pragma once

#include <torch/torch.h>

#include "deepsolve/solvers/torch/torch_stencil_operator.hpp"

namespace deepsolve::solvers::dcdm {

/// Per-sample losses, shape (batch,). `b` and `q` have the same shape, one that A.apply takes
/// ((batch, 1, [nz,] ny, nx) or (batch, N)), and A's dtype and device; otherwise
/// std::invalid_argument. Differentiable in q (and b).
torch::Tensor dcdm_loss_per_sample(const torch::Tensor& b, const torch::Tensor& q,
                                   const TorchStencilOperator& A);

/// The batch loss: the mean of dcdm_loss_per_sample, a scalar.
torch::Tensor dcdm_loss(const torch::Tensor& b, const torch::Tensor& q,
                        const TorchStencilOperator& A);

}  // namespace deepsolve::solvers::dcdm
